"""Wartime mode (平战转换): a street official or community secretary switches a subtree to
wartime with a reason, and back; each switch is a WartimeArea row (who, when, why).

While a subtree is in wartime, a task dispatched into it runs on the street's wartime
standard (acknowledge within 1 minute of dispatch, arrive within 3, handle within 5,
natural time) and escalates one level a minute; a task reported on a stairwell there
is dispatched to that stairwell's team at once. Open tasks keep their peacetime clocks
unless the switch applies the standard to them too.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.jurisdiction import over, within
from grids.models import Assignment, Node, Role
from tasks import deadlines
from tasks.models import STAGE_OF_STATUS, Task, WartimeArea

SWITCHERS = frozenset({Role.STREET_OFFICIAL, Role.COMMUNITY_SECRETARY})


def covering(node: Node) -> QuerySet[WartimeArea]:
    """The active wartime areas holding `node` (itself or an ancestor)."""
    return WartimeArea.objects.filter(over(node, "node__"), ended_at__isnull=True)


def in_wartime(node: Node) -> bool:
    return covering(node).exists()


def may_switch(user: Any, node: Node) -> bool:
    if user.is_superuser:
        return True
    return (
        Assignment.objects.current()
        .filter(over(node, "node__"), staff__user=user, role__in=SWITCHERS)
        .exists()
    )


def active_for(user: Any) -> list[WartimeArea]:
    """The wartime areas a user's pages must show: on, above or below their units."""
    areas = list(WartimeArea.objects.filter(ended_at__isnull=True).select_related("node"))
    if not areas or user.is_superuser:
        return areas
    units = list(
        Node.objects.filter(
            pk__in=Assignment.objects.current().filter(staff__user=user).values("node_id")
        )
    )

    def related(area: Node, unit: Node) -> bool:
        # One holds the other: the unit is in wartime, or wartime is inside the unit.
        return area.tree_id == unit.tree_id and (
            area.lft <= unit.lft <= unit.rght <= area.rght
            or unit.lft <= area.lft <= area.rght <= unit.rght
        )

    return [a for a in areas if any(related(a.node, unit) for unit in units)]


@transaction.atomic
def switch_on(*, user: Any, node: Node, reason: str, apply_to_open: bool = False) -> WartimeArea:
    if not may_switch(user, node):
        raise PermissionDenied(_("Only a street official or community secretary over it may."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why wartime is declared.")})
    if in_wartime(node):
        raise ValidationError({"node": _("This unit is already in wartime.")})
    area = WartimeArea.objects.create(
        node=node, reason=reason.strip(), started_by=user, applied_to_open=apply_to_open
    )
    if apply_to_open:
        _apply_to_open(node, timezone.now())
    return area


@transaction.atomic
def switch_off(*, user: Any, node: Node) -> WartimeArea:
    if not may_switch(user, node):
        raise PermissionDenied(_("Only a street official or community secretary over it may."))
    area = WartimeArea.objects.select_for_update().filter(node=node, ended_at__isnull=True).first()
    if area is None:
        raise ValidationError({"node": _("This unit is not in wartime (or is so from above).")})
    area.ended_at, area.ended_by = timezone.now(), user
    area.save(update_fields=["ended_at", "ended_by"])
    return area


def _apply_to_open(node: Node, now: datetime.datetime) -> None:
    """Open tasks of the subtree go on the wartime standard from now."""
    open_tasks = Task.objects.filter(
        within(node, "node__"), status__in=list(STAGE_OF_STATUS)
    ).select_related("category", "node")
    for task in open_tasks:
        task.wartime = True
        limit = deadlines.wartime_limit(task, task.stage)
        if limit is None:
            continue  # acceptance, dispatch and verification keep the category's clock
        task.due_at = task.next_escalation_at = now + limit
        task.escalation_step = 0
        task.stage_round += 1
        task.version += 1
        task.save(
            update_fields=[
                "wartime",
                "due_at",
                "next_escalation_at",
                "escalation_step",
                "stage_round",
                "version",
            ]
        )
