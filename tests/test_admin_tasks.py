"""Tasks in the admin: alice reports, accepts and dispatches; stella acknowledges, arrives
and handles; alice verifies — each by the buttons of the task's page (POST, CSRF), with
the timeline growing. A refused action is a Chinese message, never an error page; bob
(community B) sees no task of A; the list takes a fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks import escalation
from tasks.models import Task
from tests.task_data import category, report

pytestmark = pytest.mark.django_db
LIST = reverse("admin:tasks_task_changelist")
ADD = reverse("admin:tasks_task_add")


def page(task: Task) -> str:
    return reverse("admin:tasks_task_change", args=[task.pk])


def press(client, task: Task, action: str, **data) -> str:
    response = client.post(reverse("admin:tasks_task_act", args=[task.pk, action]), data)
    assert response.status_code == 302
    return client.get(page(task)).content.decode()


def test_the_cycle_by_the_buttons_of_the_task_page(admin_as, alice, people, places):
    client = admin_as(alice)
    response = client.post(
        ADD,
        {
            "title": "楼道堆物",
            "category": category().pk,
            "node": places.stairwell.pk,
            "source": "patrol",
            "priority": "",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get(title="楼道堆物")
    html = client.get(page(task)).content.decode()
    assert 'id="act-accept"' in html and 'id="act-acknowledge"' not in html
    html = press(client, task, "accept")
    html = press(client, task, "dispatch", node=places.stairwell.pk)
    assert "已派遣" in html
    stella = Client()
    stella.force_login(people["stella"])
    html = stella.get(page(task)).content.decode()
    assert 'id="act-acknowledge"' in html and 'id="act-dispatch"' not in html
    press(stella, task, "acknowledge")
    press(stella, task, "arrive")
    html = press(stella, task, "handle", note="已清理")
    assert "处置完成" in html
    html = press(client, task, "verify", passed="true")
    assert Task.objects.get(pk=task.pk).status == "closed"
    timeline = html[html.index('id="task-timeline"') :]
    assert timeline.count("<tr>") == 7  # report … verify


def test_a_refused_action_is_a_chinese_message(admin_as, alice, places):
    client = admin_as(alice)
    task = report(alice, places.stairwell)
    response = client.post(
        reverse("admin:tasks_task_act", args=[task.pk, "handle"]), {"note": "x"}, follow=True
    )
    assert response.status_code == 200
    assert "现在不能处置完成" in response.content.decode()
    response = client.post(reverse("admin:tasks_task_act", args=[task.pk, "reject"]), follow=True)
    assert "请填写原因" in response.content.decode()
    assert Task.objects.get(pk=task.pk).status == "reported"
    bogus = client.post(reverse("admin:tasks_task_act", args=[task.pk, "explode"]))
    assert bogus.status_code == 404


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("dispatch", {"node": "abc"}),
        ("dispatch", {"node": "99999999"}),
        ("extend", {"extension_hours": "-3", "note": "x"}),
        ("verify", {"passed": "perhaps"}),
        ("rate", {"rating": "great"}),
    ],
)
def test_bad_input_to_an_action_is_a_chinese_message_and_changes_nothing(
    admin_as, alice, places, community_b, action, data
):
    client = admin_as(alice)
    task = report(alice, places.stairwell)
    before = Task.objects.get(pk=task.pk).version
    response = client.post(
        reverse("admin:tasks_task_act", args=[task.pk, action]), data, follow=True
    )
    assert response.status_code == 200
    shown = response.content.decode()
    assert "请更正：" in shown or "现在不能" in shown
    assert Task.objects.get(pk=task.pk).version == before
    # Nor a unit of the other community, though the id is real.
    outside = client.post(
        reverse("admin:tasks_task_act", args=[task.pk, "dispatch"]),
        {"node": community_b.pk},
        follow=True,
    )
    assert outside.status_code == 200 and Task.objects.get(pk=task.pk).version == before


def test_the_other_community_sees_no_task(admin_as, alice, bob, places):
    task = report(alice, places.stairwell)
    client = admin_as(bob)
    assert task.title not in client.get(LIST).content.decode()
    assert client.get(page(task)).status_code == 404
    assert client.post(reverse("admin:tasks_task_act", args=[task.pk, "accept"])).status_code == 404
    assert Task.objects.get(pk=task.pk).status == "reported"


def test_filters_and_the_escalated_and_overdue_lists(admin_as, alice, places):
    client = admin_as(alice)
    task = report(alice, places.stairwell, "emergency")
    escalation.sweep(Task.objects.get(pk=task.pk).next_escalation_at)
    # Its minute is up, as the row says after a minute's wait.
    Task.objects.filter(pk=task.pk).update(due_at=timezone.now() - datetime.timedelta(seconds=1))
    queries = ["escalated=1", "overdue=1", f"subtree={places.grid.pk}", "status__exact=reported"]
    for query in queries:
        html = client.get(f"{LIST}?{query}").content.decode()
        assert task.title in html, query
    assert client.get(f"{LIST}?subtree=abc").status_code == 200
    assert client.get(f"{LIST}?title__startswith=x").status_code == 400


def test_the_list_takes_the_same_queries_for_one_task_and_twenty(admin_as, alice, places):
    client = admin_as(alice)
    report(alice, places.stairwell)
    client.get(LIST)
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for _ in range(19):
        report(alice, places.stairwell)
    with CaptureQueriesContext(connection) as twenty:
        client.get(LIST)
    assert len(twenty) == len(one)


def test_the_task_page_takes_a_bounded_number_of_queries(admin_as, alice, places):
    client = admin_as(alice)
    task = report(alice, places.stairwell)
    client.get(page(task))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page(task)).status_code == 200
    assert len(queries) <= 40, [q["sql"][:80] for q in queries]
