"""Wartime (平战转换): who may switch a subtree and back (each switch its row), tasks
dispatched into it on the 1-3-5 minute standard escalating to the micro-grid a minute
after dispatch unless acknowledged, a stairwell's task dispatched at once, open tasks
moved to the standard only when asked, the API, and the red banner."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from grids.models import Role
from tasks import escalation, services, wartime
from tasks.models import Escalation, Task, WartimeArea
from tests.conftest import make_user
from tests.task_data import places_in, report

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def secretary(community_a):
    return make_user("sam", community_a, Role.COMMUNITY_SECRETARY)


def test_who_may_switch_and_every_switch_is_kept(alice, charlie, secretary, places):
    with pytest.raises(PermissionDenied):
        wartime.switch_on(user=alice, node=places.community, reason="台风")  # a worker
    with pytest.raises(ValidationError):
        wartime.switch_on(user=secretary, node=places.community, reason=" ")
    area = wartime.switch_on(user=secretary, node=places.community, reason="台风“梅花”")
    assert wartime.in_wartime(places.stairwell) and not wartime.in_wartime(
        places_in(places.street.get_children().exclude(pk=places.community.pk)[0]).stairwell
    )
    with pytest.raises(ValidationError):
        wartime.switch_on(user=charlie, node=places.grid, reason="重复")  # already, from above
    wartime.switch_off(user=charlie, node=places.community)
    area.refresh_from_db()
    assert (area.started_by, area.ended_by) == (secretary, charlie)
    assert area.ended_at is not None and not wartime.in_wartime(places.stairwell)


def test_a_task_dispatched_into_wartime_escalates_a_minute_after_dispatch(
    alice, secretary, people, places
):
    wartime.switch_on(user=secretary, node=places.community, reason="防汛")
    task = services.act(user=alice, task=report(alice, places.micro_grid), action="accept")
    task = services.act(user=alice, task=task, action="dispatch", node=places.stairwell)
    assert task.wartime and task.due_at == task.dispatched_at + MINUTE
    escalation.sweep(task.dispatched_at + MINUTE - datetime.timedelta(seconds=1))
    assert not Escalation.objects.exists()
    escalation.sweep(task.dispatched_at + MINUTE)
    step = Escalation.objects.get()
    assert (step.node, step.stage) == (places.micro_grid, "acknowledge")
    # One level a minute after that.
    row = Task.objects.get(pk=task.pk)
    assert row.next_escalation_at == task.dispatched_at + 2 * MINUTE
    # Arrive within 3 minutes of dispatch, handle within 5.
    task = services.act(user=people["stella"], task=task, action="acknowledge")
    assert task.due_at == task.dispatched_at + 3 * MINUTE
    task = services.act(user=people["stella"], task=task, action="arrive")
    assert task.due_at == task.dispatched_at + 5 * MINUTE


def test_acknowledged_in_time_it_does_not_escalate(alice, secretary, people, places):
    wartime.switch_on(user=secretary, node=places.community, reason="防汛")
    task = services.act(user=alice, task=report(alice, places.micro_grid), action="accept")
    task = services.act(user=alice, task=task, action="dispatch", node=places.stairwell)
    services.act(user=people["stella"], task=task, action="acknowledge")
    escalation.sweep(task.dispatched_at + MINUTE)
    assert not Escalation.objects.exists()


def test_a_stairwells_task_is_dispatched_to_its_team_as_it_is_reported(
    alice, secretary, people, places
):
    wartime.switch_on(user=secretary, node=places.community, reason="疏散")
    task = report(people["stella"], places.stairwell, "emergency")
    assert (task.status, task.holder_node, task.stage) == (
        "dispatched",
        places.stairwell,
        "acknowledge",
    )
    assert task.due_at == task.dispatched_at + MINUTE
    assert list(task.events.values_list("action", flat=True)) == ["report", "accept", "dispatch"]


def test_open_tasks_keep_their_clocks_unless_the_switch_says_so(alice, secretary, places):
    kept = services.act(user=alice, task=report(alice, places.micro_grid), action="accept")
    kept = services.act(user=alice, task=kept, action="dispatch", node=places.stairwell)
    wartime.switch_on(user=secretary, node=places.community, reason="演练")
    assert Task.objects.get(pk=kept.pk).due_at == kept.due_at
    wartime.switch_off(user=secretary, node=places.community)
    area = wartime.switch_on(
        user=secretary, node=places.community, reason="实战", apply_to_open=True
    )
    row = Task.objects.get(pk=kept.pk)
    # One minute to acknowledge, counted from the switch.
    assert row.wartime
    second = datetime.timedelta(seconds=1)
    assert area.started_at - second <= row.due_at - MINUTE <= timezone.now()


def test_the_api_switches_and_lists(api_as, alice, charlie, places):
    client = api_as(charlie)
    body = {"node": places.community.pk, "on": True, "reason": "台风", "apply_to_open": False}
    response = client.post("/api/v1/wartime/", body, format="json")
    assert response.status_code == 200 and response.data["ended_at"] is None
    assert [a["node"] for a in api_as(alice).get("/api/v1/wartime/").data] == [places.community.pk]
    refused = api_as(alice).post("/api/v1/wartime/", {**body, "on": False}, format="json")
    assert refused.status_code == 403
    again = client.post("/api/v1/wartime/", body, format="json")
    assert again.status_code == 400 and "已处于战时" in str(again.data)
    assert client.post("/api/v1/wartime/", {**body, "on": False}, format="json").status_code == 200
    assert WartimeArea.objects.get().ended_by == charlie


def test_the_banner_is_red_on_the_subtrees_pages_only(admin_as, alice, bob, charlie, places):
    wartime.switch_on(user=charlie, node=places.community, reason="台风“梅花”")
    page = admin_as(alice).get("/admin/").content.decode()
    assert 'id="wartime-banner"' in page and "台风“梅花”" in page
    assert 'id="wartime-banner"' not in admin_as(bob).get("/admin/").content.decode()
    assert 'id="wartime-banner"' in admin_as(charlie).get("/admin/").content.decode()
