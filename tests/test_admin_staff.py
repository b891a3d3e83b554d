"""Admin pages of staff and assignments: scoping by URL, posted foreign key and search."""

from django.urls import reverse

from grids import services
from grids.models import Assignment, Level, Role, Staff
from tests.conftest import first_under

STAFF_LIST = reverse("admin:grids_staff_changelist")
ASSIGNMENT_LIST = reverse("admin:grids_assignment_changelist")


def staff_form(home_node, **extra):
    data = {
        "name": "新同志",
        "phone": "13900002222",
        "party_membership": "",
        "affiliation": "resident",
        "organisation": "",
        "home_node": home_node.pk,
        "assignments-TOTAL_FORMS": 0,
        "assignments-INITIAL_FORMS": 0,
        "assignments-2-TOTAL_FORMS": 0,
        "assignments-2-INITIAL_FORMS": 0,
    }
    data.update(extra)
    return data


def test_staff_list_is_scoped(admin_as, alice, bob):
    response = admin_as(alice).get(STAFF_LIST)
    names = {s.name for s in response.context["cl"].result_list}
    assert names == {"Alice"}


def test_staff_search_does_not_cross(admin_as, alice, bob):
    response = admin_as(alice).get(STAFF_LIST, {"q": "Bob"})
    assert list(response.context["cl"].result_list) == []


def test_other_staff_by_url_is_404(admin_as, alice, bob):
    client = admin_as(alice)
    assert client.get(reverse("admin:grids_staff_change", args=[bob.staff.pk])).status_code == 404


def test_add_staff_with_an_inline_assignment(admin_as, alice, community_a):
    stairwell = first_under(community_a, Level.STAIRWELL)
    response = admin_as(alice).post(
        reverse("admin:grids_staff_add"),
        staff_form(
            community_a,
            **{
                "assignments-TOTAL_FORMS": 1,
                "assignments-0-node": stairwell.pk,
                "assignments-0-role": Role.STAIRWELL_LEADER,
                "assignments-0-started_on": "2026-11-01",
            },
        ),
    )
    assert response.status_code == 302
    staff = Staff.objects.get(name="新同志")
    assert staff.assignments.get().node == stairwell


def test_posted_home_node_outside_is_rejected(admin_as, alice, community_b):
    count = Staff.objects.count()
    response = admin_as(alice).post(reverse("admin:grids_staff_add"), staff_form(community_b))
    assert response.status_code == 200
    assert "home_node" in response.context["adminform"].form.errors
    assert Staff.objects.count() == count


def test_posted_inline_node_outside_is_rejected(admin_as, alice, community_a, community_b):
    count = Assignment.objects.count()
    response = admin_as(alice).post(
        reverse("admin:grids_staff_add"),
        staff_form(
            community_a,
            **{
                "assignments-TOTAL_FORMS": 1,
                "assignments-0-node": community_b.pk,
                "assignments-0-role": Role.VOLUNTEER,
                "assignments-0-started_on": "2026-11-01",
            },
        ),
    )
    assert response.status_code == 200
    assert Assignment.objects.count() == count
    assert not Staff.objects.filter(name="新同志").exists()


def test_role_at_wrong_level_shows_a_chinese_error(admin_as, alice, community_a):
    response = admin_as(alice).post(
        reverse("admin:grids_staff_add"),
        staff_form(
            community_a,
            **{
                "assignments-TOTAL_FORMS": 1,
                "assignments-0-node": community_a.pk,
                "assignments-0-role": Role.STAIRWELL_LEADER,
                "assignments-0-started_on": "2026-11-01",
            },
        ),
    )
    assert response.status_code == 200
    assert "不能在社区任职" in response.content.decode()
    assert not Staff.objects.filter(name="新同志").exists()


def test_assignment_list_is_scoped_and_posted_node_rejected(admin_as, alice, bob, community_b):
    client = admin_as(alice)
    listed = client.get(ASSIGNMENT_LIST).context["cl"].result_list
    assert {a.staff.name for a in listed} == {"Alice"}
    mine = services.create_staff(home_node=alice.staff.home_node, name="甲")
    response = client.post(
        reverse("admin:grids_assignment_add"),
        {
            "staff": mine.pk,
            "node": community_b.pk,
            "role": Role.VOLUNTEER,
            "started_on": "2026-11-01",
        },
    )
    assert response.status_code == 200
    assert not Assignment.objects.filter(staff=mine).exists()


def test_staff_and_assignment_lists_query_counts(
    admin_as, charlie, street, django_assert_max_num_queries
):
    for i in range(15):
        staff = services.create_staff(home_node=street, name=f"员{i}")
        services.assign(staff=staff, node=street, role=Role.VOLUNTEER)
    client = admin_as(charlie)
    client.get(STAFF_LIST)
    # Ten, and the unread count by the header's inbox link (every admin page).
    with django_assert_max_num_queries(11):
        client.get(STAFF_LIST)
    with django_assert_max_num_queries(11):
        client.get(ASSIGNMENT_LIST)


def test_staff_phones_are_masked_without_the_permission_and_audited_with_it(
    admin_as, alice, community_a
):
    from grids.models import AccessLog, Level, Role
    from tests.conftest import make_user

    micro = first_under(community_a, Level.MICRO_GRID)
    services.create_staff(home_node=micro, name="楼道长王", phone="13912345678")
    frank = make_user("frank", micro, Role.MICRO_GRID_LEADER)
    page = admin_as(frank).get(STAFF_LIST).content.decode()
    assert "139****5678" in page and "13912345678" not in page
    assert not AccessLog.objects.exists()
    # a partial phone does not probe masked digits; a full one finds the person
    assert [
        s.name for s in admin_as(frank).get(STAFF_LIST, {"q": "1391234"}).context["cl"].result_list
    ] == []
    assert [
        s.name
        for s in admin_as(frank).get(STAFF_LIST, {"q": "13912345678"}).context["cl"].result_list
    ] == ["楼道长王"]
    page = admin_as(alice).get(STAFF_LIST).content.decode()
    assert "13912345678" in page
    assert AccessLog.objects.get().user == alice
