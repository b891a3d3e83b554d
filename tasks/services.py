"""Every write to a task: creating it, and each action of tasks/pipeline.py.

An action is checked against the pipeline (a status it is not allowed from is a
TransitionRefused, HTTP 409), against who may take it (PermissionDenied), and
claimed with UPDATE … WHERE version = old: of two people acting at once one
wins, the other is refused and nothing of theirs is written. Each action logs a
TaskEvent, opens the next stage's clock (deadline and escalation in the row)
and queues its notifications after commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.refusals import TransitionRefused
from grids.jurisdiction import within
from grids.models import Assignment, Level, Node, Staff
from grids.selectors import in_jurisdiction, visible_nodes
from residents.models import Household
from tasks import attachments, deadlines, pipeline, wartime
from tasks.models import (
    FINISHED,
    STAGE_OF_STATUS,
    Attachment,
    Category,
    Notification,
    Rating,
    Status,
    Task,
    TaskEvent,
)
from tasks.notify import dispatching_unit, notify

ADD_PERMISSION = "tasks.add_task"
DISPATCH_PERMISSION = "tasks.dispatch_task"


def is_dispatcher(user: Any, task: Task) -> bool:
    return user.has_perm(DISPATCH_PERMISSION) and in_jurisdiction(user, task.node)


def holding_nodes(task: Task) -> set[int]:
    """The nodes whose people hold the task: its unit, and every level it escalated to."""
    nodes = set(task.escalations.values_list("node_id", flat=True))
    if task.holder_node_id is not None:
        nodes.add(task.holder_node_id)
    return nodes


def is_holder(user: Any, task: Task) -> bool:
    staff = task.holder_staff
    if staff is not None and staff.user_id == user.pk:
        return True
    return (
        Assignment.objects.current().filter(staff__user=user, node__in=holding_nodes(task)).exists()
    )


def _may_act(user: Any, task: Task, actor: str) -> bool:
    if actor == pipeline.DISPATCHER:
        return is_dispatcher(user, task)
    if actor == pipeline.HOLDER:
        return is_holder(user, task) or is_dispatcher(user, task)
    return task.created_by_id == user.pk


def allowed_actions(user: Any, task: Task) -> list[str]:
    """The actions the user may take on the task now (the buttons of its pages)."""
    return [
        name
        for name, step in pipeline.PIPELINE.items()
        if task.status in step.sources and _may_act(user, task, step.actor)
    ]


@transaction.atomic
def create_task(
    *,
    user: Any,
    title: str,
    category: Category,
    node: Node,
    source: str,
    priority: str = "",
    description: str = "",
    household: Household | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    files: Sequence[UploadedFile] = (),
) -> Task:
    """A reported task on a node of the user's jurisdiction, with its photos or PDFs; its
    acceptance clock starts."""
    if not user.has_perm(ADD_PERMISSION) or not in_jurisdiction(user, node):
        raise PermissionDenied(_("You may not report tasks for this unit."))
    checked = attachments.check(files)
    if (
        household is not None
        and not Node.objects.filter(within(node), pk=household.stairwell_id).exists()
    ):
        raise ValidationError({"household": _("The household is not in this unit.")})
    now = timezone.now()
    task = Task(
        title=title.strip(),
        description=description.strip(),
        category=category,
        node=node,
        source=source,
        priority=priority or category.default_priority,
        household=household,
        created_by=user,
        reporter_name=reporter_name.strip(),
        reporter_phone=reporter_phone.strip(),
        status=Status.REPORTED,
    )
    task.full_clean()
    task.wartime = wartime.in_wartime(node)
    _open_stage(task, now)
    task.save()
    event = TaskEvent.objects.create(
        task=task, action="report", from_status="", to_status=task.status, user=user
    )
    if task.wartime and node.level == Level.STAIRWELL:
        _dispatch_at_once(task, user, now)
    attachments.store(task=task, user=user, checked=checked, event=event)
    return task


def _dispatch_at_once(task: Task, user: Any, now: datetime.datetime) -> None:
    """Wartime: a stairwell's task goes to its team as it is reported, so the response
    clock starts now; logged as accepted and dispatched."""
    for action, status in (("accept", Status.ACCEPTED), ("dispatch", Status.DISPATCHED)):
        old = task.status
        task.status = status
        TaskEvent.objects.create(
            task=task,
            action=action,
            from_status=old,
            to_status=status,
            user=user,
            note=_("Wartime: dispatched to the stairwell's team at once."),
        )
    task.holder_node, task.dispatched_at = task.node, now
    _open_stage(task, now)
    task.version += 1
    task.save()
    notify(
        task,
        Notification.Kind.DISPATCHED,
        [u for u in users_at({task.node_id}) if u != user.pk],
        node=task.node,
    )


def _open_stage(task: Task, now: datetime.datetime) -> None:
    """The clock of the task's status starts now (or stops, for a status without one)."""
    stage = STAGE_OF_STATUS.get(task.status, "")
    task.stage = stage
    task.stage_round += 1
    task.stage_started_at = now if stage else None
    task.escalation_step = 0
    task.due_at = deadlines.stage_deadline(task, stage, now) if stage else None
    task.next_escalation_at = task.due_at


