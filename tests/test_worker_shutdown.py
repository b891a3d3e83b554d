"""`make run`'s scripts/serve.sh stops all three processes within seconds on Ctrl-C,
even with a job running, and the job's message is not lost (acks_late).

Runs the real script on embedded defaults in a temporary VAR_DIR (SQLite, the
filesystem broker), with the worker also listening to a queue of this test and
loading tests/worker_jobs.py, both through Celery's own environment variables.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(ROOT / ".venv" / "bin" / "celery")
STOP_WITHIN = 10.0  # seconds; measured 3-5 s with a job running on a loaded 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not within {timeout}s")
        time.sleep(0.1)


def session_processes(session: int) -> list[str]:
    out = subprocess.run(
        ["ps", "-o", "pid=,stat=,args=", "-s", str(session)], capture_output=True, text=True
    ).stdout
    # The script itself, exited but not yet reaped, is a zombie (Z).
    return [line for line in out.splitlines() if line.split()[1:2] != ["Z"]]


@pytest.fixture
def embedded_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    queue = f"shutdown-{os.getpid()}"
    env.update(
        DEBUG="1",
        VAR_DIR=str(tmp_path / "var"),
        PORT=str(free_port()),
        # Read by `celery worker` as --include and --queues.
        CELERY_WORKER_INCLUDE="tests.worker_jobs",
        CELERY_WORKER_QUEUES=queue,
        PYTHONPATH=str(ROOT),
    )
    return env, queue


def send_long_job(env: dict[str, str], queue: str, log: Path) -> None:
    code = (
        "from config.celery import app; "
        f"app.send_task('tests.worker_jobs.long_job', args=[{str(log)!r}, 300], queue={queue!r})"
    )
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, timeout=60)


def test_ctrl_c_stops_everything_within_seconds_and_keeps_the_running_job(embedded_env, tmp_path):
    env, queue = embedded_env
    jobs = tmp_path / "jobs.log"
    jobs.touch()
    output = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        ["bash", "scripts/serve.sh"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a terminal of its own: Ctrl-C signals its foreground group
    )
    try:
        send_long_job(env, queue, jobs)
        wait_for(lambda: "started" in jobs.read_text(), 90, "the worker taking the job")

        def web_up() -> bool:
            try:
                socket.create_connection(("127.0.0.1", int(env["PORT"])), 0.2).close()
                return True
            except OSError:
                return False

        wait_for(web_up, 90, "runserver listening")
        assert len(session_processes(serve.pid)) >= 5  # bash, worker + 2 children, beat, web

        started = time.monotonic()
        os.killpg(serve.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        serve.wait(timeout=STOP_WITHIN + 20)
        wait_for(lambda: not session_processes(serve.pid), 5, "every process gone")
        took = time.monotonic() - started
        log = (tmp_path / "serve.log").read_text()
        assert took < STOP_WITHIN, f"stopping took {took:.1f}s\n{log[-3000:]}"
        assert "killed" not in log
        assert jobs.read_text() == "started\n"  # cancelled, not finished
    finally:
        if serve.poll() is None or session_processes(serve.pid):
            os.killpg(serve.pid, signal.SIGKILL)
        output.close()

    # The next worker gets the message back and does the job.
    worker = subprocess.Popen(
        [CELERY, "-A", "config", "worker", "--loglevel=INFO", "--pool=solo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: "done" in jobs.read_text(), 90, "the job redelivered and done")
        assert jobs.read_text() == "started\nstarted\ndone\n"
    finally:
        worker.send_signal(signal.SIGQUIT)
        try:
            worker.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            raise
