"""No page links to what its user may not open; what they may not open is a Chinese 403.

Each role opens the roster pages that carry links of our own (the household and
person lists, the 四掌握 lists) and follows every link there: none may answer 403.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from grids.models import Role
from residents.models import Household
from tests.conftest import make_user

PAGES = ["/admin/residents/household/", "/admin/residents/person/", "/admin/residents/person/four/"]


@pytest.fixture
def stella(roster):
    """The stairwell leader of household A1's stairwell: views households and persons only."""
    return make_user("stella", Household.objects.get(number="A1").stairwell, Role.STAIRWELL_LEADER)


@pytest.fixture
def client_of(roster):
    def login(user) -> Client:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        return client

    return login


def hrefs(page: str) -> set[str]:
    content = page[page.index('id="content"') :]
    return {
        url.replace("&amp;", "&")
        for url in re.findall(r'href="(/admin/[^"]*)"', content)
        if "/logout/" not in url
    }


@pytest.mark.parametrize("who", ["alice", "charlie", "frank", "stella"])
def test_every_link_on_the_roster_pages_opens(request, client_of, who):
    client = client_of(request.getfixturevalue(who))
    for page_url in PAGES:
        response = client.get(page_url)
        assert response.status_code == 200, page_url
        for url in sorted(hrefs(response.content.decode())):
            answer = client.get(url, follow=True)
            assert answer.status_code != 403, f"{who}: {page_url} links to {url}, a 403"


def test_a_stairwell_leader_sees_the_life_events_count_without_a_link(client_of, stella):
    client = client_of(stella)
    page = client.get("/admin/residents/person/four/").content.decode()
    assert '<span data-list="life_events">' in page
    assert "/admin/residents/lifeevent/" not in page
    assert 'data-list="party_members"' in page and "political_status__exact" in page
    # and the list itself, asked for by address, is the Chinese 403 page
    refused = client.get("/admin/residents/lifeevent/")
    assert refused.status_code == 403
    assert "没有权限" in refused.content.decode() and "微网格治理平台" in refused.content.decode()


def test_a_stairwell_leader_is_offered_no_import(client_of, stella):
    page = client_of(stella).get("/admin/residents/household/").content.decode()
    assert "/admin/residents/importbatch/upload/" not in page
    assert "/admin/residents/person/four/" in page


def test_the_deleted_records_are_linked_for_who_may_restore_them(client_of, alice, charlie):
    deleted = "/admin/residents/person/deleted/"
    assert deleted not in client_of(charlie).get("/admin/residents/person/").content.decode()
    refused = client_of(charlie).get(deleted)
    assert refused.status_code == 403 and "没有权限" in refused.content.decode()

    worker = client_of(alice)
    assert deleted in worker.get("/admin/residents/person/").content.decode()
    assert worker.get(deleted).status_code == 200


def test_a_community_worker_keeps_every_link(client_of, alice):
    client = client_of(alice)
    households = client.get("/admin/residents/household/").content.decode()
    assert "/admin/residents/importbatch/upload/" in households
    four = client.get("/admin/residents/person/four/").content.decode()
    assert '<a href="/admin/residents/lifeevent/' in four
