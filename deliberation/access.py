"""Who may do what to a matter — one check for every write — and the matter's log.

A write needs the model permission AND the matter's node inside the user's
jurisdiction (grids/jurisdiction.py); reads are scoped by selectors.py the
same way. Every write locks the matter's row first, so two people recording
the same stage, or a ballot and the vote's closing, happen one after the
other and the second sees what the first did.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from deliberation.models import Matter, MatterEvent
from grids.models import Node
from grids.selectors import in_jurisdiction

VIEW = "deliberation.view_matter"
ADD = "deliberation.add_matter"
CHANGE = "deliberation.change_matter"
PUBLISH = "deliberation.publish_matter"


def may(user: Any, permission: str, node: Node) -> bool:
    return bool(user.has_perm(permission)) and in_jurisdiction(user, node)


def require(user: Any, permission: str, node: Node) -> None:
    if not may(user, permission, node):
        raise PermissionDenied(_("You may not do this for matters of this unit."))


def locked(user: Any, permission: str, matter: Matter) -> Matter:
    """The matter re-read under a row lock, once the user may change it."""
    fresh = Matter.objects.select_for_update().select_related("node").get(pk=matter.pk)
    require(user, permission, fresh.node)
    return fresh


def log(
    matter: Matter,
    *,
    user: Any,
    action: str,
    from_stage: str = "",
    to_stage: str = "",
    note: str = "",
) -> MatterEvent:
    return MatterEvent.objects.create(
        matter=matter,
        action=action,
        from_stage=from_stage,
        to_stage=to_stage,
        user=user,
        note=note,
    )
