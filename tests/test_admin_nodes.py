"""Admin pages of the tree: scoping by URL, posted foreign key, search and autocomplete."""

import pytest
from django.urls import reverse

from grids.models import Level, Node
from tests.conftest import first_under

CHANGELIST = reverse("admin:grids_node_changelist")


def listed_codes(response) -> set[str]:
    return {node.code for node in response.context["cl"].result_list}


def test_worker_sees_only_their_community(admin_as, alice, community_a, community_b):
    response = admin_as(alice).get(CHANGELIST)
    assert response.status_code == 200
    codes = listed_codes(response)
    assert community_a.code in codes
    assert all(code.startswith(community_a.code) for code in codes)
    assert community_b.code not in codes


def test_street_official_sees_the_whole_street(admin_as, charlie, street):
    response = admin_as(charlie).get(CHANGELIST + "?level=1")
    assert listed_codes(response) == set(street.get_children().values_list("code", flat=True))


def test_other_communitys_node_by_url_is_404(admin_as, alice, community_b):
    grid = first_under(community_b, Level.GRID)
    client = admin_as(alice)
    assert client.get(reverse("admin:grids_node_change", args=[grid.pk])).status_code == 404
    assert client.get(reverse("admin:grids_node_delete", args=[grid.pk])).status_code == 404
    response = client.post(reverse("admin:grids_node_change", args=[grid.pk]), {"name": "hijacked"})
    assert response.status_code == 404
    grid.refresh_from_db()
    assert grid.name != "hijacked"


def test_drill_down_outside_jurisdiction_is_404(admin_as, alice, community_b):
    response = admin_as(alice).get(CHANGELIST + f"?parent__id__exact={community_b.pk}")
    assert response.status_code == 404


def test_drill_down_lists_children_with_counts(admin_as, alice, community_a):
    response = admin_as(alice).get(CHANGELIST + f"?parent__id__exact={community_a.pk}")
    assert response.status_code == 200
    grids = list(response.context["cl"].result_list)
    assert {g.parent_id for g in grids} == {community_a.pk}
    assert all(g.children_count == 2 and g.stairwell_count == 6 for g in grids)
    assert "drill-path" in response.content.decode()


def test_search_does_not_cross_jurisdiction(admin_as, alice, community_b):
    client = admin_as(alice)
    assert listed_codes(client.get(CHANGELIST + f"?q={community_b.code}")) == set()
    assert listed_codes(client.get(CHANGELIST + f"?q={community_b.name}")) == set()


