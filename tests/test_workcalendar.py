"""Working time (tasks/workcalendar.py): its laws under hypothesis, and worked examples on
the State Council's 2026 calendar as shipped (lunch, weekends, holidays, 调休)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.workcalendar import (
    SHANGHAI,
    NoWorkingTime,
    WorkCalendar,
    format_periods,
    parse_periods,
)

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "calendar_2026.json"
DAYS = json.loads(FIXTURE.read_text(encoding="utf-8"))["days"]
Y2026 = WorkCalendar(
    holidays=frozenset(
        datetime.date.fromisoformat(d["date"]) for d in DAYS if d["kind"] == "holiday"
    ),
    workdays=frozenset(
        datetime.date.fromisoformat(d["date"]) for d in DAYS if d["kind"] == "workday"
    ),
)
HOUR = datetime.timedelta(hours=1)


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


moments = st.datetimes(
    min_value=datetime.datetime(2025, 12, 20), max_value=datetime.datetime(2026, 12, 20)
).map(lambda d: d.replace(tzinfo=SHANGHAI))
amounts = st.integers(min_value=0, max_value=60 * 24 * 10).map(
    lambda m: datetime.timedelta(minutes=m)
)


@pytest.mark.parametrize(
    ("start", "working", "expected"),
    [
        # Across lunch: 11:00 + 2 working hours = 14:30.
        ("2026-03-10 11:00", 2 * HOUR, "2026-03-10 14:30"),
        # Landing on the end of the morning stays there.
        ("2026-03-10 08:00", datetime.timedelta(hours=3, minutes=30), "2026-03-10 12:00"),
        # Friday afternoon into Monday.
        ("2026-03-13 16:30", 2 * HOUR, "2026-03-16 09:30"),
        # 立案派遣 within 1 working hour, reported on a Saturday evening: Monday 09:30.
        ("2026-03-14 20:00", HOUR, "2026-03-16 09:30"),
        # Spring Festival: off 2026-02-15 … 02-23; Saturday 02-14 is worked (调休).
        ("2026-02-13 17:00", HOUR, "2026-02-14 09:00"),
        ("2026-02-14 17:00", HOUR, "2026-02-24 09:00"),
        # 国庆: off 10-01 … 10-07, Sunday 09-20 and Saturday 10-10 worked.
        ("2026-09-19 10:00", HOUR, "2026-09-20 09:30"),
        ("2026-09-30 17:00", 2 * HOUR, "2026-10-08 10:00"),
        ("2026-10-09 17:00", HOUR, "2026-10-10 09:00"),
        # Zero from outside working time: the first working moment.
        ("2026-03-10 12:30", datetime.timedelta(), "2026-03-10 13:30"),
    ],
)
def test_worked_examples_of_adding_working_hours(start, working, expected):
    assert Y2026.add(at(start), working) == at(expected)


def test_working_days_keep_the_clock_time_and_skip_holidays():
    # 12345 咨询: 2 working days from Wednesday 09-30 10:00 → 10-09 10:00 (Thu 10-08 is 1).
    assert Y2026.add_days(at("2026-09-30 10:00"), 2) == at("2026-10-09 10:00")
    # 投诉 15 working days from Monday 2026-06-01 09:00, over 端午 (06-19 Friday off).
    assert Y2026.add_days(at("2026-06-01 09:00"), 15) == at("2026-06-23 09:00")


def test_between_counts_working_time_only():
    assert Y2026.between(at("2026-03-10 11:00"), at("2026-03-10 14:30")) == 2 * HOUR
    assert Y2026.between(at("2026-03-13 16:30"), at("2026-03-16 09:30")) == 2 * HOUR
    assert Y2026.between(at("2026-02-14 17:00"), at("2026-02-24 09:00")) == HOUR
    assert Y2026.between(at("2026-03-10 14:00"), at("2026-03-10 10:00")) == datetime.timedelta()


@settings(max_examples=300, deadline=None)
@given(moments, amounts)
def test_adding_never_lands_outside_working_time_and_counts_back(start, working):
    end = Y2026.add(start, working)
    assert Y2026.is_working_time(end)
    assert end >= start
    assert Y2026.between(start, end) == working


@settings(max_examples=300, deadline=None)
@given(moments, amounts, amounts)
def test_adding_is_additive_and_monotonic(start, a, b):
    assert Y2026.add(Y2026.add(start, a), b) == Y2026.add(start, a + b)
    assert Y2026.add(start, min(a, b)) <= Y2026.add(start, max(a, b))


@settings(max_examples=200, deadline=None)
@given(moments, moments, amounts)
def test_a_later_start_never_gives_an_earlier_deadline(first, second, working):
    early, late = sorted([first, second])
    assert Y2026.add(early, working) <= Y2026.add(late, working)


@settings(max_examples=200, deadline=None)
@given(moments, moments, moments)
def test_between_splits_at_any_moment(a, b, c):
    start, middle, end = sorted([a, b, c])
    assert Y2026.between(start, end) == Y2026.between(start, middle) + Y2026.between(middle, end)


def test_periods_are_read_as_people_write_them_and_bad_ones_refused():
    assert format_periods(parse_periods("8:30-12:00，13:30–17:30")) == "08:30-12:00, 13:30-17:30"
    for bad in ["", "08:30", "12:00-08:30", "08:00-12:00, 11:00-13:00", "8点-12点"]:
        with pytest.raises(ValueError):
            parse_periods(bad)


def test_a_calendar_without_working_time_says_so():
    every_day_off = WorkCalendar(weekend=frozenset(range(7)))
    with pytest.raises(NoWorkingTime):
        every_day_off.add(at("2026-03-10 09:00"), HOUR)
