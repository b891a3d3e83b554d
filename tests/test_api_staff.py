from grids import services
from grids.models import Level, Role, Staff
from tests.conftest import first_under

STAFF = "/api/v1/staff/"


def test_list_is_scoped(api_as, alice, bob, community_b):
    services.create_staff(home_node=community_b, name="乙社区专员")
    names = {s["name"] for s in api_as(alice).get(STAFF).json()["results"]}
    assert "Alice" in names
    assert "Bob" not in names and "乙社区专员" not in names


def test_staff_assigned_into_my_jurisdiction_is_visible(api_as, alice, community_a, community_b):
    outsider = services.create_staff(home_node=community_b, name="派出所民警")
    services.assign(
        staff=outsider, node=first_under(community_a, Level.GRID), role=Role.PART_TIME_GRID_WORKER
    )
    names = {s["name"] for s in api_as(alice).get(STAFF).json()["results"]}
    assert "派出所民警" in names


def test_detail_of_other_community_is_404(api_as, alice, bob):
    assert api_as(alice).get(f"{STAFF}{bob.staff.pk}/").status_code == 404
    assert api_as(alice).patch(f"{STAFF}{bob.staff.pk}/", {"name": "x"}).status_code == 404


def test_create_in_jurisdiction(api_as, alice, community_a):
    response = api_as(alice).post(
        STAFF,
        {
            "name": "陈静",
            "phone": "13800001111",
            "home_node": community_a.pk,
            "party_membership": "registered",
        },
    )
    assert response.status_code == 201, response.json()
    assert Staff.objects.get(name="陈静").home_node == community_a


def test_create_with_posted_node_outside_is_rejected(api_as, alice, community_b):
    count = Staff.objects.count()
    response = api_as(alice).post(STAFF, {"name": "越界", "home_node": community_b.pk})
    assert response.status_code == 400
    assert "home_node" in response.json()
    assert Staff.objects.count() == count


def test_bad_phone_is_rejected(api_as, alice, community_a):
    response = api_as(alice).post(STAFF, {"name": "x", "phone": "abc", "home_node": community_a.pk})
    assert response.status_code == 400


def test_search_does_not_cross(api_as, alice, bob):
    assert api_as(alice).get(STAFF, {"q": "Bob"}).json()["count"] == 0


def test_list_query_count(api_as, charlie, street, django_assert_max_num_queries):
    for i in range(20):
        services.create_staff(home_node=street, name=f"员工{i}")
    with django_assert_max_num_queries(6):
        response = api_as(charlie).get(STAFF)
    assert response.json()["count"] >= 20


def test_api_masks_phones_unless_permitted(api_as, alice, community_a):
    from grids.models import AccessLog, Level
    from tests.conftest import first_under, make_user

    micro = first_under(community_a, Level.MICRO_GRID)
    services.create_staff(home_node=micro, name="信息员李", phone="13812345678")
    frank = make_user("frank", micro, Role.MICRO_GRID_LEADER)
    phones = {s["name"]: s["phone"] for s in api_as(frank).get(STAFF).json()["results"]}
    assert phones["信息员李"] == "138****5678"
    assert not AccessLog.objects.exists()
    phones = {s["name"]: s["phone"] for s in api_as(alice).get(STAFF).json()["results"]}
    assert phones["信息员李"] == "13812345678"
    assert AccessLog.objects.count() == 1
