"""A record's history as people read it: when, who, what kind, and field by field.

django-simple-history keeps a row per save, per import and per undo (the
register import stamps its rows "import:N" and "undo:N", see
ImportBatch.history_reason); Django's own history page reads LogEntry, which
no import writes, and says only which fields changed. Here the rows become
entries with translated field names and displayed values, personal data
masked by the rule of grids/personal_data.py.

Any model with `history = HistoricalRecords(...)` is read as it is. A model
with personal data names those fields in PERSONAL_FIELDS; a foreign key to a
model not yet in RELATED_LOOKUPS needs its scoped lookup there. A flat (named
by its address) is read like any other: its stairwell, room, use, housing
status, area, owner and delivery, each under its field's translated name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Field, ManyToManyField, Model, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids import personal_data
from grids.models import Node
from grids.selectors import visible_nodes
from residents import selectors
from residents.models import ANCESTOR_FIELDS, Flat, Household, Owner, OwnerKind, Person

# How a personal field is shown: (value, the row's values, full=…) -> text, as on every
# other page.
Shown = Callable[..., str]


def _by_value(show: Callable[..., str]) -> Shown:
    return lambda value, row, *, full: show(value, full=full)


PERSONAL_FIELDS: dict[type[Model], dict[str, Shown]] = {
    Person: {
        "id_number": _by_value(personal_data.shown_id_number),
        "phone": _by_value(personal_data.shown_phone),
        "birth_date": _by_value(personal_data.shown_birth_date),
    },
    Owner: {
        # An organisation's credit code is public; a person's ID number is not.
        "certificate": lambda value, row, *, full: personal_data.shown_certificate(
            value, personal=row.get("kind") != OwnerKind.ORGANISATION, full=full
        ),
        "phone": _by_value(personal_data.shown_phone),
    },
}

# Where a foreign key's target is looked up to be named: scoped, so a history
# never names what the viewer may not see (a person who moved in from another
# community keeps their history, not the other community's address).
RELATED_LOOKUPS: dict[type[Model], Callable[[Any], QuerySet[Any]]] = {
    Node: visible_nodes,
    Household: lambda user: selectors.visible_households(user).select_related("stairwell"),
    # Named by its address (和达城1幢1单元101). A household's flat is in the
    # household's stairwell, so whoever sees the household sees its flats.
    Flat: lambda user: selectors.visible_flats(user).select_related("stairwell"),
    # An owner's linked resident, named only to who may see them.
    Person: selectors.visible_persons,
}

# Copied from the stairwell's ancestors and kept right by the tree services: the
# stairwell's own entry already says where the record is.
DERIVED_FIELDS = frozenset(ANCESTOR_FIELDS.values()) - {"stairwell"}
# A model's own copies of what another of its entries names: a household's
# stairwell and room are its flat's (kept equal by the services), and the
# flat's entry gives them as one address.
COPIED_FIELDS: dict[type[Model], frozenset[str]] = {
    Household: frozenset({"stairwell", "room"}),
}

# The prefixes of the change reasons the register import stamps (ImportBatch.history_reason,
# ImportBatch.undo_reason), each followed by the batch's id.
IMPORT_REASON = "import"
UNDO_REASON = "undo"
# A person moved by a transfer request (residents/transfers.py), followed by its id.
TRANSFER_REASON = "transfer"


class EntryKind(models.TextChoices):
    CREATED = "created", gettext_lazy("Record created")
    CHANGED = "changed", gettext_lazy("Record changed")
    DELETED = "deleted", gettext_lazy("Record deleted")
    RESTORED = "restored", gettext_lazy("Record restored")
    IMPORTED = "imported", gettext_lazy("Imported from a register")
    UNDONE = "undone", gettext_lazy("Import undone")
    TRANSFERRED = "transferred", gettext_lazy("Moved by a transfer request")


@dataclass(frozen=True)
class FieldChange:
    field: str
    # None: the record did not exist before this entry (created, imported as new).
    old: str | None
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    when: str
    who: str
    kind: EntryKind
    action: str
    changes: tuple[FieldChange, ...]


def record_history(*, record: Model, user: Any) -> list[HistoryEntry]:
    """The record's history as `user` may see it, newest first.

    `record` is one the user may see (the caller has scoped it). The queries
    are the same for one entry or a thousand: the rows with their users, one
    per many-to-many field, one per foreign key.
    """
    history_model = type(record).history.model  # type: ignore[attr-defined]
    rows = list(
        history_model.objects.filter(id=record.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    fields = _shown_fields(history_model, hidden=COPIED_FIELDS.get(type(record), frozenset()))
    values = _values(history_model, record.pk, rows, fields)
    display = _Display(
        full=personal_data.may_see(user),
        personal=PERSONAL_FIELDS.get(type(record), {}),
        related=_related_names(fields, rows, user),
    )
    entries = [
        _entry(row, before, after, fields, display)
        for row, before, after in zip(rows, [None, *values[:-1]], values, strict=True)
    ]
    return entries[::-1]


def has_personal_data(model: type[Model]) -> bool:
    """Whether a history of `model` may show personal data in full (then it is audited)."""
    return model in PERSONAL_FIELDS


def _shown_fields(history_model: Any, *, hidden: frozenset[str]) -> list[Field[Any, Any]]:
    tracked = [
        f
        for f in history_model.tracked_fields
        if not f.primary_key and f.name not in DERIVED_FIELDS | hidden
    ]
    return [*tracked, *history_model._history_m2m_fields]


def _values(
    history_model: Any, pk: Any, rows: list[Any], fields: list[Field[Any, Any]]
) -> list[dict[str, Any]]:
    """Each row's raw values by field name; a many-to-many field's as a set of names."""
    linked = {
        field.name: _linked_names(history_model, field, pk)
        for field in fields
        if isinstance(field, ManyToManyField)
    }
    return [
        {
            field.name: (
                linked[field.name].get(row.history_id, frozenset())
                if field.name in linked
                else getattr(row, field.attname)
            )
            for field in fields
        }
        for row in rows
    ]


def _linked_names(
    history_model: Any, field: ManyToManyField[Any, Any], pk: Any
) -> dict[int, frozenset[str]]:
    """history_id -> the names of the objects linked at that moment (one query for all rows)."""
    through = apps.get_model(
        history_model._meta.app_label, f"{history_model.__name__}_{field.name}"
    )
    target = field.m2m_reverse_field_name()
    names: dict[int, set[str]] = {}
    for link in through.objects.filter(history__id=pk).select_related(target):
        names.setdefault(link.history_id, set()).add(str(getattr(link, target)))
    return {history_id: frozenset(n) for history_id, n in names.items()}


def _related_names(
    fields: Iterable[Field[Any, Any]], rows: list[Any], user: Any
) -> dict[str, dict[Any, str]]:
    """Foreign key name -> target id -> its display string, for the targets the user may see."""
    named = {}
    for field in fields:
        if not field.many_to_one:
            continue
        ids = {getattr(row, field.attname) for row in rows} - {None}
        lookup = RELATED_LOOKUPS[field.related_model]  # type: ignore[index]
        named[field.name] = {pk: str(obj) for pk, obj in lookup(user).in_bulk(ids).items()}
    return named


@dataclass(frozen=True)
class _Display:
    """How one viewer sees one model's values."""

    full: bool
    personal: dict[str, Shown]
    related: dict[str, dict[Any, str]]

    def shown(self, field: Field[Any, Any], values: dict[str, Any]) -> str:
        """The field's value of one history row (`values`: that row's values by field)."""
        value = values[field.name]
        if isinstance(field, ManyToManyField):
            return _(", ").join(sorted(value)) or _("(empty)")
        label = dict(field.flatchoices).get(value) if field.choices else None
        if label is not None:
            return str(label)
        if value in (None, ""):
            return _("(empty)")
        if field.name in self.personal:
            return self.personal[field.name](value, values, full=self.full)
        if field.many_to_one:
            return self.related[field.name].get(value, _("(deleted or outside your jurisdiction)"))
        return str(formats.localize(value))


