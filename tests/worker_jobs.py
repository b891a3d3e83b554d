"""A job for tests/test_worker_shutdown.py, loaded into a real worker with --include.

Each delivery appends a line to `path`; the first one then works for a long
time (a register being checked), a redelivery finishes at once.
"""

import time
from pathlib import Path

from config.celery import app


@app.task(acks_late=True, name="tests.worker_jobs.long_job")
def long_job(path: str, seconds: float) -> None:
    log = Path(path)
    with log.open("a") as f:
        f.write("started\n")
    if log.read_text().count("started") == 1:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.1)
    with log.open("a") as f:
        f.write("done\n")
