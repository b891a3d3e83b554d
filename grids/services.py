"""Every write to the tree, its ledger, staff and assignments.

Tree writes (create, rename, move, delete, bulk load) hold the tree lock from
grids.locking for the whole transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.locking import lock_forest, lock_trees_of
from grids.models import CODE_LENGTHS, Assignment, Level, Node, Staff, SupplyItem
from grids.roles import ROLE_GROUP
from grids.signals import subtree_moved

NODE_EDITABLE_FIELDS = frozenset({"name", "kind", "compound", "building", "unit", "exits", "notes"})


def _inherit_compound(node: Node) -> None:
    # A stairwell carries its compound so an address such as "和达城3幢2单元"
    # resolves with one indexed lookup.
    if node.parent is not None and node.parent.level >= Level.GRID and not node.compound:
        node.compound = node.parent.compound


@transaction.atomic
def create_node(
    *,
    parent: Node | None,
    code: str,
    name: str,
    kind: str = "residential",
    compound: str = "",
    building: str = "",
    unit: str = "",
    exits: int = 0,
    notes: str = "",
) -> Node:
    node = Node(
        parent=parent,
        code=code,
        name=name,
        kind=kind,
        compound=compound,
        building=building,
        unit=unit,
        exits=exits,
        notes=notes,
    )
    if parent is None:
        lock_forest()
    else:
        lock_trees_of([parent.pk])
        parent.refresh_from_db()
        node.parent = parent
        _inherit_compound(node)
    node.full_clean()
    if parent is None:
        # A new street always takes the next tree_id: mptt's ordered root
        # insertion would renumber the trees other writers hold locks on.
        Node.objects.insert_node(node, None, save=True)
    else:
        node.save()
    return node


@transaction.atomic
def update_node(*, node: Node, **fields: Any) -> Node:
    """Rename or edit the ledger fields of a node; position and code stay."""
    unknown = set(fields) - NODE_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"not editable through update_node: {sorted(unknown)}")
    lock_trees_of([node.pk])
    node.refresh_from_db()
    for name, value in fields.items():
        setattr(node, name, value)
    node.full_clean()
    node.save(update_fields=sorted(fields))
    return node


@transaction.atomic
def move_node(*, node: Node, new_parent: Node, new_code: str | None = None) -> Node:
    """Hang `node` under `new_parent`, recoding it and its subtree.

    A code's prefix is its ancestry, so the moved node takes `new_code` (by
    default the next free sequence under the new parent), and every
    descendant's code swaps the old prefix for the new one.
    """
    lock_trees_of([node.pk, new_parent.pk])
    node.refresh_from_db()
    new_parent.refresh_from_db()
    if node.is_root_node():
        raise ValidationError(_("A street cannot be moved."))
    if new_parent.level != node.level - 1:
        raise ValidationError(
            _("A %(level)s can only hang under a %(parent_level)s.")
            % {"level": node.level_label, "parent_level": Level(node.level - 1).label}
        )
    old_code = node.code
    if new_code is None:
        new_code = next_child_code(new_parent)
    descendants = node.get_descendants()
    clashes = Node.objects.filter(code=new_code).exclude(pk=node.pk)
    if clashes.exists():
        raise ValidationError(_("Code %(code)s is already in use.") % {"code": new_code})
    old_prefix_len = len(old_code)
    descendant_codes = [
        new_code + c[old_prefix_len:] for c in descendants.values_list("code", flat=True)
    ]
    if Node.objects.filter(code__in=descendant_codes).exclude(pk__in=descendants).exists():
        raise ValidationError(_("Moving would give a descendant a code that is already in use."))
    descendants.update(code=Concat(Value(new_code), Substr("code", old_prefix_len + 1)))
    node.parent = new_parent
    node.code = new_code
    node.full_clean()
    node.save()
    subtree_moved.send(sender=Node, node=node)
    return node


def next_child_code(parent: Node) -> str:
    """The parent's code plus the next unused sequence number at the level below."""
    width = CODE_LENGTHS[parent.level + 1] - len(parent.code)
    suffixes = [
        int(code[len(parent.code) :])
        for code in Node.objects.filter(parent=parent).values_list("code", flat=True)
    ]
    return f"{parent.code}{max(suffixes, default=0) + 1:0{width}d}"


def _protected_message(node: Node, error: ProtectedError) -> str:
    kinds = sorted({str(obj._meta.verbose_name) for obj in error.protected_objects})
    return _("%(node)s still has %(what)s and cannot be deleted.") % {
        "node": node.name,
        "what": "、".join(kinds),
    }


