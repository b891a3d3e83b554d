"""Schemathesis over every operation of /api/schema/: the API answers as it documents.

As a community worker (alice, with the roster) and as a superuser, every
operation of the schema the API serves gets bounded generated requests, valid
ones and invalid ones, sent in process to Django's WSGI application; an
operation on one object is tried on generated ids and on a real one in the
user's jurisdiction. Every answer must be no server error, carry a documented
status code and content type, match the documented schema, and refuse
invalid input (4xx). Every operation is run; the test fails if any had a
failure, listing each distinct one with a curl command that reproduces it.

PostgreSQL only (the `postgres` pass of .ci/run), where a bad value becomes a
database error (a NUL byte, an integer out of range) and a server error here
is a 500 there. Run it alone with DATABASE_URL set:
`pytest tests/test_api_fuzz.py`; SCHEMATHESIS_MAX_EXAMPLES sets the examples
per operation, mode and id (default 8).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.errors import FailureGroup

from grids.models import Assignment, Level, Node
from microprojects.services import adopt, submit_idea
from residents import services
from residents.models import Household, ImportBatch, LifeEvent, Person, Visit
from tests.conftest import PASSWORD, first_under
from tests.matter_data import at_assembly, compound_grid

pytestmark = pytest.mark.postgres

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8"))


CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            # The requests carry the user's token; no generated session cookies.
            "with-security-parameters": False,
        },
        "checks": {
            # A well-formed id that names nothing in the jurisdiction is a 400
            # (DRF's "does not exist", ours for query parameters); the schema
            # cannot say which ids exist.
            "positive_data_acceptance": {"enabled": False},
        },
    }
)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the API fuzz runs in the PostgreSQL pass")


@contextlib.contextmanager
def requests_in_the_test_transaction() -> Iterator[None]:
    """Requests run in this thread and inside the test's transaction, as with Django's test client.

    Django closes the connection as each request starts and ends; the test
    client turns that off around each of its requests, and so must a WSGI
    client inside a test, around all of them.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def real_ids(alice: Any, community_a: Node) -> dict[str, int]:
    """One object of each kind in community A, which both users may see: path prefix → id."""
    household = Household.objects.filter(community=community_a).order_by("pk").first()
    assert household is not None
    services.record_life_event(
        household=household, kind="marriage", occurred_on=datetime.date(2024, 5, 1)
    )
    services.record_visit(
        household=household,
        visitor=alice.staff,
        visited_on=datetime.date(2024, 5, 2),
        notes="走访",
    )
    services.start_import(user=alice, data="户号,姓名\n".encode(), filename="empty.csv")
    return {
        "nodes": first_under(community_a, Level.GRID).pk,
        "staff": alice.staff.pk,
        "assignments": Assignment.objects.get(staff=alice.staff).pk,
        "households": household.pk,
        "persons": Person.objects.filter(household=household).earliest("pk").pk,
        "life-events": LifeEvent.objects.get(household=household).pk,
        "visits": Visit.objects.get(household=household).pk,
        "imports": ImportBatch.objects.get(user=alice).pk,
        "matters": at_assembly(alice, compound_grid(community_a)).pk,
        "ideas": idea_in(community_a).pk,
        "micro-projects": adopt(user=alice, idea=idea_in(community_a), budget=Decimal(100)).pk,
    }


def idea_in(community: Node) -> Any:
    return submit_idea(
        community=community, title="共享书架", text="x", name="x", phone="13900000001"
    )


def failures_of(operation: Any, ids: dict[str, int], headers: dict[str, str]) -> list[str]:
    """Run one operation's generated cases; every distinct failure, with a curl command."""
    found: dict[str, str] = {}
    prefix = re.match(r"/api/v1/([^/]+)/", operation.path)
    fixed: list[dict[str, int] | None] = [None]
    if "{id}" in operation.path and prefix and prefix[1] in ids:
        fixed.append({"id": ids[prefix[1]]})

    def check(case: Any) -> None:
        # Each request in a savepoint: a database error in one (a 500,
        # reported) must not abort the transaction for the ones after it.
        with transaction.atomic():
            response = case.call(headers=headers)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        try:
            case.validate_response(response, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                found.setdefault(
                    f"{failure.title}: {failure.message}"[:2000],
                    case.as_curl_command(headers=headers),
                )
        except AssertionError as error:
            found.setdefault(str(error)[:2000], case.as_curl_command(headers=headers))

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for path_parameters in fixed:
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
            run = settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )(given(strategy)(check))
            try:
                run()
            except Unsatisfiable:
                # No such case can be sent (e.g. nothing in this operation to
                # make invalid): the other mode still runs.
                continue
    return [f"{problem}\n    {curl}" for problem, curl in found.items()]


@pytest.fixture(params=["community_worker", "superuser"])
def user(request: Any, alice: Any, django_user_model: Any) -> Any:
    if request.param == "community_worker":
        return alice
    return django_user_model.objects.create_superuser("root", password=PASSWORD)


@pytest.mark.usefixtures("roster")
def test_every_operation_answers_as_documented(user, alice, community_a, client, settings) -> None:
    # Thousands of requests in a few minutes, with and without credentials:
    # no throttling (its 429 is documented, and tested in its own module).
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
    }
    client.force_login(user)
    served = client.get("/api/schema/", {"format": "json"})
    assert served.status_code == 200
    schema = schemathesis.openapi.from_dict(served.json(), config=CONFIG)
    schema.app = WSGIHandler()
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    ids = real_ids(alice, community_a)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 30
    with requests_in_the_test_transaction():
        report = {op.label: failures_of(op, ids, headers) for op in operations}
    failed = {label: problems for label, problems in report.items() if problems}
    assert not failed, "\n\n".join(
        f"{label}:\n" + "\n".join(f"  - {p}" for p in problems)
        for label, problems in failed.items()
    )
