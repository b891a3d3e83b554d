"""Verifying every tree: MPTT numbering, level rules and code rules.

A nested set is valid exactly when renumbering it depth-first, children in
their stored lft order, reproduces the stored lft/rght/level; so we renumber
and compare rather than check a list of partial properties.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from grids.models import Level, Node, code_rule_errors

FIELDS = (
    "pk",
    "parent_id",
    "tree_id",
    "lft",
    "rght",
    "level",
    "code",
    "compound",
    "building",
    "unit",
)


@dataclass(frozen=True)
class TreeFault:
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class _Row:
    pk: int
    parent_id: int | None
    tree_id: int
    lft: int
    rght: int
    level: int
    code: str
    compound: str
    building: str
    unit: str


def _check_tree(rows: list[_Row], by_pk: dict[int, _Row]) -> list[TreeFault]:
    faults: list[TreeFault] = []
    roots = [r for r in rows if r.parent_id is None]
    if len(roots) != 1:
        codes = ", ".join(r.code for r in roots) or "∅"
        tree_id = rows[0].tree_id
        return [
            TreeFault(
                codes,
                _("Tree %(tree)d has %(n)d roots.") % {"tree": tree_id, "n": len(roots)},
            )
        ]
    children: dict[int, list[_Row]] = defaultdict(list)
    for row in rows:
        if row.parent_id is not None:
            children[row.parent_id].append(row)
    expected: dict[int, tuple[int, int, int]] = {}
    counter = 1
    stack: list[tuple[_Row, int, bool]] = [(roots[0], 0, False)]
    while stack:
        row, depth, closing = stack.pop()
        if closing:
            lft, _rght, level = expected[row.pk]
            expected[row.pk] = (lft, counter, level)
            counter += 1
            continue
        if row.pk in expected:
            faults.append(TreeFault(row.code, _("The node is its own ancestor.")))
            continue
        expected[row.pk] = (counter, 0, depth)
        counter += 1
        stack.append((row, depth, True))
        for child in sorted(children[row.pk], key=lambda c: c.lft, reverse=True):
            stack.append((child, depth + 1, False))
    for row in rows:
        if row.pk not in expected:
            faults.append(TreeFault(row.code, _("The node is not reachable from its street.")))
        elif expected[row.pk] != (row.lft, row.rght, row.level):
            faults.append(
                TreeFault(
                    row.code,
                    _("lft/rght/level are %(stored)s, expected %(expected)s.")
                    % {"stored": (row.lft, row.rght, row.level), "expected": expected[row.pk]},
                )
            )
        parent = by_pk.get(row.parent_id) if row.parent_id is not None else None
        if parent is not None and parent.tree_id != row.tree_id:
            faults.append(TreeFault(row.code, _("The node's parent is in another tree.")))
        if row.level > Level.STAIRWELL:
            faults.append(TreeFault(row.code, _("The tree has no level below the stairwell.")))
            continue
        if parent is not None and parent.level != row.level - 1:
            faults.append(TreeFault(row.code, _("The node skips a level below its parent.")))
        for message in code_rule_errors(
            code=row.code, level=row.level, parent_code=parent.code if parent else None
        ):
            faults.append(TreeFault(row.code, message))
    stairwells: dict[tuple[str, str, str], str] = {}
    for row in rows:
        if row.level != Level.STAIRWELL:
            continue
        if not (row.building and row.unit):
            faults.append(TreeFault(row.code, _("A stairwell needs its building and unit.")))
            continue
        address = (row.compound, row.building, row.unit)
        if address in stairwells:
            faults.append(
                TreeFault(
                    row.code,
                    _("Same address as stairwell %(other)s.") % {"other": stairwells[address]},
                )
            )
        stairwells[address] = row.code
    return faults


def check_trees() -> tuple[int, list[TreeFault]]:
    """(number of trees, faults) over the whole node table."""
    by_tree: dict[int, list[_Row]] = defaultdict(list)
    by_pk: dict[int, _Row] = {}
    for values in Node.objects.order_by("tree_id", "lft").values_list(*FIELDS).iterator(2000):
        row = _Row(*values)
        by_tree[row.tree_id].append(row)
        by_pk[row.pk] = row
    faults: list[TreeFault] = []
    for rows in by_tree.values():
        faults.extend(_check_tree(rows, by_pk))
    return len(by_tree), faults
