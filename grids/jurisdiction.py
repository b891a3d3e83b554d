"""A user's jurisdiction: the union of the subtrees of their current assignments.

This is the one place that decides what a user may see. Every selector, admin
queryset, form choice, API view and export filters through `scope_for(user)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from grids.models import Assignment, Node

_CACHE_ATTR = "_jurisdiction_scope"


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
        return self._any(
            lambda s: Q(
                **{
                    f"{prefix}tree_id": s.tree_id,
                    f"{prefix}lft__gte": s.lft,
                    f"{prefix}rght__lte": s.rght,
                }
            )
        )

    def q_by_columns(self, columns: dict[int, str], prefix: str = "") -> Q:
        """A filter on rows that carry each ancestor as a column (level -> column name).

        Rows such as households store their street, community, grid, … ids,
        so the subtree test is an equality on one indexed column.
        """
        return self._any(lambda s: Q(**{f"{prefix}{columns[s.level]}_id": s.node_id}))

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
