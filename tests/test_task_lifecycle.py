"""A task's life cycle through tasks.services: every transition of the pipeline with its
log row and clock, the ones refused (status, person, jurisdiction) leaving everything as
it was, return, hold, extension and rework, and two people acting at once."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from tasks import pipeline, services
from tasks.models import Notification, Stage, Status, Task
from tests.support import a_rival_transaction
from tests.task_data import category, places_in, report

pytestmark = pytest.mark.django_db


def act(user, task, action, **given) -> Task:
    return services.act(user=user, task=task, action=action, **given)


def log(task: Task) -> list[tuple[str, str, str]]:
    return list(task.events.values_list("action", "from_status", "to_status"))


def row(task: Task) -> Any:
    return Task.objects.filter(pk=task.pk).values().get()


def test_the_whole_cycle_with_rework_logs_each_step_and_runs_each_clock(alice, people, places):
    stella = people["stella"]
    task = report(alice, places.stairwell)
    assert (task.status, task.stage, task.priority) == (Status.REPORTED, Stage.ACCEPT, "normal")
    assert task.due_at is not None and task.next_escalation_at == task.due_at
    task = act(alice, task, "accept")
    assert task.stage == Stage.DISPATCH
    task = act(alice, task, "dispatch", node=places.stairwell)
    assert (task.holder_node, task.stage) == (places.stairwell, Stage.ACKNOWLEDGE)
    assert Notification.objects.filter(user=stella, task=task, kind="dispatched").exists()
    task = act(stella, task, "acknowledge")
    task = act(stella, task, "arrive")
    task = act(stella, task, "handle", note="已清运")
    assert (task.status, task.feedback, task.stage) == (Status.HANDLED, "已清运", Stage.VERIFY)
    assert Notification.objects.filter(user=alice, kind="verify").exists()
    task = act(alice, task, "verify", passed=False, note="仍有残留")
    assert (task.status, task.rework_count, task.stage) == (Status.ARRIVED, 1, Stage.HANDLE)
    task = act(stella, task, "handle", note="已彻底清理")
    task = act(alice, task, "verify", passed=True)
    assert (task.status, task.stage, task.due_at, task.next_escalation_at) == (
        Status.CLOSED,
        "",
        None,
        None,
    )
    assert task.closed_at is not None
    task = act(alice, task, "rate", rating="satisfied")
    assert task.rating == "satisfied"
    # Rated once: a second rating is refused and changes nothing.
    with pytest.raises(services.TransitionRefused, match="已评价"):
        act(alice, task, "rate", rating="unsatisfied")
    assert log(task) == [
        ("report", "", "reported"),
        ("accept", "reported", "accepted"),
        ("dispatch", "accepted", "dispatched"),
        ("acknowledge", "dispatched", "acknowledged"),
        ("arrive", "acknowledged", "arrived"),
        ("handle", "arrived", "handled"),
        ("verify", "handled", "arrived"),
        ("handle", "arrived", "handled"),
        ("verify", "handled", "closed"),
        ("rate", "closed", "closed"),
    ]
    assert task.events.get(action="verify", to_status="arrived").note.endswith("仍有残留")


def test_a_return_goes_back_to_the_dispatcher_with_its_reason(alice, people, places):
    task = act(
        alice,
        act(alice, report(alice, places.stairwell), "accept"),
        "dispatch",
        node=places.stairwell,
    )
    with pytest.raises(ValidationError):
        act(people["stella"], task, "return")  # a reason is required
    task = act(people["stella"], task, "return", note="不属于本楼道")
    assert (task.status, task.holder_node, task.stage) == (Status.RETURNED, None, Stage.DISPATCH)
    assert Notification.objects.filter(user=alice, kind="returned").exists()
    task = act(alice, task, "dispatch", node=places.micro_grid)
    assert task.holder_node == places.micro_grid
    assert task.stage_round == 5  # report, accept, dispatch, return, dispatch


def test_hold_stops_the_clock_and_resume_gives_back_what_was_left(alice, people, places):
    task = act(alice, report(alice, places.stairwell), "accept")
    due = task.due_at
    task = act(alice, task, "hold", note="等待物业答复")
    assert (task.status, task.next_escalation_at, task.held_status) == (
        Status.ON_HOLD,
        None,
        Status.ACCEPTED,
    )
    left = task.held_left
    assert left is not None and datetime.timedelta() <= left <= datetime.timedelta(hours=1)
    task = act(alice, task, "resume")
    assert (task.status, task.stage) == (Status.ACCEPTED, Stage.DISPATCH)
    assert task.due_at is not None and task.due_at >= due - datetime.timedelta(seconds=1)
    assert task.next_escalation_at == task.due_at


def test_an_extension_is_asked_by_the_holder_and_decided_by_the_dispatcher(alice, people, places):
    task = act(
        alice,
        act(alice, report(alice, places.stairwell), "accept"),
        "dispatch",
        node=places.stairwell,
    )
    due = task.due_at
    with pytest.raises(services.TransitionRefused):
        act(alice, task, "decide_extension", granted=True)  # nothing asked yet
    task = act(
        people["stella"], task, "extend", extension=datetime.timedelta(hours=2), note="需要协调物业"
    )
    assert Notification.objects.filter(user=alice, kind="extension").exists()
    with pytest.raises(PermissionDenied):
        act(people["stella"], task, "decide_extension", granted=True)
    task = act(alice, task, "decide_extension", granted=True)
    assert task.due_at == due + datetime.timedelta(hours=2)
    assert task.extension_asked is None and task.next_escalation_at == task.due_at


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("reported", "dispatch"),
        ("reported", "acknowledge"),
        ("accepted", "handle"),
        ("accepted", "verify"),
        ("accepted", "resume"),
        ("accepted", "rate"),
    ],
)
def test_an_action_its_status_does_not_allow_is_refused_and_changes_nothing(
    alice, places, status, action
):
    task = report(alice, places.stairwell)
    if status == "accepted":
        task = act(alice, task, "accept")
    before, events = row(task), task.events.count()
    with pytest.raises(services.TransitionRefused) as refused:
        act(alice, task, action, node=places.stairwell, passed=True, note="x")
    assert "不能" in str(refused.value.messages[0])
    assert row(task) == before and task.events.count() == events


def test_who_may_act(alice, bob, charlie, people, places):
    task = report(alice, places.stairwell)
    with pytest.raises(PermissionDenied):
        act(bob, task, "accept")  # another community
    with pytest.raises(PermissionDenied):
        act(people["stella"], task, "accept")  # a stairwell leader does not dispatch
    task = act(charlie, task, "accept")  # the street is over it
    task = act(alice, task, "dispatch", node=places.stairwell)
    with pytest.raises(PermissionDenied):
        act(bob, task, "acknowledge")
    with pytest.raises(PermissionDenied):
        act(people["frank"], task, "acknowledge")  # not escalated to him (yet)
    assert services.allowed_actions(people["stella"], task) == ["acknowledge", "return", "extend"]
    assert "decide_extension" in services.allowed_actions(alice, task)
    assert services.allowed_actions(bob, task) == []


def test_a_task_outside_the_jurisdiction_cannot_be_reported_nor_dispatched_there(
    alice, bob, community_b, places
):
    with pytest.raises(PermissionDenied):
        report(alice, places_in(community_b).stairwell)
    task = act(alice, report(alice, places.stairwell), "accept")
    with pytest.raises(ValidationError):
        act(alice, task, "dispatch", node=places_in(community_b).stairwell)
    assert row(task)["status"] == Status.ACCEPTED


def test_every_action_of_the_pipeline_names_its_statuses():
    for name, step in pipeline.PIPELINE.items():
        assert step.sources, name
        assert step.actor in {pipeline.DISPATCHER, pipeline.HOLDER, pipeline.REPORTER}
    assert set(services.ACTION_LABELS) == set(pipeline.PIPELINE)


def test_deadlines_follow_the_category_in_working_time(alice, places, monkeypatch):
    # Friday 2026-12-04 17:00 Shanghai: one working hour to accept runs into Monday.
    friday = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: friday)
    task = report(alice, places.stairwell)
    assert timezone.localtime(task.due_at).isoformat() == "2026-12-07T09:00:00+08:00"
    assert category().limits.get(stage=Stage.ACCEPT).amount == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_dispatchers_at_once_one_wins(alice, charlie, places):
    task = report(alice, places.stairwell)
    started = time.monotonic()
    # charlie's accept holds the row; alice's, read before his commit, waits on it and
    # then finds the version moved on.
    with (
        a_rival_transaction(
            lambda: act(charlie, task, "accept"),
            until=lambda: time.monotonic() - started > 1,
            commit=True,
        ),
        pytest.raises(services.TransitionRefused),
    ):
        act(alice, task, "accept")
    assert log(Task.objects.get(pk=task.pk)) == [
        ("report", "", "reported"),
        ("accept", "reported", "accepted"),
    ]
