"""Uploaded registers hold every ID number and phone in full: deleted after the retention period."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from residents import jobs, services
from residents.models import ImportBatch, Person
from tests.support import wait_until
from tests.test_register_import import BAD, GOOD, register

LATER = datetime.timedelta(days=31)


def uploaded(user, data: bytes) -> ImportBatch:
    return services.start_import(user=user, data=data, filename="登记表.csv")


def fresh(batch: ImportBatch) -> ImportBatch:
    return ImportBatch.objects.get(pk=batch.pk)


def test_files_past_the_retention_period_are_deleted_and_the_records_kept(street, alice):
    checked = uploaded(alice, register(GOOD))
    services.check_import(batch=checked)
    applied = uploaded(alice, register(GOOD))
    services.check_import(batch=applied)
    services.confirm_import(batch=fresh(applied), user=alice)
    services.apply_import(batch=fresh(applied))
    queued = uploaded(alice, register(GOOD + BAD))
    services.check_import(batch=queued)
    services.confirm_import(batch=fresh(queued), user=alice, skip_invalid=True)

    assert services.delete_expired_uploads() == 0
    later = timezone.now() + LATER
    assert services.delete_expired_uploads(now=later) == 2
    for batch in (checked, applied):
        batch = fresh(batch)
        assert bytes(batch.upload) == b"" and batch.upload_deleted_at == later
        assert batch.sha256 and batch.summary["rows"] == 5
    # a worker is about to read this one
    assert bytes(fresh(queued).upload) != b"" and fresh(queued).upload_deleted_at is None
    assert services.delete_expired_uploads(now=later) == 0


def test_a_batch_whose_file_is_gone_cannot_be_confirmed(street, alice):
    batch = uploaded(alice, register(GOOD))
    services.check_import(batch=batch)
    shown = fresh(batch)  # the preview page, before the nightly job
    services.delete_expired_uploads(now=timezone.now() + LATER)
    with pytest.raises(ValidationError) as refused:
        services.confirm_import(batch=fresh(batch), user=alice)
    assert "30" in refused.value.messages[0]
    # Confirmed from the page loaded before the deletion: the job says why it cannot write.
    services.confirm_import(batch=shown, user=alice)
    services.apply_import(batch=fresh(batch))
    batch = fresh(batch)
    assert batch.status == ImportBatch.Status.FAILED and "30" in batch.errors[0]["message"]
    assert Person.objects.count() == 0


def test_the_preview_and_the_api_say_the_file_was_deleted(street, alice, admin_as, api_as):
    batch = uploaded(alice, register(GOOD))
    services.check_import(batch=batch)
    services.delete_expired_uploads(now=timezone.now() + LATER)
    page = admin_as(alice).get(reverse("admin:residents_importbatch_change", args=[batch.pk]))
    assert 'id="upload-deleted"' in page.content.decode()
    status = api_as(alice).get(f"/api/v1/imports/{batch.pk}/").json()
    assert status["upload_deleted_at"] is not None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_nightly_job_deletes_them(worker, street, alice, settings):
    settings.IMPORT_UPLOAD_RETENTION_DAYS = 0
    batch = uploaded(alice, register(GOOD))
    wait_until(lambda: fresh(batch).status == ImportBatch.Status.CHECKED, "the check")
    jobs.delete_expired_uploads.delay()
    wait_until(lambda: fresh(batch).upload_deleted_at is not None, "the deletion")
    assert bytes(fresh(batch).upload) == b""
