"""Shared fixtures: a small street set up through services, and alice/bob/charlie.

alice works in community A, bob in community B, charlie is a street official;
dave has a login but no assignment.
"""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from grids import services
from grids.demo import DEMO_STREET_CODE, SCALES, tree_rows
from grids.models import Level, Node, Role
from grids.tree_import import load_street

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the tests make around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery"


@pytest.fixture
def street(db) -> Node:
    load_street(rows=tree_rows(SCALES["tiny"]))
    return Node.objects.get(code=DEMO_STREET_CODE)


@pytest.fixture
def community_a(street: Node) -> Node:
    return Node.objects.get(code=DEMO_STREET_CODE + "001")


@pytest.fixture
def community_b(street: Node) -> Node:
    return Node.objects.get(code=DEMO_STREET_CODE + "002")


def first_under(node: Node, level: int) -> Node:
    return node.get_descendants().filter(level=level).order_by("lft").first()


def make_user(username: str, node: Node | None = None, role: str | None = None):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    if node is not None and role is not None:
        staff = services.create_staff(home_node=node, name=username.title(), user=user)
        services.assign(staff=staff, node=node, role=role)
    return user


@pytest.fixture
def alice(community_a: Node):
    return make_user("alice", community_a, Role.COMMUNITY_WORKER)


@pytest.fixture
def bob(community_b: Node):
    return make_user("bob", community_b, Role.COMMUNITY_WORKER)


@pytest.fixture
def charlie(street: Node):
    return make_user("charlie", street, Role.STREET_OFFICIAL)


@pytest.fixture
def dave(street: Node):
    return make_user("dave")


@pytest.fixture
def api_as():
    def login(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return login


@pytest.fixture
def admin_as(client):
    def login(user):
        client.force_login(user)
        return client

    return login


__all__ = ["PASSWORD", "Level", "first_under", "make_user"]
