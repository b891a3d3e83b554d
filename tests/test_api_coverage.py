from grids import services
from grids.models import Level, Role
from tests.conftest import first_under

URL = "/api/v1/coverage/"


def test_coverage_lists_gaps_in_scope(api_as, alice, community_a):
    stairwell = first_under(community_a, Level.STAIRWELL)
    for role in (Role.STAIRWELL_LEADER, Role.INFORMATION_OFFICER):
        services.assign(
            staff=services.create_staff(home_node=stairwell, name=role), node=stairwell, role=role
        )
    data = api_as(alice).get(URL).json()
    gaps = {g["node"]["code"]: g["missing"] for g in data["results"]}
    assert gaps[stairwell.code] == [Role.LOGISTICS_OFFICER]
    assert all(code.startswith(community_a.code) for code in gaps)
    grid = first_under(community_a, Level.GRID)
    assert set(gaps[grid.code]) == {Role.GRID_LEADER, Role.FULL_TIME_GRID_WORKER}


def test_coverage_of_another_subtree_is_400(api_as, alice, community_b):
    response = api_as(alice).get(URL, {"node": community_b.pk})
    assert response.status_code == 400
    assert "管辖范围" in response.json()["node"][0]
    assert api_as(alice).get(URL, {"node": "abc"}).status_code == 400


def test_coverage_subtree_filter(api_as, charlie, community_b):
    data = api_as(charlie).get(URL, {"node": community_b.pk}).json()
    assert data["count"] == 2 + 4 + 12
    assert all(g["node"]["code"].startswith(community_b.code) for g in data["results"])


def test_coverage_query_count_is_constant(api_as, charlie, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        api_as(charlie).get(URL)
