"""Locks that keep concurrent MPTT writes from corrupting lft/rght.

django-mptt reads the tree, computes new lft/rght and writes them back; two
writers on one tree interleave and corrupt it. On PostgreSQL every tree write
takes a transaction-scoped advisory lock on its tree_id. Writes that add or
remove a tree_id (a new street, deleting a street, which renumbers the trees
after it) lock the node table instead. On SQLite the IMMEDIATE transaction
mode set in settings already serialises writers.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

# The first key of the two-int advisory lock, so our locks never collide with
# another feature's advisory locks on the same numbers.
TREE_LOCK_NAMESPACE = 0x6D67  # "mg"


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("tree locks are held for a transaction; call inside atomic()")


def lock_trees(tree_ids: Iterable[int]) -> None:
    """Lock the given trees until the transaction ends (sorted, so no deadlock)."""
    _require_transaction()
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for tree_id in sorted(set(tree_ids)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [TREE_LOCK_NAMESPACE, tree_id])


def lock_forest() -> None:
    """Lock the node table against every other writer until the transaction ends."""
    _require_transaction()
    if connection.vendor != "postgresql":
        return
    from grids.models import Node

    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {Node._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def lock_trees_of(node_ids: Iterable[int]) -> None:
    """Lock the trees holding these nodes.

    A tree_id read before the lock may be stale (a street deleted meanwhile
    renumbers later trees), so read again under the lock until it is stable.
    """
    from grids.models import Node

    ids = set(node_ids)
    locked: set[int] = set()
    while True:
        tree_ids = set(Node.objects.filter(pk__in=ids).values_list("tree_id", flat=True))
        if tree_ids <= locked:
            return
        lock_trees(tree_ids - locked)
        locked |= tree_ids