def _entry(
    row: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    fields: list[Field[Any, Any]],
    display: _Display,
) -> HistoryEntry:
    kind, batch = _kind(row, existed=before is not None)
    return HistoryEntry(
        when=formats.date_format(timezone.localtime(row.history_date), "DATETIME_FORMAT"),
        who=_who(row, kind, batch),
        kind=kind,
        action=_action(kind, batch),
        changes=_changes(before, after, fields, display),
    )


# The kinds a change reason names, with the id of its batch or request.
_REASON_KINDS = {
    IMPORT_REASON: EntryKind.IMPORTED,
    UNDO_REASON: EntryKind.UNDONE,
    TRANSFER_REASON: EntryKind.TRANSFERRED,
}


def _action(kind: EntryKind, number: int | None) -> str:
    if kind == EntryKind.UNDONE:
        return _("Undid import batch #%(batch)d") % {"batch": number}
    if kind == EntryKind.TRANSFERRED:
        return _("Moved by transfer request #%(n)d") % {"n": number}
    return str(kind.label)


def _kind(row: Any, *, existed: bool) -> tuple[EntryKind, int | None]:
    """The entry's kind, and the batch or request it came from."""
    source, _colon, number = (row.history_change_reason or "").partition(":")
    if number.isdigit() and source in _REASON_KINDS:
        return _REASON_KINDS[source], int(number)
    if row.history_type == "-":
        return EntryKind.DELETED, None
    if row.history_type == "+":
        # services.restore_* insert the record again under its old id.
        return (EntryKind.RESTORED if existed else EntryKind.CREATED), None
    return EntryKind.CHANGED, None


def _who(row: Any, kind: EntryKind, batch: int | None) -> str:
    if kind == EntryKind.IMPORTED:
        return _("import batch #%(batch)d") % {"batch": batch}
    user = row.history_user
    if user is None:
        # Saved outside a request: a command, a job, a move in the tree.
        return _("the system")
    return user.get_full_name() or user.get_username()


def _changes(
    before: dict[str, Any] | None,
    after: dict[str, Any],
    fields: list[Field[Any, Any]],
    display: _Display,
) -> tuple[FieldChange, ...]:
    """What differs from the row before; for a new record, every value it was given."""
    if before is None:
        return tuple(
            FieldChange(str(field.verbose_name), None, display.shown(field, after))
            for field in fields
            if after[field.name] not in (None, "", frozenset())
        )
    return tuple(
        FieldChange(
            str(field.verbose_name),
            display.shown(field, before),
            display.shown(field, after),
        )
        for field in fields
        if before[field.name] != after[field.name]
    )
