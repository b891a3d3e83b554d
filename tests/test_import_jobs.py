"""Upload → check → confirm → write, run by a real Celery worker over the real broker."""

import pytest
from django.core.exceptions import ValidationError

from residents import services
from residents.models import ImportBatch, Person
from tests.support import wait_until
from tests.test_register_import import BAD, GOOD, register

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def wait_for(batch: ImportBatch, *statuses: str) -> ImportBatch:
    def reached() -> bool:
        batch.refresh_from_db()
        return batch.status in statuses

    wait_until(reached, f"the batch to become {'/'.join(statuses)}", seconds=30)
    return batch


def test_upload_check_confirm_write(worker, street, alice):
    batch = services.start_import(user=alice, data=register(GOOD + BAD), filename="登记表.csv")
    wait_for(batch, ImportBatch.Status.REJECTED)
    assert len(batch.errors) == 10
    assert batch.summary["persons_created"] == 5 and batch.percent == 100
    assert Person.objects.count() == 0
    with pytest.raises(ValidationError):
        services.confirm_import(batch=batch, user=alice)
    services.confirm_import(batch=batch, user=alice, skip_invalid=True)
    wait_for(batch, ImportBatch.Status.APPLIED)
    assert Person.objects.count() == 5
    statuses = list(batch.events.values_list("to_status", flat=True))
    assert statuses == ["pending", "checking", "rejected", "queued", "applying", "applied"]


def test_a_step_runs_once_however_often_it_is_delivered(street, alice):
    batch = services.start_import(user=alice, data=register(GOOD), filename="a.csv")
    services.check_import(batch=ImportBatch.objects.get(pk=batch.pk))
    with pytest.raises(ValidationError):
        services.check_import(batch=ImportBatch.objects.get(pk=batch.pk))
    services.confirm_import(batch=ImportBatch.objects.get(pk=batch.pk), user=alice)
    services.apply_import(batch=ImportBatch.objects.get(pk=batch.pk))
    with pytest.raises(ValidationError):
        services.apply_import(batch=ImportBatch.objects.get(pk=batch.pk))
    assert Person.objects.count() == 5


def test_a_step_stopped_cold_starts_over_when_redelivered(street, alice):
    """A worker stopped mid-step hands the job back; the batch stays where it left it."""
    from residents.services import _transition

    batch = services.start_import(user=alice, data=register(GOOD), filename="a.csv")
    _transition(batch, ImportBatch.Status.CHECKING)  # claimed, then the worker stopped
    services.check_import(batch=ImportBatch.objects.get(pk=batch.pk))
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.CHECKED
    services.confirm_import(batch=ImportBatch.objects.get(pk=batch.pk), user=alice)
    _transition(ImportBatch.objects.get(pk=batch.pk), ImportBatch.Status.APPLYING)
    services.apply_import(batch=ImportBatch.objects.get(pk=batch.pk))
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.APPLIED
    assert Person.objects.count() == 5
    steps = list(batch.events.values_list("from_status", "to_status"))
    assert ("checking", "checking") in steps and ("applying", "applying") in steps


def test_a_broken_upload_fails_with_a_message(street, alice):
    batch = services.start_import(user=alice, data=b"\x00\x01\x02" * 10, filename="x.csv")
    services.check_import(batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and batch.errors[0]["message"]
