"""Every write to ideas and micro-projects.

The residents' steps (an idea from the public page, a raised hand, a sign-up, a
rating) take no login and are bounded by one per mobile phone where the rule
says so; the staff's (an idea from the suggestion box, adopting or declining,
a progress update, publishing the finished project) need the permission and
the idea's community inside the user's jurisdiction. A step the status does
not allow is a TransitionRefused; each status change leaves an Update row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common import files
from common.refusals import TransitionRefused
from grids.models import Level, Node
from grids.selectors import in_jurisdiction
from microprojects.models import (
    Hand,
    HandKind,
    Idea,
    IdeaSource,
    IdeaStatus,
    Participant,
    Project,
    ProjectStatus,
    Rating,
    Update,
    UpdatePhoto,
)

ADD = "microprojects.add_idea"
ADOPT = "microprojects.adopt_idea"
CHANGE_PROJECT = "microprojects.change_project"

_Row = TypeVar("_Row", Hand, Participant, Rating)

_MOBILE = re.compile(r"1[3-9]\d{9}")


def mobile(text: str) -> str:
    """A mainland mobile number, spaces, dashes and +86 taken off; else a ValidationError:
    one per phone means a number that reaches one person."""
    digits = re.sub(r"[\s\-]", "", text or "")
    digits = digits.removeprefix("+86").removeprefix("0086")
    if not _MOBILE.fullmatch(digits):
        raise ValidationError({"phone": _("Enter an 11-digit mobile number.")})
    return digits


def _once_per_phone(row: _Row, repeated: str) -> _Row:
    """Save a resident's row that the database allows once per phone: a second one (two
    posts at once included) is the `repeated` message, and nothing is written."""
    row.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ValidationError({"phone": repeated}) from None
    return row


def _require(user: Any, permission: str, node: Node) -> None:
    if not (user.has_perm(permission) and in_jurisdiction(user, node)):
        raise PermissionDenied(_("You may not do this for this community."))


@transaction.atomic
def submit_idea(
    *,
    community: Node,
    title: str,
    text: str,
    name: str,
    phone: str,
    user: Any = None,
) -> Idea:
    """An idea from the public page (no user) or from the suggestion box (entered by staff)."""
    if community.level != Level.COMMUNITY:
        raise ValidationError({"community": _("Ideas are gathered per community.")})
    if user is not None:
        _require(user, ADD, community)
    idea = Idea(
        community=community,
        title=title.strip(),
        text=text.strip(),
        name=name.strip(),
        phone=mobile(phone),
        source=IdeaSource.PUBLIC if user is None else IdeaSource.BOX,
        entered_by=user,
    )
    idea.full_clean()
    idea.save()
    return idea


@transaction.atomic
def raise_hand(*, idea: Idea, phone: str, branch: str = "") -> Hand:
    """举手: one per phone per idea; a party branch raises its hand under its name."""
    idea = Idea.objects.select_for_update().get(pk=idea.pk)
    if idea.status != IdeaStatus.OPEN:
        raise TransitionRefused(_("This idea no longer gathers support."))
    hand = Hand(
        idea=idea,
        phone=mobile(phone),
        kind=HandKind.PARTY_BRANCH if branch.strip() else HandKind.RESIDENT,
        branch=branch.strip(),
    )
    return _once_per_phone(hand, _("This phone has raised its hand for this idea."))


@transaction.atomic
def adopt(*, user: Any, idea: Idea, budget: Decimal, title: str = "") -> Project:
    """The committee adopts the idea as a project funded from the special fund."""
    idea = Idea.objects.select_for_update().select_related("community").get(pk=idea.pk)
    _require(user, ADOPT, idea.community)
    if idea.status != IdeaStatus.OPEN:
        raise TransitionRefused(_("Only an idea gathering support can be adopted."))
    project = Project(
        idea=idea, title=(title or idea.title).strip(), budget=budget, adopted_by=user
    )
    project.full_clean()
    project.save()
    idea.status = IdeaStatus.ADOPTED
    idea.save(update_fields=["status"])
    _log(project, user=user, text=_("Adopted as a project."))
    return project


@transaction.atomic
def decline(*, user: Any, idea: Idea, answer: str) -> Idea:
    idea = Idea.objects.select_for_update().select_related("community").get(pk=idea.pk)
    _require(user, ADOPT, idea.community)
    if idea.status != IdeaStatus.OPEN:
        raise TransitionRefused(_("Only an idea gathering support can be declined."))
    if not answer.strip():
        raise ValidationError({"answer": _("Tell the residents why.")})
    idea.status, idea.answer = IdeaStatus.DECLINED, answer.strip()
    idea.save(update_fields=["status", "answer"])
    return idea


def _project_for(user: Any, project: Project) -> Project:
    locked = (
        Project.objects.select_for_update().select_related("idea__community").get(pk=project.pk)
    )
    _require(user, CHANGE_PROJECT, locked.idea.community)
    return locked


def _log(project: Project, *, user: Any, text: str) -> Update:
    return Update.objects.create(
        project=project,
        text=text,
        progress=project.progress,
        status=project.status,
        created_by=user,
    )


@transaction.atomic
def post_update(
    *,
    user: Any,
    project: Project,
    text: str,
    progress: int,
    photos: Sequence[UploadedFile] = (),
) -> Update:
    """A progress update with its photos (public, as the project is); the first one
    starts the work. All or none: a refused photo refuses the update."""
    project = _project_for(user, project)
    if project.status == ProjectStatus.PUBLISHED:
        raise TransitionRefused(_("The project is finished and published."))
    if not text.strip():
        raise ValidationError({"text": _("Say what was done.")})
    if not 0 <= progress <= 100:
        raise ValidationError({"progress": _("Progress is from 0 to 100.")})
    checked = files.check(
        photos,
        already=0,
        per_upload=int(settings.TASK_ATTACHMENTS_PER_UPLOAD),
        per_object=int(settings.TASK_ATTACHMENTS_PER_UPLOAD),
        max_bytes=int(settings.TASK_ATTACHMENT_MAX_BYTES),
        too_many=_("At most %(n)d photos with an update."),
    )
    if any(not item.content_type.startswith("image/") for item in checked):
        raise ValidationError({"photos": _("A progress update takes photos only.")})
    project.progress, project.status = progress, ProjectStatus.UNDERWAY
    project.save(update_fields=["progress", "status"])
    update = _log(project, user=user, text=text.strip())
    files.save_all(
        [
            UpdatePhoto(
                update=update,
                name=(item.upload.name or "")[-200:],
                content_type=item.content_type,
                size=item.upload.size or 0,
            )
            for item in checked
        ],
        checked,
    )
    return update


@transaction.atomic
def publish(*, user: Any, project: Project, summary: str) -> Project:
    """公示: the finished project published, for residents to rate."""
    project = _project_for(user, project)
    if project.status == ProjectStatus.PUBLISHED:
        raise TransitionRefused(_("The project is published already."))
    if not summary.strip():
        raise ValidationError({"summary": _("Write what the project did.")})
    project.status, project.progress, project.summary = (
        ProjectStatus.PUBLISHED,
        100,
        summary.strip(),
    )
    project.published_at = timezone.now()
    project.save(update_fields=["status", "progress", "summary", "published_at"])
    _log(project, user=user, text=_("Finished and published for rating."))
    return project


@transaction.atomic
def sign_up(*, project: Project, name: str, phone: str) -> Participant:
    """居民全过程参与: a resident signs up to take part, until the project is finished."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status == ProjectStatus.PUBLISHED:
        raise TransitionRefused(_("The project is finished: thank you."))
    participant = Participant(project=project, name=name.strip(), phone=mobile(phone))
    return _once_per_phone(participant, _("This phone has signed up already."))


@transaction.atomic
def rate(*, project: Project, phone: str, value: str) -> Rating:
    """公示评价: one rating per phone, once the project is published."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status != ProjectStatus.PUBLISHED:
        raise TransitionRefused(_("A project is rated once it is finished and published."))
    rating = Rating(project=project, phone=mobile(phone), value=value)
    return _once_per_phone(rating, _("This phone has rated the project already."))
