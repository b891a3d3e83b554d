"""/api/v1/matters/: creating a matter, the five deliberations in order (a skipped or
repeated stage is a 409 with a Chinese reason and changes nothing), returns with their
reason logged, the jurisdiction, and the queries of the list and a matter."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deliberation.models import STAGES, Matter, MatterEvent, StageRecord
from grids.models import Level, Role
from tests.conftest import first_under, make_user
from tests.matter_data import at_assembly, compound_grid

URL = "/api/v1/matters/"
DAY = "2026-11-02"


@pytest.fixture
def grid(community_a):
    return compound_grid(community_a)


def create(client, node, item=4, **extra):
    return client.post(
        URL, {"title": "选聘物业服务企业", "node": node.pk, "item": item, **extra}, format="json"
    )


def advance(client, matter_id, outcome="passed", **extra):
    return client.post(
        f"{URL}{matter_id}/advance/",
        {"outcome": outcome, "date": DAY, "participants": "业委会5人", **extra},
        format="json",
    )


def snapshot(matter_id):
    matter = Matter.objects.get(pk=matter_id)
    return (
        matter.stage,
        matter.phase,
        StageRecord.objects.filter(matter=matter).count(),
        MatterEvent.objects.filter(matter=matter).count(),
    )


def test_a_matter_is_created_waiting_for_the_owners_suggestion(api_as, alice, grid):
    response = create(api_as(alice), grid, description="现物业合同到期")
    assert response.status_code == 201, response.data
    assert response.data["stage"] == "suggest"
    assert response.data["phase"] == "deliberating"
    matter = Matter.objects.get(pk=response.data["id"])
    assert (matter.node, matter.item, matter.created_by) == (grid, 4, alice)
    assert list(matter.events.values_list("action", flat=True)) == ["created"]


def test_the_level_of_the_node_matches_the_kind_of_matter(api_as, alice, community_a, grid):
    client = api_as(alice)
    response = create(client, community_a, item=3)
    assert response.status_code == 400
    assert "小区" in str(response.data["node"]) or "grid" in str(response.data["node"])
    assert create(client, community_a, item=None).status_code == 201
    assert create(client, first_under(grid, Level.STAIRWELL), item=9).status_code == 201
    assert create(client, grid, item=10).status_code == 400
    assert Matter.objects.count() == 2


def test_the_five_stages_go_in_order(api_as, alice, grid):
    client = api_as(alice)
    matter_id = create(client, grid).data["id"]
    for expected_next in STAGES[1:]:
        response = advance(client, matter_id)
        assert response.status_code == 200, response.data
        assert response.data["stage"] == expected_next
    # The assembly of an owners' matter is its vote's (test_api_matter_vote.py).
    assert advance(client, matter_id).status_code == 409
    records = StageRecord.objects.filter(matter_id=matter_id).order_by("pk")
    assert [r.stage for r in records] == list(STAGES[:-1])
    assert records[0].participants == "业委会5人"


def test_a_community_affair_is_resolved_without_a_vote(api_as, alice, community_a):
    client = api_as(alice)
    matter_id = create(client, community_a, item=None).data["id"]
    for _stage in STAGES:
        response = advance(client, matter_id, outcome="amended")
    assert (response.data["stage"], response.data["phase"]) == ("resolve", "resolved")
    assert client.post(f"{URL}{matter_id}/vote/open/").status_code == 409


def test_a_skipped_or_repeated_stage_is_refused_and_changes_nothing(api_as, alice, grid):
    client = api_as(alice)
    matter_id = create(client, grid).data["id"]
    advance(client, matter_id)  # suggest → propose
    before = snapshot(matter_id)
    skipped = advance(client, matter_id, stage="review")
    assert skipped.status_code == 409
    assert "「" in skipped.data["detail"] or "“" in skipped.data["detail"]
    assert advance(client, matter_id, stage="suggest").status_code == 409
    assert snapshot(matter_id) == before
    assert advance(client, matter_id, stage="propose").status_code == 200


def test_bad_input_is_a_400_and_changes_nothing(api_as, alice, grid):
    client = api_as(alice)
    matter_id = create(client, grid).data["id"]
    before = snapshot(matter_id)
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    assert advance(client, matter_id, date=tomorrow).status_code == 400
    assert advance(client, matter_id, outcome="maybe").status_code == 400
    assert client.post(f"{URL}{matter_id}/advance/", {}, format="json").status_code == 400
    assert snapshot(matter_id) == before
    advance(client, matter_id)
    earlier = advance(client, matter_id, date="2026-11-01")
    assert earlier.status_code == 400  # before the stage it follows
    assert "held_on" in earlier.data


def test_a_failed_stage_stops_the_matter_until_it_is_returned(api_as, alice, grid):
    client = api_as(alice)
    matter_id = create(client, grid).data["id"]
    advance(client, matter_id)
    stopped = advance(client, matter_id, outcome="failed")
    assert (stopped.data["stage"], stopped.data["phase"]) == ("propose", "stopped")
    assert advance(client, matter_id).status_code == 409
    back = f"{URL}{matter_id}/return/"
    assert (
        client.post(back, {"to_stage": "propose", "reason": " "}, format="json").status_code == 400
    )
    assert (
        client.post(back, {"to_stage": "review", "reason": "x"}, format="json").status_code == 409
    )
    response = client.post(back, {"to_stage": "propose", "reason": "补充方案后重议"}, format="json")
    assert response.status_code == 200, response.data
    assert (response.data["stage"], response.data["phase"]) == ("propose", "deliberating")
    live = StageRecord.objects.filter(matter_id=matter_id, superseded_at__isnull=True)
    assert [r.stage for r in live] == ["suggest"]  # the failed record is kept, superseded
    assert StageRecord.objects.filter(matter_id=matter_id).count() == 2
    log = client.get(f"{URL}{matter_id}/log/").data
    assert log[-1]["action"] == "returned"
    assert (log[-1]["from_stage"], log[-1]["to_stage"], log[-1]["note"]) == (
        "propose",
        "propose",
        "补充方案后重议",
    )
    assert log[-1]["user"] == "alice"


def test_a_matter_goes_back_never_ahead(api_as, alice, grid):
    client = api_as(alice)
    matter_id = create(client, grid).data["id"]
    for _ in range(3):
        advance(client, matter_id)  # waits for the review
    back = f"{URL}{matter_id}/return/"
    assert (
        client.post(back, {"to_stage": "review", "reason": "x"}, format="json").status_code == 409
    )
    assert (
        client.post(back, {"to_stage": "resolve", "reason": "x"}, format="json").status_code == 409
    )
    response = client.post(back, {"to_stage": "propose", "reason": "方案需修改"}, format="json")
    assert response.data["stage"] == "propose"
    live = StageRecord.objects.filter(matter_id=matter_id, superseded_at__isnull=True)
    assert [r.stage for r in live] == ["suggest"]


def test_another_communitys_matters_are_out_of_sight_and_reach(api_as, alice, bob, grid):
    matter = at_assembly(alice, grid)
    client = api_as(bob)
    assert client.get(URL).data["count"] == 0
    for path in ["", "log/", "electorate/", "tally/", "milestones/"]:
        assert client.get(f"{URL}{matter.pk}/{path}").status_code == 404, path
    for path in ["advance/", "return/", "vote/open/", "vote/close/", "ballots/", "publish/"]:
        assert client.post(f"{URL}{matter.pk}/{path}", {}, format="json").status_code == 404
    assert create(client, grid).status_code == 400  # alice's node, outside bob's jurisdiction
    assert snapshot(matter.pk)[:3] == ("resolve", "deliberating", 4)


def test_a_street_official_sees_every_community_and_a_grid_leader_only_reads(
    api_as, alice, charlie, grid
):
    matter = at_assembly(alice, grid)
    assert api_as(charlie).get(URL).data["count"] == 1
    gina = make_user("gina", grid, Role.GRID_LEADER)
    reader = api_as(gina)
    assert reader.get(f"{URL}{matter.pk}/").status_code == 200
    assert create(reader, grid).status_code == 403
    assert advance(reader, matter.pk).status_code == 403


def test_the_list_and_a_matter_take_a_fixed_number_of_queries(api_as, alice, grid):
    client = api_as(alice)

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    first = at_assembly(alice, grid)
    few, one = queries(URL), queries(f"{URL}{first.pk}/")
    for _ in range(4):
        at_assembly(alice, grid)
    assert queries(URL) == few
    assert queries(f"{URL}{first.pk}/") == one
    assert few <= 6 and one <= 8, (few, one)
