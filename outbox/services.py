"""Queueing, sending and re-sending outside messages (outbox.models).

`tell` writes the deliveries in the caller's transaction and sends each after commit;
`deliver` claims one with UPDATE … WHERE status = 'pending', so two workers never send
it twice, and on failure puts it back with a later `next_try_at` (backoff); `due_again`
is the audit the beat runs: what waits past its time (a lost retry message, a Redis
restart) or was claimed by a worker that died goes out again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from grids.models import Node
from outbox import senders
from outbox.models import WEBHOOKS, Channel, ChannelKind, Delivery

# A claim older than this lost its worker: the delivery may go again.
STALE_CLAIM = datetime.timedelta(minutes=2)
# Waiting this long past its time, a delivery's own retry message was lost.
LATE = datetime.timedelta(seconds=30)


def channels_for(node: Node) -> list[Channel]:
    """The robots of the nearest node (itself or an ancestor) that has any, and the SMS
    channel of the nearest that has one."""
    ancestry = node.get_ancestors(include_self=True)
    found = Channel.objects.filter(node__in=ancestry, active=True).order_by("-node__level")
    chosen: list[Channel] = []
    robots_at = sms_at = None
    for channel in found:
        if channel.kind in WEBHOOKS and robots_at in (None, channel.node_id):
            robots_at = channel.node_id
            chosen.append(channel)
        elif channel.kind == ChannelKind.SMS and sms_at is None:
            sms_at = channel.node_id
            chosen.append(channel)
    return chosen


def tell(*, node: Node, text: str, phones: Iterable[str] = ()) -> list[Delivery]:
    """Queue `text` for the node's channels (SMS to each of `phones`), sent after commit."""
    rows = []
    for channel in channels_for(node):
        if channel.kind == ChannelKind.SMS:
            rows += [Delivery(channel=channel, to=phone, text=text) for phone in set(phones)]
        else:
            rows.append(Delivery(channel=channel, text=text))
    created = Delivery.objects.bulk_create(rows)
    if created:
        from outbox import jobs

        ids = [row.pk for row in created]

        def send_all() -> None:
            for pk in ids:
                jobs.deliver.delay(pk)

        transaction.on_commit(send_all)
    return created


def backoff(attempts: int) -> float:
    """Seconds before the next try: the base, tripled each time, at most ten minutes."""
    base = float(settings.OUTBOX_RETRY_BASE_SECONDS)
    return float(min(base * 3 ** (attempts - 1), 600.0))


def deliver(delivery_id: int) -> float | None:
    """Send one waiting delivery; the seconds until it should be tried again, if it failed
    and has tries left (None otherwise, and when someone else has it)."""
    now = timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING, claimed_at=now
    )
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("channel").get(pk=delivery_id)
    attempts = delivery.attempts + 1
    try:
        senders.send(delivery)
    except senders.DeliveryFailed as failed:
        wait = backoff(attempts)
        last = attempts >= int(settings.OUTBOX_MAX_ATTEMPTS)
        Delivery.objects.filter(pk=delivery_id).update(
            status=Delivery.Status.FAILED if last else Delivery.Status.PENDING,
            attempts=attempts,
            last_error=str(failed)[:300],
            next_try_at=None if last else timezone.now() + datetime.timedelta(seconds=wait),
        )
        return None if last else wait
    Delivery.objects.filter(pk=delivery_id).update(
        status=Delivery.Status.SENT, attempts=attempts, sent_at=timezone.now(), last_error=""
    )
    return None


def due_again(now: datetime.datetime | None = None) -> list[int]:
    """Deliveries to send again: claims gone stale go back to waiting; then every one
    waiting past its time by LATE."""
    now = now or timezone.now()
    Delivery.objects.filter(
        status=Delivery.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(status=Delivery.Status.PENDING, next_try_at=None)
    late = now - LATE
    waiting = Delivery.objects.filter(status=Delivery.Status.PENDING).filter(
        Q(next_try_at__lte=late) | Q(next_try_at__isnull=True, created_at__lte=late)
    )
    return list(waiting.order_by("pk").values_list("pk", flat=True)[:1000])
