"""A task's deadlines: the street's working-time calendar as data, and the limit of a
stage from the category (peacetime) or the street's wartime standard."""

from __future__ import annotations

import datetime

from grids.models import Level, Node
from tasks import workcalendar
from tasks.models import (
    NATURAL_UNITS,
    Calendar,
    CalendarDay,
    LimitUnit,
    Stage,
    StageLimit,
    Task,
)

# The wartime standard counts from dispatch, in natural time (the street's calendar
# holds the minutes): respond in 1, arrive in 3, handle in 5.
WARTIME_FIELDS: dict[str, str] = {
    Stage.ACKNOWLEDGE: "wartime_acknowledge_minutes",
    Stage.ARRIVE: "wartime_arrive_minutes",
    Stage.HANDLE: "wartime_handle_minutes",
}
# How long each level has in wartime before the next.
WARTIME_REPEAT = datetime.timedelta(minutes=1)


def street_of(node: Node) -> Node:
    if node.level == Level.STREET:
        return node
    return Node.objects.get(tree_id=node.tree_id, level=Level.STREET)


def calendar_row(street: Node) -> Calendar:
    """The street's own calendar, else the national default (made if missing)."""
    own = Calendar.objects.filter(street=street).first()
    if own is not None:
        return own
    default, _created = Calendar.objects.get_or_create(street=None, defaults={"name": "全国默认"})
    return default


def work_calendar(row: Calendar) -> workcalendar.WorkCalendar:
    """The calendar as arithmetic: the default's days, overridden by the street's own."""
    days = {
        day: kind
        for day, kind in CalendarDay.objects.filter(calendar__street=None).values_list(
            "date", "kind"
        )
    }
    if row.street_id is not None:
        days.update(row.days.values_list("date", "kind"))
    return workcalendar.WorkCalendar(
        periods=workcalendar.parse_periods(row.periods),
        holidays=frozenset(d for d, k in days.items() if k == CalendarDay.Kind.HOLIDAY),
        workdays=frozenset(d for d, k in days.items() if k == CalendarDay.Kind.WORKDAY),
    )


def calendar_of(task: Task) -> workcalendar.WorkCalendar:
    """The working-time calendar of the task's street."""
    return work_calendar(calendar_row(street_of(task.node)))


def after(
    calendar: workcalendar.WorkCalendar, start: datetime.datetime, amount: int, unit: str
) -> datetime.datetime:
    """`amount` `unit`s after `start`."""
    if unit in NATURAL_UNITS:
        return start + NATURAL_UNITS[unit] * amount
    if unit == LimitUnit.WORKING_HOURS:
        return calendar.add(start, datetime.timedelta(hours=amount))
    return calendar.add_days(start, amount)


def wartime_limit(task: Task, stage: str) -> datetime.timedelta | None:
    """The street's wartime limit of `stage` (None for a stage the standard leaves alone)."""
    if stage not in WARTIME_FIELDS:
        return None
    row = calendar_row(street_of(task.node))
    return datetime.timedelta(minutes=getattr(row, WARTIME_FIELDS[stage]))


def stage_deadline(task: Task, stage: str, start: datetime.datetime) -> datetime.datetime | None:
    """When `stage`, opened at `start`, is due; None when the category sets no limit.
    In wartime the standard counts from dispatch."""
    wartime = wartime_limit(task, stage) if task.wartime else None
    if wartime is not None:
        return (task.dispatched_at or start) + wartime
    limit = StageLimit.objects.filter(category=task.category_id, stage=stage).first()
    if limit is None:
        return None
    return after(calendar_of(task), start, limit.amount, limit.unit)


def repeat_after(task: Task, now: datetime.datetime) -> datetime.datetime | None:
    """When the next level's time is up, one step after an escalation at `now`."""
    if task.wartime and task.stage in WARTIME_FIELDS:
        return now + WARTIME_REPEAT
    if task.category.repeat_minutes:
        return now + datetime.timedelta(minutes=task.category.repeat_minutes)
    return stage_deadline(task, task.stage, now)
