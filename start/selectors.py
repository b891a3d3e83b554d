"""Reads for the start page: the units a user answers for and what they hold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Count, Q, QuerySet

from grids.jurisdiction import scope_for
from grids.models import Assignment, Level, Node, Role
from residents.models import ANCESTOR_FIELDS, Household, Person


@dataclass(frozen=True)
class UnitCounts:
    node: Node
    roles: tuple[str, ...]  # labels of the user's current roles there
    households: int
    residents: int
    stairwells: int


def _units(user: Any) -> list[tuple[Node, tuple[str, ...]]]:
    """The outermost nodes of the user's jurisdiction with the roles held at each."""
    scope = scope_for(user)
    if scope.everything:
        return [(node, ()) for node in Node.objects.filter(level=Level.STREET).order_by("tree_id")]
    outermost = [s.node_id for s in scope.subtrees]
    if not outermost:
        return []
    # The scope's nodes come from these assignments; one query brings node and role.
    assignments = (
        Assignment.objects.current()
        .filter(staff__user=user, node_id__in=outermost)
        .select_related("node")
        .order_by("node__tree_id", "node__lft", "role")
    )
    nodes: dict[int, Node] = {}
    roles: dict[int, list[str]] = {}
    for assignment in assignments:
        nodes.setdefault(assignment.node_id, assignment.node)
        roles.setdefault(assignment.node_id, []).append(str(Role(assignment.role).label))
    return [(node, tuple(roles[pk])) for pk, node in nodes.items()]


def _on_column(node: Node, prefix: str = "") -> Q:
    # Households carry each ancestor as an indexed column: no tree walk.
    return Q(**{f"{prefix}{ANCESTOR_FIELDS[node.level]}_id": node.pk})


def _in_subtree(node: Node) -> Q:
    return Q(tree_id=node.tree_id, lft__gte=node.lft, rght__lte=node.rght)


def _counted(
    queryset: QuerySet[Any], units: list[Node], inside: Callable[[Node], Q]
) -> dict[int, int]:
    """One row-count per unit in a single aggregate, reading only the units' rows."""
    conditions = {node.pk: inside(node) for node in units}
    totals = queryset.filter(reduce(or_, conditions.values())).aggregate(
        **{f"n{pk}": Count("pk", filter=condition) for pk, condition in conditions.items()}
    )
    return {pk: totals[f"n{pk}"] for pk in conditions}


def unit_counts(*, user: Any) -> list[UnitCounts]:
    """Each unit the user answers for — their current assignments, a unit inside another
    folded into it; every street for a superuser — with its households, residents (those
    not moved out or deceased) and stairwells. Five queries however many units there are."""
    units = _units(user)
    if not units:
        return []
    nodes = [node for node, _ in units]
    households = _counted(Household.objects.all(), nodes, _on_column)
    residents = _counted(
        Person.objects.filter(moved_out_on__isnull=True, deceased_on__isnull=True),
        nodes,
        lambda node: _on_column(node, "household__"),
    )
    stairwells = _counted(Node.objects.filter(level=Level.STAIRWELL), nodes, _in_subtree)
    return [
        UnitCounts(
            node=node,
            roles=roles,
            households=households[node.pk],
            residents=residents[node.pk],
            stairwells=stairwells[node.pk],
        )
        for node, roles in units
    ]
