"""Escalation lateness with 10,000 open timers, run by a real Celery worker and beat.

In a scratch database (PostgreSQL, or SQLite on the embedded defaults): the
demo street's tree, a dispatcher, and --tasks (10,000) dispatched tasks whose
acknowledgement deadlines fall evenly over the next --spread seconds (180),
written in bulk as the services would leave them. Then `celery -A config
worker` and `celery -A config beat` start as child processes with no other
arguments (as `make run` and docker-compose start them), on a Redis database
of their own (on the embedded defaults, the filesystem broker in a directory
of their own), and the run waits until every deadline has passed and its
first step has run (or --timeout).

Prints lateness (escalated_at − deadline) p50/p99/max, steps run, duplicates
(two first steps of one task: the unique key forbids them, so this must be 0)
and missing (deadlines passed with no step: must be 0); then the quiet sweep's
cost: the sweep's query (tasks.escalation.due, through the ORM) once the run
is over and the 10,000 timers are an hour off, against a `SELECT 1` round trip
measured in the same run (quiet_sweep_ratio_vs_roundtrip).

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/microgrid \\
  CELERY_BROKER_URL=redis://127.0.0.1:6379/9 \\
      .venv/bin/python benchmarks/escalation.py [--tasks 10000] [--spread 180]
  .venv/bin/python benchmarks/escalation.py     # the embedded defaults
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks.scratch import database_url, scratch_database  # noqa: E402
from grids.demo import SCALES, tree_rows  # noqa: E402
from grids.models import Level, Node, Role  # noqa: E402
from grids.tree_import import load_street  # noqa: E402
from tasks import escalation  # noqa: E402
from tasks.models import Category, Escalation, Source, StageLimit, Status, Task  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(ROOT / ".venv" / "bin" / "celery")


def seed(count: int, spread: float) -> datetime.datetime:
    """`count` dispatched tasks, deadlines evenly over `spread` seconds from a few seconds on."""
    from django.contrib.auth import get_user_model

    from grids import services as grid_services

    load_street(rows=tree_rows(SCALES["tiny"]))
    community = Node.objects.filter(level=Level.COMMUNITY).order_by("pk").first()
    assert community is not None
    user = get_user_model().objects.create_user("bench", password="x-bench-password-1")
    staff = grid_services.create_staff(home_node=community, name="bench", user=user)
    grid_services.assign(staff=staff, node=community, role=Role.COMMUNITY_WORKER)
    category = Category.objects.create(name="bench", code="bench", repeat_minutes=60)
    StageLimit.objects.create(category=category, stage="acknowledge", amount=1, unit="minutes")
    stairwells = list(
        Node.objects.filter(level=Level.STAIRWELL, tree_id=community.tree_id).order_by("lft")
    )
    start = timezone.now() + datetime.timedelta(seconds=20)  # the worker starts meanwhile
    now = timezone.now()
    tasks = []
    for index in range(count):
        due = start + datetime.timedelta(seconds=spread * index / count)
        stairwell = stairwells[index % len(stairwells)]
        tasks.append(
            Task(
                title=f"bench {index}",
                category=category,
                source=Source.PATROL,
                priority="normal",
                node=stairwell,
                created_by=user,
                status=Status.DISPATCHED,
                holder_node=stairwell,
                dispatched_at=now,
                stage="acknowledge",
                stage_round=3,
                stage_started_at=now,
                due_at=due,
                next_escalation_at=due,
            )
        )
    Task.objects.bulk_create(tasks, batch_size=2000)
    return start + datetime.timedelta(seconds=spread)


def quiet_sweep_ms(runs: int = 200) -> tuple[float, float]:
    """Median ms of the sweep's query with nothing due, and of a SELECT 1 round trip."""
    sweeps, trips = [], []
    with connection.cursor() as cursor:
        for _ in range(runs):
            start = time.perf_counter()
            assert escalation.due(timezone.now() - datetime.timedelta(days=1)) == []
            sweeps.append(time.perf_counter() - start)
            start = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            trips.append(time.perf_counter() - start)
    return statistics.median(sweeps) * 1000, statistics.median(trips) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=180.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    with scratch_database():
        last_due = seed(args.tasks, args.spread)
        logs = Path(os.environ.get("VAR_DIR", "/tmp")) / "escalation-bench"
        logs.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "0"}
        if connection.vendor == "sqlite":
            # Their own filesystem broker, apart from a running `make run`'s.
            env["VAR_DIR"] = str(logs / "var")
        print(f"database={connection.vendor} broker={env.get('CELERY_BROKER_URL', 'filesystem')}")
        children = [
            subprocess.Popen(
                [CELERY, "-A", "config", *command],
                cwd=ROOT,
                env=env,
                stdout=(logs / f"{command[0]}.log").open("w"),
                stderr=subprocess.STDOUT,
            )
            for command in (
                ["worker", "--loglevel=WARNING"],
                ["beat", "--loglevel=WARNING", "-s", str(logs / "beat-schedule")],
            )
        ]
        try:
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                done = Escalation.objects.filter(step=1).count()
                if timezone.now() > last_due and done >= args.tasks:
                    break
                time.sleep(1)
            time.sleep(3)  # any straggling duplicate would land now
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.wait(timeout=30)
        steps = list(Escalation.objects.filter(step=1).values_list("escalated_at", "due_at"))
        lateness = sorted((at - due).total_seconds() for at, due in steps)
        duplicates = (
            Escalation.objects.values("task", "stage", "stage_round", "step")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .count()
        )
        # Quiet now: every timer is an hour off (the category's repeat). Statistics as
        # autovacuum keeps them on a live system.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE tasks_task")
        sweep_ms, trip_ms = quiet_sweep_ms()
        passed = Task.objects.filter(due_at__lte=timezone.now()).count()
        stepped = Escalation.objects.filter(step=1).values("task").distinct().count()
        print(f"tasks={args.tasks} spread_seconds={args.spread:.0f}")
        print(f"steps_run={len(steps)} duplicates={duplicates} missing={passed - stepped}")
        if lateness:
            p99 = lateness[min(len(lateness) - 1, int(len(lateness) * 0.99))]
            print(
                f"lateness_p50_s={statistics.median(lateness):.3f} lateness_p99_s={p99:.3f} "
                f"lateness_max_s={lateness[-1]:.3f}"
            )
        print(f"quiet_sweep_ms={sweep_ms:.3f} select1_roundtrip_ms={trip_ms:.3f}")
        print(f"quiet_sweep_ratio_vs_roundtrip={sweep_ms / trip_ms:.2f}")


if __name__ == "__main__":
    main()
