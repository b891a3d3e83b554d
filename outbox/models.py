"""Messages to channels outside the platform: group robots (WeCom, DingTalk, Feishu)
set per node, and SMS. The Delivery row is the outbox: written in the transaction
that has something to tell, sent by a Celery job after commit, retried with backoff;
what it says is plain text, and sending it changes nothing but the row itself."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import Node


class ChannelKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk group robot (钉钉)")
    FEISHU = "feishu", _("Feishu group robot (飞书)")
    SMS = "sms", _("SMS to the people told")


WEBHOOKS = frozenset({ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU})


class Channel(models.Model):
    """Where a node's news goes besides the inbox: its group's robot, or SMS. A node
    without a channel of its own uses its nearest ancestor's."""

    node = models.ForeignKey(
        Node, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="channels"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    # The robot's address holds its access key: shown back masked, never in full.
    url = models.CharField(_("webhook address"), max_length=500, blank=True)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("outside channel")
        verbose_name_plural = _("outside channels")
        ordering = ["node__tree_id", "node__lft", "kind"]

    def __str__(self) -> str:
        return self.name or f"{self.node} {self.get_kind_display()}"

    def clean(self) -> None:
        if self.kind in WEBHOOKS and not self.url:
            raise ValidationError({"url": _("A group robot needs its webhook address.")})


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="deliveries"
    )
    # An SMS's phone number; empty for a group robot.
    to = models.CharField(_("recipient"), max_length=20, blank=True)
    text = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outside message")
        verbose_name_plural = _("outside messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The audit's query: what waits, or was claimed and never finished.
            models.Index(
                fields=["status", "next_try_at"],
                name="delivery_open_idx",
                condition=Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.get_status_display()}"
