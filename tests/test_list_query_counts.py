"""Every admin changelist and API list makes as many queries for 30 rows as for 1.

Each case makes one row its list shows, requests the list (once to warm
caches, once counted), makes 29 more, and counts again: the counts must be
equal and the list must show 29 more rows. A per-row query (a foreign key
read in a column, a count per row, a permission per row) makes them differ.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from grids import services as grid_services
from grids.models import AccessLog, Level, Node, Role
from residents import services
from residents.models import Household, ImportBatch, Person, Tag
from tests.conftest import first_under
from tests.support import idn

TODAY = datetime.date(2026, 11, 2)


class Rows:
    """What a case needs to make numbered rows: a fresh micro-grid in community A, and
    households, persons, staff in it made on demand."""

    def __init__(self, community: Node, user: Any) -> None:
        self.community = community
        self.user = user
        grid = first_under(community, Level.GRID)
        self.micro = grid_services.create_node(
            parent=grid, code=grid_services.next_child_code(grid), name="计数微网格"
        )
        self.made = 0
        self.batch: ImportBatch | None = None

    def stairwell(self, n: int) -> Node:
        return grid_services.create_node(
            parent=self.micro,
            code=grid_services.next_child_code(self.micro),
            name=f"{n + 1}幢1单元",
            building=str(n + 1),
            unit="1",
        )

    def household(self, n: int) -> Household:
        existing = Household.objects.filter(stairwell__parent=self.micro, number=f"Q{n}").first()
        if existing is not None:
            return existing
        return services.create_household(
            stairwell=self.stairwell(n),
            room="101",
            number=f"Q{n}",
            housing_status="rented" if n % 2 else "owner_occupied",
            owner=f"业主{n}",
        )

    def person(self, n: int) -> Person:
        existing = Person.objects.filter(household__number=f"Q{n}", relation="head").first()
        if existing is not None:
            return existing
        birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=97 * n)
        return services.add_person(
            household=self.household(n),
            name=f"居民{n}",
            id_number=idn("330106", birth.strftime("%Y%m%d"), 100 + n),
            phone=f"1380013{n:04d}",
            relation="head",
            political_status="party_member",
            tags=[Tag.objects.order_by("pk")[n % 3]],
        )

    def staff(self, n: int) -> Any:
        staff = grid_services.create_staff(
            home_node=self.micro, name=f"计数员{n}", phone=f"1390013{n:04d}"
        )
        grid_services.assign(staff=staff, node=self.micro, role=Role.MICRO_GRID_MEMBER)
        return staff

    def import_batch(self, n: int) -> ImportBatch:
        return ImportBatch.objects.create(
            user=self.user,
            area=self.community,
            filename=f"登记表{n}.csv",
            sha256="0" * 64,
            upload=b"x" * 1024,
            status=ImportBatch.Status.REJECTED,
            rows_total=10,
            rows_done=10,
            summary={"persons_created": 0, "persons_updated": 0},
            errors=[{"line": 3, "column": "姓名", "code": "required", "message": "必填"}],
            error_count=1,
        )

    def problem(self, n: int) -> None:
        if self.batch is None:
            self.batch = self.import_batch(-1)
        self.batch.errors.append(
            {"line": n + 3, "column": "联系电话", "code": "bad_phone", "message": "不是电话号码"}
        )
        self.batch.error_count = len(self.batch.errors)
        self.batch.save(update_fields=["errors", "error_count"])

    def deleted_person(self, n: int) -> None:
        person = self.person(n)
        person_pk = person.pk
        person.delete()
        Person.history.filter(id=person_pk, history_type="-").update(history_user=self.user)

    def deleted_household(self, n: int) -> None:
        household = self.household(n)
        household_pk = household.pk
        household.delete()
        Household.history.filter(id=household_pk, history_type="-").update(history_user=self.user)


@dataclass(frozen=True)
class Case:
    name: str
    user: str  # a fixture: alice (community A worker), charlie (street official), root
    make: Callable[[Rows, int], object]
    url: Callable[[Rows], str]
    api: bool = False


def admin_list(app_model: str) -> Callable[[Rows], str]:
    return lambda rows: reverse(f"admin:{app_model}_changelist")


def user(rows: Rows, n: int) -> Any:
    return get_user_model().objects.create_user(username=f"counted{n}")


def parent_filter(rows: Rows) -> str:
    return reverse("admin:grids_node_changelist") + f"?parent__id__exact={rows.micro.pk}"


CASES = [
    # The admin.
    Case("admin nodes", "charlie", Rows.stairwell, parent_filter),
    Case("admin staff", "charlie", Rows.staff, admin_list("grids_staff")),
    Case("admin assignments", "charlie", Rows.staff, admin_list("grids_assignment")),
    Case(
        "admin access log",
        "root",
        lambda rows, n: AccessLog.objects.create(user=rows.user, action="view", what=f"{n}"),
        admin_list("grids_accesslog"),
    ),
    Case("admin households", "alice", Rows.person, admin_list("residents_household")),
    Case(
        "admin households searched",
        "alice",
        Rows.person,
        lambda rows: reverse("admin:residents_household_changelist") + "?q=居民",
    ),
    Case("admin persons", "alice", Rows.person, admin_list("residents_person")),
    Case(
        "admin persons filtered",
        "alice",
        Rows.person,
        lambda rows: reverse("admin:residents_person_changelist") + "?q=居民",
    ),
    Case(
        "admin tags",
        "root",
        lambda rows, n: Tag.objects.create(name=f"标签{n}"),
        admin_list("residents_tag"),
    ),
    Case(
        "admin life events",
        "alice",
        lambda rows, n: services.record_life_event(
            household=rows.household(n), person=rows.person(n), kind="marriage", occurred_on=TODAY
        ),
        admin_list("residents_lifeevent"),
    ),
    Case(
        "admin visits",
        "alice",
        lambda rows, n: services.record_visit(
            household=rows.household(n), visitor=rows.user.staff, visited_on=TODAY, notes="走访"
        ),
        admin_list("residents_visit"),
    ),
    Case("admin import batches", "alice", Rows.import_batch, admin_list("residents_importbatch")),
    Case(
        "admin deleted persons",
        "alice",
        Rows.deleted_person,
        lambda rows: reverse("admin:residents_deleted"),
    ),
    Case(
        "admin deleted households",
        "alice",
        Rows.deleted_household,
        lambda rows: reverse("admin:residents_deleted"),
    ),
    Case("admin users", "root", user, admin_list("auth_user")),
    Case(
        "admin groups",
        "root",
        lambda rows, n: Group.objects.create(name=f"组{n}"),
        admin_list("auth_group"),
    ),
    Case(
        "admin tokens",
        "root",
        lambda rows, n: Token.objects.create(user=user(rows, n)),
        admin_list("authtoken_tokenproxy"),
    ),
    # The API.
    Case(
        "API nodes",
        "charlie",
        Rows.stairwell,
        lambda r: f"/api/v1/nodes/?parent={r.micro.pk}",
        True,
    ),
    Case(
        "API children",
        "charlie",
        Rows.stairwell,
        lambda rows: f"/api/v1/nodes/{rows.micro.pk}/children/",
        True,
    ),
    Case(
        "API subtree",
        "charlie",
        Rows.stairwell,
        lambda rows: f"/api/v1/nodes/{rows.micro.pk}/subtree/",
        True,
    ),
    Case(
        "API coverage",
        "charlie",
        Rows.stairwell,
        lambda rows: f"/api/v1/coverage/?node={rows.micro.pk}",
        True,
    ),
    Case("API staff", "charlie", Rows.staff, lambda rows: "/api/v1/staff/", True),
    Case(
        "API assignments",
        "charlie",
        Rows.staff,
        lambda rows: f"/api/v1/assignments/?node={rows.micro.pk}",
        True,
    ),
    Case("API households", "alice", Rows.person, lambda rows: "/api/v1/households/", True),
    Case("API persons", "alice", Rows.person, lambda rows: "/api/v1/persons/", True),
    Case(
        "API persons party members",
        "alice",
        Rows.person,
        lambda rows: "/api/v1/persons/?list=party-members",
        True,
    ),
    Case(
        "API life events",
        "alice",
        lambda rows, n: services.record_life_event(
            household=rows.household(n), person=rows.person(n), kind="marriage", occurred_on=TODAY
        ),
        lambda rows: "/api/v1/life-events/",
        True,
    ),
    Case(
        "API visits",
        "alice",
        lambda rows, n: services.record_visit(
            household=rows.household(n), visitor=rows.user.staff, visited_on=TODAY, notes="走访"
        ),
        lambda rows: "/api/v1/visits/",
        True,
    ),
    Case("API imports", "alice", Rows.import_batch, lambda rows: "/api/v1/imports/", True),
    Case(
        "API import problems",
        "alice",
        Rows.problem,
        lambda rows: f"/api/v1/imports/{rows.batch.pk}/errors/",  # type: ignore[union-attr]
        True,
    ),
]


def shown(response: Any, case: Case) -> int:
    """How many rows the page lists."""
    if case.api:
        return len(response.json()["results"])
    context = response.context
    if "cl" in context:
        return len(context["cl"].result_list)
    return len(context["persons"]) + len(list(context["households"]))


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser(username="root", password="x" * 12)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_queries_do_not_grow_with_rows(case, request, community_a, admin_as, api_as):
    who = request.getfixturevalue(case.user)
    rows = Rows(community_a, who)
    if case.user == "root" and not hasattr(who, "staff"):
        rows.user = who
    client = api_as(who) if case.api else admin_as(who)

    def counted() -> tuple[int, int, list[str]]:
        url = case.url(rows)
        assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, response.content[:500]
        return len(queries), shown(response, case), [q["sql"] for q in queries]

    case.make(rows, 0)
    one, rows_one, _ = counted()
    for n in range(1, 30):
        case.make(rows, n)
    thirty, rows_thirty, sql_thirty = counted()
    assert rows_thirty - rows_one == 29, (rows_one, rows_thirty)
    repeated = Counter(sql_thirty).most_common(1)[0]
    assert thirty == one, f"{one} queries for 1 row, {thirty} for 30; most repeated: {repeated}"
