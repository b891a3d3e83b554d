"""On the embedded SQLite, a write that waits out an import's lock is told so, and saves nothing."""

import contextlib
import threading
from collections.abc import Iterator

import pytest
from django.db import connection
from django.urls import reverse

from residents.models import Household, ImportBatch, Visit
from tests.support import a_rival_transaction

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _sqlite_with_a_short_lock_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks rows: a visit does not wait for an import")
    options = connection.settings_dict["OPTIONS"]
    kept = options["timeout"]
    options["timeout"] = 0.3
    connection.close()  # the timeout is read when connecting
    yield
    options["timeout"] = kept
    connection.close()


@contextlib.contextmanager
def an_import_writing() -> Iterator[None]:
    """Another connection holds SQLite's one write lock, as a long import does."""
    finished = threading.Event()
    with a_rival_transaction(
        lambda: ImportBatch.objects.update(rows_done=0), until=finished.is_set, commit=True
    ):
        try:
            yield
        finally:
            finished.set()


def a_visit(alice) -> dict[str, object]:
    household = Household.objects.get(number="A1")
    return {
        "household": household.pk,
        "visitor": alice.staff.pk,
        "visited_on": "2026-11-20",
        "notes": "走访",
    }


def test_the_admin_says_the_database_is_busy(admin_as, alice, roster):
    client = admin_as(alice)
    with an_import_writing():
        page = client.post(reverse("admin:residents_visit_add"), a_visit(alice))
    assert page.status_code == 503 and page["Retry-After"] == "30"
    assert "正在写入" in page.content.decode() and 'id="database-busy"' in page.content.decode()
    assert not Visit.objects.exists()


def test_the_api_says_the_database_is_busy(api_as, alice, roster):
    client = api_as(alice)
    with an_import_writing():
        response = client.post("/api/v1/visits/", a_visit(alice), format="json")
    assert response.status_code == 503 and "正在写入" in response.json()["detail"]
    assert not Visit.objects.exists()
    assert client.post("/api/v1/visits/", a_visit(alice), format="json").status_code == 201
