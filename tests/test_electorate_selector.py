"""The electorate of a subtree (residents.owners.electorate) against a count of our own:
random flats, owners, co-owners and developer's flats made through the services; the
textbook cases; the scope; one query; and /api/v1/electorate/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grids.jurisdiction import Scope, scope_for
from grids.models import Level, Node
from residents import owners
from residents.models import Delivery, OwnerKind
from tests.support import credit_code, idn
from tests.test_owners import a_flat, stairwells_of

URL = "/api/v1/electorate/"
POOL = 5  # owners 0-3 are people, 4 the developer company


@dataclass(frozen=True)
class PlannedFlat:
    stairwell: int  # index into the tree's four stairwells
    area: Decimal | None
    delivery: str
    owners: frozenset[int]  # indices into the pool


planned_flats = st.builds(
    PlannedFlat,
    stairwell=st.integers(0, 3),
    area=st.none() | st.decimals(min_value=0, max_value=300, places=2, allow_nan=False),
    delivery=st.sampled_from(list(Delivery)),
    owners=st.frozensets(st.integers(0, POOL - 1), max_size=3),
)


def expected(plan: list[PlannedFlat]) -> tuple[int, Decimal, int, dict[str, int]]:
    """Flats, area, heads and heads by voter, counted from the plan by the law's words."""
    counted = [
        f for f in plan if f.area is not None or f.owners or f.delivery != Delivery.DELIVERED
    ]
    developer = [f for f in counted if f.delivery != Delivery.DELIVERED]
    buyers = {f.owners for f in counted if f.delivery == Delivery.DELIVERED and f.owners}
    unrecorded = [f for f in counted if f.delivery == Delivery.DELIVERED and not f.owners]
    heads = {"owners": len(buyers), "developer": min(len(developer), 1), "flat": len(unrecorded)}
    area = sum((f.area or Decimal(0) for f in counted), Decimal(0))
    return len(counted), area, sum(heads.values()), heads


def observed(scope: Scope, node: Node) -> tuple[int, Decimal, int, dict[str, int]]:
    result = owners.electorate(scope, node)
    return result.count.flats, result.count.area, result.count.heads, result.heads


@pytest.fixture
def tree(community_a, community_b) -> tuple[list[Node], list[Node]]:
    """Four stairwells (two in A, in different grids; two in B) and the nodes to count."""
    in_a, in_b = stairwells_of(community_a), stairwells_of(community_b)
    stairwells = [in_a[0], in_a[-1], in_b[0], in_b[1]]
    assert stairwells[0].parent.parent_id != stairwells[1].parent.parent_id
    grid = stairwells[0].get_ancestors().get(level=Level.GRID)
    return stairwells, [community_a.parent, community_a, community_b, grid, stairwells[0]]


def build(plan: list[PlannedFlat], stairwells: list[Node]) -> None:
    pool = [
        owners.create_owner(name=f"业主{i}", certificate=idn("330106", "19800101", i))
        for i in range(POOL - 1)
    ]
    pool.append(
        owners.create_owner(
            name="和达置业有限公司", kind=OwnerKind.ORGANISATION, certificate=credit_code(1)
        )
    )
    flats = {}
    for n, planned in enumerate(plan):
        flat = a_flat(
            stairwells[planned.stairwell],
            f"{n + 1}01",
            **({} if planned.area is None else {"area": planned.area}),
            delivery=planned.delivery,
        )
        flats[flat.pk] = [pool[i].pk for i in planned.owners]
    owners.set_owners(owners_by_flat=flats)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=st.lists(planned_flats, max_size=12))
def test_the_selector_agrees_with_the_law_on_random_rolls(tree, alice, plan):
    stairwells, nodes = tree
    with transaction.atomic():
        build(plan, stairwells)
        everything = Scope(everything=True)
        for node in nodes:
            inside = {
                i
                for i, s in enumerate(stairwells)
                if s.tree_id == node.tree_id and node.lft <= s.lft and s.rght <= node.rght
            }
            assert observed(everything, node) == expected(
                [f for f in plan if f.stairwell in inside]
            ), node
        # alice's street is community A's part of it.
        street = nodes[0]
        assert observed(scope_for(alice), street) == expected([f for f in plan if f.stairwell < 2])
        transaction.set_rollback(True)