@transaction.atomic
def delete_node(*, node: Node) -> None:
    """Delete a leaf node that nobody works at or lives in."""
    if node.is_root_node():
        # Deleting a tree renumbers the trees after it.
        lock_forest()
    else:
        lock_trees_of([node.pk])
    node.refresh_from_db()
    child_count = Node.objects.filter(parent=node).count()
    if child_count:
        raise ValidationError(
            _("%(node)s still has %(n)d subordinate units; move or delete them first.")
            % {"node": node.name, "n": child_count}
        )
    try:
        with transaction.atomic():
            node.delete()
    except ProtectedError as error:
        raise ValidationError(_protected_message(node, error)) from error


@transaction.atomic
def add_supply(
    *, node: Node, item: str, quantity: Decimal, unit: str, location: str = ""
) -> SupplyItem:
    supply = SupplyItem(node=node, item=item, quantity=quantity, unit=unit, location=location)
    supply.full_clean()
    supply.save()
    return supply


@transaction.atomic
def update_supply(*, supply: SupplyItem, **fields: Any) -> SupplyItem:
    for name, value in fields.items():
        setattr(supply, name, value)
    supply.full_clean()
    supply.save()
    return supply


@transaction.atomic
def remove_supply(*, supply: SupplyItem) -> None:
    supply.delete()


@transaction.atomic
def create_staff(
    *,
    home_node: Node,
    name: str,
    phone: str = "",
    party_membership: str = "",
    affiliation: str = "resident",
    organisation: str = "",
    user: Any = None,
) -> Staff:
    staff = Staff(
        home_node=home_node,
        name=name,
        phone=phone,
        party_membership=party_membership,
        affiliation=affiliation,
        organisation=organisation,
        user=user,
    )
    staff.full_clean()
    staff.save()
    return staff


@transaction.atomic
def update_staff(*, staff: Staff, **fields: Any) -> Staff:
    previous_user = staff.user
    for name, value in fields.items():
        setattr(staff, name, value)
    staff.full_clean()
    staff.save()
    for user in {previous_user, staff.user} - {None}:
        sync_user_groups(user=user)
    return staff


@transaction.atomic
def assign(
    *, staff: Staff, node: Node, role: str, started_on: datetime.date | None = None
) -> Assignment:
    assignment = Assignment(
        staff=staff, node=node, role=role, started_on=started_on or timezone.localdate()
    )
    assignment.full_clean()
    assignment.save()
    if staff.user is not None:
        sync_user_groups(user=staff.user)
    return assignment


@transaction.atomic
def end_assignment(*, assignment: Assignment, ended_on: datetime.date | None = None) -> Assignment:
    assignment.ended_on = ended_on or timezone.localdate()
    assignment.full_clean()
    assignment.save(update_fields=["ended_on"])
    if assignment.staff.user is not None:
        sync_user_groups(user=assignment.staff.user)
    return assignment


def sync_user_groups(*, user: Any) -> None:
    """Give a login user exactly the role groups of their current assignments."""
    roles = set(
        Assignment.objects.current().filter(staff__user=user).values_list("role", flat=True)
    )
    wanted = set(Group.objects.filter(name__in=[ROLE_GROUP[r] for r in roles]))
    managed = set(Group.objects.filter(name__in=set(ROLE_GROUP.values())))
    current = set(user.groups.all())
    user.groups.remove(*((current & managed) - wanted))
    user.groups.add(*(wanted - current))


@dataclass(frozen=True)
class StaffEntry:
    """One staff member with their assignments, for bulk loading (demo data)."""

    home_node: Node
    name: str
    phone: str
    party_membership: str
    affiliation: str
    assignments: tuple[tuple[Node, str], ...]
    organisation: str = ""


@transaction.atomic
def bulk_create_staff(*, entries: Iterable[StaffEntry], started_on: datetime.date) -> int:
    """Create many staff with their assignments in a few queries.

    Applies the same per-row validation as create_staff/assign.
    """
    entries = list(entries)
    staff_rows = [
        Staff(
            home_node=e.home_node,
            name=e.name,
            phone=e.phone,
            party_membership=e.party_membership,
            affiliation=e.affiliation,
            organisation=e.organisation,
        )
        for e in entries
    ]
    for row in staff_rows:
        row.full_clean(exclude=["home_node"], validate_unique=False)
    Staff.objects.bulk_create(staff_rows, batch_size=2000)
    if not staff_rows or staff_rows[0].pk is None:
        # SQLite before 3.35 and other backends without RETURNING: fetch ids back.
        raise RuntimeError("bulk_create must return primary keys on this database")
    assignments = []
    for staff, entry in zip(staff_rows, entries, strict=True):
        for node, role in entry.assignments:
            assignment = Assignment(staff=staff, node=node, role=role, started_on=started_on)
            assignment.clean()
            assignments.append(assignment)
    Assignment.objects.bulk_create(assignments, batch_size=2000)
    return len(staff_rows)
