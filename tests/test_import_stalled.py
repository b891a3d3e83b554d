"""Imports whose worker died while checking or writing are failed with a message."""

import datetime

import pytest
from django.utils import timezone

from residents import jobs, services
from residents.models import ImportBatch
from tests.support import wait_until
from tests.test_import_retention import fresh, uploaded
from tests.test_register_import import GOOD, register

LATER = datetime.timedelta(minutes=31)


def test_a_batch_left_checking_is_failed_and_says_why(street, alice):
    dead = uploaded(alice, register(GOOD))
    # The worker claimed the check, then died: nothing moves the batch on.
    services._transition(dead, ImportBatch.Status.CHECKING)
    finished = uploaded(alice, register(GOOD))
    services.check_import(batch=finished)

    assert services.fail_stalled_imports() == 0
    assert services.fail_stalled_imports(now=timezone.now() + LATER) == 1
    dead = fresh(dead)
    assert dead.status == ImportBatch.Status.FAILED
    assert dead.errors[0]["code"] == "stalled" and dead.errors[0]["message"]
    assert dead.events.last().note == dead.errors[0]["message"]
    assert fresh(finished).status == ImportBatch.Status.CHECKED
    assert services.fail_stalled_imports(now=timezone.now() + LATER) == 0


def test_progress_keeps_a_batch_alive(street, alice, settings):
    settings.IMPORT_STALLED_AFTER_MINUTES = 0
    quiet, busy = uploaded(alice, register(GOOD)), uploaded(alice, register(GOOD))
    for batch in (quiet, busy):
        services._transition(batch, ImportBatch.Status.CHECKING)
    between = timezone.now()
    services._progress_of(busy)(1, 2)
    assert services.fail_stalled_imports(now=between) == 1
    assert (fresh(quiet).status, fresh(busy).status) == ("failed", "checking")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_sweeping_job_fails_them(worker, street, alice, settings):
    settings.IMPORT_STALLED_AFTER_MINUTES = 0
    batch = uploaded(alice, register(GOOD))
    wait_until(lambda: fresh(batch).status == ImportBatch.Status.CHECKED, "the check")
    services._transition(fresh(batch), ImportBatch.Status.QUEUED)
    services._transition(fresh(batch), ImportBatch.Status.APPLYING)
    jobs.fail_stalled_imports.delay()
    wait_until(lambda: fresh(batch).status == ImportBatch.Status.FAILED, "the sweep")
