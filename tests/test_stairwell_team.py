"""The stairwell's 一长二员 on the stairwell and micro-grid pages, and roles in the staff list.

Phones are masked unless the viewer holds the permission or leads the stairwell
the person serves at; every full view is audited, and nothing crosses the
jurisdiction.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grids import services
from grids.models import AccessLog, Level, Node, Role, Staff
from tests.conftest import PASSWORD, first_under, make_user

STAFF_LIST = reverse("admin:grids_staff_changelist")
TODAY = timezone.localdate()
SINCE = TODAY - datetime.timedelta(days=365)
YESTERDAY = TODAY - datetime.timedelta(days=1)
TRIO = [
    ("楼道长", Role.STAIRWELL_LEADER),
    ("信息员", Role.INFORMATION_OFFICER),
    ("保障员", Role.LOGISTICS_OFFICER),
]


def page_of(node: Node) -> str:
    return reverse("admin:grids_node_change", args=[node.pk])


def member(node: Node, name: str, role: str, phone: str, *, login: str = "") -> Staff:
    user = None
    if login:
        user = get_user_model().objects.create_user(
            username=login, password=PASSWORD, is_staff=True
        )
    staff = services.create_staff(home_node=node, name=name, phone=phone, user=user)
    services.assign(staff=staff, node=node, role=role, started_on=SINCE)
    return staff


def team_at(stairwell: Node, tag: int, *, leader_login: str = "") -> list[Staff]:
    """The 一长二员 of `stairwell`, named 楼道长{tag}… with phones 139{tag}000000{i}."""
    return [
        member(
            stairwell,
            f"{title}{tag}",
            role,
            f"139{tag:02d}00000{i}",
            login=leader_login if role == Role.STAIRWELL_LEADER else "",
        )
        for i, (title, role) in enumerate(TRIO)
    ]


@pytest.fixture
def micro(community_a: Node) -> Node:
    return first_under(community_a, Level.MICRO_GRID)


@pytest.fixture
def stairwells(micro: Node) -> list[Node]:
    return list(micro.get_children().order_by("lft"))


@pytest.fixture
def teams(stairwells: list[Node]) -> list[list[Staff]]:
    """Teams at the micro-grid's first two stairwells; the first one's leader logs in as lily."""
    return [team_at(stairwells[0], 1, leader_login="lily"), team_at(stairwells[1], 2)]


@pytest.fixture
def lily(teams: list[list[Staff]]) -> Any:
    user = teams[0][0].user
    assert user is not None
    return user


def team_rows(response: Any) -> list[tuple[str, str, str]]:
    return [(row.name, row.role, row.phone) for row in response.context["team"]]


def test_stairwell_page_lists_the_trio_in_order_with_chinese_roles(
    admin_as, alice, stairwells, teams
):
    response = admin_as(alice).get(page_of(stairwells[0]))
    assert response.status_code == 200
    assert team_rows(response) == [
        ("楼道长1", "楼道长", "13901000000"),
        ("信息员1", "信息员", "13901000001"),
        ("保障员1", "保障员", "13901000002"),
    ]
    html = response.content.decode()
    assert 'id="current-team"' in html and "现任团队" in html
    # the worker holds the permission: full phones, one audit row for the page
    log = AccessLog.objects.get()
    assert (log.user, log.action, log.count) == (alice, "view", 3)
    assert set(log.object_ids.split(",")) == {str(s.pk) for s in teams[0]}


def test_micro_grid_page_lists_its_own_team_and_its_stairwells(
    admin_as, alice, micro, stairwells, teams
):
    member(micro, "微网格长", Role.MICRO_GRID_LEADER, "13700000009")
    response = admin_as(alice).get(page_of(micro))
    rows = response.context["team"]
    stairwell_teams = ["楼道长1", "信息员1", "保障员1", "楼道长2", "信息员2", "保障员2"]
    assert [r.name for r in rows] == ["微网格长", *stairwell_teams]
    assert [r.unit for r in rows[:2]] == [micro.display_name, stairwells[0].display_name]
    assert "任职于" in response.content.decode()


def test_only_current_assignments_count(admin_as, alice, stairwells, teams):
    services.end_assignment(assignment=teams[0][2].assignments.get(), ended_on=YESTERDAY)
    upcoming = services.create_staff(home_node=stairwells[0], name="候任", phone="13600000000")
    services.assign(
        staff=upcoming,
        node=stairwells[0],
        role=Role.LOGISTICS_OFFICER,
        started_on=TODAY + datetime.timedelta(days=30),
    )
    names = [r.name for r in admin_as(alice).get(page_of(stairwells[0])).context["team"]]
    assert names == ["楼道长1", "信息员1"]


def test_an_empty_team_says_so_and_other_levels_have_no_block(admin_as, alice, stairwells):
    response = admin_as(alice).get(page_of(stairwells[2]))
    assert response.context["team"] == []
    assert "目前无人在此任职" in response.content.decode()
    grid = stairwells[2].parent.parent
    assert 'id="current-team"' not in admin_as(alice).get(page_of(grid)).content.decode()


def test_a_masked_viewer_never_sees_a_full_phone(admin_as, frank, micro, stairwells, teams):
    """frank, the micro-grid leader, has no permission: every page shows only masks."""
    client = admin_as(frank)
    full = [s.phone for team in teams for s in team]
    pages = [
        client.get(page_of(micro)),
        client.get(page_of(stairwells[0])),
        client.get(STAFF_LIST),
        client.get(STAFF_LIST, {"role": Role.STAIRWELL_LEADER}),
        client.get(reverse("admin:grids_staff_change", args=[teams[0][1].pk])),
    ]
    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        assert not [phone for phone in full if phone in html]
    assert "139****0001" in pages[1].content.decode()
    assert "139****0001" in pages[2].content.decode()
    assert not AccessLog.objects.exists()


def test_stairwell_leader_sees_own_team_in_full_and_it_is_audited(
    admin_as, lily, stairwells, teams
):
    response = admin_as(lily).get(page_of(stairwells[0]))
    assert [r.phone for r in response.context["team"]] == [s.phone for s in teams[0]]
    log = AccessLog.objects.get()
    assert (log.user, log.count) == (lily, 3)


def test_stairwell_leader_does_not_see_another_stairwells_team(admin_as, lily, stairwells, teams):
    client = admin_as(lily)
    assert client.get(page_of(stairwells[1])).status_code == 404
    listed = {s.name for s in client.get(STAFF_LIST).context["cl"].result_list}
    assert listed == {"楼道长1", "信息员1", "保障员1"}
    html = client.get(STAFF_LIST).content.decode()
    assert not [s.phone for s in teams[1] if s.phone in html]


def test_serving_at_another_stairwell_does_not_unmask_its_team(admin_as, lily, stairwells, teams):
    """lily leads the first stairwell and is only information officer at the second."""
    services.assign(staff=lily.staff, node=stairwells[1], role=Role.INFORMATION_OFFICER)
    response = admin_as(lily).get(page_of(stairwells[1]))
    shown = {r.name: r.phone for r in response.context["team"]}
    assert shown["楼道长2"] == "139****0000"
    assert shown["保障员2"] == "139****0002"
    # lily herself is on her own team: her number stays hers to see
    assert shown["楼道长1"] == teams[0][0].phone
    html = response.content.decode()
    assert not [s.phone for s in teams[1] if s.phone in html]


def test_stairwell_leader_in_the_staff_list_and_detail(admin_as, lily, stairwells, teams):
    former = services.create_staff(home_node=stairwells[0], name="前任", phone="13500000007")
    services.assign(
        staff=former,
        node=stairwells[0],
        role=Role.INFORMATION_OFFICER,
        started_on=SINCE,
    )
    services.end_assignment(assignment=former.assignments.get(), ended_on=YESTERDAY)
    client = admin_as(lily)
    html = client.get(STAFF_LIST).content.decode()
    assert all(s.phone in html for s in teams[0])
    assert "135****0007" in html and former.phone not in html
    listed = AccessLog.objects.get()
    assert listed.count == 3 and str(former.pk) not in listed.object_ids.split(",")

    team_detail = client.get(reverse("admin:grids_staff_change", args=[teams[0][1].pk]))
    assert teams[0][1].phone in team_detail.content.decode()
    former_detail = client.get(reverse("admin:grids_staff_change", args=[former.pk]))
    assert former.phone not in former_detail.content.decode()
    assert AccessLog.objects.count() == 2


def test_staff_list_shows_current_roles_and_filters_by_role(admin_as, alice, stairwells, teams):
    client = admin_as(alice)
    html = client.get(STAFF_LIST).content.decode()
    assert "现任职务" in html
    assert f'<td class="field-current_roles">楼道长（{stairwells[0].display_name}）</td>' in html
    assert f"社工（{alice.staff.home_node.name}）" in html

    leaders = client.get(STAFF_LIST, {"role": Role.STAIRWELL_LEADER}).context["cl"].result_list
    assert {s.name for s in leaders} == {"楼道长1", "楼道长2"}
    assert client.get(STAFF_LIST, {"role": "nonsense"}).status_code == 200


def test_ended_role_is_not_a_current_role(admin_as, alice, teams):
    services.end_assignment(assignment=teams[1][0].assignments.get(), ended_on=YESTERDAY)
    client = admin_as(alice)
    leaders = client.get(STAFF_LIST, {"role": Role.STAIRWELL_LEADER}).context["cl"].result_list
    assert {s.name for s in leaders} == {"楼道长1"}
    listed = {s.name: s for s in client.get(STAFF_LIST).context["cl"].result_list}
    assert listed["楼道长2"].current_assignments == []


def test_another_communitys_worker_sees_no_team_of_it(admin_as, bob, stairwells, teams):
    client = admin_as(bob)
    assert client.get(page_of(stairwells[0])).status_code == 404
    assert client.get(page_of(stairwells[0].parent)).status_code == 404
    names = {s.name for s in client.get(STAFF_LIST).context["cl"].result_list}
    assert names == {"Bob"}
    leaders = client.get(STAFF_LIST, {"role": Role.STAIRWELL_LEADER}).context["cl"].result_list
    assert list(leaders) == []


def test_roles_of_a_shared_person_stay_inside_the_jurisdiction(
    admin_as, bob, community_b, stairwells, teams
):
    """A community-B stairwell leader who also serves in A: B's worker sees only the B role."""
    there = first_under(community_b, Level.STAIRWELL)
    services.assign(staff=teams[0][1], node=there, role=Role.STAIRWELL_LEADER)
    listed = {s.name: s for s in admin_as(bob).get(STAFF_LIST).context["cl"].result_list}
    assert [a.node for a in listed["信息员1"].current_assignments] == [there]


