"""Matters in the admin: creating one, the five deliberations recorded in order from the
matter's page (a page left open on a stage someone else recorded is refused in Chinese,
nothing changed), a return with its reason, paper ballots and the tally sheet, the
jurisdiction of every page and step, and the queries of the list and the page."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deliberation.models import Ballot, Matter, StageRecord
from grids.models import Role
from tests.conftest import make_user
from tests.matter_data import at_assembly, build_roll, compound_grid

LIST = "/admin/deliberation/matter/"
DAY = "2026-11-02"


@pytest.fixture
def grid(community_a):
    return compound_grid(community_a)


def page(matter):
    return f"{LIST}{matter.pk}/change/"


def step(client, matter, name, **data):
    """The messages the matter's page shows after the step (the redirect followed)."""
    response = client.post(f"{LIST}{matter.pk}/step/{name}/", data, follow=True)
    assert response.redirect_chain[0][1] == 302
    return [str(m) for m in response.context["messages"]]


def record(client, matter, outcome="passed", **extra):
    fresh = Matter.objects.get(pk=matter.pk)
    data = {"outcome": outcome, "held_on": DAY, "participants": "业委会5人", "stage": fresh.stage}
    return step(client, matter, "advance", **{**data, **extra})


def test_a_matter_is_created_from_the_admin(admin_as, alice, grid):
    client = admin_as(alice)
    form = client.get(f"{LIST}add/")
    assert form.status_code == 200 and "非业主共同决定事项" in form.content.decode()
    response = client.post(
        f"{LIST}add/", {"title": "加装电梯", "node": grid.pk, "item": "8", "description": "1幢"}
    )
    matter = Matter.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(page(matter))
    assert (matter.item, matter.node, matter.stage) == (8, grid, "suggest")
    bad = client.post(f"{LIST}add/", {"title": "x", "node": grid.pk, "item": "12"})
    assert bad.status_code == 200 and Matter.objects.count() == 1


def test_the_page_records_the_stages_in_order(admin_as, alice, grid):
    client = admin_as(alice)
    matter = Matter.objects.get(
        pk=client.post(f"{LIST}add/", {"title": "选聘物业", "node": grid.pk, "item": "4"})[
            "Location"
        ].split("/")[-3]
    )
    html = client.get(page(matter)).content.decode()
    for label in ["业主建议", "业委会提议", "小区党支部商议", "社区党组织审议", "业主大会决议"]:
        assert label in html
    assert 'id="step-advance"' in html
    assert record(client, matter) == ["已完成：登记本环节。"]
    # A page left open on the first stage, posted again after someone recorded it.
    stale = record(client, matter, stage="suggest")
    assert stale and "不能登记「业主建议」" in stale[0] and "依次登记" in stale[0]
    assert StageRecord.objects.filter(matter=matter).count() == 1
    record(client, matter)
    record(client, matter)
    record(client, matter)
    matter.refresh_from_db()
    assert matter.stage == "resolve"
    html = client.get(page(matter)).content.decode()
    assert 'id="step-open_vote"' in html and 'id="step-advance"' not in html


def test_bad_input_names_the_field_in_chinese_and_changes_nothing(admin_as, alice, grid):
    client = admin_as(alice)
    matter = at_assembly(alice, grid)
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    for data in [{"outcome": "maybe"}, {"held_on": "not a date"}, {"held_on": future}]:
        messages = record(client, matter, **data)
        assert messages and ("请" in messages[0] or "不能" in messages[0]), messages
    said = step(client, matter, "return", to_stage="consult", reason="")
    assert "原因" in said[0]
    assert StageRecord.objects.filter(matter=matter).count() == 4
    assert Matter.objects.get(pk=matter.pk).stage == "resolve"


def test_a_return_from_the_page_is_logged_with_its_reason(admin_as, alice, grid):
    client = admin_as(alice)
    matter = at_assembly(alice, grid)
    assert step(client, matter, "return", to_stage="propose", reason="方案需补充") == [
        "已完成：退回前一环节。"
    ]
    html = client.get(page(matter)).content.decode()
    assert "方案需补充" in html and "已作废的议事记录" in html
    ahead = step(client, matter, "return", to_stage="review", reason="x")
    assert "不能向后跳" in ahead[0]


