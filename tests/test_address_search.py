"""Searching what the pages show: a household by its displayed address, a stairwell
by its compound and name — in the admin lists, the stairwell picker and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grids.models import Level, Node
from residents.models import Household

HOUSEHOLDS = reverse("admin:residents_household_changelist")


def _found(client, term: str) -> set[str]:
    page = client.get(HOUSEHOLDS, {"q": term})
    assert page.status_code == 200
    return {h.number for h in page.context["cl"].result_list}


@pytest.mark.parametrize(
    "term", ["和达城1幢1单元101", "和达城1幢1单元101室", "和达城 1幢1单元 101", "和达城1-1-101"]
)
def test_a_household_is_found_by_its_address(admin_as, alice, roster, term):
    assert _found(admin_as(alice), term) == {"A1"}


def test_a_stairwell_as_shown_finds_its_households(admin_as, alice, roster):
    stairwell = Household.objects.get(number="A1").stairwell
    expected = set(Household.objects.filter(stairwell=stairwell).values_list("number", flat=True))
    assert _found(admin_as(alice), stairwell.display_name) == expected


def test_another_community_finds_nothing_by_address(admin_as, bob, roster):
    assert _found(admin_as(bob), "和达城1幢1单元101") == set()


def test_the_api_finds_a_household_by_its_address(api_as, alice, bob, roster):
    url = "/api/v1/households/"
    assert [
        h["number"] for h in api_as(alice).get(url, {"q": "和达城1幢1单元101"}).json()["results"]
    ] == ["A1"]
    assert api_as(bob).get(url, {"q": "和达城1幢1单元101"}).json()["results"] == []


def test_the_node_list_finds_a_stairwell_as_shown(admin_as, alice, roster):
    stairwell = Household.objects.get(number="A1").stairwell
    page = admin_as(alice).get(
        reverse("admin:grids_node_changelist"), {"q": stairwell.display_name}
    )
    assert [n.pk for n in page.context["cl"].result_list] == [stairwell.pk]
    building = stairwell.display_name.split("幢")[0] + "幢"  # 和达城1幢: every unit of the building
    page = admin_as(alice).get(reverse("admin:grids_node_changelist"), {"q": building})
    found = {n.pk for n in page.context["cl"].result_list}
    assert stairwell.pk in found
    assert all(
        n.level == Level.STAIRWELL and n.building == stairwell.building
        for n in Node.objects.filter(pk__in=found)
    )


def test_the_stairwell_picker_finds_a_stairwell_as_shown(admin_as, alice, bob, roster):
    stairwell = Household.objects.get(number="A1").stairwell
    query = {
        "app_label": "residents",
        "model_name": "household",
        "field_name": "stairwell",
        "term": stairwell.display_name,
    }
    results = admin_as(alice).get(reverse("admin:autocomplete"), query).json()["results"]
    assert [r["id"] for r in results] == [str(stairwell.pk)]
    assert admin_as(bob).get(reverse("admin:autocomplete"), query).json()["results"] == []