def counted(client: Any, url: str) -> int:
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_team_block_queries_do_not_grow_with_the_team(admin_as, alice, micro, stairwells, teams):
    client = admin_as(alice)
    small = counted(client, page_of(micro))
    for n in range(10):
        member(stairwells[2], f"志愿者{n}", Role.VOLUNTEER, f"1380000{n:04d}")
        member(micro, f"微网格员{n}", Role.MICRO_GRID_MEMBER, f"1370000{n:04d}")
    assert len(client.get(page_of(micro)).context["team"]) == 26
    assert counted(client, page_of(micro)) == small


@pytest.mark.parametrize("who", ["alice", "lily", "frank"])
def test_staff_list_queries_do_not_grow_with_roles(request, admin_as, who, stairwells, teams):
    client = admin_as(request.getfixturevalue(who))
    small = counted(client, STAFF_LIST)
    for n in range(10):
        member(stairwells[0], f"志愿者{n}", Role.VOLUNTEER, f"1380000{n:04d}")
        services.assign(staff=teams[0][n % 3], node=stairwells[0], role=Role.RESERVE)
    assert counted(client, STAFF_LIST) == small
    assert counted(client, STAFF_LIST + f"?role={Role.VOLUNTEER}") == small


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_stairwell_page_in_the_browser_shows_the_team_masked(live_server, community_a):
    from tests.support import chromium

    micro = first_under(community_a, Level.MICRO_GRID)
    stairwell = first_under(micro, Level.STAIRWELL)
    team = team_at(stairwell, 3)
    make_user("frank", micro, Role.MICRO_GRID_LEADER)
    with chromium() as browser:
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "frank")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.goto(f"{live_server.url}{page_of(stairwell)}")
        block = page.locator("#current-team")
        assert "现任团队" in block.inner_text()
        rows = block.locator("tbody tr").all_inner_texts()
        assert len(rows) == 3 and "楼道长" in rows[0] and "楼道长3" in rows[0]
        assert block.locator("td.team-phone").all_inner_texts() == [
            "139****0000",
            "139****0001",
            "139****0002",
        ]
        html = page.content()
        assert not [s.phone for s in team if s.phone in html]


def test_the_staff_api_follows_the_same_rule(api_as, lily, stairwells, teams):
    """The API shows a stairwell leader what the admin does: their own team in full, audited."""
    phones = {
        row["id"]: row["phone"] for row in api_as(lily).get("/api/v1/staff/").json()["results"]
    }
    own, other = teams
    assert all(phones[s.pk] == s.phone for s in own)
    assert all(s.pk not in phones or phones[s.pk] != s.phone for s in other)
    logged = AccessLog.objects.get(what="API staff list")
    assert set(logged.object_ids.split(",")) == {str(s.pk) for s in own}
    detail = api_as(lily).get(f"/api/v1/staff/{own[1].pk}/").json()
    assert detail["phone"] == own[1].phone
