"""Every API list with hostile query values: a 400 or an ignored filter, never a 500 or a leak.

The lists are found in the URL conf (every GET of /api/v1/ answering a page),
so a new list is covered without touching this module. Each gets, for every
parameter the schema documents and a few it does not, NUL bytes, a 10,000
character string, unicode and emoji, negative, zero and huge ids, ids of rows
outside the jurisdiction, `page=0`, `page=-1`, `page=abc` and `level=99` — as
a community worker and as a street official, with a second street beside the
first. An answer is a 400 with a Chinese message, a 404 for a page past the
last, or a page whose every row is in the user's scoped queryset.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from django.db.models import Model, QuerySet
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.views import APIView

from deliberation import selectors as matter_selectors
from deliberation import voting
from deliberation.models import Matter, Voter
from grids import selectors as grid_selectors
from grids import services as grid_services
from grids.models import Assignment, Level, Node, Role, Staff
from microprojects import selectors as micro_selectors
from microprojects.models import Idea, Project
from microprojects.services import adopt, submit_idea
from residents import owners, selectors, services
from residents.models import Flat, Household, ImportBatch, LifeEvent, Owner, Person, Visit
from tasks import selectors as task_selectors
from tasks.models import Notification, Task
from tests.matter_data import at_assembly, build_roll, compound_grid
from tests.support import idn
from tests.task_data import report

CJK = re.compile(r"[\u4e00-\u9fff]")

SCOPED: dict[type[Model], Callable[[Any], QuerySet[Any]]] = {
    Node: grid_selectors.visible_nodes,
    Staff: grid_selectors.visible_staff,
    Assignment: grid_selectors.visible_assignments,
    Flat: selectors.visible_flats,
    Household: selectors.visible_households,
    Person: selectors.visible_persons,
    LifeEvent: selectors.visible_life_events,
    Visit: selectors.visible_visits,
    ImportBatch: selectors.visible_batches,
    Owner: owners.visible_owners,
    Task: task_selectors.visible_tasks,
    Notification: task_selectors.inbox,
    Matter: matter_selectors.visible_matters,
    Voter: matter_selectors.visible_voters,
    Idea: micro_selectors.visible_ideas,
    Project: micro_selectors.visible_projects,
}

HOSTILE = [
    "\x00",
    "1\x00",
    "x" * 10_000,
    "9" * 10_000,
    "社区\u200b😀",
    "-1",
    "0",
    "9223372036854775808",
    str(10**30),
    "1.5",
    "١٢",
    " 1 ",
    "99",
    "[]",
    "' OR 1=1 --",
    "%_\\",
]
# Sent as they are: bytes that are no UTF-8, a lone surrogate's encoding, a NUL.
RAW = ["%FF%FE", "%ED%A0%80", "%C0%80"]
UNDOCUMENTED = ["id", "tree_id", "community_id", "page_size"]
UNDOCUMENTED_VALUES = ["\x00", "x" * 10_000, "-1", "1"]


def _patterns(resolvers: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def api_gets() -> list[tuple[str, str, str | None]]:
    """(URL name, route, viewset basename) of every GET under /api/v1/ (no format suffixes)."""
    found = []
    for route, pattern in _patterns(get_resolver().url_patterns):
        view = getattr(pattern.callback, "cls", None)
        if not route.startswith("api/v1/") or view is None or not issubclass(view, APIView):
            continue
        if "format" in pattern.pattern.regex.groupindex or pattern.name is None:
            continue
        actions = getattr(pattern.callback, "actions", {"get": "get"})
        if "get" in actions:
            basename = getattr(pattern.callback, "initkwargs", {}).get("basename")
            found.append((pattern.name, route, basename))
    return found


def second_street() -> dict[str, int]:
    """A street nobody here works in, with one of everything: the ids must never come back."""
    street = grid_services.create_node(parent=None, code="330106099", name="外街道")
    community = grid_services.create_node(parent=street, code="330106099001", name="外社区")
    grid = grid_services.create_node(parent=community, code="330106099001001", name="外网格")
    micro = grid_services.create_node(parent=grid, code="33010609900100101", name="外微网格")
    stairwell = grid_services.create_node(
        parent=micro,
        code="33010609900100101001",
        name="1幢1单元",
        compound="外小区",
        building="1",
        unit="1",
    )
    household = services.create_household(stairwell=stairwell, room="101", number="Z1")
    person = services.add_person(
        household=household, name="外人", id_number=idn("330106", "19600101", 71)
    )
    staff = grid_services.create_staff(home_node=community, name="外社工")
    assignment = grid_services.assign(staff=staff, node=community, role=Role.COMMUNITY_WORKER)
    event = services.record_life_event(
        household=household, kind="birth", occurred_on=datetime.date(2020, 1, 1)
    )
    visit = services.record_visit(
        household=household, visitor=staff, visited_on=datetime.date(2020, 1, 2), notes="x"
    )
    return {
        "street": street.pk,
        "community": community.pk,
        "stairwell": stairwell.pk,
        "household": household.pk,
        "person": person.pk,
        "staff": staff.pk,
        "assignment": assignment.pk,
        "event": event.pk,
        "visit": visit.pk,
    }


def path_ids(alice: Any, community_a: Node) -> dict[str, int]:
    """An object in community A, which both users see, for each viewset's basename."""
    household = Household.objects.filter(community=community_a).order_by("pk").first()
    assert household is not None
    event = services.record_life_event(
        household=household, kind="marriage", occurred_on=datetime.date(2024, 5, 1)
    )
    visit = services.record_visit(
        household=household, visitor=alice.staff, visited_on=datetime.date(2024, 5, 2), notes="x"
    )
    batch = services.start_import(user=alice, data="户号,姓名\n".encode(), filename="x.csv")
    # Seen by whoever governs its area, as a checked batch is (the street official too).
    ImportBatch.objects.filter(pk=batch.pk).update(area=community_a)
    roll = services.start_import(
        user=alice,
        data="房屋地址,业主姓名\n".encode(),
        filename="y.csv",
        kind=ImportBatch.Kind.OWNERS,
    )
    ImportBatch.objects.filter(pk=roll.pk).update(area=community_a)
    owner = owners.create_owner(name="业主甲")
    grid = compound_grid(community_a)
    build_roll(grid)
    matter = at_assembly(alice, grid)
    idea, second = (
        submit_idea(community=community_a, title=t, text="x", name="x", phone="13900000001")
        for t in ("共享书架", "充电桩")
    )
    owners.set_flat_owners(flat=household.flat, owners=[owner])
    return {
        "node": community_a.pk,
        "staff": alice.staff.pk,
        "assignment": Assignment.objects.get(staff=alice.staff).pk,
        "flat": household.flat_id,
        "household": household.pk,
        "person": Person.objects.filter(household=household).earliest("pk").pk,
        "lifeevent": event.pk,
        "visit": visit.pk,
        "importbatch": batch.pk,
        "ownerimport": roll.pk,
        "owner": owner.pk,
        "task": report(alice, community_a.get_descendants().filter(level=Level.STAIRWELL)[0]).pk,
        "matter": voting.open_vote(user=alice, matter=matter).matter_id,
        "idea": idea.pk,
        "project": adopt(user=alice, idea=second, budget=Decimal(100)).pk,
    }


