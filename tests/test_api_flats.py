"""The flats API (issue 9 §1): read-only, scoped, its filters checked (a 400, never a 500),
documented in the schema, in as many queries for many flats as for one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import Level
from residents.models import FlatUse
from tests.conftest import first_under
from tests.test_admin_flats import Placed, more_flats, place_flats

FLATS = "/api/v1/flats/"


@pytest.fixture
def placed(community_a, community_b) -> Placed:
    return place_flats(community_a, community_b)


def addresses(response: Any) -> set[str]:
    assert response.status_code == 200, response.content[:300]
    return {row["address"] for row in response.json()["results"]}


A_FLATS = {"和达城1幢1单元101", "和达城1幢1单元102", "和达城1幢2单元201"}


def test_the_list_is_scoped(api_as, alice, bob, charlie, placed):
    assert addresses(api_as(alice).get(FLATS)) == A_FLATS
    assert addresses(api_as(bob).get(FLATS)) == {"云帆城1幢1单元101"}
    assert addresses(api_as(charlie).get(FLATS)) == A_FLATS | {"云帆城1幢1单元101"}


def test_a_flat_with_two_households(api_as, alice, placed, community_a):
    data = api_as(alice).get(f"{FLATS}{placed.a101.pk}/").json()
    stairwell = placed.stairwell_a
    assert data == {
        "id": placed.a101.pk,
        "stairwell": stairwell.pk,
        "address": "和达城1幢1单元101",
        "room": "101",
        "use": "residential",
        "housing_status": "rented",
        "area": "89.50",
        "delivery": "delivered",
        "street": community_a.parent_id,
        "community": community_a.pk,
        "grid": stairwell.parent.parent_id,
        "micro_grid": stairwell.parent_id,
        "household_count": 2,
        "resident_count": 3,  # the son who moved out is not counted
        "households": sorted([placed.h1.pk, placed.h2.pk]),
    }
    listed = {row["id"]: row for row in api_as(alice).get(FLATS).json()["results"]}
    assert listed[placed.a101.pk] == data
    assert listed[placed.a102.pk]["households"] == []


def test_another_communitys_flat_is_a_404(api_as, alice, placed):
    client = api_as(alice)
    assert client.get(f"{FLATS}{placed.b101.pk}/").status_code == 404
    assert client.get(f"{FLATS}abc/").status_code == 404
    assert client.get(f"{FLATS}99999999999999999999999/").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"vacant": "1"}, {"和达城1幢1单元102"}),
        ({"rented": "true"}, {"和达城1幢1单元101"}),
        ({"vacant": "1", "rented": "1"}, set()),
        ({"vacant": "0"}, A_FLATS),
        ({"use": "commercial"}, {"和达城1幢2单元201"}),
        ({"use": ""}, A_FLATS),  # empty: not given
    ],
)
def test_filters(api_as, alice, placed, query, expected):
    assert addresses(api_as(alice).get(FLATS, query)) == expected


def test_node_and_community_filters(api_as, alice, charlie, placed, community_a, community_b):
    client = api_as(alice)
    assert addresses(client.get(FLATS, {"node": placed.stairwell_a.pk})) == {
        "和达城1幢1单元101",
        "和达城1幢1单元102",
    }
    assert addresses(client.get(FLATS, {"node": community_a.pk})) == A_FLATS
    assert addresses(client.get(FLATS, {"community": community_a.pk})) == A_FLATS
    official = api_as(charlie)
    assert addresses(official.get(FLATS, {"node": community_a.parent_id})) == A_FLATS | {
        "云帆城1幢1单元101"
    }
    assert addresses(official.get(FLATS, {"community": community_b.pk})) == {"云帆城1幢1单元101"}


@pytest.mark.parametrize(
    "query",
    [
        {"node": "abc"},
        {"node": "0"},
        {"node": "-1"},
        {"node": "99999999999999999999999"},
        {"community": "1.5"},
        {"use": "castle"},
        {"vacant": "maybe"},
        {"rented": "x" * 1000},
        {"page": "0"},
        {"page": "abc"},
    ],
)
def test_bad_parameters_are_a_400_naming_them(api_as, alice, placed, query):
    response = api_as(alice).get(FLATS, query)
    assert response.status_code == 400, response.content[:300]
    assert set(response.json()) == set(query)


def test_a_node_or_community_outside_is_a_400(api_as, alice, placed, community_b):
    client = api_as(alice)
    for query in ({"node": community_b.pk}, {"community": community_b.pk}):
        response = client.get(FLATS, query)
        assert response.status_code == 400
        (message,) = response.json()[next(iter(query))]
        assert "管辖范围" in message
    # A node in the jurisdiction but not a community.
    grid = first_under(placed.stairwell_a.parent.parent.parent, Level.GRID)
    assert client.get(FLATS, {"community": grid.pk}).status_code == 400


def test_flats_are_read_only(api_as, alice, placed):
    client = api_as(alice)
    detail = f"{FLATS}{placed.a101.pk}/"
    # 403 where the user lacks the model permission (checked first), else 405.
    assert client.post(FLATS, {"room": "103"}, format="json").status_code == 403
    assert client.patch(detail, {"area": "1"}, format="json").status_code == 405
    assert client.put(detail, {"area": "1"}, format="json").status_code == 405
    assert client.delete(detail).status_code == 403
    placed.a101.refresh_from_db()
    assert placed.a101.area == Decimal("89.50")


def test_a_user_without_the_permission_is_refused(api_as, dave, placed):
    assert api_as(dave).get(FLATS).status_code == 403


def test_the_list_queries_do_not_grow_with_flats(api_as, alice, placed):
    client = api_as(alice)

    def counted() -> tuple[int, int]:
        assert client.get(FLATS).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            response = client.get(FLATS)
        return len(queries), len(response.json()["results"])

    few, shown = counted()
    more_flats(placed.stairwell_a, 30)
    many, shown_many = counted()
    assert (shown, shown_many) == (3, 33)
    assert many == few <= 6, (few, many)


# The schema says what the API does.


@pytest.fixture
def schema(api_as, charlie) -> dict[str, Any]:
    response = api_as(charlie).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_list_and_its_parameters_are_documented(schema):
    operation = schema["paths"][FLATS]["get"]
    documented = {p["name"]: p for p in operation["parameters"]}
    assert set(documented) == {"node", "community", "use", "vacant", "rented", "page"}
    for name in ("node", "community", "page"):
        assert documented[name]["schema"] == {"type": "integer", "minimum": 1}
    assert documented["use"]["schema"]["enum"] == list(FlatUse.values)
    assert all(p["allowEmptyValue"] for p in documented.values())
    assert all(p.get("description") for name, p in documented.items() if name != "page")
    assert {"200", "400", "403", "404"} <= set(operation["responses"])
    assert operation["tags"] == ["房屋"]
    assert set(schema["paths"][FLATS]) == {"get"}
    assert set(schema["paths"][f"{FLATS}{{id}}/"]) == {"get"}


def test_the_documented_flat_is_the_answer(schema, api_as, alice, placed):
    flat = schema["components"]["schemas"]["Flat"]
    row = api_as(alice).get(FLATS).json()["results"][0]
    assert set(flat["properties"]) == set(row)
    assert flat["properties"]["households"]["items"]["type"] == "integer"
    assert flat["properties"]["area"]["nullable"] is True
    assert all(flat["properties"][name].get("description") for name in ("address", "households"))
