"""Celery jobs: thin adapters over residents.services. The database is the truth:
each job claims its batch with a conditional UPDATE, so a duplicate delivery
finds the batch already moved on and does nothing, and a job handed back by a
worker stopped cold starts its step over (ImportBatch.PIPELINE)."""

import logging
from collections.abc import Callable

from celery import shared_task
from django.core.exceptions import ValidationError

from residents import services
from residents.models import ImportBatch

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
