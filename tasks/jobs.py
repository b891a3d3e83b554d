"""Celery jobs of the tasks app: beat wakes the escalation sweep every second; the
database says what is due (tasks/escalation.py), so a repeated or lost wake-up
changes nothing."""

from __future__ import annotations

from celery import shared_task

from tasks import escalation


@shared_task(acks_late=True, ignore_result=True)
def sweep_escalations() -> int:
    """Run the steps due now; queue another sweep at once while more are due."""
    ran, more = escalation.sweep()
    if more:
        sweep_escalations.delay()
    return ran