def test_the_textbook_cases(tree):
    (s1, s2, _b1, _b2), (street, *_rest) = tree
    zhang = owners.create_owner(name="张伟", certificate=idn("330106", "19800101", 11))
    li = owners.create_owner(name="李娜", certificate=idn("330106", "19820202", 12))
    wang = owners.create_owner(name="王芳")
    developer = owners.create_owner(
        name="和达置业有限公司", kind=OwnerKind.ORGANISATION, certificate=credit_code(1)
    )
    rows = {
        # 张伟 owns three flats in two stairwells: one head.
        a_flat(s1, "101", area=Decimal("90.10")): [zhang],
        a_flat(s1, "102", area=Decimal("90.10")): [zhang],
        a_flat(s2, "101", area=Decimal("60.00")): [zhang],
        # 张伟 and 李娜 co-own two flats: one head for the two together.
        a_flat(s1, "201", area=Decimal("120.00")): [zhang, li],
        a_flat(s2, "201", area=Decimal("80.00")): [li, zhang],
        # The developer's unsold and undelivered flats: one head together, whoever the
        # roll names for them (the company, a buyer, nobody).
        a_flat(s1, "301", area=Decimal("88.00"), delivery=Delivery.UNSOLD): [developer],
        a_flat(s2, "301", area=Decimal("88.00"), delivery=Delivery.UNSOLD): [],
        a_flat(s2, "302", delivery=Delivery.SOLD_UNDELIVERED): [wang],
        # No owner on record: the flat is its own head.
        a_flat(s2, "401", area=Decimal("75.55")): [],
        # Nothing on record at all (a room a household registered in): not counted.
        a_flat(s2, "402"): [],
    }
    owners.set_owners(owners_by_flat={f.pk: [o.pk for o in who] for f, who in rows.items()})

    result = owners.electorate(Scope(everything=True), street)
    assert (result.count.flats, result.count.heads) == (9, 4)
    assert result.count.area == Decimal("691.75")
    assert result.heads == {"owners": 2, "developer": 1, "flat": 1}
    assert result.flats == {"owners": 5, "developer": 3, "flat": 1}
    # 张伟's own flats and the co-owned ones are two heads: the art. 278 shares are exact.
    assert result.count.head_share(2) == Fraction(1, 2)
    assert result.count.area_share(Decimal("240.20")) == Fraction(24020, 69175)

    # A stairwell alone: 张伟 and the co-owners, the developer's unsold flat.
    alone = owners.electorate(Scope(everything=True), s1)
    assert (alone.count.flats, alone.count.heads, alone.count.area) == (4, 3, Decimal("388.20"))


def test_one_query_and_only_the_scope(tree, alice, bob):
    (s1, _s2, b1, _b2), (street, community_a, community_b, *_rest) = tree
    zhang = owners.create_owner(name="张伟")
    owners.set_owners(
        owners_by_flat={
            a_flat(s1, "101", area=Decimal("50")).pk: [zhang.pk],
            a_flat(b1, "101", area=Decimal("70")).pk: [zhang.pk],
        }
    )
    scope = scope_for(alice)
    with CaptureQueriesContext(connection) as queries:
        result = owners.electorate(scope, street)
    assert len(queries) == 1
    assert (result.count.flats, result.count.area) == (1, Decimal("50"))
    assert owners.electorate(bob, community_a).count.flats == 0
    assert owners.electorate(bob, community_b).count.area == Decimal("70")


def test_the_api_answers_with_an_exact_area(api_as, alice, tree):
    (s1, _s2, _b1, _b2), (_street, community_a, *_rest) = tree
    zhang = owners.create_owner(name="张伟")
    owners.set_owners(
        owners_by_flat={
            a_flat(s1, "101", area=Decimal("0.10")).pk: [zhang.pk],
            a_flat(s1, "102", area=Decimal("0.20")).pk: [zhang.pk],
            a_flat(s1, "103", area=Decimal("0.30")).pk: [],
        }
    )
    answer = api_as(alice).get(URL, {"node": community_a.pk})
    assert answer.status_code == 200
    assert answer.json() == {
        "node": community_a.pk,
        "flats": 3,
        "area": "0.60",
        "heads": 2,
        "heads_by_voter": {"owners": 1, "developer": 0, "flat": 1},
        "flats_by_voter": {"owners": 2, "developer": 0, "flat": 1},
    }

    # Without a node: the whole jurisdiction, which is community A for alice.
    assert api_as(alice).get(URL).json() == {**answer.json(), "node": None}


@pytest.mark.parametrize("node", ["abc", "0", "-1", "999999", "B"])
def test_a_bad_unknown_or_foreign_node_is_a_400(api_as, alice, tree, node):
    (_stairwells, (_street, _a, community_b, *_rest)) = tree
    answer = api_as(alice).get(URL, {"node": str(community_b.pk) if node == "B" else node})
    assert answer.status_code == 400
    (message,) = answer.json()["node"]
    assert re.search("[\u4e00-\u9fff]", message), message  # in Chinese


def test_without_the_owners_permission_it_is_a_403(api_as, dave, tree):
    (_stairwells, (_street, community_a, *_rest)) = tree
    # frank (微网格员) holds view_owner (residents 0014); dave has no role at all.
    assert api_as(dave).get(URL, {"node": community_a.pk}).status_code == 403
