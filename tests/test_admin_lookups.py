"""Every admin list accepts only the lookups its filters offer (issue 8, item 4).

Django's ModelAdmin.lookup_allowed accepts any lookup on a local field:
`/admin/residents/person/?id=1&phone__startswith=1330` answered "1 条结果" or "0 条结果",
and a stairwell leader recovered a masked phone in 19 requests. The walk below covers
every admin in admin.site._registry, so an admin added later is walked too: forbidden
lookups are a 400 for a superuser and for a stairwell leader, and every link the filter
sidebar offers still answers 200.
"""

from __future__ import annotations

import datetime
import html
import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import reverse
from import_export.admin import ExportMixin
from rest_framework.authtoken.models import Token

from grids.admin.mixins import OfferedLookupsMixin
from grids.models import Level, Node, Role, Staff
from residents import services
from residents.models import Household, Person, Tag
from tests.conftest import first_under, make_user

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)

FORBIDDEN = [
    "id=1&phone__startswith=1",
    "id_number__startswith=3",
    "name__regex=.",
    "pk__gt=0",
    "household__members__phone__startswith=1",
    "household__members__id_number__startswith=3",
    "user__username__startswith=a",
]


def changelist(model: type[Model]) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def per_field(model: type[Model]) -> list[str]:
    """One lookup on each field and relation of the model; `__gt` is no filter's parameter."""
    names = {field.name for field in model._meta.get_fields()}
    return [f"{name}__gt=0" for name in sorted(names)]


def links_in(page: str, section: str) -> list[str]:
    match = re.search(section + r".*?</nav>", page, re.S)
    if match is None:
        return []
    return [html.unescape(href) for href in re.findall(r'href="([^"]*)"', match[0])]


def sidebar_links(page: str) -> list[str]:
    """The hrefs of the rendered filter sidebar (choices, facet toggle, clear all)."""
    return links_in(page, r'<nav id="changelist-filter"')


def hierarchy_links(page: str) -> list[str]:
    """The hrefs of the date hierarchy above the list (years, then months, then days)."""
    return links_in(page, r'<nav class="toplinks"')


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", password="x")


@pytest.fixture
def stella(community_a):
    """A stairwell leader in community A: views nodes, staff, households and persons."""
    stairwell = first_under(community_a, Level.STAIRWELL)
    return make_user("stella", stairwell, Role.STAIRWELL_LEADER)


@pytest.fixture
def everything(roster, alice, bob, superuser):
    """A row for each list, so every filter has choices to offer."""
    household = Household.objects.get(number="A1")
    person = Person.objects.get(name="张伟")
    services.update_person(person=person, tags=[Tag.objects.first()])
    services.record_life_event(
        household=household,
        kind="marriage",
        occurred_on=datetime.date.today() - datetime.timedelta(days=3),
        person=person,
    )
    services.record_visit(
        household=household,
        visitor=Staff.objects.get(user=alice),
        visited_on=datetime.date.today(),
        notes="走访",
    )
    Token.objects.create(user=superuser)
    # A refused login, for the lists of login attempts (django-axes).
    Client().post(reverse("admin:login"), {"username": "nobody", "password": "wrong"})


def may_view(user: Any, model: type[Model]) -> bool:
    request = RequestFactory().get("/")
    request.user = user
    return admin.site._registry[model].has_view_or_change_permission(request)


def test_every_registered_admin_holds_the_rule():
    loose = [
        type(model_admin).__qualname__
        for model_admin in admin.site._registry.values()
        if not isinstance(model_admin, OfferedLookupsMixin)
    ]
    assert loose == []


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_forbidden_lookups_are_a_400(model, admin_as, everything, superuser, stella):
    url = changelist(model)
    for user in (superuser, stella):
        client = admin_as(user)
        expected = 400 if may_view(user, model) else 403
        for query in FORBIDDEN + per_field(model):
            response = client.get(f"{url}?{query}")
            assert response.status_code == expected, (user.username, query)


