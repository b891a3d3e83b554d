"""A scratch database for a benchmark run (Django must be set up first)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection
from django.test.utils import setup_test_environment


@contextlib.contextmanager
def scratch_database() -> Iterator[None]:
    """A fresh test database beside the configured one, dropped afterwards whatever happens."""
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def database_url() -> str:
    """The URL of the database this process uses, for the child processes a run starts
    (a Celery worker and beat): the scratch database once inside scratch_database()."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
