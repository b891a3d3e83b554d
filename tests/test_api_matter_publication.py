"""After the vote, through /api/v1/matters/{id}/: the assembly recorded as the tally
decided, a return that supersedes the vote, the resolution published with its totals
and publicity period (objections within it), the implementation's milestones and
spending, and the result published only when everything is done; the electorate and
the tally in a fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deliberation.models import Matter, Publication, StageRecord, Vote
from tests.matter_data import at_assembly, build_roll, compound_grid
from tests.test_api_matter_vote import cast, opened, voters_by_flat

URL = "/api/v1/matters/"


@pytest.fixture
def grid(community_a):
    grid = compound_grid(community_a)
    build_roll(grid)
    return grid


def voted(client, matter, choice="yes"):
    """Every head casts `choice`; the vote is closed."""
    opened(client, matter)
    heads = {v.pk: v for v in voters_by_flat(matter).values()}
    assert cast(client, matter, [(v, choice) for v in heads.values()]).status_code == 200
    assert client.post(f"{URL}{matter.pk}/vote/close/").status_code == 200


def assemble(client, matter, outcome):
    return client.post(
        f"{URL}{matter.pk}/advance/",
        {"outcome": outcome, "date": timezone.localdate().isoformat()},
        format="json",
    )


def test_the_assembly_is_recorded_as_the_tally_decided(api_as, alice, grid):
    client = api_as(alice)
    matter = at_assembly(alice, grid)
    assert assemble(client, matter, "passed").status_code == 409  # no vote yet
    opened(client, matter)
    assert assemble(client, matter, "passed").status_code == 409  # still open
    heads = {v.pk: v for v in voters_by_flat(matter).values()}.values()
    assert cast(client, matter, [(v, "yes") for v in heads]).status_code == 200
    client.post(f"{URL}{matter.pk}/vote/close/")
    assert assemble(client, matter, "failed").status_code == 409
    assert assemble(client, matter, "amended").status_code == 409
    response = assemble(client, matter, "passed")
    assert (response.data["phase"], response.data["stage"]) == ("resolved", "resolve")


def test_a_vote_voted_down_stops_the_matter_and_its_result_is_published(api_as, alice, grid):
    client = api_as(alice)
    matter = at_assembly(alice, grid)
    voted(client, matter, "no")
    assert assemble(client, matter, "failed").data["phase"] == "stopped"
    response = client.post(f"{URL}{matter.pk}/publish/", {"what": "resolution"}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["totals"]["passed"] is False
    assert Matter.objects.get(pk=matter.pk).phase == "finished"


def test_a_return_supersedes_the_vote_and_a_new_one_opens_later(api_as, alice, grid):
    client = api_as(alice)
    matter = at_assembly(alice, grid)
    voted(client, matter)
    assemble(client, matter, "passed")
    response = client.post(
        f"{URL}{matter.pk}/return/",
        {"to_stage": "review", "reason": "业主反映票数有误"},
        format="json",
    )
    assert response.data["stage"] == "review"
    assert Vote.objects.get(matter=matter).superseded_at is not None
    live = StageRecord.objects.filter(matter=matter, superseded_at__isnull=True)
    assert [r.stage for r in live] == ["suggest", "propose", "consult"]
    assert client.get(f"{URL}{matter.pk}/tally/").status_code == 409  # no live vote
    client.post(
        f"{URL}{matter.pk}/advance/",
        {"outcome": "passed", "date": timezone.localdate().isoformat()},
        format="json",
    )
    opened(client, matter)
    assert Vote.objects.filter(matter=matter).count() == 2


def test_resolution_publicity_objections_milestones_and_the_result(api_as, alice, grid):
    client = api_as(alice)
    matter = at_assembly(alice, grid)
    publish = f"{URL}{matter.pk}/publish/"
    assert client.post(publish, {"what": "resolution"}, format="json").status_code == 409
    voted(client, matter)
    assemble(client, matter, "passed")
    # Milestones are planned once resolved, before the resolution is out.
    milestone = client.post(
        f"{URL}{matter.pk}/milestones/",
        {"title": "招标", "planned_on": "2026-12-10"},
        format="json",
    )
    assert milestone.status_code == 201, milestone.data
    response = client.post(
        publish, {"what": "resolution", "text": "决议：选聘某物业"}, format="json"
    )
    assert response.status_code == 201, response.data
    totals = response.data["totals"]
    assert totals["passed"] is True and totals["yes_heads_ratio"] == "1/1"
    today = timezone.localdate()
    assert response.data["publicity_until"] == (today + datetime.timedelta(days=7)).isoformat()
    assert client.post(publish, {"what": "resolution"}, format="json").status_code == 409
    back = {"to_stage": "resolve", "reason": "x"}
    assert client.post(f"{URL}{matter.pk}/return/", back, format="json").status_code == 409
    objection = client.post(
        f"{URL}{matter.pk}/objections/",
        {"received_on": today.isoformat(), "text": "对选聘结果有异议", "answer": "已复核"},
        format="json",
    )
    assert objection.status_code == 201, objection.data
    late = (today + datetime.timedelta(days=8)).isoformat()
    assert (
        client.post(
            f"{URL}{matter.pk}/objections/", {"received_on": late, "text": "x"}, format="json"
        ).status_code
        == 400
    )
    # The result waits for the publicity period, every milestone and the final report.
    implementation = {"what": "implementation"}
    assert client.post(publish, implementation, format="json").status_code == 409
    Publication.objects.filter(matter=matter).update(
        publicity_until=today - datetime.timedelta(days=1)
    )  # the period has passed
    assert client.post(publish, implementation, format="json").status_code == 409
    mid = milestone.data["id"]
    halfway = client.patch(
        f"{URL}{matter.pk}/milestones/{mid}/", {"progress": 60}, format="json"
    ).data
    assert (halfway["status"], halfway["progress"]) == ("in_progress", 60)
    assert client.get(f"{URL}{matter.pk}/").data["progress"] == 60
    assert (
        client.patch(f"{URL}{matter.pk}/milestones/{mid}/", {"progress": 101}, format="json")
    ).status_code == 400
    client.patch(f"{URL}{matter.pk}/milestones/{mid}/", {"status": "done"}, format="json")
    assert client.post(publish, implementation, format="json").status_code == 409  # no report
    spent = client.patch(
        f"{URL}{matter.pk}/implementation/",
        {"spent": "12000.50", "budget": "15000", "final_report": "已完成选聘并签约"},
        format="json",
    )
    assert spent.status_code == 200, spent.data
    assert (spent.data["spent"], spent.data["progress"]) == ("12000.50", 100)
    result = client.post(publish, implementation, format="json")
    assert result.status_code == 201, result.data
    assert result.data["totals"] == {"budget": "15000.00", "spent": "12000.50"}
    assert Matter.objects.get(pk=matter.pk).phase == "finished"
    actions = [e["action"] for e in client.get(f"{URL}{matter.pk}/log/").data]
    assert actions.count("published") == 2 and "objection" in actions


def test_another_communitys_user_cannot_touch_milestones_or_objections(api_as, alice, bob, grid):
    client = api_as(alice)
    matter = at_assembly(alice, grid)
    voted(client, matter)
    assemble(client, matter, "passed")
    mid = client.post(
        f"{URL}{matter.pk}/milestones/",
        {"title": "招标", "planned_on": "2026-12-10"},
        format="json",
    ).data["id"]
    other = api_as(bob)
    assert (
        other.patch(f"{URL}{matter.pk}/milestones/{mid}/", {"progress": 5}, format="json")
    ).status_code == 404
    assert other.patch(f"{URL}{matter.pk}/implementation/", {}, format="json").status_code == 404
    assert other.post(f"{URL}{matter.pk}/objections/", {}, format="json").status_code == 404


def test_the_electorate_and_the_tally_take_a_fixed_number_of_queries(api_as, alice, grid):
    client = api_as(alice)
    matter = at_assembly(alice, grid)
    opened(client, matter)

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    empty = queries(f"{URL}{matter.pk}/electorate/"), queries(f"{URL}{matter.pk}/tally/")
    heads = {v.pk: v for v in voters_by_flat(matter).values()}.values()
    assert cast(client, matter, [(v, "yes") for v in heads]).status_code == 200
    assert (queries(f"{URL}{matter.pk}/electorate/"), queries(f"{URL}{matter.pk}/tally/")) == empty
    assert empty[0] <= 7 and empty[1] <= 5, empty