def test_posted_parent_outside_jurisdiction_is_rejected(admin_as, alice, community_b):
    grid_b = first_under(community_b, Level.GRID)
    count = Node.objects.count()
    response = admin_as(alice).post(
        reverse("admin:grids_node_add"),
        {
            "parent": grid_b.pk,
            "code": grid_b.code + "09",
            "name": "越界微网格",
            "kind": "residential",
            "exits": 0,
            "supplies-TOTAL_FORMS": 0,
            "supplies-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert Node.objects.count() == count


def test_worker_adds_a_micro_grid_in_their_community(admin_as, alice, community_a):
    grid = first_under(community_a, Level.GRID)
    response = admin_as(alice).post(
        reverse("admin:grids_node_add"),
        {
            "parent": grid.pk,
            "code": grid.code + "09",
            "name": "新微网格",
            "kind": "residential",
            "exits": 2,
            "supplies-TOTAL_FORMS": 1,
            "supplies-INITIAL_FORMS": 0,
            "supplies-0-item": "灭火器",
            "supplies-0-quantity": "4",
            "supplies-0-unit": "个",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    node = Node.objects.get(code=grid.code + "09")
    assert node.level == Level.MICRO_GRID and node.compound == grid.compound
    assert node.supplies.get().item == "灭火器"


def test_worker_cannot_open_a_new_street(admin_as, alice):
    response = admin_as(alice).post(
        reverse("admin:grids_node_add"),
        {
            "code": "330106077",
            "name": "私设街道",
            "kind": "residential",
            "exits": 0,
            "supplies-TOTAL_FORMS": 0,
            "supplies-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert not Node.objects.filter(code="330106077").exists()


def test_deleting_a_node_with_children_is_refused(admin_as, charlie, community_a):
    response = admin_as(charlie).post(
        reverse("admin:grids_node_delete", args=[community_a.pk]), {"post": "yes"}
    )
    assert Node.objects.filter(pk=community_a.pk).exists()
    assert response.status_code in (200, 302)


def test_autocomplete_is_scoped(admin_as, alice, community_b):
    response = admin_as(alice).get(
        reverse("admin:autocomplete"),
        {"app_label": "grids", "model_name": "assignment", "field_name": "node", "term": "社区"},
    )
    assert response.status_code == 200
    ids = {int(r["id"]) for r in response.json()["results"]}
    assert community_b.pk not in ids
    assert ids


def test_changelist_query_count_does_not_grow_with_rows(
    admin_as, charlie, django_assert_max_num_queries
):
    client = admin_as(charlie)
    client.get(CHANGELIST)  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 39


def test_coverage_page_is_scoped(admin_as, alice, community_b):
    client = admin_as(alice)
    response = client.get(reverse("admin:grids_node_coverage"))
    assert response.status_code == 200
    assert all(g.node.code.startswith(alice.staff.home_node.code) for g in response.context["gaps"])
    assert (
        client.get(reverse("admin:grids_node_coverage") + f"?node={community_b.pk}").status_code
        == 404
    )


def test_dave_without_assignment_sees_nothing(admin_as, dave):
    from django.contrib.auth.models import Permission

    dave.user_permissions.add(Permission.objects.get(codename="view_node"))
    response = admin_as(dave).get(CHANGELIST)
    assert listed_codes(response) == set()


def test_ledger_shown_on_change_page(admin_as, alice, community_a):
    response = admin_as(alice).get(reverse("admin:grids_node_change", args=[community_a.pk]))
    assert response.status_code == 200
    assert "rolled_up_ledger" in response.content.decode() or "底册" in response.content.decode()


@pytest.mark.parametrize(
    "lang,word",
    [(None, "微网格治理平台"), ("zh-hans", "网格节点"), ("en", "Micro-grid administration")],
)
def test_admin_speaks_chinese_by_default_and_english_on_request(admin_as, charlie, lang, word):
    client = admin_as(charlie)
    if lang:
        client.cookies["django_language"] = lang
    assert word in client.get(CHANGELIST).content.decode()


def test_move_through_the_admin(admin_as, alice, community_a):
    from grids.integrity import check_trees

    grids = list(community_a.get_children())
    micro = grids[0].get_children()[0]
    client = admin_as(alice)
    page = client.get(reverse("admin:grids_node_change", args=[micro.pk]))
    assert reverse("admin:grids_node_move", args=[micro.pk]) in page.content.decode()
    response = client.post(
        reverse("admin:grids_node_move", args=[micro.pk]), {"new_parent": grids[1].pk}
    )
    assert response.status_code == 302
    micro.refresh_from_db()
    assert micro.parent_id == grids[1].pk and micro.code.startswith(grids[1].code)
    assert check_trees()[1] == []


def test_move_into_another_community_is_refused(admin_as, alice, community_a, community_b):
    micro = first_under(community_a, Level.MICRO_GRID)
    grid_b = first_under(community_b, Level.GRID)
    client = admin_as(alice)
    response = client.post(
        reverse("admin:grids_node_move", args=[micro.pk]), {"new_parent": grid_b.pk}
    )
    assert response.status_code == 200 and response.context["form"].errors
    micro_b = first_under(community_b, Level.MICRO_GRID)
    assert client.get(reverse("admin:grids_node_move", args=[micro_b.pk])).status_code == 404
    before = micro.code
    micro.refresh_from_db()
    assert micro.code == before


def test_move_to_a_taken_code_shows_the_error(admin_as, charlie, community_a):
    grids = list(community_a.get_children())
    micro = grids[0].get_children()[0]
    taken = grids[1].get_children()[0].code
    response = admin_as(charlie).post(
        reverse("admin:grids_node_move", args=[micro.pk]),
        {"new_parent": grids[1].pk, "new_code": taken},
    )
    assert response.status_code == 200
    assert "已被使用" in response.content.decode()


def test_language_can_be_switched_to_english(admin_as, charlie):
    client = admin_as(charlie)
    page = client.get(CHANGELIST).content.decode()
    assert 'id="language-switch"' in page
    client.post(reverse("set_language"), {"language": "en", "next": CHANGELIST})
    assert "Micro-grid administration" in client.get(CHANGELIST).content.decode()


def test_an_english_browser_still_gets_chinese_until_english_is_chosen(admin_as, charlie):
    client = admin_as(charlie)
    page = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "微网格治理平台" in page
