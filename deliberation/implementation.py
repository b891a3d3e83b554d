"""Writes after the resolution: the implementation's milestones, spending and final
report, and the objections received during the publicity period (公示期)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.refusals import TransitionRefused
from deliberation import access
from deliberation.models import (
    Action,
    Matter,
    Milestone,
    MilestoneStatus,
    Objection,
    Phase,
    What,
)

# Milestones are planned once the matter is resolved, and kept up while it is implemented.
PLANNING = (Phase.RESOLVED, Phase.IMPLEMENTING)


def _planning(matter: Matter) -> None:
    if matter.phase not in PLANNING:
        raise TransitionRefused(
            _("Milestones and spending are kept between the resolution and the published result.")
        )


@transaction.atomic
def add_milestone(*, user: Any, matter: Matter, title: str, planned_on: datetime.date) -> Milestone:
    matter = access.locked(user, access.CHANGE, matter)
    _planning(matter)
    milestone = Milestone(matter=matter, title=title.strip(), planned_on=planned_on)
    milestone.full_clean()
    milestone.save()
    access.log(matter, user=user, action=Action.MILESTONE, note=milestone.title)
    return milestone


@transaction.atomic
def update_milestone(
    *,
    user: Any,
    milestone: Milestone,
    status: str | None = None,
    progress: int | None = None,
    done_on: datetime.date | None = None,
    title: str | None = None,
) -> Milestone:
    """A done milestone is 100% and dated (today unless given); progress alone moves a
    planned one to in progress."""
    matter = access.locked(user, access.CHANGE, milestone.matter)
    _planning(matter)
    milestone = Milestone.objects.get(pk=milestone.pk, matter=matter)
    if title is not None:
        milestone.title = title.strip()
    if progress is not None:
        milestone.progress = progress
        if status is None and milestone.status == MilestoneStatus.PLANNED and progress > 0:
            milestone.status = MilestoneStatus.IN_PROGRESS
    if status is not None:
        milestone.status = status
    if milestone.status == MilestoneStatus.DONE:
        milestone.progress = 100
        milestone.done_on = done_on or milestone.done_on or timezone.localdate()
    else:
        milestone.done_on = None
    if milestone.done_on and milestone.done_on > timezone.localdate():
        raise ValidationError({"done_on": _("A milestone cannot be done in the future.")})
    milestone.full_clean()
    milestone.save()
    access.log(
        matter,
        user=user,
        action=Action.MILESTONE,
        note=f"{milestone.title} · {milestone.get_status_display()} · {milestone.progress}%",
    )
    return milestone


@transaction.atomic
def update_implementation(
    *,
    user: Any,
    matter: Matter,
    spent: Decimal | None = None,
    final_report: str | None = None,
    budget: Decimal | None = None,
) -> Matter:
    matter = access.locked(user, access.CHANGE, matter)
    _planning(matter)
    if spent is not None:
        matter.spent = spent
    if budget is not None:
        matter.budget = budget
    if final_report is not None:
        matter.final_report = final_report.strip()
    matter.full_clean()
    matter.save(update_fields=["spent", "budget", "final_report"])
    access.log(matter, user=user, action=Action.IMPLEMENTATION)
    return matter


@transaction.atomic
def record_objection(
    *, user: Any, matter: Matter, received_on: datetime.date, text: str, answer: str = ""
) -> Objection:
    """An objection to the published resolution, received within its publicity period."""
    matter = access.locked(user, access.CHANGE, matter)
    resolution = matter.publications.filter(what=What.RESOLUTION).first()
    if resolution is None or resolution.publicity_until is None:
        raise TransitionRefused(_("Objections are received once the resolution is published."))
    opened = timezone.localdate(resolution.published_at)
    if not opened <= received_on <= resolution.publicity_until:
        raise ValidationError(
            {
                "received_on": _("The publicity period ran from %(start)s to %(end)s.")
                % {"start": opened.isoformat(), "end": resolution.publicity_until.isoformat()}
            }
        )
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("The date cannot be in the future.")})
    objection = Objection(
        matter=matter,
        received_on=received_on,
        text=text.strip(),
        answer=answer.strip(),
        recorded_by=user,
    )
    objection.full_clean()
    objection.save()
    access.log(matter, user=user, action=Action.OBJECTION)
    return objection
