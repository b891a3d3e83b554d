"""Redis restarts under a real worker and beat (`celery -A config worker` and `beat`, no
other arguments, as the README runs them) while deadlines pass: the wake-ups queued
before the crash are gone with it, the processes reconnect by themselves, and every
step due runs once. The test runs its own redis-server, so the machine's is untouched;
the database is the run's (SQLite or PostgreSQL)."""

from __future__ import annotations

import datetime
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from benchmarks.scratch import database_url
from tasks import services
from tasks.models import Escalation, Task
from tests.support import wait_until
from tests.task_data import places_in, report
from tests.test_escalation_worker import CELERY, ROOT

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Redis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._up, "redis-server up", 20)

    def crash(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def _up(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0


@pytest.fixture
def redis() -> Iterator[Redis]:
    server = Redis(free_port())
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.crash()


def celery(command: str, redis: Redis, log: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port}/0",
        "DEBUG": "1",
    }
    extra = ["--schedule", str(tmp_path / "beat-schedule")] if command == "beat" else []
    with log.open("w") as output:
        return subprocess.Popen(
            [CELERY, "-A", "config", command, "--loglevel=INFO", *extra],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def test_a_redis_restart_loses_no_step_and_doubles_none(alice, community_a, redis, tmp_path):
    places = places_in(community_a)
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    processes = [
        celery("worker", redis, worker_log, tmp_path),
        celery("beat", redis, beat_log, tmp_path),
    ]
    try:
        wait_until(lambda: " ready." in worker_log.read_text(), "the worker ready", 90)
        wait_until(
            lambda: "sweep_escalations" in worker_log.read_text(), "a sweep from the beat", 60
        )
        tasks = []
        for _ in range(5):
            task = report(alice, places.stairwell, "emergency")
            task = services.act(user=alice, task=task, action="accept")
            tasks.append(
                services.act(user=alice, task=task, action="dispatch", node=places.stairwell)
            )
        due = timezone.now() + datetime.timedelta(seconds=3)
        Task.objects.filter(pk__in=[t.pk for t in tasks]).update(due_at=due, next_escalation_at=due)
        redis.crash()
        # The deadlines pass while Redis is down: nothing can run them.
        time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 2)
        assert not Escalation.objects.exists()
        redis.start()
        wait_until(lambda: Escalation.objects.count() >= 5, "five escalations", 90)
        time.sleep(3)  # more beats, more sweeps: each must find nothing left to do
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    assert sorted(Escalation.objects.values_list("task_id", "step")) == sorted(
        (t.pk, 1) for t in tasks
    )
