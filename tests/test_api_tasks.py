"""/api/v1/tasks/ and /api/v1/inbox/: the life cycle over HTTP (201, 200, 409 with a
Chinese detail and nothing changed), the other community's tasks out of sight (404),
filters, the log and escalations, the reporter's phone masked, and lists in a fixed
number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks import escalation
from tasks.models import Notification, Task
from tests.task_data import places_in, report

pytestmark = pytest.mark.django_db
TASKS = "/api/v1/tasks/"


def post(client, url: str, body: dict | None = None):
    return client.post(url, body or {}, format="json")


def created(client, places, **overrides) -> dict:
    body = {
        "title": "楼道口堆放垃圾",
        "category": "exposed_garbage",
        "node": places.stairwell.pk,
        "source": "patrol",
        **overrides,
    }
    response = post(client, TASKS, body)
    assert response.status_code == 201, response.data
    return response.data


def test_report_dispatch_and_close_over_http(api_as, alice, people, places):
    client = api_as(alice)
    task = created(client, places, priority="urgent", reporter_phone="13812345678")
    assert (task["status"], task["priority"], task["holder_node"]) == ("reported", "urgent", None)
    assert list(task["deadlines"]) == ["accept"] and task["deadlines"]["accept"].endswith("+08:00")
    url = f"{TASKS}{task['id']}/"
    assert post(client, url + "accept/").data["status"] == "accepted"
    dispatched = post(client, url + "dispatch/", {"node": places.stairwell.pk}).data
    assert (dispatched["status"], dispatched["holder_node"]) == ("dispatched", places.stairwell.pk)
    stella = api_as(people["stella"])
    assert post(stella, url + "acknowledge/").status_code == 200
    assert post(stella, url + "arrive/").status_code == 200
    assert post(stella, url + "handle/", {"note": "已清运"}).data["feedback"] == "已清运"
    assert post(client, url + "verify/", {"passed": True}).data["status"] == "closed"
    log = client.get(url + "log/").data
    assert [e["action"] for e in log] == [
        "report",
        "accept",
        "dispatch",
        "acknowledge",
        "arrive",
        "handle",
        "verify",
    ]
    assert log[3]["user"] == "stella"


def test_an_action_not_allowed_now_is_a_409_in_chinese_and_changes_nothing(api_as, alice, places):
    client = api_as(alice)
    task = created(client, places)
    before = Task.objects.filter(pk=task["id"]).values().get()
    response = post(client, f"{TASKS}{task['id']}/handle/", {"note": "x"})
    assert response.status_code == 409
    assert response.data["detail"] == "事件当前为“已上报”，现在不能处置完成。"
    assert Task.objects.filter(pk=task["id"]).values().get() == before
    # Missing input is a 400, unknown input too.
    assert post(client, f"{TASKS}{task['id']}/reject/").status_code == 400
    assert post(client, f"{TASKS}{task['id']}/accept/").status_code == 200
    bad = post(client, f"{TASKS}{task['id']}/dispatch/", {"node": 10**9})
    assert bad.status_code == 400 and Task.objects.get(pk=task["id"]).status == "accepted"


def test_the_other_community_neither_sees_nor_acts(api_as, alice, bob, community_b, places):
    task = created(api_as(alice), places)
    other = api_as(bob)
    assert other.get(f"{TASKS}{task['id']}/").status_code == 404
    assert post(other, f"{TASKS}{task['id']}/accept/").status_code == 404
    assert other.get(f"{TASKS}{task['id']}/log/").status_code == 404
    assert other.get(TASKS).data["count"] == 0
    # Nor report into, nor dispatch to, what is not theirs.
    foreign = created(other, places_in(community_b))
    assert (
        post(
            api_as(alice),
            TASKS,
            {
                "title": "x",
                "category": "exposed_garbage",
                "node": places_in(community_b).stairwell.pk,
                "source": "patrol",
            },
        ).status_code
        == 400
    )
    response = post(api_as(alice), f"{TASKS}{foreign['id']}/accept/")
    assert response.status_code == 404


def test_a_stairwell_leader_may_not_dispatch(api_as, alice, people, places):
    task = created(api_as(alice), places)
    response = post(api_as(people["stella"]), f"{TASKS}{task['id']}/accept/")
    assert response.status_code == 403
    assert Task.objects.get(pk=task["id"]).status == "reported"


def test_filters_mine_state_overdue_and_node(api_as, alice, people, places):
    client = api_as(alice)
    first = created(client, places)
    second = created(client, places)
    post(client, f"{TASKS}{second['id']}/accept/")
    post(client, f"{TASKS}{second['id']}/dispatch/", {"node": places.stairwell.pk})
    ids = lambda response: [row["id"] for row in response.data["results"]]  # noqa: E731
    assert ids(client.get(TASKS, {"state": "reported"})) == [first["id"]]
    assert ids(api_as(people["stella"]).get(TASKS, {"mine": "1"})) == [second["id"]]
    assert ids(client.get(TASKS, {"overdue": "1"})) == []
    assert len(ids(client.get(TASKS, {"node": places.micro_grid.pk}))) == 2
    assert client.get(TASKS, {"state": "nonsense"}).status_code == 400


def test_escalations_are_listed(api_as, alice, places):
    client = api_as(alice)
    task = created(client, places, category="emergency")
    post(client, f"{TASKS}{task['id']}/accept/")
    post(client, f"{TASKS}{task['id']}/dispatch/", {"node": places.stairwell.pk})
    escalation.sweep(Task.objects.get(pk=task["id"]).next_escalation_at)
    [step] = client.get(f"{TASKS}{task['id']}/escalations/").data
    assert (step["stage"], step["level"], step["node"]) == ("acknowledge", 3, places.micro_grid.pk)


def test_the_reporters_phone_is_masked_unless_the_user_may_see_it(api_as, alice, people, places):
    task = created(api_as(alice), places, reporter_phone="13812345678")
    assert api_as(alice).get(f"{TASKS}{task['id']}/").data["reporter_phone"] == "13812345678"
    frank = api_as(people["frank"]).get(f"{TASKS}{task['id']}/")
    assert frank.data["reporter_phone"] == "138****5678"


def test_the_inbox_is_the_users_own(api_as, alice, bob, people, places):
    client = api_as(alice)
    task = created(client, places)
    post(client, f"{TASKS}{task['id']}/accept/")
    post(client, f"{TASKS}{task['id']}/dispatch/", {"node": places.stairwell.pk})
    stella = api_as(people["stella"])
    [note] = stella.get("/api/v1/inbox/").data["results"]
    assert (note["kind"], note["kind_label"], note["read_at"]) == ("dispatched", "派遣给您", None)
    assert post(api_as(bob), f"/api/v1/inbox/{note['id']}/read/").status_code == 404
    assert post(stella, f"/api/v1/inbox/{note['id']}/read/").data["read_at"] is not None
    assert Notification.objects.get(pk=note["id"]).read_at is not None


def test_the_list_takes_the_same_queries_for_one_task_and_twenty(api_as, alice, places):
    client = api_as(alice)
    created(client, places)
    with CaptureQueriesContext(connection) as one:
        assert client.get(TASKS).status_code == 200
    for _ in range(19):
        report(alice, places.stairwell)
    with CaptureQueriesContext(connection) as twenty:
        assert client.get(TASKS).data["count"] == 20
    assert len(twenty) == len(one)
