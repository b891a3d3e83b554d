"""The owners' assembly vote through /api/v1/matters/{id}/: the frozen electorate (an
owner of several flats one head, the developer's flats one head), masked unless the
user may see personal data, ballots changed while open and final once closed, the
tally at its boundaries in exact fractions, the assembly recorded as the tally says,
and the jurisdiction and queries of each endpoint."""

from __future__ import annotations

from decimal import Decimal

import pytest

from deliberation.models import Ballot, Vote, Voter
from grids.models import AccessLog
from residents import services as roster
from residents.models import Flat
from tests.matter_data import (
    LI,
    TOTAL_AREA,
    TOTAL_FLATS,
    TOTAL_HEADS,
    ZHANG,
    at_assembly,
    build_roll,
    compound_grid,
)

URL = "/api/v1/matters/"


@pytest.fixture
def grid(community_a):
    grid = compound_grid(community_a)
    build_roll(grid)
    return grid


def opened(client, matter):
    response = client.post(f"{URL}{matter.pk}/vote/open/")
    assert response.status_code == 201, response.data
    return response.data


def voters_by_flat(matter) -> dict[str, Voter]:
    vote = Vote.objects.get(matter=matter, superseded_at__isnull=True)
    return {flat: voter for voter in vote.voters.all() for flat in voter.flats}


def cast(client, matter, ballots):
    return client.post(
        f"{URL}{matter.pk}/ballots/",
        {"ballots": [{"voter": v.pk, "choice": c} for v, c in ballots]},
        format="json",
    )


def test_opening_freezes_the_electorate_as_the_law_counts_it(api_as, alice, grid):
    matter = at_assembly(alice, grid)
    vote = opened(api_as(alice), matter)
    assert (vote["total_flats"], Decimal(vote["total_area"]), vote["total_heads"]) == (
        TOTAL_FLATS,
        TOTAL_AREA,
        TOTAL_HEADS,
    )
    voters = Vote.objects.get(pk=vote["id"]).voters.all()
    kinds = sorted(v.kind for v in voters)
    assert kinds.count("developer") == 1 and kinds.count("flat") == 1
    zhang = next(v for v in voters if [o["certificate"] for o in v.owners] == [ZHANG])
    assert (len(zhang.flats), zhang.area) == (3, Decimal("200.00"))
    both = next(v for v in voters if len(v.owners) == 2)
    assert sorted(o["certificate"] for o in both.owners) == sorted([ZHANG, LI])
    developer = next(v for v in voters if v.kind == "developer")
    assert (len(developer.flats), developer.area) == (2, Decimal("160.00"))
    assert api_as(alice).post(f"{URL}{matter.pk}/vote/open/").status_code == 409


def test_later_roster_edits_do_not_change_an_open_vote(api_as, alice, grid):
    matter = at_assembly(alice, grid)
    opened(api_as(alice), matter)
    before = list(Voter.objects.values_list("owners", "flats", "area"))
    flat = Flat.objects.filter(area=Decimal("90.00")).get()
    roster.update_flat(flat=flat, area=Decimal("150.00"))
    assert list(Voter.objects.values_list("owners", "flats", "area")) == before
    tally = api_as(alice).get(f"{URL}{matter.pk}/tally/").data
    assert Decimal(tally["total_area"]) == TOTAL_AREA


def test_the_electorate_is_masked_unless_the_user_may_see_personal_data(
    api_as, alice, charlie, grid
):
    matter = at_assembly(alice, grid)
    opened(api_as(alice), matter)
    masked = api_as(charlie).get(f"{URL}{matter.pk}/electorate/")
    assert masked.status_code == 200
    text = str(masked.data)
    assert ZHANG not in text and LI not in text and "张伟" not in text and "李娜" not in text
    assert "张*" in text and "330106************" in text
    assert "和达置业有限公司" not in text  # the developer's head names no owner
    assert masked.data["count"] == TOTAL_HEADS
    assert not AccessLog.objects.filter(user=charlie).exists()
    full = api_as(alice).get(f"{URL}{matter.pk}/electorate/")
    assert ZHANG in str(full.data) and "张伟" in str(full.data)
    logged = AccessLog.objects.get(user=alice)
    assert logged.count == TOTAL_HEADS


def test_ballots_change_while_open_and_are_final_once_closed(api_as, alice, grid):
    client = api_as(alice)
    matter = at_assembly(alice, grid)
    opened(client, matter)
    voters = list(voters_by_flat(matter).values())
    first = voters[0]
    assert client.post(
        f"{URL}{matter.pk}/ballots/", {"voter": first.pk, "choice": "no"}, format="json"
    ).data == {"written": 1}
    assert cast(client, matter, [(first, "no")]).data == {"written": 0}  # unchanged
    assert cast(client, matter, [(first, "yes")]).data == {"written": 1}
    rows = list(Ballot.objects.filter(voter=first).order_by("pk").values_list("choice", flat=True))
    assert rows == ["no", "yes"]
    assert Ballot.objects.get(voter=first, superseded_at__isnull=True).entered_by == alice
    # All or none: a voter twice, or one of another vote, refuses the whole request.
    count = Ballot.objects.count()
    assert cast(client, matter, [(voters[1], "yes"), (voters[1], "no")]).status_code == 400
    bad = client.post(
        f"{URL}{matter.pk}/ballots/",
        {"ballots": [{"voter": voters[1].pk, "choice": "yes"}, {"voter": 999999, "choice": "no"}]},
        format="json",
    )
    assert bad.status_code == 400
    assert client.post(f"{URL}{matter.pk}/ballots/", {}, format="json").status_code == 400
    assert Ballot.objects.count() == count
    assert client.post(f"{URL}{matter.pk}/vote/close/").status_code == 200
    assert cast(client, matter, [(first, "no")]).status_code == 409
    assert client.post(f"{URL}{matter.pk}/vote/close/").status_code == 409
    assert Ballot.objects.count() == count


