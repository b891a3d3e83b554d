"""Flats in the admin (issue 9 §1): the list, a flat's page with its households and owners,
a stairwell's flats on its page; all scoped, and in as many queries for many rows as few."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from grids import roles
from grids.models import Level, Node, Role
from residents import services
from residents.models import Flat, Household, Owner, OwnerKind, Ownership
from tests.conftest import first_under, make_user
from tests.support import idn

FLATS = reverse("admin:residents_flat_changelist")


def flat_page(flat: Flat) -> str:
    return reverse("admin:residents_flat_change", args=[flat.pk])


def node_page(node: Node) -> str:
    return reverse("admin:grids_node_change", args=[node.pk])


@dataclass
class Placed:
    """Flats of community A (和达城) and B, and the households in them."""

    stairwell_a: Node  # 和达城1幢1单元
    stairwell_b: Node
    a101: Flat  # rented, two households, three residents and one moved out
    a102: Flat  # vacant, no household
    a201: Flat  # commercial, in the next stairwell
    b101: Flat
    h1: Household
    h2: Household


def place_flats(community_a: Node, community_b: Node) -> Placed:
    """The flats above, made through the services as the pages and imports make them."""
    stairwell_a = first_under(community_a, Level.STAIRWELL)
    next_stairwell_a = stairwell_a.get_next_sibling()
    stairwell_b = first_under(community_b, Level.STAIRWELL)
    h1 = services.create_household(
        stairwell=stairwell_a,
        room="101",
        number="A1",
        housing_status="rented",
        area=Decimal("89.50"),
    )
    h2 = services.create_household(stairwell=stairwell_a, room="101", number="A1-2")
    for household, name, birth, seq, relation in [
        (h1, "张伟", "19800101", 11, "head"),
        (h1, "李娜", "19820202", 12, "spouse"),
        (h1, "张小明", "20050505", 13, "child"),
        (h2, "王芳", "19900515", 22, "head"),
    ]:
        services.add_person(
            household=household,
            name=name,
            id_number=idn("330106", birth, seq),
            relation=relation,
        )
    services.update_person(
        person=h1.members.get(name="张小明"), moved_out_on=datetime.date(2024, 9, 1)
    )
    a102 = services.update_flat(
        flat=services.flat_at(stairwell=stairwell_a, room="102"), housing_status="vacant"
    )
    a201 = services.create_household(
        stairwell=next_stairwell_a, room="201", number="A2", housing_status="commercial"
    ).flat
    services.update_flat(flat=a201, use="commercial")
    b1 = services.create_household(stairwell=stairwell_b, room="101", number="B1")
    services.add_person(
        household=b1, name="赵强", id_number=idn("330106", "19750303", 43), relation="head"
    )
    return Placed(
        stairwell_a=stairwell_a,
        stairwell_b=stairwell_b,
        a101=h1.flat,
        a102=a102,
        a201=a201,
        b101=b1.flat,
        h1=h1,
        h2=h2,
    )


@pytest.fixture
def placed(community_a, community_b) -> Placed:
    return place_flats(community_a, community_b)


def listed(response: Any) -> set[str]:
    assert response.status_code == 200
    return {str(flat) for flat in response.context["cl"].result_list}


A_FLATS = {"和达城1幢1单元101", "和达城1幢1单元102", "和达城1幢2单元201"}


def test_the_list_is_scoped(admin_as, alice, bob, charlie, placed):
    assert listed(admin_as(alice).get(FLATS)) == A_FLATS
    assert listed(admin_as(bob).get(FLATS)) == {str(placed.b101)}
    assert listed(admin_as(charlie).get(FLATS)) == A_FLATS | {str(placed.b101)}


def test_the_list_shows_address_status_and_counts(admin_as, alice, placed):
    response = admin_as(alice).get(FLATS)
    rows = {str(flat): flat for flat in response.context["cl"].result_list}
    a101, a102 = rows["和达城1幢1单元101"], rows["和达城1幢1单元102"]
    # Two households; the son who moved out no longer counts among the residents.
    assert (a101.household_count, a101.resident_count) == (2, 3)
    assert (a102.household_count, a102.resident_count) == (0, 0)
    page = response.content.decode()
    for text in ["和达城1幢1单元101", "出租", "空置", "89.50", "住宅", "房屋"]:
        assert text in page, text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"use__exact": "commercial"}, {"和达城1幢2单元201"}),
        ({"housing_status__exact": "vacant"}, {"和达城1幢1单元102"}),
        ({"housing_status__exact": "rented"}, {"和达城1幢1单元101"}),
        ({"q": "和达城1幢1单元101"}, {"和达城1幢1单元101"}),
        ({"q": "和达城1-1-101"}, {"和达城1幢1单元101"}),
        ({"q": "和达城1幢1单元"}, {"和达城1幢1单元101", "和达城1幢1单元102"}),
        ({"q": "101"}, {"和达城1幢1单元101"}),  # not community B's 101
        ({"q": "云帆城1幢1单元101"}, set()),
    ],
)
def test_filters_and_address_search(admin_as, alice, placed, query, expected):
    assert listed(admin_as(alice).get(FLATS, query)) == expected


def test_the_community_filter_offers_and_narrows_within_the_jurisdiction(
    admin_as, alice, charlie, placed, community_a, community_b
):
    assert listed(admin_as(charlie).get(FLATS, {"community": community_b.pk})) == {str(placed.b101)}
    assert listed(admin_as(charlie).get(FLATS, {"community": community_a.pk})) == A_FLATS
    response = admin_as(alice).get(FLATS, {"community": community_b.pk})
    assert listed(response) == set()
    assert community_b.name not in response.content.decode()


def test_a_flat_page_shows_its_households_and_owners(admin_as, alice, placed):
    Ownership.objects.create(flat=placed.a101, owner=Owner.objects.create(name="张伟"))
    company = Owner.objects.create(
        name="和达置业有限公司", kind=OwnerKind.ORGANISATION, certificate="91330106MA2AXXXX0X"
    )
    Ownership.objects.create(flat=placed.a101, owner=company)
    response = admin_as(alice).get(flat_page(placed.a101))
    assert response.status_code == 200
    page = response.content.decode()
    for household in (placed.h1, placed.h2):
        assert reverse("admin:residents_household_change", args=[household.pk]) in page
    assert "A1-2" in page and "王芳" in page  # the second household, by its head
    assert [o.name for o in response.context["owners"]] == ["张伟", "和达置业有限公司"]
    assert "91330106MA2AXXXX0X" not in page  # names only
    assert 'id="flat-owners"' in page


def test_owners_link_to_their_pages_for_who_may_see_them(admin_as, placed, db):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password="x" * 12)
    owner = Owner.objects.create(name="张伟")
    Ownership.objects.create(flat=placed.a101, owner=owner)
    (row,) = admin_as(root).get(flat_page(placed.a101)).context["owners"]
    try:
        expected = reverse("admin:residents_owner_change", args=[owner.pk])
    except NoReverseMatch:
        expected = ""
    assert row.url == expected


def test_a_flat_without_owners_on_the_roll_says_so(admin_as, alice, placed):
    response = admin_as(alice).get(flat_page(placed.a102))
    assert response.context["owners"] == []
    assert "业主名册" in response.content.decode()


def test_another_communitys_flat_is_a_chinese_404(admin_as, alice, placed):
    client = admin_as(alice)
    for url in (
        flat_page(placed.b101),
        reverse("admin:residents_flat_history", args=[placed.b101.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "页面不存在" in response.content.decode()
    response = client.post(flat_page(placed.b101), {"housing_status": "vacant"})
    assert response.status_code == 404
    placed.b101.refresh_from_db()
    assert placed.b101.housing_status == "owner_occupied"


def management_form(count: int) -> dict[str, int]:
    return {
        "households-TOTAL_FORMS": count,
        "households-INITIAL_FORMS": count,
        "households-MIN_NUM_FORMS": 0,
        "households-MAX_NUM_FORMS": 1000,
    }


def test_an_edit_is_written_through_the_service_and_read_in_the_history(admin_as, alice, placed):
    client = admin_as(alice)
    response = client.post(
        flat_page(placed.a101),
        {
            "use": "office",
            "housing_status": "vacant",
            "area": "90.25",
            "owner": "张伟",
            # Read-only fields are ignored however posted.
            "room": "999",
            "delivery": "unsold",
            **management_form(2),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    flat = Flat.objects.get(pk=placed.a101.pk)
    assert (flat.use, flat.housing_status, flat.area, flat.owner) == (
        "office",
        "vacant",
        Decimal("90.25"),
        "张伟",
    )
    assert (flat.room, flat.delivery) == ("101", "delivered")
    history = client.get(reverse("admin:residents_flat_history", args=[flat.pk]))
    assert history.status_code == 200
    latest = history.context["entries"][0]
    assert latest.who == "alice"
    assert {(c.old, c.new) for c in latest.changes} >= {("出租", "空置")}


def test_a_bad_area_is_refused_with_a_message(admin_as, alice, placed):
    response = admin_as(alice).post(
        flat_page(placed.a101),
        {"use": "residential", "housing_status": "rented", "area": "-3", **management_form(2)},
    )
    assert response.status_code == 200
    assert "area" in response.context["adminform"].form.errors
    placed.a101.refresh_from_db()
    assert placed.a101.area == Decimal("89.50")


def test_flats_are_neither_added_nor_deleted_here(admin_as, alice, placed):
    client = admin_as(alice)
    assert client.get(reverse("admin:residents_flat_add")).status_code == 403
    delete = reverse("admin:residents_flat_delete", args=[placed.a102.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Flat.objects.filter(pk=placed.a102.pk).exists()


def test_the_household_page_links_its_flat(admin_as, alice, placed):
    response = admin_as(alice).get(reverse("admin:residents_household_change", args=[placed.h2.pk]))
    assert response.status_code == 200
    assert flat_page(placed.a101) in response.content.decode()


def test_the_stairwell_page_lists_its_flats(admin_as, alice, placed):
    response = admin_as(alice).get(node_page(placed.stairwell_a))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="stairwell-flats"' in page
    (part,) = response.context["page_parts"]
    rows = {row.room: row for row in part.context["flats"]}
    assert list(rows) == ["101", "102"]
    assert (rows["101"].households, rows["101"].residents) == (2, 3)
    assert rows["101"].url == flat_page(placed.a101) and rows["101"].url in page
    assert rows["102"].status == "空置"


def test_only_a_stairwell_page_has_flats(admin_as, alice, placed):
    response = admin_as(alice).get(node_page(placed.stairwell_a.parent))
    assert response.context["page_parts"] == []
    assert 'id="stairwell-flats"' not in response.content.decode()


def test_an_empty_stairwell_says_so(admin_as, alice, placed, community_a):
    empty = community_a.get_descendants().filter(level=Level.STAIRWELL, flats__isnull=True)[0]
    page = admin_as(alice).get(node_page(empty)).content.decode()
    assert 'id="stairwell-flats"' in page and "本楼道尚无房屋记录" in page


def test_another_communitys_stairwell_page_is_a_404(admin_as, alice, placed):
    response = admin_as(alice).get(node_page(placed.stairwell_b))
    assert response.status_code == 404


def test_no_flats_block_without_the_flat_permission(admin_as, placed):
    stella = make_user("stella", placed.stairwell_a, Role.STAIRWELL_LEADER)
    client = admin_as(stella)
    assert 'id="stairwell-flats"' in client.get(node_page(placed.stairwell_a)).content.decode()
    Group.objects.get(name=roles.STAIRWELL_TEAM).permissions.remove(
        Permission.objects.get(codename="view_flat")
    )
    stella = type(stella).objects.get(pk=stella.pk)  # no cached permissions
    response = admin_as(stella).get(node_page(placed.stairwell_a))
    assert response.status_code == 200
    assert 'id="stairwell-flats"' not in response.content.decode()
    assert admin_as(stella).get(flat_page(placed.a101)).status_code == 403


def test_the_stairwell_team_sees_its_own_flats_only(admin_as, placed):
    stella = make_user("stella", placed.stairwell_a, Role.STAIRWELL_LEADER)
    client = admin_as(stella)
    assert listed(client.get(FLATS)) == {"和达城1幢1单元101", "和达城1幢1单元102"}
    assert client.get(flat_page(placed.a201)).status_code == 404


# Query counts: as many for many rows as for one.


def counted(client: Any, url: str) -> tuple[int, Any]:
    assert client.get(url).status_code == 200  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def more_flats(stairwell: Node, count: int, *, start: int = 0) -> None:
    for n in range(start, start + count):
        household = services.create_household(
            stairwell=stairwell, room=f"{9000 + n}", housing_status="rented", area=Decimal(60)
        )
        services.add_person(
            household=household,
            name=f"居民{n}",
            id_number=idn("330106", "19700101", 500 + n),
            relation="head",
        )


def test_the_flat_list_queries_do_not_grow_with_rows(admin_as, alice, placed):
    client = admin_as(alice)
    few, response = counted(client, FLATS)
    more_flats(placed.stairwell_a, 30)
    many, response = counted(client, FLATS)
    assert len(response.context["cl"].result_list) == 33
    assert many == few <= 12, (few, many)


def test_the_flat_page_queries_do_not_grow_with_households(admin_as, alice, placed):
    client = admin_as(alice)
    few, _ = counted(client, flat_page(placed.a101))
    for n in range(10):
        household = services.create_household(
            stairwell=placed.stairwell_a, room="101", number=f"A1-{n + 3}"
        )
        services.add_person(
            household=household,
            name=f"租户{n}",
            id_number=idn("410103", "19950101", 600 + n),
            relation="head",
        )
    many, response = counted(client, flat_page(placed.a101))
    assert response.content.decode().count("/admin/residents/household/") >= 12
    assert many == few <= 12, (few, many)


def test_the_stairwell_page_queries_do_not_grow_with_flats(admin_as, alice, placed):
    client = admin_as(alice)
    few, _ = counted(client, node_page(placed.stairwell_a))
    more_flats(placed.stairwell_a, 30)
    many, response = counted(client, node_page(placed.stairwell_a))
    assert len(response.context["page_parts"][0].context["flats"]) == 32
    assert many == few <= 18, (few, many)
