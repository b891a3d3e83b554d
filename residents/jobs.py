"""Celery jobs: thin adapters over residents.services. The database is the truth:
each job claims its batch with a conditional UPDATE, so a duplicate delivery
finds the batch already moved on and does nothing, and a job handed back by a
worker stopped cold starts its step over (ImportBatch.PIPELINE)."""

import logging
from collections.abc import Callable

from celery import current_app, shared_task
from celery.schedules import crontab
from django.core.exceptions import ValidationError

from residents import exports, services
from residents.models import ExportJob, ImportBatch

logger = logging.getLogger(__name__)


def _run(step: Callable[..., object], batch_id: int) -> None:
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return
    try:
        step(batch=batch)
    except ValidationError as error:
        # Already claimed by another delivery, or no longer in the right state.
        logger.info("import %s: %s", batch_id, error.messages)


@shared_task(acks_late=True)
def check_import(batch_id: int) -> None:
    _run(services.check_import, batch_id)


@shared_task(acks_late=True)
def apply_import(batch_id: int) -> None:
    _run(services.apply_import, batch_id)


@shared_task
def delete_expired_uploads() -> int:
    """Nightly: uploaded registers past the retention period are deleted."""
    deleted = services.delete_expired_uploads()
    logger.info("deleted %d expired import upload(s)", deleted)
    return deleted


@shared_task
def fail_stalled_imports() -> int:
    """Every ten minutes: imports whose worker died are failed with a message."""
    failed = services.fail_stalled_imports()
    if failed:
        logger.warning("failed %d stalled import(s)", failed)
    return failed


@shared_task(acks_late=True)
def run_export(job_id: int) -> None:
    job = ExportJob.objects.filter(pk=job_id).defer("content", "object_ids").first()
    if job is None:
        return
    try:
        exports.run_export(job=job)
    except ValidationError as error:
        # Already claimed by another delivery, or failed meanwhile as stalled.
        logger.info("export %s: %s", job_id, error.messages)


@shared_task
def sweep_exports() -> dict[str, int]:
    """Every ten minutes: exports whose worker died are failed, files past expiry deleted."""
    swept = {
        "failed": exports.fail_stalled_exports(),
        "deleted": exports.delete_expired_exports(),
    }
    logger.info("exports swept: %s", swept)
    return swept


# The beat schedule is settings.CELERY_BEAT_SCHEDULE's; this entry is added here,
# beside its task, and is in it by the time beat reads it (beat imports the job
# modules first).
current_app.add_periodic_task(crontab(minute="*/10"), sweep_exports.s(), name="sweep-exports")
