"""Shared fixtures: a small street set up through services, and alice/bob/charlie.

alice works in community A, bob in community B, charlie is a street official;
dave has a login but no assignment.
"""

from __future__ import annotations

import os
import uuid

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


@pytest.fixture(scope="session", autouse=True)
def _own_celery_queue():
    """Jobs sent by tests go to a queue of this run only.

    A `make run` worker on the same broker would otherwise take them and run
    them against the development database.
    """
    from config.celery import app

    app.conf.task_default_queue = f"tests-{os.getpid()}"
    yield


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Each test its own empty cache, where the API's throttles count.

    Counts left by earlier tests (the same user ids come back on SQLite) must
    not throttle a later one; and the run's Redis, when configured, is shared
    with the broker, so it is never flushed.
    """
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4()}",
        }
    }


@pytest.fixture(autouse=True)
def _own_media(settings, tmp_path):
    """Task photos a test uploads go to its own directory, gone with it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def worker():
    """A real Celery worker (in a thread) on the configured broker."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


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


@pytest.fixture
def places(community_a: Node):
    """A stairwell of community A and the units above it (tests/task_data.py)."""
    from tests.task_data import places_in

    return places_in(community_a)


@pytest.fixture
def people(places):
    """stella, frank and gina: the stairwell, micro-grid and grid leaders over it."""
    from tests.task_data import team

    return team(places)


__all__ = ["PASSWORD", "Level", "first_under", "make_user"]


@pytest.fixture
def roster(street):
    """Three households in community A (和达城) and two in community B (云帆城)."""
    from residents.services import import_now
    from tests.support import idn

    rows = [
        [
            "A1",
            "张伟",
            "男",
            idn("330106", "19800101", 11),
            "户主",
            "和达城1幢1单元101室",
            "13800000001",
            "中共党员",
            "户籍",
            "自住",
        ],
        [
            "A1",
            "李娜",
            "女",
            idn("330106", "19820202", 12),
            "配偶",
            "和达城1幢1单元101室",
            "13800000002",
            "群众",
            "户籍",
            "自住",
        ],
        [
            "A2",
            "王芳",
            "女",
            idn("410103", "19900515", 22),
            "户主",
            "和达城1幢2单元201室",
            "13900000003",
            "群众",
            "流动人口",
            "出租",
        ],
        [
            "A3",
            "=HYPERLINK(1)",
            "男",
            idn("330106", "19700707", 33),
            "户主",
            "和达城2幢1单元301室",
            "",
            "群众",
            "户籍",
            "自住",
        ],
        [
            "B1",
            "赵强",
            "男",
            idn("330106", "19750303", 43),
            "户主",
            "云帆城1幢1单元101室",
            "13700000004",
            "中共党员",
            "户籍",
            "自住",
        ],
        [
            "B2",
            "钱丽",
            "女",
            idn("340102", "19880808", 54),
            "户主",
            "云帆城1幢2单元102室",
            "13700000005",
            "群众",
            "流动人口",
            "出租",
        ],
    ]
    header = (
        "户号,姓名,性别,公民身份号码,与户主关系,现居住地址,联系电话,政治面貌,人口类型,房屋性质\n"
    )
    data = (header + "\n".join(",".join(r) for r in rows)).encode("utf-8")
    import_now(data=data, filename="roster.csv")
    return rows


@pytest.fixture
def frank(community_a):
    """A micro-grid leader in community A: sees the roster there, masked."""
    micro = first_under(community_a, Level.MICRO_GRID)
    return make_user("frank", micro, Role.MICRO_GRID_LEADER)
