"""A user's jurisdiction: the union of the subtrees of their current assignments.

This is the one place that decides what a user may see. Every selector, admin
queryset, form choice, API view and export filters through `scope_for(user)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import Q, Subquery

from grids.models import Assignment, Node

_CACHE_ATTR = "_jurisdiction_scope"


class Place(Protocol):
    """A node, or a subtree of one: where it sits in the MPTT tree."""

    @property
    def tree_id(self) -> int: ...
    @property
    def lft(self) -> int: ...
    @property
    def rght(self) -> int: ...


def within(place: Place, prefix: str = "") -> Q:
    """Rows whose node (reached through `prefix`, e.g. "node__") is `place` or below it."""
    return Q(
        **{
            f"{prefix}tree_id": place.tree_id,
            f"{prefix}lft__gte": place.lft,
            f"{prefix}rght__lte": place.rght,
        }
    )


def over(place: Place, prefix: str = "") -> Q:
    """Rows whose node is `place` or above it."""
    return Q(
        **{
            f"{prefix}tree_id": place.tree_id,
            f"{prefix}lft__lte": place.lft,
            f"{prefix}rght__gte": place.rght,
        }
    )


@dataclass(frozen=True)
class Subtree:
    tree_id: int
    lft: int
    rght: int
    node_id: int
    level: int


@dataclass(frozen=True)
class Scope:
    everything: bool
    subtrees: tuple[Subtree, ...] = ()

    def _any(self, inside: Callable[[Subtree], Q]) -> Q:
        if self.everything:
            return Q()
        if not self.subtrees:
            return Q(pk__in=[])
        condition = Q()
        for subtree in self.subtrees:
            condition |= inside(subtree)
        return condition

    def q(self, prefix: str = "") -> Q:
        """A filter on Node fields, reached through `prefix` (e.g. "node__")."""
        return self._any(lambda s: within(s, prefix))

    def q_by_columns(
        self, columns: dict[int, str], prefix: str = "", tree_path: str | None = None
    ) -> Q:
        """A filter on rows that carry each ancestor as a column (level -> column name).

        Rows such as households store their street, community, grid, … ids,
        so the subtree test is an equality on one indexed column. With
        `tree_path` (the node the row hangs from, e.g. "stairwell__"), a subtree
        below the street also bounds that node's lft: it says nothing new, but
        lets a list sorted in tree order walk the (tree_id, lft) index over the
        community's range alone instead of sorting the whole street's rows. The
        range is read in the query itself (three primary-key subqueries, run once):
        the scope's own copy may predate a node inserted since, and a stale range
        would drop the rows at its end.
        """

        def inside(s: Subtree) -> Q:
            condition = Q(**{f"{prefix}{columns[s.level]}_id": s.node_id})
            if tree_path is not None and s.level > 0:
                node = f"{prefix}{tree_path}"
                at = Node.objects.filter(pk=s.node_id)
                condition &= Q(
                    **{
                        f"{node}tree_id": Subquery(at.values("tree_id")),
                        f"{node}lft__gte": Subquery(at.values("lft")),
                        f"{node}rght__lte": Subquery(at.values("rght")),
                    }
                )
            return condition

        return self._any(inside)

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.subtrees


def _minimal(subtrees: list[Subtree]) -> tuple[Subtree, ...]:
    """Drop subtrees nested in others so the filter stays short."""
    kept: list[Subtree] = []
    for s in sorted(subtrees, key=lambda s: (s.tree_id, s.lft, -s.rght)):
        if kept and kept[-1].tree_id == s.tree_id and s.rght <= kept[-1].rght:
            continue
        kept.append(s)
    return tuple(kept)


def compute_scope(user: Any) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope(everything=False)
    if user.is_superuser:
        return Scope(everything=True)
    nodes = Node.objects.filter(
        pk__in=Assignment.objects.current().filter(staff__user=user).values("node_id")
    ).values_list("tree_id", "lft", "rght", "pk", "level")
    return Scope(everything=False, subtrees=_minimal([Subtree(*row) for row in nodes]))


def scope_for(user: Any) -> Scope:
    """The user's scope, computed once per request (cached on the user object)."""
    scope = getattr(user, _CACHE_ATTR, None)
    if scope is None:
        scope = compute_scope(user)
        if user is not None and user.is_authenticated:
            setattr(user, _CACHE_ATTR, scope)
    return scope
