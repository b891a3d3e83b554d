"""Escalation up the tree (tasks/escalation.py), through the sweep itself: one level per
missed deadline, the people there told, the street reminded a bounded number of times,
acting on the stage stopping the clock for everybody, and a step that runs once however
often it is asked for."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks import escalation, services
from tasks.models import Escalation, Notification, Task
from tests.task_data import report

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)


def dispatched(alice, places, code: str = "emergency") -> Task:
    """A task held by the stairwell's team; the emergency category's clocks are minutes."""
    task = report(alice, places.stairwell, code)
    task = services.act(user=alice, task=task, action="accept")
    return services.act(user=alice, task=task, action="dispatch", node=places.stairwell)


def steps(task: Task) -> list[tuple[str, int, int]]:
    return list(
        Escalation.objects.filter(task=task).order_by("pk").values_list("stage", "step", "node_id")
    )


def later(task: Task, minutes: float = 0) -> datetime.datetime:
    row = Task.objects.get(pk=task.pk)
    assert row.next_escalation_at is not None
    return row.next_escalation_at + datetime.timedelta(minutes=minutes)


def test_a_missed_acknowledgement_climbs_one_level_per_deadline(alice, people, places):
    task = dispatched(alice, places)
    assert task.due_at - task.dispatched_at == MINUTE  # respond within 1 minute
    assert escalation.sweep(task.due_at - datetime.timedelta(seconds=1)) == (0, False)
    assert escalation.sweep(later(task)) == (1, False)
    assert steps(task) == [("acknowledge", 1, places.micro_grid.pk)]
    assert Notification.objects.filter(user=people["frank"], kind="escalated").exists()
    assert not Notification.objects.filter(user=people["gina"], kind="escalated").exists()
    escalation.sweep(later(task))
    escalation.sweep(later(task))
    assert [node for _stage, _step, node in steps(task)] == [
        places.micro_grid.pk,
        places.grid.pk,
        places.community.pk,
    ]
    # frank, escalated to, may now act for the team; acknowledging stops every clock.
    task = services.act(user=people["frank"], task=task, action="acknowledge")
    assert (task.stage, task.escalation_step, task.next_escalation_at) == (
        "arrive",
        0,
        task.due_at,
    )
    # The next missed deadline is the arrival's, and it starts again one level up.
    escalation.sweep(later(task))
    assert steps(task)[-1] == ("arrive", 1, places.micro_grid.pk)
    assert len([s for s in steps(task) if s[0] == "acknowledge"]) == 3


def test_the_street_is_reminded_a_bounded_number_of_times(alice, places):
    task = dispatched(alice, places)
    for _ in range(10):
        row = Task.objects.get(pk=task.pk)
        if row.next_escalation_at is None:
            break
        escalation.sweep(row.next_escalation_at)
    levels = [node for _s, _n, node in steps(task)]
    # micro-grid, grid, community, then the street three times (the category's default).
    assert levels == [
        places.micro_grid.pk,
        places.grid.pk,
        places.community.pk,
        places.street.pk,
        places.street.pk,
        places.street.pk,
    ]
    assert Task.objects.get(pk=task.pk).next_escalation_at is None


def test_a_step_runs_once_however_often_it_is_asked_for(alice, places):
    task = dispatched(alice, places)
    due = later(task)
    assert escalation.escalate(task.pk, due, due) is True
    assert escalation.escalate(task.pk, due, due) is False  # a repeated delivery
    assert escalation.sweep(due) == (0, False)  # a second beat at the same moment
    assert len(steps(task)) == 1


def test_a_step_read_before_an_action_does_nothing_after_it(alice, people, places):
    task = dispatched(alice, places)
    rows = escalation.due(later(task))
    services.act(user=people["stella"], task=task, action="acknowledge")
    assert [escalation.escalate(pk, at, later(task)) for pk, at in rows] == [False]
    assert steps(task) == []


def test_a_worker_that_was_down_catches_up_on_every_passed_deadline(alice, places, community_a):
    tasks = [dispatched(alice, places) for _ in range(3)]
    long_after = timezone.now() + datetime.timedelta(hours=1)
    ran, more = escalation.sweep(long_after)
    assert (ran, more) == (3, False)
    assert all(len(steps(t)) == 1 for t in tasks)


def test_the_sweep_reads_only_what_is_due_and_a_quiet_sweep_is_one_query(alice, places):
    dispatched(alice, places)
    with CaptureQueriesContext(connection) as queries:
        assert escalation.sweep(timezone.now() - datetime.timedelta(hours=1)) == (0, False)
    assert len(queries) == 1
    assert "next_escalation_at" in queries[0]["sql"]


def test_a_full_batch_asks_for_another_sweep(alice, places):
    tasks = [dispatched(alice, places) for _ in range(3)]
    ran, more = escalation.sweep(later(tasks[-1]), limit=2)
    assert (ran, more) == (2, True)
    assert escalation.sweep(later(tasks[-1], -0.0), limit=2)[0] == 1


def test_a_dispatchers_stage_escalates_above_the_community(alice, charlie, people, places):
    """Nobody below the community can accept, dispatch or verify for it: an unaccepted
    stairwell task goes to the street, not to the stairwell's micro-grid."""
    task = report(alice, places.stairwell, "emergency")
    escalation.sweep(later(task))
    assert steps(task) == [("accept", 1, places.street.pk)]
    assert Notification.objects.filter(user=charlie, kind="escalated").exists()
    assert not Notification.objects.filter(user=people["frank"]).exists()
    task = dispatched(alice, places)
    for action in ("acknowledge", "arrive"):
        task = services.act(user=people["stella"], task=task, action=action)
    task = services.act(user=people["stella"], task=task, action="handle", note="已处置")
    escalation.sweep(later(task))
    assert steps(task) == [("verify", 1, places.street.pk)]
