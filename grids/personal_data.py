"""Who may see ID numbers and phones in full, what everyone else sees, and the audit.

For residents and staff alike. The permission is checked together with the
jurisdiction: querysets are already scoped, so a permitted user only ever
unmasks people in their own part of the tree.

What a user without the permission sees of a person, taken together: the
masked ID number (region only, common/masking.py), the masked phone
(138****5678: 10,000 candidates), the sex, and the birth *year* instead of
the birth date — the date is the eight digits the ID mask hides. Every list,
page, export, API answer and import report shows these forms and nothing
that puts the hidden part back (tests/test_masking_reconstruction.py tries).

One rule more for phones: a stairwell leader (楼道长) calls their own
stairwell's 一长二员 and sees those phones in full, audited like the
permission's full views; everyone else's stay masked for them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from common.masking import mask_id_number, mask_in_text, mask_name, mask_phone
from grids.models import AccessLog
from grids.selectors import led_stairwell_team

PERMISSION = "grids.view_personal_data"
_PHONES_ATTR = "_phones_in_full"


def may_see(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(PERMISSION))


def shown_id_number(value: str | None, *, full: bool) -> str:
    return (value or "") if full else mask_id_number(value or "")


def shown_phone(value: str, *, full: bool) -> str:
    return value if full else mask_phone(value)


def shown_certificate(value: str | None, *, personal: bool, full: bool) -> str:
    """An owner's certificate: a natural person's ID number (`personal`) masked as any ID
    number is; an organisation's unified social credit code is public, shown in full."""
    return shown_id_number(value, full=full or not personal)


def shown_owner_name(value: str, *, personal: bool, full: bool) -> str:
    """An owner's name in an electorate: a natural person's masked, an organisation's not."""
    return value if full or not personal else mask_name(value)


@dataclass(frozen=True)
class PhonesInFull:
    """Whose staff phones one user sees in full: everyone's with the permission, else their
    own stairwell team's (staff ids)."""

    everyone: bool
    team: frozenset[int]

    def of(self, staff_id: int) -> bool:
        return self.everyone or staff_id in self.team

    def among(self, staff_ids: Iterable[int]) -> list[int]:
        return [i for i in staff_ids if self.of(i)]


def phones_in_full(user: Any) -> PhonesInFull:
    """Computed once per request (cached on the user object, as the jurisdiction is)."""
    rule = getattr(user, _PHONES_ATTR, None)
    if rule is None:
        full = may_see(user)
        rule = PhonesInFull(everyone=full, team=frozenset() if full else led_stairwell_team(user))
        if user is not None and user.is_authenticated:
            setattr(user, _PHONES_ATTR, rule)
    return rule


def shown_birth_date(value: datetime.date | None, *, full: bool) -> str:
    """The birth date (full) or the birth year alone (masked), as text for pages and exports."""
    if value is None:
        return ""
    if full:
        return date_format(value, "Y-m-d")
    return _("%(year)d (year)") % {"year": value.year}


def shown_cell(text: str) -> str:
    """A cell of an uploaded file, quoted in a message: ID- and phone-like runs masked.

    Import reports are read by whoever may see the batch, with or without the
    permission, so they never quote personal data; the line and column say
    where to look in the file.
    """
    return mask_in_text(text)


def log_if_unmasked(*, user: Any, what: str, ids: Iterable[int]) -> None:
    """Audit a page or read that showed personal data, if this user saw it in full."""
    if may_see(user):
        log_access(user=user, action=AccessLog.Action.VIEW, what=what, ids=ids)


def log_phones_shown(*, user: Any, what: str, staff_ids: Iterable[int]) -> None:
    """Audit a page of staff for the phones it showed in full under either rule."""
    shown = phones_in_full(user).among(staff_ids)
    log_access(user=user, action=AccessLog.Action.VIEW, what=what, ids=shown)


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
