"""Outside channels: a task dispatched to stella's stairwell is posted to the micro-grid
group's robot by a real Celery worker after commit, through a local HTTP receiver that
fails twice first (the tries back off, the task is untouched); DingTalk and Feishu
messages are signed as their robots check; SMS goes to the backend that logs, the
number masked; nothing goes when the action is refused; the audit sends again what a
lost message or a dead worker left; and the admin keeps each robot's key to itself
and to the jurisdiction."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from outbox import services as outbox
from outbox.admin import masked_url
from outbox.models import Channel, ChannelKind, Delivery
from tasks import services
from tasks.models import Task
from tests.support import wait_until
from tests.task_data import report
from tests.test_phone_pages import dispatched

KEY = "5f3c1d2e-aaaa-bbbb-cccc-0123456789ab"


class Robot:
    """A group robot on 127.0.0.1: records each post and answers from a script (the last
    answer repeats)."""

    def __init__(self, answers: list[tuple[int, dict[str, Any]]]) -> None:
        self.answers = answers
        self.posts: list[dict[str, Any]] = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                parts = urllib.parse.urlsplit(self.path)
                robot.posts.append(
                    {
                        "at": time.monotonic(),
                        "path": parts.path,
                        "query": dict(urllib.parse.parse_qsl(parts.query)),
                        "json": json.loads(body),
                    }
                )
                code, answer = robot.answers[min(len(robot.posts), len(robot.answers)) - 1]
                payload = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> Robot:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


OK = (200, {"errcode": 0, "errmsg": "ok"})


@pytest.fixture
def robot_answers() -> list[tuple[int, dict[str, Any]]]:
    return [OK]


@pytest.fixture
def robot(robot_answers) -> Iterator[Robot]:
    with Robot(robot_answers) as running:
        yield running


def wecom(node, robot: Robot) -> Channel:
    return Channel.objects.create(
        node=node, kind=ChannelKind.WECOM, url=f"{robot.url}/cgi-bin/webhook/send?key={KEY}"
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    "robot_answers", [[(500, {}), (200, {"errcode": 45009, "errmsg": "busy"}), OK]]
)
def test_a_dispatch_reaches_the_group_robot_after_two_failures(
    alice, people, places, robot, worker, settings
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0.4
    wecom(places.micro_grid, robot)
    task = dispatched(alice, places, title="3单元楼道堆放杂物")
    version = Task.objects.get(pk=task.pk).version
    wait_until(lambda: Delivery.objects.filter(status="sent").exists(), "the third try", 30)
    [delivery] = Delivery.objects.all()
    assert delivery.attempts == 3 and delivery.last_error == ""
    assert [p["query"]["key"] for p in robot.posts] == [KEY] * 3
    text = robot.posts[-1]["json"]["text"]["content"]
    assert robot.posts[-1]["json"]["msgtype"] == "text"
    assert text.startswith("【新派单】3单元楼道堆放杂物") and places.stairwell.name in text
    first_wait = robot.posts[1]["at"] - robot.posts[0]["at"]
    second_wait = robot.posts[2]["at"] - robot.posts[1]["at"]
    assert 0.35 < first_wait < second_wait  # 0.4 s, then 1.2 s
    # Sending touched nothing of the task.
    assert Task.objects.get(pk=task.pk).version == version


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "answer"),
    [(ChannelKind.DINGTALK, {"errcode": 0}), (ChannelKind.FEISHU, {"code": 0, "msg": "success"})],
)
def test_dingtalk_and_feishu_messages_are_signed_as_their_robots_check(places, robot, kind, answer):
    robot.answers = [(200, answer)]
    channel = Channel.objects.create(
        node=places.micro_grid, kind=kind, url=f"{robot.url}/robot/send", secret="SEC-123"
    )
    [delivery] = outbox.tell(node=places.stairwell, text="【新派单】测试")
    assert outbox.deliver(delivery.pk) is None
    assert Delivery.objects.get(pk=delivery.pk).status == "sent"
    [post] = robot.posts
    if kind == ChannelKind.DINGTALK:
        stamp = post["query"]["timestamp"]
        expected = hmac.new(b"SEC-123", f"{stamp}\nSEC-123".encode(), hashlib.sha256).digest()
        assert post["query"]["sign"] == base64.b64encode(expected).decode()
        assert post["json"] == {"msgtype": "text", "text": {"content": "【新派单】测试"}}
    else:
        body = post["json"]
        to_sign = f"{body['timestamp']}\nSEC-123".encode()
        assert (
            body["sign"]
            == base64.b64encode(hmac.new(to_sign, b"", hashlib.sha256).digest()).decode()
        )
        assert body["msg_type"] == "text" and body["content"] == {"text": "【新派单】测试"}
    assert channel.secret not in json.dumps(post)


@pytest.mark.django_db
def test_the_nearest_units_robots_are_told_and_sms_goes_to_the_people(
    alice, people, places, robot, caplog
):
    wecom(places.community, robot)
    near = wecom(places.micro_grid, robot)
    Channel.objects.create(node=places.street, kind=ChannelKind.SMS)
    staff = people["stella"].staff
    staff.phone = "13812345678"
    staff.save()
    dispatched(alice, places)
    rows = list(Delivery.objects.select_related("channel"))
    assert {(row.channel_id, row.to) for row in rows} == {
        (near.pk, ""),
        (Channel.objects.get(kind="sms").pk, "13812345678"),
    }
    sms = next(row for row in rows if row.to)
    with caplog.at_level(logging.INFO, logger="outbox.sms"):
        outbox.deliver(sms.pk)
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text


@pytest.mark.django_db
def test_nothing_goes_out_when_the_action_is_refused(alice, people, places, robot):
    wecom(places.micro_grid, robot)
    task = services.act(user=alice, task=report(alice, places.stairwell), action="accept")
    with pytest.raises(services.ValidationError), transaction.atomic():
        services.act(user=alice, task=task, action="dispatch")  # to no unit
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_a_robot_that_keeps_failing_is_given_up_after_the_last_try(places, robot, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    robot.answers = [(502, {})]
    wecom(places.micro_grid, robot)
    [delivery] = outbox.tell(node=places.stairwell, text="x")
    assert outbox.deliver(delivery.pk) == settings.OUTBOX_RETRY_BASE_SECONDS
    assert outbox.deliver(delivery.pk) is None
    failed = Delivery.objects.get(pk=delivery.pk)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 2, "HTTP 502")
    assert outbox.deliver(delivery.pk) is None and len(robot.posts) == 2


@pytest.mark.django_db
def test_the_audit_sends_again_what_a_lost_message_or_a_dead_worker_left(places, robot):
    wecom(places.micro_grid, robot)
    lost, stuck, sent, fresh = (outbox.tell(node=places.stairwell, text=t)[0] for t in "abcd")
    now = timezone.now()
    Delivery.objects.filter(pk=lost.pk).update(next_try_at=now - timedelta(minutes=1))
    Delivery.objects.filter(pk=stuck.pk).update(
        status="sending", claimed_at=now - timedelta(minutes=3)
    )
    Delivery.objects.filter(pk=sent.pk).update(status="sent", created_at=now - timedelta(hours=1))
    assert outbox.due_again(now + timedelta(seconds=31)) == sorted([lost.pk, stuck.pk, fresh.pk])
    assert outbox.due_again(now) == [lost.pk]
    assert Delivery.objects.get(pk=stuck.pk).status == "pending"


def test_a_robots_address_is_shown_masked():
    shown = masked_url(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}")
    assert shown == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=••••89ab"
    feishu = masked_url("https://open.feishu.cn/open-apis/bot/v2/hook/0a1b2c3d4e5f6789")
    assert feishu == "https://open.feishu.cn/open-apis/bot/v2/hook/••••6789"


@pytest.mark.django_db
def test_the_channel_admin_keeps_keys_and_jurisdiction(alice, bob, places, robot, community_b):
    channel = wecom(places.micro_grid, robot)
    client = Client()
    client.force_login(alice)
    listing = client.get("/admin/outbox/channel/").content.decode()
    assert "••••89ab" in listing and KEY not in listing
    # The query string is no oracle for the key, nor for an SMS's masked number.
    right, wrong = (
        client.get("/admin/outbox/channel/", {"url__contains": guess})
        for guess in (KEY[:8], "zzzzzzzz")
    )
    assert (right.status_code, right.get("Location")) == (wrong.status_code, wrong.get("Location"))
    assert "••••89ab" not in right.content.decode()
    number = client.get("/admin/outbox/delivery/", {"to__startswith": "138"})
    assert right.status_code == number.status_code == 400
    form = client.get(f"/admin/outbox/channel/{channel.pk}/change/").content.decode()
    assert KEY not in form
    # Saved with the address left empty, the robot keeps its key.
    response = client.post(
        f"/admin/outbox/channel/{channel.pk}/change/",
        {
            "node": places.micro_grid.pk,
            "kind": "wecom",
            "name": "楼道群",
            "url": "",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert Channel.objects.get(pk=channel.pk).url.endswith(KEY)
    other = Client()
    other.force_login(bob)
    assert other.get(f"/admin/outbox/channel/{channel.pk}/change/").status_code in (302, 404)
    assert str(channel) not in other.get("/admin/outbox/channel/").content.decode()
    refused = other.post(
        "/admin/outbox/channel/add/",
        {"node": places.micro_grid.pk, "kind": "wecom", "url": f"{robot.url}/x", "active": "on"},
    )
    assert refused.status_code == 200 and "选择一个有效的选项" in refused.content.decode()
    assert Channel.objects.count() == 1
