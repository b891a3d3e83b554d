"""Celery jobs of the outbox: one delivery (re-queued with its backoff when it fails),
and the beat's audit, which sends again what waited past its time."""

from __future__ import annotations

from celery import shared_task

from outbox import services


@shared_task(acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> None:
    wait = services.deliver(delivery_id)
    if wait is not None:
        deliver.apply_async((delivery_id,), countdown=wait)


@shared_task(acks_late=True, ignore_result=True)
def send_late_deliveries() -> int:
    late = services.due_again()
    for delivery_id in late:
        deliver.delay(delivery_id)
    return len(late)
