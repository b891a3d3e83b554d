"""The start page (/admin/): each role's own units with their counts, and only links it may open."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids import services
from grids.models import Level, Node, Role
from residents.models import Household, Person
from start import selectors
from tests.conftest import make_user

LINK = re.compile(r'<a href="([^"]+)" data-link="([a-z_]+)"')


def row(page: str, node: Node) -> dict[str, int]:
    match = re.search(rf'<tr data-node="{node.pk}">(.*?)</tr>', page, re.S)
    assert match, f"{node.name} has no row"
    return {
        kind: int(re.search(rf'class="start-{kind}">(\d+)<', match.group(1)).group(1))  # type: ignore[union-attr]
        for kind in ("households", "residents", "stairwells")
    }


def stairwells_under(node: Node) -> int:
    return node.get_descendants(include_self=True).filter(level=Level.STAIRWELL).count()


def start_links(client) -> dict[str, str]:
    response = client.get("/admin/")
    assert response.status_code == 200
    return {key: url for url, key in LINK.findall(response.content.decode())}


def assert_every_link_opens(client) -> None:
    """The real test of "never link to what the user may not open": follow every link of
    the page (its units, daily links and Django's app list below them)."""
    page = client.get("/admin/").content.decode()
    hrefs = set(re.findall(r'href="(/(?:admin|api)/[^"]*)"', page))
    assert "/api/docs/" in hrefs
    for url in sorted(hrefs):
        response = client.get(url, follow=True)  # the import's add page leads to the upload
        assert response.status_code == 200, f"{url} answered {response.status_code}"


@pytest.fixture
def stella(roster):
    """The stairwell leader of 和达城1幢1单元 (household A1, two residents)."""
    stairwell = Household.objects.get(number="A1").stairwell
    return make_user("stella", stairwell, Role.STAIRWELL_LEADER)


def test_a_community_worker_sees_their_community_and_their_daily_links(
    admin_as, alice, community_a, roster
):
    client = admin_as(alice)
    page = client.get("/admin/").content.decode()
    assert row(page, community_a) == {
        "households": 3,
        "residents": 4,
        "stairwells": stairwells_under(community_a),
    }
    assert "<td>社工</td>" in page  # the role held there
    assert 'class="app-residents module' in page  # Django's app list stays below
    links = start_links(client)
    assert set(links) == {
        "four_lists",
        "coverage",
        "import",
        "transfers",
        "tasks",
        "phone",
        "api_docs",
    }
    assert_every_link_opens(client)


def test_a_street_official_sees_the_whole_street(admin_as, charlie, street, roster):
    client = admin_as(charlie)
    page = client.get("/admin/").content.decode()
    assert row(page, street) == {
        "households": 5,
        "residents": 6,
        "stairwells": stairwells_under(street),
    }
    links = start_links(client)
    # street officials view the roster; registers are imported by the communities
    assert set(links) == {"four_lists", "coverage", "transfers", "tasks", "phone", "api_docs"}
    assert_every_link_opens(client)


def test_a_stairwell_leader_sees_their_stairwell_and_no_import(admin_as, stella, roster):
    client = admin_as(stella)
    stairwell = Household.objects.get(number="A1").stairwell
    page = client.get("/admin/").content.decode()
    assert row(page, stairwell) == {"households": 1, "residents": 2, "stairwells": 1}
    assert "和达城" in page  # the stairwell is named with its compound
    links = start_links(client)
    assert set(links) == {"four_lists", "coverage", "tasks", "phone", "api_docs"}
    assert_every_link_opens(client)


def test_the_transfer_inbox_link_counts_what_waits_for_the_user(
    admin_as, alice, bob, community_a, community_b
):
    from residents.transfers import request_transfer
    from tests.transfer_data import ZHAO_ID, make_homes

    homes = make_homes(community_a, community_b)
    request_transfer(user=alice, id_number=ZHAO_ID, name="赵强", household=homes.empty_home)
    waiting = admin_as(bob).get("/admin/").content.decode()
    assert 'data-link="transfers">迁入申请（1 件待您处理）</a>' in waiting
    assert start_links(admin_as(bob))["transfers"].endswith("?box=in")
    # alice asked: nothing waits for her.
    assert 'data-link="transfers">迁入申请</a>' in admin_as(alice).get("/admin/").content.decode()


def test_the_task_link_counts_open_due_soon_and_overdue(admin_as, alice, community_a):
    from tests.task_data import places_in, report

    places = places_in(community_a)
    report(alice, places.stairwell, "emergency")  # due within the day
    report(alice, places.stairwell, "hotline_complaint")
    page = admin_as(alice).get("/admin/").content.decode()
    assert 'data-link="tasks">事件：在办 2 件，1 天内到期 2 件，已超时 0 件</a>' in page


def test_a_user_without_assignment_sees_no_counts_and_only_the_api_docs(admin_as, dave, roster):
    client = admin_as(dave)
    page = client.get("/admin/").content.decode()
    assert 'id="start-units"' not in page
    assert 'id="start-no-units"' in page
    links = start_links(client)
    assert set(links) == {"api_docs"}
    assert_every_link_opens(client)


def test_a_community_b_worker_never_sees_community_a(
    admin_as, bob, community_a, community_b, roster
):
    page = admin_as(bob).get("/admin/").content.decode()
    assert row(page, community_b) == {
        "households": 2,
        "residents": 2,
        "stairwells": stairwells_under(community_b),
    }
    assert f'data-node="{community_a.pk}"' not in page
    assert community_a.name not in page


def test_moved_out_and_deceased_residents_are_not_counted(admin_as, alice, community_a, roster):
    Person.objects.filter(name="李娜").update(moved_out_on="2026-01-01")
    page = admin_as(alice).get("/admin/").content.decode()
    assert row(page, community_a)["residents"] == 3


def test_the_counts_take_a_fixed_number_of_queries(community_a, community_b, roster):
    """One unit or three: the same five queries (scope, units, and one per count)."""
    stairwell = Household.objects.get(number="A1").stairwell
    make_user("one", community_a, Role.COMMUNITY_WORKER)
    three = make_user("three", community_a, Role.COMMUNITY_WORKER)

    grids_b = community_b.get_descendants().filter(level=Level.GRID).order_by("lft")
    grid_b, other_grid_b = grids_b[0], grids_b[1]
    stairwell_b = other_grid_b.get_descendants().filter(level=Level.STAIRWELL).first()
    services.assign(staff=three.staff, node=grid_b, role=Role.GRID_LEADER)
    services.assign(staff=three.staff, node=stairwell_b, role=Role.STAIRWELL_LEADER)
    services.assign(staff=three.staff, node=stairwell, role=Role.STAIRWELL_LEADER)  # inside A

    User = get_user_model()
    counted = {}
    for name in ("one", "three"):
        user = User.objects.get(username=name)  # a fresh object: no cached scope
        with CaptureQueriesContext(connection) as queries:
            units = selectors.unit_counts(user=user)
        counted[name] = (len(queries), [u.node for u in units])
    assert counted["one"] == (5, [community_a])
    assert counted["three"][0] == 5
    # the stairwell inside community A is folded into it
    assert counted["three"][1] == [community_a, grid_b, stairwell_b]


def test_a_superuser_sees_every_street(client, street, roster):
    root = get_user_model().objects.create_superuser("root", password="x-long-password-1")
    client.force_login(root)
    page = client.get("/admin/").content.decode()
    assert row(page, street)["households"] == 5


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_in_chromium_a_worker_starts_from_their_counts(live_server, community_a, roster):
    from tests.conftest import PASSWORD
    from tests.support import chromium

    make_user("alice", community_a, Role.COMMUNITY_WORKER)
    with chromium() as browser:
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#start-units")
        unit = page.locator(f'#start-units tr[data-node="{community_a.pk}"]')
        assert community_a.name in unit.inner_text()
        assert unit.locator(".start-households").inner_text() == "3"
        assert unit.locator(".start-residents").inner_text() == "4"
        assert page.locator("#app-list, .app-residents").count() >= 1  # the app list below
        page.click('#start-links a[data-link="four_lists"]')
        page.wait_for_selector("#four-lists")
        assert "四掌握" in page.title()