def users_at(node_ids: set[int]) -> list[int]:
    """The users of the staff currently assigned at these nodes."""
    return list(
        Assignment.objects.current()
        .filter(node__in=node_ids, staff__user__isnull=False)
        .values_list("staff__user", flat=True)
    )


def _dispatcher_users(task: Task) -> list[int]:
    """Who dispatched it, or else who reported it: told of a return, a handled task, an
    extension asked."""
    event = task.events.filter(action="dispatch").order_by("-at", "-pk").first()
    return [event.user_id if event and event.user_id else task.created_by_id]


@transaction.atomic
def act(
    *,
    user: Any,
    task: Task,
    action: str,
    note: str = "",
    node: Node | None = None,
    staff: Staff | None = None,
    passed: bool | None = None,
    granted: bool | None = None,
    extension: datetime.timedelta | None = None,
    rating: str = "",
    files: Sequence[UploadedFile] = (),
) -> Task:
    """Take `action` on the task as `user`, with photos or PDFs (the handling's, say);
    refused (nothing written) when the status does not allow it now, the user may not
    take it, or its input is missing."""
    step = pipeline.PIPELINE.get(action)
    if step is None:
        raise TransitionRefused(_("Unknown action “%(action)s”.") % {"action": action})
    # Read again: the page the user acted from may be old.
    task = Task.objects.select_related("category", "node", "holder_staff").get(pk=task.pk)
    if task.status not in step.sources:
        raise TransitionRefused(
            _("The task is “%(status)s”: it cannot be %(action)s now.")
            % {"status": task.get_status_display(), "action": _action_label(action)}
        )
    if not _may_act(user, task, step.actor):
        raise PermissionDenied(_("You may not take this action on this task."))
    note = note.strip()
    if step.needs_note and not note:
        raise ValidationError({"note": _("Say why (or what was done); it goes in the log.")})
    checked = attachments.check(files, already=task.attachments.count()) if files else []
    now = timezone.now()
    old_status, old_version = task.status, task.version
    told: list[tuple[str, list[int]]] = []
    target = step.target
    if action == "dispatch":
        told.append((Notification.Kind.DISPATCHED, _dispatch(task, user, node=node, staff=staff)))
        task.dispatched_at = now
        task.wartime = task.wartime or wartime.in_wartime(task.holder_node or task.node)
    elif action == "handle":
        task.feedback = note
        told.append((Notification.Kind.VERIFY, _dispatcher_users(task)))
    elif action == "verify":
        if passed is None:
            raise ValidationError({"passed": _("Say whether the check passed.")})
        target = Status.CLOSED if passed else Status.ARRIVED
        if passed:
            task.closed_at = now
        else:
            task.rework_count += 1
    elif action == "return":
        task.holder_node, task.holder_staff = None, None
        told.append((Notification.Kind.RETURNED, _dispatcher_users(task)))
    elif action == "hold":
        task.held_status = task.status
        task.held_left = _left(task, now)
    elif action == "resume":
        target = task.held_status
    elif action == "extend":
        if not extension or extension <= datetime.timedelta():
            raise ValidationError({"extension": _("Say how much more time is needed.")})
        task.extension_asked = extension
        told.append((Notification.Kind.EXTENSION, _dispatcher_users(task)))
    elif action == "decide_extension":
        if task.extension_asked is None:
            raise TransitionRefused(_("No extension has been asked for."))
        if granted is None:
            raise ValidationError({"granted": _("Say whether the extension is granted.")})
        if granted and task.due_at is not None:
            task.due_at += task.extension_asked
            task.next_escalation_at = task.due_at
            task.escalation_step = 0
        task.extension_asked = None
    elif action == "rate":
        if task.rating:
            raise TransitionRefused(_("The task has been rated already."))
        if rating not in Rating.values:
            raise ValidationError({"rating": _("Choose 满意, 基本满意 or 不满意.")})
        task.rating = rating
    if target is not None and target != task.status:
        task.status = target
        if action == "resume":
            _resume_stage(task, now)
        else:
            _open_stage(task, now)
        if target in FINISHED or target == Status.ON_HOLD:
            task.next_escalation_at = None
    task.version = old_version + 1
    _claim(task, old_version)
    event = TaskEvent.objects.create(
        task=task,
        action=action,
        from_status=old_status,
        to_status=task.status,
        user=user,
        note=_event_note(action, note, passed=passed, granted=granted, extension=extension),
    )
    for kind, users in told:
        # A dispatch tells the unit given it; the rest, the dispatchers' unit.
        unit = task.holder_node if kind == Notification.Kind.DISPATCHED else None
        notify(
            task,
            kind,
            [u for u in users if u != user.pk],
            node=unit or dispatching_unit(task),
        )
    # Last: the files are written only once nothing else can refuse the action.
    attachments.store(task=task, user=user, checked=checked, event=event)
    return task


