"""Reads: scoped, joined querysets for the admin, the API and commands."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce

from grids.jurisdiction import scope_for
from grids.models import (
    STAIRWELL_TRIO,
    Assignment,
    AssignmentQuerySet,
    Level,
    Node,
    Role,
    Staff,
    SupplyItem,
)


def visible_nodes(user: Any) -> QuerySet[Node]:
    return Node.objects.filter(scope_for(user).q())


def in_jurisdiction(user: Any, node: Node) -> bool:
    """Whether `node` lies in the user's jurisdiction: the check before every write."""
    return visible_nodes(user).filter(pk=node.pk).exists()


def visible_supplies(user: Any) -> QuerySet[SupplyItem]:
    return SupplyItem.objects.filter(scope_for(user).q("node__"))


def visible_assignments(user: Any) -> AssignmentQuerySet:
    return Assignment.objects.filter(scope_for(user).q("node__"))


def visible_staff(user: Any) -> QuerySet[Staff]:
    """Staff kept by a unit in the jurisdiction or assigned anywhere in it."""
    scope = scope_for(user)
    if scope.everything:
        return Staff.objects.all()
    assigned_here = Assignment.objects.filter(scope.q("node__"), staff=OuterRef("pk"))
    return Staff.objects.filter(scope.q("home_node__") | Exists(assigned_here))


def staff_search(term: str) -> Q:
    """Names and organisations by part; a phone only in full, so masked digits cannot be probed."""
    term = term.strip()
    digits = term.replace("-", "").replace(" ", "")
    if digits.isdigit() and len(digits) >= 7:
        return Q(phone=digits)
    return Q(name__icontains=term) | Q(organisation__icontains=term)


_VISIBLE: dict[type[Model], Callable[[Any], QuerySet[Any]]] = {
    Node: visible_nodes,
    Staff: visible_staff,
    Assignment: visible_assignments,
    SupplyItem: visible_supplies,
}


def visible(model: type[Model], user: Any) -> QuerySet[Any]:
    """The jurisdiction-scoped queryset of any model of this app."""
    return _VISIBLE[model](user)


def _descendants_at(level: int) -> QuerySet[Node]:
    return Node.objects.filter(
        tree_id=OuterRef("tree_id"),
        lft__gt=OuterRef("lft"),
        rght__lt=OuterRef("rght"),
        level=level,
    )


