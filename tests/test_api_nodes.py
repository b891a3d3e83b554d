from grids.models import Level
from tests.conftest import first_under

NODES = "/api/v1/nodes/"


def codes(response) -> set[str]:
    return {n["code"] for n in response.json()["results"]}


def test_list_is_scoped(api_as, alice, community_a, community_b):
    response = api_as(alice).get(NODES)
    assert response.status_code == 200
    assert all(c.startswith(community_a.code) for c in codes(response))
    assert response.json()["count"] == 1 + 2 + 4 + 12


def test_street_official_sees_everything(api_as, charlie):
    assert api_as(charlie).get(NODES).json()["count"] == 39


def test_filters_and_search(api_as, charlie, community_a):
    client = api_as(charlie)
    assert codes(client.get(NODES, {"level": Level.COMMUNITY})) == {
        community_a.code,
        community_a.code[:-1] + "2",
    }
    assert codes(client.get(NODES, {"q": community_a.code})) >= {community_a.code}
    assert codes(client.get(NODES, {"q": community_a.name})) == {community_a.code}
    children = client.get(NODES, {"parent": community_a.pk}).json()["results"]
    assert {c["level"] for c in children} == {Level.GRID}
    assert all(c["children_count"] == 2 and c["stairwell_count"] == 6 for c in children)


def test_detail_children_subtree_ledger_of_another_community_are_404(api_as, alice, community_b):
    client = api_as(alice)
    for suffix in ("", "children/", "subtree/", "ledger/"):
        assert client.get(f"{NODES}{community_b.pk}/{suffix}").status_code == 404


def test_search_does_not_cross(api_as, alice, community_b):
    assert codes(api_as(alice).get(NODES, {"q": community_b.name})) == set()


def test_children_and_subtree(api_as, alice, community_a):
    client = api_as(alice)
    grid = first_under(community_a, Level.GRID)
    children = client.get(f"{NODES}{grid.pk}/children/").json()
    assert children["count"] == 2
    subtree = client.get(f"{NODES}{community_a.pk}/subtree/").json()
    assert subtree["count"] == 19
    assert subtree["results"][0]["code"] == community_a.code
    ledger = client.get(f"{NODES}{community_a.pk}/ledger/").json()
    assert ledger["stairwells"] == 12


def test_unauthenticated_and_unassigned(client, api_as, dave):
    assert client.get(NODES).status_code in (401, 403)
    assert api_as(dave).get(NODES).status_code == 403  # no view permission


def test_read_only(api_as, charlie, community_a):
    response = api_as(charlie).post(NODES, {"code": "1", "name": "x"})
    assert response.status_code == 405


def test_list_query_count_is_constant(api_as, charlie, django_assert_max_num_queries):
    client = api_as(charlie)
    with django_assert_max_num_queries(6):
        response = client.get(NODES, {"page_size": 100})
    assert len(response.json()["results"]) == 39 or response.json()["count"] == 39
    with django_assert_max_num_queries(6):
        client.get(f"{NODES}{charlie.staff.home_node.pk}/subtree/")


def test_token_auth(client, charlie):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=charlie)
    response = client.get(NODES, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