def may_attach(user: Any, task: Task) -> bool:
    """Whoever works the task, dispatches it or reported it may add files while it is open."""
    return task.status not in FINISHED and (
        task.created_by_id == user.pk or is_holder(user, task) or is_dispatcher(user, task)
    )


@transaction.atomic
def add_attachments(*, user: Any, task: Task, files: Sequence[UploadedFile]) -> list[Attachment]:
    """Add photos or PDFs to an open task (all or none)."""
    if not may_attach(user, task):
        raise PermissionDenied(_("You may not add files to this task."))
    if not files:
        raise ValidationError({"files": _("Choose at least one photo or PDF.")})
    checked = attachments.check(files, already=task.attachments.count())
    return attachments.store(task=task, user=user, checked=checked)


def _claim(task: Task, old_version: int) -> None:
    """Write the task if nobody has since: UPDATE … WHERE version = old."""
    fields = {
        f.attname: getattr(task, f.attname)
        for f in Task._meta.concrete_fields
        if not f.primary_key and f.name != "created_at"
    }
    claimed = Task.objects.filter(pk=task.pk, version=old_version).update(**fields)
    if not claimed:
        raise TransitionRefused(_("Someone else acted on this task meanwhile; reload it."))


def _dispatch(task: Task, user: Any, *, node: Node | None, staff: Staff | None) -> list[int]:
    """Give the task to a unit's team or one staff member inside the dispatcher's
    jurisdiction; returns who is told."""
    if (node is None) == (staff is None):
        raise ValidationError({"node": _("Dispatch to one unit or to one staff member.")})
    if staff is not None:
        staff_nodes = set(
            Assignment.objects.current().filter(staff=staff).values_list("node_id", flat=True)
        )
        visible = set(visible_nodes(user).filter(pk__in=staff_nodes).values_list("pk", flat=True))
        if not visible:
            raise ValidationError(
                {"staff": _("This staff member works outside your jurisdiction.")}
            )
        task.holder_staff, task.holder_node = staff, Node.objects.get(pk=min(visible))
        return [staff.user_id] if staff.user_id else []
    assert node is not None
    if not in_jurisdiction(user, node):
        raise ValidationError({"node": _("This unit is outside your jurisdiction.")})
    task.holder_node, task.holder_staff = node, None
    return users_at({node.pk})


def _left(task: Task, now: datetime.datetime) -> datetime.timedelta | None:
    """The working time the open stage has left: kept while on hold."""
    if task.due_at is None:
        return None
    if task.wartime:
        return max(task.due_at - now, datetime.timedelta())
    return deadlines.calendar_of(task).between(now, task.due_at)


def _resume_stage(task: Task, now: datetime.datetime) -> None:
    """Back to the held status: the clock goes on with what it had left."""
    left = task.held_left
    task.stage = STAGE_OF_STATUS.get(task.status, "")
    task.stage_round += 1
    task.escalation_step = 0
    if left is None or not task.stage:
        task.due_at = None
    elif task.wartime:
        task.due_at = now + left
    else:
        task.due_at = deadlines.calendar_of(task).add(now, left)
    task.next_escalation_at = task.due_at
    task.held_status, task.held_left = "", None


ACTION_LABELS = {
    "accept": gettext_lazy("accepted"),
    "reject": gettext_lazy("rejected"),
    "dispatch": gettext_lazy("dispatched"),
    "acknowledge": gettext_lazy("acknowledged"),
    "arrive": gettext_lazy("marked arrived"),
    "handle": gettext_lazy("marked handled"),
    "verify": gettext_lazy("verified"),
    "return": gettext_lazy("returned"),
    "cancel": gettext_lazy("cancelled"),
    "hold": gettext_lazy("put on hold"),
    "resume": gettext_lazy("resumed"),
    "extend": gettext_lazy("given an extension request"),
    "decide_extension": gettext_lazy("decided on an extension"),
    "rate": gettext_lazy("rated"),
}


def _action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def _event_note(action: str, note: str, **given: Any) -> str:
    if action == "verify":
        verdict = _("passed") if given["passed"] else _("failed: back to handling")
        return f"{verdict}{'：' + note if note else ''}"
    if action == "decide_extension":
        verdict = _("extension granted") if given["granted"] else _("extension refused")
        return f"{verdict}{'：' + note if note else ''}"
    if action == "extend" and given["extension"] is not None:
        hours = given["extension"] / datetime.timedelta(hours=1)
        return _("%(hours)g more hours asked: %(note)s") % {"hours": hours, "note": note}
    return note


def mark_read(*, notification: Notification) -> Notification:
    """Mark one of the user's notifications read (once: a second time keeps the first)."""
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    notification.refresh_from_db(fields=["read_at"])
    return notification
