"""The escalation sweep run by a real Celery worker over the configured broker and
database (PostgreSQL + Redis in CI's second run, SQLite + the filesystem broker in the
first): repeated wake-ups — a redelivered message, two beats — run each step once, and
a worker killed with SIGKILL in the middle of a step leaves it to the next."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from benchmarks.scratch import database_url
from tasks import escalation, jobs, services
from tasks.models import Escalation, Task, TaskEvent
from tests.support import a_rival_transaction, wait_until
from tests.task_data import places_in, report

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ROOT = Path(__file__).resolve().parent.parent
CELERY = str(ROOT / ".venv" / "bin" / "celery")


def test_repeated_wake_ups_run_each_step_once(worker, alice, community_a):
    places = places_in(community_a)
    tasks = []
    for _ in range(5):
        task = services.act(
            user=alice, task=report(alice, places.stairwell, "emergency"), action="accept"
        )
        tasks.append(services.act(user=alice, task=task, action="dispatch", node=places.stairwell))
    # Their minute is up: the clocks in the rows say so, as a minute's wait would.
    past = timezone.now() - datetime.timedelta(seconds=1)
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(due_at=past, next_escalation_at=past)
    for _ in range(4):  # beat, a second beat, and two redeliveries
        jobs.sweep_escalations.delay()
    wait_until(lambda: Escalation.objects.count() >= 5, "five escalations", seconds=30)
    time.sleep(1)  # let the other wake-ups finish: they must find nothing to do
    assert sorted(Escalation.objects.values_list("task_id", "step")) == sorted(
        (t.pk, 1) for t in tasks
    )
    assert all(
        t.next_escalation_at is not None and t.next_escalation_at > past
        for t in Task.objects.filter(pk__in=[t.pk for t in tasks])
    )


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


def test_a_worker_killed_mid_step_loses_nothing_and_doubles_nothing(alice, community_a, tmp_path):
    """SIGKILL while the step is inside its transaction: on PostgreSQL after it has
    claimed the row, waiting to write its Escalation behind a rival holding the same
    unique key; on SQLite waiting for the write lock. The row stays due; the next sweep
    runs the step once."""
    from config.celery import app

    places = places_in(community_a)
    task = services.act(
        user=alice, task=report(alice, places.stairwell, "emergency"), action="accept"
    )
    task = services.act(user=alice, task=task, action="dispatch", node=places.stairwell)
    past = timezone.now() - datetime.timedelta(seconds=1)
    Task.objects.filter(pk=task.pk).update(due_at=past, next_escalation_at=past)
    task.refresh_from_db()

    def hold() -> None:
        if connection.vendor == "postgresql":
            Escalation.objects.create(
                task=task,
                stage=task.stage,
                stage_round=task.stage_round,
                step=1,
                level=places.micro_grid.level,
                node=places.micro_grid,
                due_at=past,
            )
        else:
            TaskEvent.objects.create(
                task=task, action="hold-the-lock", from_status="", to_status=""
            )

    killed = threading.Event()
    log = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "1"}
    with log.open("w") as output, a_rival_transaction(hold, until=killed.is_set, commit=False):
        child = subprocess.Popen(
            [
                CELERY,
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "-Q",
                app.conf.task_default_queue,
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            jobs.sweep_escalations.delay()
            if connection.vendor == "postgresql":
                wait_until(_waiting_on_a_lock, "the worker's step waiting mid-transaction", 60)
            else:
                wait_until(lambda: "sweep_escalations" in log.read_text(), "the job taken", 60)
                time.sleep(1)
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
            killed.set()
    assert not Escalation.objects.exists()
    row = Task.objects.get(pk=task.pk)
    assert (row.next_escalation_at, row.escalation_step) == (past, 0)
    # The next wake-up, by whichever worker, runs the step once.
    assert escalation.sweep() == (1, False)
    assert list(Escalation.objects.values_list("task_id", "step")) == [(task.pk, 1)]


def test_a_sweep_skips_the_rows_another_sweep_holds(alice, community_a):
    """PostgreSQL: sweeps running at once split the due rows by chunk (FOR UPDATE SKIP
    LOCKED) instead of queueing behind each other; what one holds the other leaves due."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: each step takes the database's write lock")
    places = places_in(community_a)
    tasks = []
    for _ in range(3):
        task = services.act(
            user=alice, task=report(alice, places.stairwell, "emergency"), action="accept"
        )
        tasks.append(services.act(user=alice, task=task, action="dispatch", node=places.stairwell))
    past = timezone.now() - datetime.timedelta(seconds=1)
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(due_at=past, next_escalation_at=past)
    held = tasks[0].pk
    done = threading.Event()
    with a_rival_transaction(
        lambda: list(Task.objects.select_for_update().filter(pk=held)),
        until=done.is_set,
        commit=False,
    ):
        started = time.monotonic()
        try:
            assert escalation.sweep()[0] == 2
            assert time.monotonic() - started < 5  # skipped, not waited for
        finally:
            done.set()
    assert set(Escalation.objects.values_list("task_id", flat=True)) == {t.pk for t in tasks[1:]}
    assert escalation.sweep()[0] == 1  # once let go, the next sweep runs it