def test_paper_ballots_and_the_tally_sheet(admin_as, alice, charlie, grid):
    build_roll(grid)
    client = admin_as(alice)
    matter = at_assembly(alice, grid)
    step(client, matter, "open_vote")
    ballots = client.get(f"{LIST}{matter.pk}/ballots/")
    assert ballots.status_code == 200
    html = ballots.content.decode()
    assert "张伟" in html  # alice may see personal data
    assert "张*" in admin_as(charlie).get(f"{LIST}{matter.pk}/ballots/").content.decode()
    vote = matter.votes.get()
    voters = list(vote.voters.order_by("pk"))
    data = {f"voter_{v.pk}": "yes" for v in voters[:7]} | {f"voter_{voters[7].pk}": "no"}
    saved = client.post(f"{LIST}{matter.pk}/ballots/", data)
    assert saved.status_code == 302
    assert Ballot.objects.count() == 8
    client.post(f"{LIST}{matter.pk}/ballots/", data)  # the same again: nothing written
    assert Ballot.objects.count() == 8
    sheet = client.get(f"{LIST}{matter.pk}/tally/").content.decode()
    assert "参与表决业主的专有部分面积" in sheet and "：满足" in sheet
    assert "议题通过。" in sheet and "print.js" in sheet
    step(client, matter, "close_vote")
    assert record(client, matter) == ["已完成：登记本环节。"]
    assert Matter.objects.get(pk=matter.pk).phase == "resolved"


def test_another_communitys_pages_and_steps_are_out_of_reach(admin_as, alice, bob, grid):
    matter = at_assembly(alice, grid)
    client = admin_as(bob)
    assert matter.title not in client.get(LIST).content.decode()
    assert client.get(page(matter)).status_code == 404
    assert client.get(f"{LIST}{matter.pk}/tally/").status_code == 404
    assert client.get(f"{LIST}{matter.pk}/ballots/").status_code == 404
    response = client.post(
        f"{LIST}{matter.pk}/step/advance/",
        {"outcome": "passed", "held_on": DAY, "stage": "resolve"},
    )
    assert response.status_code == 404
    assert StageRecord.objects.filter(matter=matter).count() == 4


def test_a_reader_sees_the_page_without_steps_and_cannot_take_one(admin_as, alice, grid):
    matter = Matter.objects.get(pk=at_assembly(alice, grid, item=None).pk)
    gina = make_user("gina", grid, Role.GRID_LEADER)
    client = admin_as(gina)
    html = client.get(page(matter)).content.decode()
    assert matter.title in html and 'id="matter-steps"' not in html
    refused = record(client, matter)
    assert "您不能" in refused[0]
    assert StageRecord.objects.filter(matter=matter).count() == 4


def test_the_list_and_the_page_take_a_fixed_number_of_queries(admin_as, alice, grid):
    build_roll(grid)
    client = admin_as(alice)

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    first = at_assembly(alice, grid)
    step(client, first, "open_vote")
    few, one = queries(LIST), queries(page(first))
    for _ in range(4):
        at_assembly(alice, grid)
    voters = first.votes.get().voters.all()
    client.post(f"{LIST}{first.pk}/ballots/", {f"voter_{v.pk}": "yes" for v in voters})
    assert queries(LIST) == few
    assert queries(page(first)) == one


def test_the_ballots_page_and_tally_sheet_take_a_fixed_number_of_queries(admin_as, alice, grid):
    build_roll(grid)
    client = admin_as(alice)
    matter = at_assembly(alice, grid)
    step(client, matter, "open_vote")

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    paths = [f"{LIST}{matter.pk}/ballots/", f"{LIST}{matter.pk}/tally/"]
    before = [queries(p) for p in paths]
    voters = matter.votes.get().voters.all()
    client.post(paths[0], {f"voter_{v.pk}": "yes" for v in voters})
    assert [queries(p) for p in paths] == before
