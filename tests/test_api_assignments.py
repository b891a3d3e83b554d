import datetime

from grids import services
from grids.models import Assignment, Level, Role
from tests.conftest import first_under

URL = "/api/v1/assignments/"


def test_list_is_scoped(api_as, alice, bob):
    results = api_as(alice).get(URL).json()["results"]
    assert {r["staff_name"] for r in results} == {"Alice"}


def test_create_and_end(api_as, alice, community_a):
    staff = services.create_staff(home_node=community_a, name="楼道长甲")
    stairwell = first_under(community_a, Level.STAIRWELL)
    client = api_as(alice)
    response = client.post(
        URL, {"staff": staff.pk, "node": stairwell.pk, "role": Role.STAIRWELL_LEADER}
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    ended = client.post(f"{URL}{pk}/end/", {"ended_on": datetime.date.today().isoformat()})
    assert ended.status_code == 200
    assert Assignment.objects.get(pk=pk).ended_on is not None


def test_role_at_wrong_level_is_400(api_as, alice, community_a):
    staff = services.create_staff(home_node=community_a, name="某人")
    response = api_as(alice).post(
        URL, {"staff": staff.pk, "node": community_a.pk, "role": Role.GRID_LEADER}
    )
    assert response.status_code == 400
    assert not Assignment.objects.filter(staff=staff).exists()


def test_posting_a_node_or_staff_outside_is_rejected(api_as, alice, bob, community_a, community_b):
    mine = services.create_staff(home_node=community_a, name="本社区")
    client = api_as(alice)
    r1 = client.post(URL, {"staff": mine.pk, "node": community_b.pk, "role": Role.VOLUNTEER})
    r2 = client.post(URL, {"staff": bob.staff.pk, "node": community_a.pk, "role": Role.VOLUNTEER})
    assert r1.status_code == 400 and "node" in r1.json()
    assert r2.status_code == 400 and "staff" in r2.json()
    assert not Assignment.objects.filter(role=Role.VOLUNTEER).exists()


def test_other_communitys_assignment_is_404(api_as, alice, bob):
    pk = bob.staff.assignments.get().pk
    client = api_as(alice)
    assert client.get(f"{URL}{pk}/").status_code == 404
    assert client.post(f"{URL}{pk}/end/", {}).status_code == 404
    assert Assignment.objects.get(pk=pk).ended_on is None


def test_ending_before_the_start_is_refused(api_as, charlie, alice):
    assignment = alice.staff.assignments.get()
    response = api_as(charlie).post(f"{URL}{assignment.pk}/end/", {"ended_on": "2020-01-01"})
    assert response.status_code == 400
    assert Assignment.objects.get(pk=assignment.pk).ended_on is None


def test_an_ended_assignment_ends_the_jurisdiction_and_the_group(community_a):
    from grids.jurisdiction import compute_scope
    from tests.conftest import make_user

    erin = make_user("erin")
    staff = services.create_staff(home_node=community_a, name="Erin", user=erin)
    today = datetime.date.today()
    assignment = services.assign(
        staff=staff,
        node=community_a,
        role=Role.COMMUNITY_WORKER,
        started_on=today - datetime.timedelta(days=30),
    )
    assert not compute_scope(erin).is_empty and erin.groups.count() == 1
    services.end_assignment(assignment=assignment, ended_on=today - datetime.timedelta(days=1))
    assert compute_scope(erin).is_empty
    assert not erin.groups.exists()


def test_list_query_count(api_as, charlie, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        api_as(charlie).get(URL)