def scoped_rows(response: Any, user: Any) -> list[str]:
    """Rows of the page the user may not see (empty when all is well)."""
    view = response.renderer_context["view"]
    serializer = view.get_serializer_class()
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    ids: dict[type[Model], set[int]] = {}
    for row in response.json()["results"]:
        if model is not None and "id" in row:
            ids.setdefault(model, set()).add(row["id"])
        elif isinstance(row.get("node"), dict):
            ids.setdefault(Node, set()).add(row["node"]["id"])
    outside = []
    for kind, pks in ids.items():
        seen = set(SCOPED[kind](user).filter(pk__in=pks).values_list("pk", flat=True))
        outside += [f"{kind.__name__} {pk}" for pk in sorted(pks - seen)]
    return outside


def documented_parameters(schema: dict[str, Any], url: str) -> list[str]:
    for template, operations in schema["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), url) and "get" in operations:
            return [
                p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"
            ]
    raise AssertionError(f"{url} is not in the schema")


@pytest.fixture(params=["community_worker", "street_official"])
def user(request: Any, alice: Any, charlie: Any) -> Any:
    return alice if request.param == "community_worker" else charlie


@pytest.mark.usefixtures("roster", "bob")
def test_every_list_refuses_or_ignores_hostile_values(
    user, alice, community_a, api_as, admin_as, settings
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
    }
    outside = second_street()
    ids = path_ids(alice, community_a)
    schema = admin_as(user).get("/api/schema/", {"format": "json"}).json()
    client = api_as(user)
    outside_values = [str(outside[k]) for k in ("street", "community", "household", "staff")]
    lists: list[str] = []
    problems: list[str] = []
    for name, route, basename in api_gets():
        kwargs = {}
        if "<pk>" in route or "(?P<pk>" in route:
            assert basename in ids, f"no {basename} to try {route} with: add one to path_ids"
            kwargs = {"pk": ids[basename]}
        url = reverse(name, kwargs=kwargs)
        plain = client.get(url)
        assert plain.status_code == 200, (url, plain.status_code)
        if not isinstance(plain.json(), dict) or "results" not in plain.json():
            continue  # one object, not a list
        lists.append(url)
        values = [quote(v, safe="") for v in [*HOSTILE, *outside_values]] + RAW
        tries = [(p, v) for p in documented_parameters(schema, url) for v in values]
        undocumented = [*UNDOCUMENTED_VALUES, *outside_values]
        tries += [(p, quote(v, safe="")) for p in UNDOCUMENTED for v in undocumented]
        tries += [("page", "0"), ("page", "-1"), ("page", "abc"), ("level", "99")]
        for parameter, value in tries:
            response = client.get(url, QUERY_STRING=f"{parameter}={value}")
            shown = f"GET {url}?{parameter}={value[:30]}"
            if response.status_code == 400:
                if not CJK.search(response.content.decode()):
                    problems.append(f"{shown}: 400 without a Chinese message")
            elif response.status_code == 404 and parameter == "page" and value.isdigit():
                continue  # a page number past the last: DRF's 404 (0 is no page number)
            elif response.status_code == 200:
                problems += [f"{shown}: {row} outside" for row in scoped_rows(response, user)]
            else:
                problems.append(f"{shown}: {response.status_code}")
    assert len(lists) >= 12, lists
    assert not problems, "\n".join(problems[:50])
