"""Dispatch tasks (事件/工单): categories with a limit per stage, working-time calendars,
the task with the deadline of its open stage, its log, and its escalations.

The database holds every clock: a task's `next_escalation_at` says when its open
stage next escalates; the sweeper (tasks/escalation.py) claims it with a
conditional UPDATE, and a unique (task, stage, round, step) makes a second step
impossible. The life cycle is tasks/pipeline.py's table.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.files import StoredFile
from grids.models import Level, Node, Staff
from residents.models import Household
from tasks import workcalendar


class Stage(models.TextChoices):
    """The clocks of a task, one open at a time: each ends with its transition."""

    ACCEPT = "accept", _("Acceptance")
    DISPATCH = "dispatch", _("Dispatch")
    ACKNOWLEDGE = "acknowledge", _("Acknowledgement")
    ARRIVE = "arrive", _("Arrival")
    HANDLE = "handle", _("Handling")
    VERIFY = "verify", _("Verification")


class Status(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    DISPATCHED = "dispatched", _("Dispatched")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ARRIVED = "arrived", _("Arrived")
    HANDLED = "handled", _("Handled")
    CLOSED = "closed", _("Closed")
    RETURNED = "returned", _("Returned")
    CANCELLED = "cancelled", _("Cancelled")
    ON_HOLD = "on_hold", _("On hold")


# The clock each status runs; a status not listed runs none (done, or on hold).
STAGE_OF_STATUS: dict[str, str] = {
    Status.REPORTED: Stage.ACCEPT,
    Status.ACCEPTED: Stage.DISPATCH,
    Status.RETURNED: Stage.DISPATCH,
    Status.DISPATCHED: Stage.ACKNOWLEDGE,
    Status.ACKNOWLEDGED: Stage.ARRIVE,
    Status.ARRIVED: Stage.HANDLE,
    Status.HANDLED: Stage.VERIFY,
}
FINISHED = frozenset({Status.CLOSED, Status.REJECTED, Status.CANCELLED})


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    CRITICAL = "critical", _("Critical")


class Source(models.TextChoices):
    RESIDENT_ORDER = "resident_order", _("Resident's order (居民点单)")
    PATROL = "patrol", _("Grid patrol (网格巡查)")
    COMMUNITY = "community", _("Community dispatch (社区派单)")
    SUPERIOR = "superior", _("Assigned from above (上级交办)")
    HOTLINE = "hotline", _("12345 hotline")
    WARTIME = "wartime", _("Wartime mobilisation (战时动员)")


class LimitUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes (natural time)")
    HOURS = "hours", _("hours (natural time)")
    DAYS = "days", _("days (natural time)")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")


class Calendar(models.Model):
    """A street's working time; the one without a street is the national default, whose
    days (holidays, 调休) every street's calendar inherits and may override."""

    street = models.OneToOneField(
        Node,
        verbose_name=_("street"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        limit_choices_to={"level": Level.STREET},
        related_name="work_calendar",
    )
    name = models.CharField(_("name"), max_length=50)
    periods = models.CharField(
        _("working hours"),
        max_length=100,
        default=workcalendar.format_periods(workcalendar.DEFAULT_PERIODS),
        help_text=_("The working periods of a working day, e.g. 08:30-12:00, 13:30-17:30."),
    )
    # The wartime standard (natural time, minutes from dispatch), per street.
    wartime_acknowledge_minutes = models.PositiveIntegerField(
        _("wartime: acknowledge within (minutes)"), default=1
    )
    wartime_arrive_minutes = models.PositiveIntegerField(
        _("wartime: arrive within (minutes)"), default=3
    )
    wartime_handle_minutes = models.PositiveIntegerField(
        _("wartime: handle within (minutes)"), default=5
    )

    class Meta:
        verbose_name = _("working-time calendar")
        verbose_name_plural = _("working-time calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["street"],
                condition=Q(street__isnull=True),
                name="calendar_one_default",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            workcalendar.parse_periods(self.periods)
        except ValueError as error:
            raise ValidationError(
                {"periods": _("Write the periods as 08:30-12:00, 13:30-17:30.")}
            ) from error


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Day off (holiday)")
        WORKDAY = "workday", _("Working day (调休)")

    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("holiday or make-up working day")
        verbose_name_plural = _("holidays and make-up working days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendarday_once")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class Category(models.Model):
    """A kind of task with its limit per stage (StageLimit); editable in the admin."""

    name = models.CharField(_("name"), max_length=50)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    default_priority = models.CharField(
        _("default priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    repeat_minutes = models.PositiveIntegerField(
        _("escalation repeat (minutes)"),
        null=True,
        blank=True,
        help_text=_("How long each level has before the next; empty: the stage's own limit."),
    )
    street_reminders = models.PositiveSmallIntegerField(_("reminders at the street"), default=3)

    class Meta:
        verbose_name = _("task category")
        verbose_name_plural = _("task categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class StageLimit(models.Model):
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="limits"
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    amount = models.PositiveIntegerField(_("limit"))
    unit = models.CharField(_("unit"), max_length=16, choices=LimitUnit.choices)

    class Meta:
        verbose_name = _("stage limit")
        verbose_name_plural = _("stage limits")
        constraints = [
            models.UniqueConstraint(fields=["category", "stage"], name="stagelimit_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="stagelimit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.amount} {self.get_unit_display()}"


class Task(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    node = models.ForeignKey(
        Node, verbose_name=_("about"), on_delete=models.PROTECT, related_name="tasks"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A resident who reported it by phone or in person: personal data, masked.
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REPORTED
    )
    # Who holds it now: a node's team, or one staff member.
    holder_node = models.ForeignKey(
        Node,
        verbose_name=_("held by (unit)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="held_tasks",
    )
    holder_staff = models.ForeignKey(
        Staff,
        verbose_name=_("held by (staff)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="held_tasks",
    )
    wartime = models.BooleanField(_("wartime standard"), default=False)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    # The open stage and its clock; `stage_round` counts its entries (rework, return).
    stage = models.CharField(_("open stage"), max_length=12, choices=Stage.choices, blank=True)
    stage_round = models.PositiveIntegerField(default=0)
    stage_started_at = models.DateTimeField(_("stage started"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    escalation_step = models.PositiveSmallIntegerField(_("escalations"), default=0)
    # On hold: the status to resume and the working time the stage had left.
    held_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    held_left = models.DurationField(null=True, blank=True)
    extension_asked = models.DurationField(_("extension asked"), null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("rework"), default=0)
    feedback = models.TextField(_("feedback"), blank=True)
    rating = models.CharField(_("rating"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Every write bumps it: two people acting at once claim the same version once.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        permissions = [("dispatch_task", _("Can accept, dispatch and verify tasks"))]
        indexes = [
            # The sweep's one query: the earliest due clock.
            models.Index(
                fields=["next_escalation_at"],
                name="task_next_escalation_idx",
                condition=Q(next_escalation_at__isnull=False),
            ),
            models.Index(fields=["status", "due_at"], name="task_status_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def overdue(self) -> bool:
        from django.utils import timezone

        return self.due_at is not None and self.due_at < timezone.now()


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    FAIRLY = "fairly", _("Fairly satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class TaskEvent(models.Model):
    """One row per transition: who, when, from, to, and the note."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(_("from"), max_length=12, choices=Status.choices)
    to_status = models.CharField(_("to"), max_length=12, choices=Status.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("task log entry")
        verbose_name_plural = _("task log")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status} → {self.to_status}"


class Escalation(models.Model):
    """One step up the tree for a missed deadline; the unique key makes it happen once."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="escalations")
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    stage_round = models.PositiveIntegerField()
    step = models.PositiveSmallIntegerField(_("step"))
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    node = models.ForeignKey(Node, verbose_name=_("escalated to"), on_delete=models.PROTECT)
    due_at = models.DateTimeField(_("deadline missed"))
    escalated_at = models.DateTimeField(_("escalated at"), auto_now_add=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["escalated_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "stage", "stage_round", "step"], name="escalation_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.stage} #{self.step}"


class Notification(models.Model):
    """The in-app inbox: one row per user told something about a task."""

    class Kind(models.TextChoices):
        DISPATCHED = "dispatched", _("Dispatched to you")
        ESCALATED = "escalated", _("Escalated to you")
        RETURNED = "returned", _("Returned")
        VERIFY = "verify", _("Needs your verification")
        EXTENSION = "extension", _("Extension asked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="task_notifications"
    )
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.task_id}"


def _attachment_path(attachment: Attachment, filename: str) -> str:
    # A random name: the uploader's file name (often the phone's) stays in `name`.
    extension = filename.rsplit(".", 1)[-1] if "." in filename else ""
    return f"tasks/{attachment.task_id}/{uuid.uuid4().hex}.{extension}"


class Attachment(StoredFile):
    """A photo or PDF on a task, with the log entry of the action it came with (the
    handling's photos), if any. Its type is the one sniffed from its bytes."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        TaskEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]


# Natural-time lengths of the limit units; working units go through the calendar.
NATURAL_UNITS: dict[str, datetime.timedelta] = {
    LimitUnit.MINUTES: datetime.timedelta(minutes=1),
    LimitUnit.HOURS: datetime.timedelta(hours=1),
    LimitUnit.DAYS: datetime.timedelta(days=1),
}


class WartimeArea(models.Model):
    """A subtree switched to wartime (平战转换): on from `started_at` until `ended_at`.
    The row is the switch's log: who switched it on and off, when, and why."""

    node = models.ForeignKey(
        Node, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="wartime_areas"
    )
    reason = models.CharField(_("reason"), max_length=200)
    started_at = models.DateTimeField(_("wartime from"), auto_now_add=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("switched on by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    applied_to_open = models.BooleanField(_("applied to open tasks"), default=False)
    ended_at = models.DateTimeField(_("back to peacetime at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("switched off by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("wartime area")
        verbose_name_plural = _("wartime areas")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["node"], condition=Q(ended_at__isnull=True), name="wartime_once_per_node"
            )
        ]

    def __str__(self) -> str:
        return f"{self.node} {self.reason}"
