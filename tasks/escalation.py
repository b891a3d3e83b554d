"""Escalation up the tree when a stage's deadline passes — exactly once.

The task row says what is due (`next_escalation_at`). The sweep reads the due
rows by one indexed query; each step then runs in its own transaction and is
claimed by `UPDATE … WHERE next_escalation_at = <the time read> AND
escalation_step = <the step read>`: a repeated delivery, a second beat or a
worker that acted on the stage meanwhile finds the row moved on and does
nothing. The Escalation row's unique (task, stage, round, step) is the second
lock. A worker killed mid-step rolls back with its transaction, and the row is
still due for the next sweep; a worker that was down finds every passed
deadline due when it comes back.

A step goes one level up from where the task is held — stairwell team →
micro-grid → grid → community → street (a stage of the dispatchers', from their
community to the street) — notifies the people assigned there,
and gives the next level the category's repeat interval (wartime: one
minute). At the street it reminds at most the category's `street_reminders`
times, then the clock stops.
"""

from __future__ import annotations

import datetime
import logging

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from grids.models import Node
from tasks import deadlines, pipeline, services
from tasks.models import Escalation, Notification, Task
from tasks.notify import dispatching_unit, notify

logger = logging.getLogger(__name__)

# Steps claimed per sweep query; the job runs again at once when there were more.
SWEEP_BATCH = 500
# Steps run under one transaction's row locks (PostgreSQL): a user acting on one of
# them waits for at most a chunk.
CHUNK = 20


def chain(task: Task) -> list[Node]:
    """The levels above where the task's open stage waits, nearest first, ending at the
    street: above its holder for the holder's stages; above the dispatchers' community
    for theirs (accepting, dispatching, verifying), which nobody below could do for them."""
    step = pipeline.PIPELINE.get(task.stage)
    if step is not None and step.actor == pipeline.DISPATCHER:
        start = dispatching_unit(task)
    else:
        start = task.holder_node or task.node
    above = list(start.get_ancestors(ascending=True))
    return above or [start]


def due(now: datetime.datetime, limit: int = SWEEP_BATCH) -> list[tuple[int, datetime.datetime]]:
    """(task id, due time) of the clocks that have run out, earliest first: one query."""
    rows = (
        Task.objects.filter(next_escalation_at__lte=now)
        .order_by("next_escalation_at")
        .values_list("pk", "next_escalation_at")[:limit]
    )
    return [(pk, at) for pk, at in rows if at is not None]


def escalate(task_id: int, due_at: datetime.datetime, now: datetime.datetime) -> bool:
    """Run the one step due at `due_at`, if it still is; True when this call ran it."""
    try:
        with transaction.atomic():
            return _step(task_id, due_at, now)
    except IntegrityError:
        # The unique step exists: another worker ran it and its row update was lost
        # to this one's read. Nothing is written twice.
        logger.info("escalation of task %s at %s already ran", task_id, due_at)
        return False


def _step(task_id: int, due_at: datetime.datetime, now: datetime.datetime) -> bool:
    task = (
        Task.objects.select_related("category", "node", "holder_node")
        .filter(pk=task_id, next_escalation_at=due_at)
        .first()
    )
    if task is None:
        return False  # acted on, or stepped by someone else, since it was read
    levels = chain(task)
    step = task.escalation_step + 1
    target = levels[min(step, len(levels)) - 1]
    # The first step to reach the street is its first reminder.
    last_step = len(levels) - 1 + max(task.category.street_reminders, 1)
    next_at = deadlines.repeat_after(task, now) if step < last_step else None
    claimed = Task.objects.filter(
        pk=task_id, next_escalation_at=due_at, escalation_step=task.escalation_step
    ).update(next_escalation_at=next_at, escalation_step=step)
    if not claimed:
        return False
    Escalation.objects.create(
        task=task,
        stage=task.stage,
        stage_round=task.stage_round,
        step=step,
        level=target.level,
        node=target,
        due_at=due_at,
    )
    notify(task, Notification.Kind.ESCALATED, services.users_at({target.pk}), node=target)
    return True


def sweep(now: datetime.datetime | None = None, limit: int = SWEEP_BATCH) -> tuple[int, bool]:
    """Run every step due by `now`: (steps run, whether rows were left for another sweep)."""
    now = now or timezone.now()
    rows = due(now, limit)
    ran = sum(_run_chunk(rows[i : i + CHUNK], now) for i in range(0, len(rows), CHUNK))
    return ran, len(rows) == limit


def _run_chunk(rows: list[tuple[int, datetime.datetime]], now: datetime.datetime) -> int:
    """The steps of a few due rows. On PostgreSQL in one transaction over the rows it
    could lock (FOR UPDATE SKIP LOCKED): sweeps running at once take turns by chunk
    instead of racing for the same rows, and a chunk pays for one commit. Each step is
    still its own savepoint and conditional claim. SQLite has one write lock for the
    whole database: each step takes it on its own, so that pages never wait on a chunk."""
    if not connection.features.has_select_for_update_skip_locked:
        return sum(escalate(task_id, due_at, now) for task_id, due_at in rows)
    with transaction.atomic():
        mine = set(
            Task.objects.select_for_update(skip_locked=True)
            .filter(pk__in=[task_id for task_id, _ in rows])
            .values_list("pk", flat=True)
        )
        return sum(escalate(task_id, due_at, now) for task_id, due_at in rows if task_id in mine)