def _count(qs: QuerySet[Any]) -> Coalesce:
    counted = qs.order_by().values("tree_id").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_counts(nodes: QuerySet[Node]) -> QuerySet[Node]:
    """Children and stairwells under each node, counted in the same query.

    Use on a page of nodes (see attach_counts): on a whole street SQLite
    computes the counts for every row before it sorts and slices.
    """
    children = Node.objects.filter(parent=OuterRef("pk"))
    return nodes.annotate(
        children_count=Coalesce(
            Subquery(
                children.order_by().values("parent").annotate(n=Count("*")).values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        stairwell_count=_count(_descendants_at(Level.STAIRWELL)),
    )


def attach_counts(page: Iterable[Node]) -> list[Node]:
    """Set children_count and stairwell_count on a page of nodes, in one query."""
    page = list(page)
    counted = {n.pk: n for n in with_counts(Node.objects.filter(pk__in=[n.pk for n in page]))}
    for node in page:
        node.children_count = counted[node.pk].children_count
        node.stairwell_count = counted[node.pk].stairwell_count
    return page


def subtree(node: Node, *, include_self: bool = True) -> QuerySet[Node]:
    qs = Node.objects.filter(tree_id=node.tree_id, lft__gte=node.lft, rght__lte=node.rght)
    if not include_self:
        qs = qs.exclude(pk=node.pk)
    return qs.order_by("lft")


@dataclass(frozen=True)
class SupplyTotal:
    item: str
    unit: str
    quantity: Decimal


@dataclass(frozen=True)
class Ledger:
    node: Node
    exits: int
    supplies: tuple[SupplyTotal, ...]
    stairwells: int


def ledger(node: Node) -> Ledger:
    """The 网格底册 of a node, rolled up over its subtree (3 queries)."""
    nodes = subtree(node)
    exits = nodes.aggregate(total=Coalesce(Sum("exits"), 0))["total"]
    supplies = (
        SupplyItem.objects.filter(
            node__tree_id=node.tree_id, node__lft__gte=node.lft, node__rght__lte=node.rght
        )
        .values("item", "unit")
        .annotate(quantity=Sum("quantity"))
        .order_by("item", "unit")
    )
    return Ledger(
        node=node,
        exits=exits,
        supplies=tuple(SupplyTotal(**row) for row in supplies),
        stairwells=nodes.filter(level=Level.STAIRWELL).count(),
    )


@dataclass(frozen=True)
class CoverageGap:
    node: Node
    missing: tuple[str, ...]  # Role values

    @property
    def missing_labels(self) -> list[str]:
        return [str(Role(r).label) for r in self.missing]


# Which roles each level must have filled, per the "一长二员" standard.
REQUIRED_ROLES: dict[int, Sequence[str]] = {
    Level.GRID: (Role.GRID_LEADER, Role.FULL_TIME_GRID_WORKER),
    Level.MICRO_GRID: (Role.MICRO_GRID_LEADER,),
    Level.STAIRWELL: STAIRWELL_TRIO,
}


def coverage_gaps(*, user: Any, root: Node | None = None) -> list[CoverageGap]:
    """Units in the user's jurisdiction (under `root`) missing a required role.

    One query per level, whatever the size of the subtree.
    """
    base = visible_nodes(user)
    if root is not None:
        base = base.filter(tree_id=root.tree_id, lft__gte=root.lft, rght__lte=root.rght)
    current = Assignment.objects.current()
    gaps: list[CoverageGap] = []
    for level, roles in REQUIRED_ROLES.items():
        qs = base.filter(level=level).annotate(
            **{
                f"has_{role}": Exists(current.filter(node=OuterRef("pk"), role=role))
                for role in roles
            }
        )
        lacking_any = Q()
        for role in roles:
            lacking_any |= Q(**{f"has_{role}": False})
        for node in qs.filter(lacking_any):
            missing = tuple(role for role in roles if not getattr(node, f"has_{role}"))
            if missing:
                gaps.append(CoverageGap(node=node, missing=missing))
    gaps.sort(key=lambda g: (g.node.tree_id, g.node.lft))
    return gaps


# The team's leader first, then the "一长二员" and the others in the order Role lists them.
_ROLE_ORDER = Case(
    *(When(role=role, then=Value(i)) for i, role in enumerate(Role.values)),
    output_field=IntegerField(),
)


def current_team(*, user: Any, node: Node) -> AssignmentQuerySet:
    """Who serves at a stairwell now, or at a micro-grid and its stairwells, in one query.

    A micro-grid leader coordinates the 一长二员 of the stairwells under them,
    so a micro-grid's team includes theirs, listed unit by unit.
    """
    here = Q(node=node)
    if node.level == Level.MICRO_GRID:
        here |= Q(node__parent=node)
    return (
        visible_assignments(user)
        .current()
        .filter(here)
        .select_related("staff", "node")
        .order_by("node__lft", _ROLE_ORDER, "staff__name", "pk")
    )


def with_current_roles(staff: Iterable[Staff], *, user: Any) -> list[Staff]:
    """Set `current_assignments` (in the jurisdiction, with their nodes) on a page of staff,
    in one query."""
    staff = list(staff)
    prefetch_related_objects(
        staff,
        Prefetch(
            "assignments",
            queryset=visible_assignments(user)
            .current()
            .select_related("node")
            .order_by(_ROLE_ORDER, "pk"),
            to_attr="current_assignments",
        ),
    )
    return staff


def led_stairwell_team(user: Any) -> frozenset[int]:
    """Who serves now at the stairwells `user` currently leads (楼道长), the leader included."""
    if user is None or not user.is_authenticated:
        return frozenset()
    led = Assignment.objects.current().filter(staff__user=user, role=Role.STAIRWELL_LEADER)
    return frozenset(
        Assignment.objects.current()
        .filter(node__in=led.values("node_id"))
        .values_list("staff_id", flat=True)
    )


def serving_as(role: str, *, user: Any) -> Exists:
    """A filter on staff: holding `role` now, somewhere in the user's jurisdiction."""
    return Exists(visible_assignments(user).current().filter(staff=OuterRef("pk"), role=role))
