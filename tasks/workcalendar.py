"""Working time: "this moment plus N working hours or days", and "the working time
between two moments", on a calendar kept as data (tasks.models.Calendar).

A working day has its working periods (default 08:30–12:00 and 13:30–17:30);
weekends are off, public holidays are off, and a make-up working day (调休,
often a Saturday) is on. Periods are closed at both ends for landing: a
deadline of exactly 4 working hours from 08:00 is 12:00, the end of the
morning, not 13:30; adding more from 12:00 goes on at 13:30. So adding is
additive (add(add(t, a), b) == add(t, a + b)) and never lands outside working
time. A working day counts as the length of one working day's periods: "2
working days" from Friday 15:00 is Tuesday 15:00 when Monday is a working day.

Pure: no database, no Django. Times are aware datetimes; the arithmetic is done
in the calendar's zone (Asia/Shanghai has no daylight saving time).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
Periods = tuple[tuple[datetime.time, datetime.time], ...]
DEFAULT_PERIODS: Periods = (
    (datetime.time(8, 30), datetime.time(12)),
    (datetime.time(13, 30), datetime.time(17, 30)),
)
SATURDAY, SUNDAY = 5, 6
# No schedule has a year without a working day; a search past this many days is a calendar
# with no working time at all.
_SEARCH_DAYS = 800


class NoWorkingTime(ValueError):
    """The calendar has no working time to count (no periods, or every day off)."""


def parse_periods(text: str) -> Periods:
    """ "08:30-12:00, 13:30-17:30" -> the periods, sorted; ValueError for anything else."""
    periods = []
    for part in text.replace("，", ",").split(","):
        part = part.strip().replace("–", "-").replace("—", "-").replace("～", "-")
        if not part:
            continue
        start_text, dash, end_text = part.partition("-")
        if not dash:
            raise ValueError(part)
        start = datetime.time.fromisoformat(start_text.strip().zfill(5))
        end = datetime.time.fromisoformat(end_text.strip().zfill(5))
        if end <= start:
            raise ValueError(part)
        periods.append((start, end))
    periods.sort()
    for (_s1, end1), (start2, _e2) in itertools.pairwise(periods):
        if start2 < end1:
            raise ValueError(text)
    if not periods:
        raise ValueError(text)
    return tuple(periods)


def format_periods(periods: Periods) -> str:
    return ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in periods)


@dataclass(frozen=True)
class WorkCalendar:
    periods: Periods = DEFAULT_PERIODS
    holidays: frozenset[datetime.date] = field(default_factory=frozenset)
    # Make-up working days (调休): days of the weekend that are worked.
    workdays: frozenset[datetime.date] = field(default_factory=frozenset)
    weekend: frozenset[int] = frozenset({SATURDAY, SUNDAY})
    zone: datetime.tzinfo = SHANGHAI

    @property
    def day_length(self) -> datetime.timedelta:
        return sum(
            (_on(datetime.date.min, e) - _on(datetime.date.min, s) for s, e in self.periods),
            datetime.timedelta(),
        )

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.holidays:
            return False
        return day in self.workdays or day.weekday() not in self.weekend

    def _spans(
        self, start: datetime.datetime
    ) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
        """The working periods from `start` on (naive local times), the first cut at start."""
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if self.is_working_day(day):
                for period_start, period_end in self.periods:
                    begin, end = _on(day, period_start), _on(day, period_end)
                    if end < start:
                        continue
                    yield max(begin, start), end
            day += datetime.timedelta(days=1)
        raise NoWorkingTime(str(start))

    def add(self, start: datetime.datetime, working: datetime.timedelta) -> datetime.datetime:
        """The moment `working` working time after `start` (a moment inside working time;
        for zero, the first working moment at or after `start`)."""
        if working < datetime.timedelta():
            raise ValueError("negative working time")
        local = _local(start, self.zone)
        left = working
        for begin, end in self._spans(local):
            if begin + left <= end:
                return (begin + left).replace(tzinfo=self.zone)
            left -= end - begin
        raise NoWorkingTime(str(start))  # pragma: no cover - _spans raises first

    def add_days(self, start: datetime.datetime, days: int) -> datetime.datetime:
        """N working days after `start`: N working days' worth of working time."""
        if not self.periods:
            raise NoWorkingTime("no periods")
        return self.add(start, self.day_length * days)

    def between(self, start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
        """The working time from `start` to `end` (zero when end is not after start)."""
        total = datetime.timedelta()
        local_start, local_end = _local(start, self.zone), _local(end, self.zone)
        if local_end <= local_start:
            return total
        day = local_start.date()
        while day <= local_end.date():
            if self.is_working_day(day):
                for period_start, period_end in self.periods:
                    begin = max(_on(day, period_start), local_start)
                    finish = min(_on(day, period_end), local_end)
                    if finish > begin:
                        total += finish - begin
            day += datetime.timedelta(days=1)
        return total

    def is_working_time(self, moment: datetime.datetime) -> bool:
        local = _local(moment, self.zone)
        return self.is_working_day(local.date()) and any(
            _on(local.date(), s) <= local <= _on(local.date(), e) for s, e in self.periods
        )


def _on(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, time)


def _local(moment: datetime.datetime, zone: datetime.tzinfo) -> datetime.datetime:
    """The moment as a naive wall-clock time in `zone`, to the microsecond."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(zone).replace(tzinfo=None)
