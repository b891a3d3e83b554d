"""Sending one delivery: the JSON text message of each group robot (WeCom, DingTalk and
Feishu, signed when the robot has a secret), and SMS through SMS_BACKEND. A robot that
answers anything but success raises DeliveryFailed; the caller retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from common.masking import mask_phone
from outbox.models import Channel, ChannelKind, Delivery

TIMEOUT_SECONDS = 10
sms_log = logging.getLogger("outbox.sms")


class DeliveryFailed(Exception):
    """The channel did not take the message; the text says why (no secret in it)."""


def _sign(secret: str, timestamp: str, *, feishu: bool) -> str:
    to_sign = f"{timestamp}\n{secret}".encode()
    if feishu:
        # Feishu keys the HMAC with the string and signs nothing.
        digest = hmac.new(to_sign, b"", hashlib.sha256).digest()
    else:
        digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def robot_request(channel: Channel, text: str, now: float | None = None) -> tuple[str, bytes]:
    """(address, JSON body) of the text message to the channel's robot."""
    now = time.time() if now is None else now
    url = channel.url
    body: dict[str, Any]
    if channel.kind == ChannelKind.FEISHU:
        body = {"msg_type": "text", "content": {"text": text}}
        if channel.secret:
            timestamp = str(int(now))
            body |= {"timestamp": timestamp, "sign": _sign(channel.secret, timestamp, feishu=True)}
    else:
        body = {"msgtype": "text", "text": {"content": text}}
        if channel.kind == ChannelKind.DINGTALK and channel.secret:
            timestamp = str(int(now * 1000))
            sign = urllib.parse.quote_plus(_sign(channel.secret, timestamp, feishu=False))
            url += f"{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"
    return url, json.dumps(body, ensure_ascii=False).encode()


def _robot_accepted(kind: str, answer: dict[str, Any]) -> bool:
    if kind == ChannelKind.FEISHU:
        return answer.get("code", answer.get("StatusCode")) == 0
    return answer.get("errcode") == 0


def post_to_robot(channel: Channel, text: str) -> None:
    url, body = robot_request(channel, text)
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read(65536) or b"{}")
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"HTTP {error.code}") from error
    except (OSError, ValueError) as error:
        raise DeliveryFailed(type(error).__name__) from error
    if not isinstance(answer, dict) or not _robot_accepted(channel.kind, answer):
        raise DeliveryFailed(f"refused: {str(answer)[:200]}")


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LoggingSms:
    """The SMS backend that sends nothing: it logs that a message would go (the number
    masked). A gateway's backend, with the same `send`, goes in SMS_BACKEND."""

    def send(self, phone: str, text: str) -> None:
        sms_log.info("SMS to %s (%d characters)", mask_phone(phone), len(text))


def send(delivery: Delivery) -> None:
    channel = delivery.channel
    if channel.kind == ChannelKind.SMS:
        backend: SmsBackend = import_string(settings.SMS_BACKEND)()
        try:
            backend.send(delivery.to, delivery.text)
        except Exception as error:
            raise DeliveryFailed(type(error).__name__) from error
    else:
        post_to_robot(channel, delivery.text)
