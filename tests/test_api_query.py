"""Query parameters of the API lists: a bad value is a 400 in Chinese, never silently ignored.

Each list declares what it reads (grids.api_query.read_query); `page` is
checked by the API's paginator. Before, `?page=0` was a 404, `?level=99` an
empty list, and `?community=abc`, `?household=x` or `?recent=maybe` were
dropped, answering the whole unfiltered list.
"""

import re

import pytest

from grids.models import Level, Node
from residents.models import Household

CJK = re.compile(r"[\u4e00-\u9fff]")


def refused(response, parameter: str) -> str:
    """The 400's message for `parameter`, which must be in Chinese."""
    assert response.status_code == 400, response.content
    messages = response.json()[parameter]
    assert CJK.search(messages[0]), messages
    return messages[0]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "١", "2e3", "x" * 10_000])
def test_a_page_that_is_no_page_number_is_400(api_as, charlie, page):
    message = refused(api_as(charlie).get("/api/v1/nodes/", {"page": page}), "page")
    assert "页码" in message


def test_pages_in_and_past_the_range(api_as, charlie):
    client = api_as(charlie)
    assert client.get("/api/v1/nodes/", {"page": "1"}).status_code == 200
    assert client.get("/api/v1/nodes/", {"page": "last"}).status_code == 200
    assert client.get("/api/v1/nodes/", {"page": ""}).status_code == 200  # empty: not given
    assert client.get("/api/v1/nodes/", {"page": "2"}).status_code == 404
    assert client.get("/api/v1/nodes/", {"page": str(10**20)}).status_code == 404
    # Every list pages the same way, the coverage list and the actions' lists too.
    assert client.get("/api/v1/coverage/", {"page": "0"}).status_code == 400
    node = Node.objects.get(level=Level.STREET)
    assert client.get(f"/api/v1/nodes/{node.pk}/subtree/", {"page": "abc"}).status_code == 400


@pytest.mark.parametrize("level", ["99", "-1", "abc", "1.5"])
def test_a_level_that_is_no_level_is_400(api_as, charlie, level):
    refused(api_as(charlie).get("/api/v1/nodes/", {"level": level}), "level")


def test_a_level_filters(api_as, charlie):
    results = api_as(charlie).get("/api/v1/nodes/", {"level": Level.COMMUNITY}).json()["results"]
    assert {n["level"] for n in results} == {Level.COMMUNITY} and len(results) == 2


@pytest.mark.parametrize(
    ("url", "parameter", "value"),
    [
        ("/api/v1/households/", "community", "abc"),
        ("/api/v1/households/", "community", "-5"),
        ("/api/v1/households/", "housing_status", "palace"),
        ("/api/v1/households/", "rented", "maybe"),
        ("/api/v1/households/", "node", "1e3"),
        ("/api/v1/persons/", "household", "x"),
        ("/api/v1/persons/", "list", "everyone"),
        ("/api/v1/persons/", "node", str(10**30)),
        ("/api/v1/life-events/", "recent", "yesterday"),
        ("/api/v1/visits/", "node", "0"),
        ("/api/v1/assignments/", "staff", "abc"),
        ("/api/v1/assignments/", "node", "1.5"),
        ("/api/v1/assignments/", "current", "perhaps"),
        ("/api/v1/nodes/", "parent", "abc"),
        ("/api/v1/coverage/", "node", "abc"),
        ("/api/v1/staff/", "q", "x" * 10_000),
        ("/api/v1/persons/", "q", "张" * 101),
    ],
)
def test_bad_values_are_400_not_ignored(api_as, alice, roster, url, parameter, value):
    refused(api_as(alice).get(url, {parameter: value}), parameter)


def test_ids_outside_the_jurisdiction_are_400(api_as, alice, roster, community_b):
    client = api_as(alice)
    b1 = Household.objects.get(number="B1")
    assert "管辖范围" in refused(client.get("/api/v1/persons/", {"household": b1.pk}), "household")
    refused(client.get("/api/v1/households/", {"community": community_b.pk}), "community")
    refused(client.get("/api/v1/nodes/", {"parent": community_b.pk}), "parent")
    refused(client.get("/api/v1/assignments/", {"node": community_b.pk}), "node")


def test_good_values_filter(api_as, alice, roster, community_a):
    client = api_as(alice)
    a1 = Household.objects.get(number="A1")
    names = {
        p["name"] for p in client.get("/api/v1/persons/", {"household": a1.pk}).json()["results"]
    }
    assert names == {"张伟", "李娜"}
    households = client.get("/api/v1/households/", {"community": community_a.pk}).json()
    assert households["count"] == 3
    rented = client.get("/api/v1/households/", {"housing_status": "rented"}).json()
    assert [h["number"] for h in rented["results"]] == ["A2"]
    current = client.get("/api/v1/assignments/", {"current": "true", "staff": alice.staff.pk})
    assert current.json()["count"] == 1


def test_empty_and_unknown_parameters_are_not_given(api_as, alice, roster):
    client = api_as(alice)
    everything = client.get("/api/v1/households/").json()["count"]
    for params in ({"community": "", "node": "", "rented": ""}, {"colour": "blue"}, {"id": "1"}):
        response = client.get("/api/v1/households/", params)
        assert response.status_code == 200
        assert response.json()["count"] == everything


def test_a_search_term_of_spaces_searches_nothing(api_as, alice, roster):
    client = api_as(alice)
    assert client.get("/api/v1/persons/", {"q": "   "}).json()["count"] == 4
