"""Who may see ID numbers and phones in full, and the audit of every time they do.

For residents and staff alike; everyone else sees them masked. The permission
is checked together with the jurisdiction: querysets are already scoped, so a
permitted user only ever unmasks people in their own part of the tree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from common.masking import mask_id_number, mask_phone
from grids.models import AccessLog

PERMISSION = "grids.view_personal_data"


def may_see(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(PERMISSION))


def shown_id_number(value: str | None, *, full: bool) -> str:
    return (value or "") if full else mask_id_number(value or "")


def shown_phone(value: str, *, full: bool) -> str:
    return value if full else mask_phone(value)


def log_if_unmasked(*, user: Any, what: str, ids: Iterable[int]) -> None:
    """Audit a page or read that showed personal data, if this user saw it in full."""
    if may_see(user):
        log_access(user=user, action=AccessLog.Action.VIEW, what=what, ids=ids)


def log_access(*, user: Any, action: str, what: str, ids: Iterable[int]) -> None:
    """One row per page, detail view or export that showed personal data in full."""
    ids = list(ids)
    if not ids:
        return
    AccessLog.objects.create(
        user=user,
        action=action,
        what=what[:200],
        object_ids=",".join(str(i) for i in ids[:5000]),
        count=len(ids),
    )