def test_a_masked_phone_is_no_longer_recovered_digit_by_digit(admin_as, roster, stella):
    client = admin_as(stella)
    person = Person.objects.get(name="张伟")
    url = changelist(Person)
    assert client.get(f"{url}?id={person.pk}").status_code == 400
    for prefix in ("1", "13", "138", "1380"):
        assert client.get(f"{url}?id={person.pk}&phone__startswith={prefix}").status_code == 400
    assert client.get(f"{url}?id_number__regex=^3301").status_code == 400
    staff = changelist(Staff)
    assert client.get(f"{staff}?phone__startswith=1").status_code == 400


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_every_offered_filter_link_still_answers(model, admin_as, everything, superuser, stella):
    url = changelist(model)
    for user in (superuser, stella):
        if not may_view(user, model):
            continue
        client = admin_as(user)
        page = client.get(url)
        assert page.status_code == 200
        links = sidebar_links(page.content.decode())
        if model_filters := admin.site._registry[model].list_filter:
            assert links, f"{model._meta.label} has filters {model_filters} but no sidebar"
        for link in links:
            response = client.get(url + link)
            # A refused lookup would be a 400, a lookup the filters fail on a redirect to ?e=1.
            assert response.status_code == 200, (user.username, link)
            assert "cl" in response.context
        walk_hierarchy(client, url, hierarchy_links(page.content.decode()))


def walk_hierarchy(client: Any, url: str, links: list[str], seen: set[str] | None = None) -> None:
    """Year → month → day: every link of the date hierarchy answers, down to the days."""
    seen = set() if seen is None else seen
    for link in links:
        if link in seen:
            continue
        seen.add(link)
        response = client.get(url + link)
        assert response.status_code == 200, link
        walk_hierarchy(client, url, hierarchy_links(response.content.decode()), seen)


def exportable() -> list[type[Model]]:
    return [model for model in REGISTERED if isinstance(admin.site._registry[model], ExportMixin)]


@pytest.mark.parametrize("model", exportable(), ids=lambda model: model._meta.label)
def test_the_export_view_holds_the_same_rule(model, admin_as, everything, alice):
    export = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export")
    client = admin_as(alice)
    for query in ["household=2601", "phone__startswith=1", "members__phone__startswith=1"]:
        assert client.get(f"{export}?{query}").status_code == 400, query
    # The sidebar's links carry over to the export page.
    for link in sidebar_links(client.get(changelist(model)).content.decode()):
        assert client.get(export + link).status_code == 200, link


def test_household_export_with_a_bad_filter_is_a_400_not_a_server_error(admin_as, alice, roster):
    response = admin_as(alice).get(reverse("admin:residents_household_export") + "?household=2601")
    assert response.status_code == 400


def drill_links(page: str) -> list[str]:
    """The node list's children and drill-path links, as query strings."""
    return re.findall(r'href="[^"?]*(\?parent__id__exact=\d+)"', page)


def test_node_drill_down_links_still_work(admin_as, alice, community_a):
    client = admin_as(alice)
    children = sorted(set(drill_links(client.get(changelist(Node)).content.decode())))
    assert children
    for link in children:
        response = client.get(changelist(Node) + link)
        assert response.status_code == 200
        assert 'id="drill-path"' in response.content.decode()
    grid = first_under(community_a, Level.GRID)
    response = client.get(changelist(Node), {"parent__id__exact": grid.pk})
    assert {node.parent_id for node in response.context["cl"].result_list} == {grid.pk}
    # The path back up (community, grid) and the next level down.
    links = drill_links(response.content.decode())
    assert f"?parent__id__exact={community_a.pk}" in links
    for link in links:
        assert client.get(changelist(Node) + link).status_code == 200


def test_the_four_lists_links_still_work(admin_as, alice, everything, community_a):
    client = admin_as(alice)
    four = reverse("admin:residents_four_lists")
    for query in ({}, {"community": community_a.pk}):
        lists = client.get(four, query).context["lists"]
        assert len(lists) == 4
        for entry in lists:
            response = client.get(entry.url)
            assert response.status_code == 200, entry.url
            shown = response.context["cl"].result_count
            assert shown == entry.count, (entry.url, shown, entry.count)


def test_person_and_household_filters_still_narrow(admin_as, alice, everything, community_a):
    client = admin_as(alice)
    persons = client.get(
        changelist(Person),
        {"political_status__exact": "party_member", "community": community_a.pk},
    )
    assert {p.name for p in persons.context["cl"].result_list} == {"张伟"}
    tagged = client.get(changelist(Person), {"tags__id__exact": Tag.objects.first().pk})
    assert {p.name for p in tagged.context["cl"].result_list} == {"张伟"}
    rented = client.get(changelist(Household), {"flat__housing_status__exact": "rented"})
    assert {h.number for h in rented.context["cl"].result_list} == {"A2"}
    by_status = client.get(changelist(Person), {"household__flat__housing_status__exact": "rented"})
    assert {p.name for p in by_status.context["cl"].result_list} == {"王芳"}