def all_cast(client, matter, choices):
    """Cast by flat address → choice; returns the tally after closing."""
    by_flat = voters_by_flat(matter)
    ballots = {by_flat[flat].pk: (by_flat[flat], choice) for flat, choice in choices.items()}
    assert cast(client, matter, list(ballots.values())).status_code == 200
    assert client.post(f"{URL}{matter.pk}/vote/close/").status_code == 200
    return client.get(f"{URL}{matter.pk}/tally/").data


def flats(grid):
    return {str(f): f for f in Flat.objects.filter(stairwell__in=grid.get_descendants())}


def address(grid, room, area):
    return next(a for a, f in flats(grid).items() if f.room == room and f.area == Decimal(area))


def test_a_general_item_at_exactly_half_fails_and_one_head_more_passes(api_as, alice, grid):
    # 9 heads, 1050 m². Taking part: 张伟 (200), 张伟+李娜 (120), the developer (160),
    # o1–o3 (300): 6 heads = exactly 2/3, 780 m² ≥ 2/3 × 1050. For: 张伟, the developer
    # and o1 = 3 of 6 heads — exactly half, 460 of 780 m² more than half: not passed.
    client = api_as(alice)
    matter = at_assembly(alice, grid, item=4)
    opened(client, matter)
    rooms = {
        address(grid, "101", "90.00"): "yes",
        address(grid, "201", "120.00"): "no",
        address(grid, "301", "80.00"): "yes",
        address(grid, "501", "100.00"): "yes",
        address(grid, "502", "100.00"): "no",
        address(grid, "503", "100.00"): "abstain",
    }
    tally = all_cast(client, matter, rooms)
    assert tally["quorum_met"] is True
    assert (tally["participating_heads"], tally["participating_heads_ratio"]) == (6, "2/3")
    assert (tally["participating_area"], tally["participating_area_ratio"]) == ("780.00", "26/35")
    assert (tally["yes_heads"], tally["yes_heads_ratio"], tally["yes_area"]) == (3, "1/2", "460.00")
    assert tally["passed"] is False
    assert [c["met"] for c in tally["consent"]] == [True, False]
    assert "3 / 6 = 1/2 > 1/2" in tally["consent"][1]["sentence"]


def test_the_quorum_needs_two_thirds_of_the_area_too(api_as, alice, grid):
    # 6 of 9 heads (2/3) but 70 + 500 = 570 m² < 2/3 × 1050 (700): no quorum.
    client = api_as(alice)
    matter = at_assembly(alice, grid)
    opened(client, matter)
    rooms = {address(grid, "401", "70.00"): "yes"}
    rooms |= {address(grid, f"50{n}", "100.00"): "yes" for n in range(1, 6)}
    tally = all_cast(client, matter, rooms)
    assert tally["participating_heads_ratio"] == "2/3"
    assert (tally["participating_area"], tally["participating_area_ratio"]) == ("570.00", "19/35")
    assert (tally["quorum_met"], tally["passed"]) == (False, False)


@pytest.mark.parametrize(("item", "passed"), [(6, False), (4, True)])
def test_a_special_item_needs_three_quarters_of_both(api_as, alice, grid, item, passed):
    # Taking part: all but the ownerless flat — 8 heads, 980 m². For: 张伟+李娜 (120),
    # the developer (160), o1–o4 (400) = 6 heads, exactly 3/4 (以上: met), but 680 m² is
    # less than 3/4 of 980: item (六) fails; a general item passes with more than half.
    client = api_as(alice)
    matter = at_assembly(alice, grid, item=item)
    opened(client, matter)
    rooms = {address(grid, "201", "120.00"): "yes", address(grid, "301", "80.00"): "yes"}
    rooms |= {address(grid, f"50{n}", "100.00"): "yes" for n in range(1, 5)}
    rooms |= {address(grid, "101", "90.00"): "no", address(grid, "505", "100.00"): "abstain"}
    tally = all_cast(client, matter, rooms)
    assert (tally["participating_heads"], tally["participating_area"]) == (8, "980.00")
    assert (tally["yes_heads_ratio"], tally["yes_area"], tally["yes_area_ratio"]) == (
        "3/4",
        "680.00",
        "34/49",
    )
    assert tally["quorum_met"] is True
    assert [c["met"] for c in tally["consent"]] == [item != 6, True]
    assert tally["passed"] is passed
    if item == 6:
        assert "6 / 8 = 3/4 ≥ 3/4" in tally["consent"][1]["sentence"]
