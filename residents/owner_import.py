"""Importing an owners' roll (业主名册): flats, their areas and delivery, and their owners.

A definition on residents.import_engine, read together with the register: a
row names a flat (房屋地址, or 楼道编码 + 房号) and an owner (业主姓名, 证件号码 —
an ID number, or an organisation's unified social credit code — and 联系电话),
with the flat's 专有部分面积 and 交付状态 and, optionally, its co-owners (共有人,
by name). A flat the register made gets its area and owners; a flat only the
roll names is created (vacant: nobody is registered in it). The owners a
flat's rows name become its owners, those no longer named cease to be.

One person is one owner across the street, by certificate number, so an
owner of several flats counts once (residents.electorate): an owner already
on record with another name is an error, as a mistyped number is likelier
than a renamed owner, and an owner who also owns flats outside the
importer's jurisdiction is linked, never changed. An empty area, phone or
delivery cell leaves what is on record.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.tabular import (
    Column,
    Columns,
    FileRejected,
    Problem,
    Table,
    max_length,
    read_table,
    too_long,
)
from grids.jurisdiction import Scope
from residents import bulk, credit_codes, idnumbers
from residents.flat_locator import Flat as FlatKey
from residents.flat_locator import FlatLocator, agreed_flat_values, insert_flats
from residents.import_engine import (
    EXAMPLE_ID_NUMBER,
    ImportResult,
    Memo,
    Progress,
    UndoTable,
    area_memo,
    checked_rows,
    chosen,
    phone_memo,
    read_cell,
    smallest_area,
    stairwell_ancestors,
    stairwell_names,
    write_history,
)
from residents.models import (
    Delivery,
    Flat,
    Household,
    HousingStatus,
    ImportBatch,
    Owner,
    OwnerKind,
    Ownership,
    Person,
)
from residents.values import DELIVERY_WORDS

ROLL_COLUMNS = Columns(
    [
        Column("address", "房屋地址", ("房屋坐落", "坐落", "地址")),
        Column("stairwell_code", "楼道编码"),
        Column("room", "房号", ("室号",)),
        Column("area", "专有部分面积", ("建筑面积", "面积")),
        Column("name", "业主姓名", ("业主", "产权人", "姓名")),
        Column(
            "certificate",
            "证件号码",
            ("身份证号", "身份证号码", "公民身份号码", "统一社会信用代码"),
        ),
        Column("phone", "联系电话", ("电话", "手机")),
        Column("co_owners", "共有人", ("共有权人",)),
        Column("delivery", "交付状态"),
    ],
    required=("name",),
)
COLUMN_LABELS = ROLL_COLUMNS.labels
FLAT_COLUMNS = ("area", "delivery")
NAME_LENGTH = max_length(Owner, "name")
OWNER_COLUMNS = ("name", "phone", "person_id")
_CO_OWNER_SEPARATORS = re.compile(r"[、,，;；/／\s]+")
# How the file names an owner: ("certificate", number) or, without one, ("name", name).
Identity = tuple[str, str]


@dataclass
class OwnersResult(ImportResult):
    flats_created: int = 0
    flats_updated: int = 0
    owners_created: int = 0
    owners_updated: int = 0
    ownerships_created: int = 0
    ownerships_removed: int = 0


@dataclass(slots=True)
class OwnerRow:
    line: int
    flat: FlatKey
    name: str
    certificate: str | None
    kind: str
    phone: str
    co_owners: tuple[str, ...]
    area: Decimal | None
    delivery: str | None

    @property
    def identity(self) -> Identity:
        return ("certificate", self.certificate) if self.certificate else ("name", self.name)


def _certificate(text: str) -> tuple[str, str]:
    """(kind, normalised number) of an ID number or a credit code; ValueError with the message."""
    try:
        return OwnerKind.PERSON, idnumbers.parse(text).number
    except idnumbers.InvalidIDNumber as person_error:
        try:
            return OwnerKind.ORGANISATION, credit_codes.parse(text)
        except credit_codes.InvalidCreditCode as organisation_error:
            # Digits with at most an X at the end were meant as an ID number.
            meant_as_id = re.fullmatch(r"\d{14,17}[\dXx]", text.strip()) is not None
            raise ValueError(str(person_error if meant_as_id else organisation_error)) from None


class _Checker:
    def __init__(self, scope: Scope, problems: list[Problem]) -> None:
        self.problems = problems
        self.locator = FlatLocator(scope, self.problem)
        self.certificates = Memo(_certificate)
        self.areas = area_memo()
        self.phones = phone_memo()
        self.deliveries = Memo(
            chosen(DELIVERY_WORDS),
            "bad_delivery",
            gettext_lazy("Unknown delivery status “%(value)s”; use 已交付/未出售/已售未交付."),
        )
        self.names_by_certificate: dict[str, tuple[str, int]] = {}
        # Flats with a bad row: the others of the flat are left out too, so that
        # a skipped row never ends its owner's title.
        self.bad_flats: set[FlatKey] = set()

    def problem(self, line: int, column: str, code: str, message: str) -> None:
        self.problems.append(Problem(line, COLUMN_LABELS[column], code, message))

    def check_row(self, line: int, cells: dict[str, str]) -> OwnerRow | None:
        before = len(self.problems)
        name = cells.get("name", "").strip()
        if not name:
            self.problem(line, "name", "empty_name", _("The owner's name is empty."))
        kind: str = OwnerKind.PERSON
        certificate: str | None = None
        certificate_text = cells.get("certificate", "").strip()
        if certificate_text:
            try:
                kind, certificate = _certificate(certificate_text)
            except ValueError as error:
                self.problem(line, "certificate", "bad_certificate", str(error))
        if certificate and name:
            first = self.names_by_certificate.setdefault(certificate, (name, line))
            if first[0] != name:
                self.problem(
                    line,
                    "certificate",
                    "certificate_two_names",
                    _("Line %(line)d gives this certificate number to another name.")
                    % {"line": first[1]},
                )
        phone = read_cell(line, cells, "phone", self.phones, self.problem)
        area = read_cell(line, cells, "area", self.areas, self.problem)
        delivery = read_cell(line, cells, "delivery", self.deliveries, self.problem)
        co_owners = tuple(
            dict.fromkeys(
                n for n in _CO_OWNER_SEPARATORS.split(cells.get("co_owners", "")) if n and n != name
            )
        )
        too_long(line, "name", name, NAME_LENGTH, self.problem)
        too_long(line, "co_owners", max(co_owners, key=len, default=""), NAME_LENGTH, self.problem)
        location = self.locator.locate(line, cells)
        if len(self.problems) != before or location is None:
            if location is not None:
                self.bad_flats.add(location)
            return None
        return OwnerRow(
            line=line,
            flat=location,
            name=name,
            certificate=certificate,
            kind=kind,
            phone=phone or "",
            co_owners=co_owners,
            area=area,
            delivery=delivery,
        )


def _row_in_words(row: OwnerRow, stairwells: dict[int, str]) -> str:
    """A checked row for the preview: the certificate by its kind only, never its number."""
    certificate = OwnerKind(row.kind).label if row.certificate else _("no certificate")
    words = [f"{stairwells.get(row.flat[0], '')} {row.flat[1]}", f"{row.name}（{certificate}）"]
    if row.co_owners:
        words.append(_("co-owners %(names)s") % {"names": "、".join(row.co_owners)})
    if row.area is not None:
        words.append(f"{row.area} m²")
    if row.delivery:
        words.append(str(Delivery(row.delivery).label))
    return "，".join(words)


def read_roll(data: bytes, filename: str) -> Table:
    table = read_table(data, filename, columns=ROLL_COLUMNS)
    if "address" not in table.columns and "stairwell_code" not in table.columns:
        raise FileRejected(
            _(
                "The owners' roll needs an address column (房屋地址) "
                "or a stairwell code column (楼道编码)."
            )
        )
    return table


class _Plan:
    """The roll's flats and owners compared with the database."""

    def __init__(
        self,
        rows: list[OwnerRow],
        flat_values: dict[FlatKey, dict[str, Any]],
        batch: ImportBatch,
        *,
        scope: Scope,
        stairwells: frozenset[int],
        problems: list[Problem],
    ) -> None:
        self.rows = rows
        self.flat_values = flat_values
        self.batch = batch
        self.scope = scope
        self.stairwells = stairwells
        self.now = timezone.now()
        self._match_owners(problems)

    @functools.cached_property
    def ancestors(self) -> dict[int, dict[str, int]]:
        return stairwell_ancestors({row.flat[0] for row in self.rows})

    @property
    def area_id(self) -> int | None:
        return smallest_area(self.ancestors)

    def _match_owners(self, problems: list[Problem]) -> None:
        """Find the owners on record: by certificate anywhere, by name on the flat's roll."""
        self.stored_flats = {
            (stairwell, room): (pk, tuple(values))
            for pk, stairwell, room, *values in bulk.select_in(
                Flat,
                ("id", "stairwell_id", "room", *FLAT_COLUMNS),
                "stairwell_id",
                sorted({row.flat[0] for row in self.rows}),
            )
        }
        flat_ids = sorted(pk for pk, _values in self.stored_flats.values())
        self.stored_titles = list(
            bulk.select_in(Ownership, ("id", "flat_id", "owner_id"), "flat_id", flat_ids)
        )
        certificates = sorted({row.certificate for row in self.rows if row.certificate})
        owner_columns = ("id", "certificate", *OWNER_COLUMNS)
        owners = {
            pk: values
            for pk, *values in [
                *bulk.select_in(
                    Owner, owner_columns, "id", sorted({o for _i, _f, o in self.stored_titles})
                ),
                *bulk.select_in(Owner, owner_columns, "certificate", certificates),
            ]
        }
        self.stored_owners = {pk: tuple(values[1:]) for pk, values in owners.items()}
        by_certificate = {values[0]: pk for pk, values in owners.items() if values[0]}
        # Owners who own flats outside the jurisdiction are linked, never changed.
        self.foreign = self._owning_elsewhere(set(by_certificate.values()))
        names_on_flat: dict[tuple[int, str], int] = {}
        for _pk, flat, owner in self.stored_titles:
            names_on_flat.setdefault((flat, self.stored_owners[owner][0]), owner)
        self.certified_names: dict[tuple[FlatKey, str], Identity] = {
            (row.flat, row.name): row.identity for row in self.rows if row.certificate
        }
        self.owner_of: dict[tuple[FlatKey, Identity], int | None] = {}
        kept = []
        for row in self.rows:
            stored_flat = self.stored_flats.get(row.flat)
            flat_id = stored_flat[0] if stored_flat else None
            found = by_certificate.get(row.certificate) if row.certificate else None
            if found is None and flat_id is not None:
                found = names_on_flat.get((flat_id, row.name))
            if found is not None and self.stored_owners[found][0] != row.name:
                problems.append(self._renamed(row, found))
                continue
            self.owner_of[(row.flat, row.identity)] = found
            for identity in self.identities(row)[1:]:
                if identity[0] == "name":
                    on_flat = names_on_flat.get((flat_id, identity[1])) if flat_id else None
                    self.owner_of[(row.flat, identity)] = on_flat
            kept.append(row)
        self.rows = kept
        self.residents = self._residents(certificates)

    def identities(self, row: OwnerRow) -> list[Identity]:
        """The row's owner and co-owners; a co-owner another row of the flat names with a
        certificate is that owner."""
        return [row.identity] + [
            self.certified_names.get((row.flat, name), ("name", name)) for name in row.co_owners
        ]

    def _renamed(self, row: OwnerRow, owner: int) -> Problem:
        if owner in self.foreign:
            # What another community has on record is not the importer's to learn.
            message = _(
                "This certificate number belongs to an owner on record under another "
                "name. Check the number; a changed name is corrected on the owner's page."
            )
        else:
            message = _(
                "This certificate number belongs to the owner %(name)s on record. Check "
                "the number; a changed name is corrected on the owner's page."
            ) % {"name": self.stored_owners[owner][0]}
        return Problem(row.line, COLUMN_LABELS["certificate"], "owner_renamed", message)

    def _owning_elsewhere(self, owners: set[int]) -> set[int]:
        if self.scope.everything or not owners:
            return set()
        titles = list(
            bulk.select_in(Ownership, ("owner_id", "flat_id"), "owner_id", sorted(owners))
        )
        outside = {
            pk
            for pk, stairwell in bulk.select_in(
                Flat, ("id", "stairwell_id"), "id", sorted({f for _o, f in titles})
            )
            if stairwell not in self.stairwells
        }
        return {owner for owner, flat in titles if flat in outside}

    def _residents(self, certificates: list[str]) -> dict[str, int]:
        """ID number -> the resident holding it, for owners who live in the jurisdiction."""
        people = list(
            bulk.select_in(Person, ("id_number", "id", "household_id"), "id_number", certificates)
        )
        homes = dict(
            bulk.select_in(
                Household, ("id", "stairwell_id"), "id", sorted({h for _n, _p, h in people})
            )
        )
        return {
            number: pk
            for number, pk, household in people
            if self.scope.everything or homes.get(household) in self.stairwells
        }

    def write(self, result: OwnersResult, dry_run: bool) -> None:
        flats = self._flats(result, dry_run)
        owners = self._owners(result, dry_run)
        wanted: dict[Any, set[Any]] = {}
        for row in self.rows:
            wanted.setdefault(flats[row.flat], set()).update(
                owners[(row.flat, identity)] for identity in self.identities(row)
            )
        stored: dict[int, dict[int, int]] = {}
        for pk, flat, owner in self.stored_titles:
            stored.setdefault(flat, {})[owner] = pk
        new_titles: list[tuple[Any, Any]] = []
        removed: list[int] = []
        for flat, held in wanted.items():
            on_record = stored.get(flat, {}) if isinstance(flat, int) else {}
            added = [(flat, owner) for owner in held if owner not in on_record]
            ended = [pk for owner, pk in on_record.items() if owner not in held]
            if added or ended:
                self.touched_flats.add(flat)
            new_titles += added
            removed += ended
        result.ownerships_created, result.ownerships_removed = len(new_titles), len(removed)
        result.unchanged = sum(
            1
            for row in self.rows
            if flats[row.flat] not in self.touched_flats
            and not any(owners[(row.flat, i)] in self.touched_owners for i in self.identities(row))
        )
        if dry_run:
            return
        ids = bulk.allocate_ids(Ownership, len(new_titles))
        write_history(self.batch, self.now, Ownership, removed, "-")
        bulk.delete_rows(Ownership, removed)
        bulk.insert_rows(
            Ownership,
            ("id", "flat_id", "owner_id"),
            [(pk, flat, owner) for pk, (flat, owner) in zip(ids, new_titles, strict=True)],
        )
        write_history(self.batch, self.now, Ownership, list(ids), "+")

    def _flats(self, result: OwnersResult, dry_run: bool) -> dict[FlatKey, Any]:
        """flat key -> id (a placeholder for a new flat in a dry run); creates and updates."""
        ids: dict[FlatKey, Any] = {}
        new, changed = [], []
        for flat in sorted({row.flat for row in self.rows}):
            given = self.flat_values[flat]
            found = self.stored_flats.get(flat)
            if found is None:
                new.append((flat, given))
                continue
            pk, values = found
            ids[flat] = pk
            wanted = tuple(
                value if given[column] is None else given[column]
                for column, value in zip(FLAT_COLUMNS, values, strict=True)
            )
            if wanted != values:
                changed.append((pk, *wanted))
        result.flats_created, result.flats_updated = len(new), len(changed)
        if dry_run:
            ids.update((flat, ("new flat", flat)) for flat, _given in new)
            self.touched_flats = {row[0] for row in changed} | {ids[f] for f, _g in new}
            return ids
        # Nobody is registered in a flat only the roll names.
        new_ids = insert_flats(
            [(flat, {**given, "housing_status": HousingStatus.VACANT}) for flat, given in new],
            self.ancestors,
        )
        ids.update((flat, pk) for (flat, _given), pk in zip(new, new_ids, strict=True))
        self.touched_flats = {row[0] for row in changed} | set(new_ids)
        bulk.update_rows(Flat, ("id", *FLAT_COLUMNS), changed)
        write_history(self.batch, self.now, Flat, list(new_ids), "+")
        write_history(self.batch, self.now, Flat, [row[0] for row in changed], "~")
        return ids

    def _owners(self, result: OwnersResult, dry_run: bool) -> dict[tuple[FlatKey, Identity], Any]:
        """(flat, identity) -> owner id (a placeholder for a new owner in a dry run)."""
        ids: dict[tuple[FlatKey, Identity], Any] = {}
        # A new owner with a certificate is one owner on every flat it names.
        new: dict[Any, tuple[Any, ...]] = {}
        changed: dict[int, tuple[Any, ...]] = {}
        details = {(row.flat, row.identity): row for row in self.rows}
        for (flat, identity), found in self.owner_of.items():
            row = details.get((flat, identity))
            if found is None:
                key = identity if identity[0] == "certificate" else (flat, identity)
                if key not in new:
                    if row is None:  # named only as a co-owner
                        new[key] = (OwnerKind.PERSON, identity[1], None, "", None)
                    else:
                        resident = self.residents.get(row.certificate or "")
                        new[key] = (row.kind, row.name, row.certificate, row.phone, resident)
                ids[(flat, identity)] = key
                continue
            ids[(flat, identity)] = found
            if row is None or found in self.foreign:
                continue
            name, phone, person = self.stored_owners[found]
            wanted = (
                name,
                row.phone or phone,
                self.residents.get(row.certificate or "", person),
            )
            if wanted != (name, phone, person):
                changed[found] = wanted
        result.owners_created, result.owners_updated = len(new), len(changed)
        if dry_run:
            self.touched_owners = set(new) | set(changed)
            return ids
        new_ids = dict(zip(new, bulk.allocate_ids(Owner, len(new)), strict=True))
        bulk.update_rows(
            Owner, ("id", *OWNER_COLUMNS), [(pk, *values) for pk, values in changed.items()]
        )
        bulk.insert_rows(
            Owner,
            ("id", "kind", "name", "certificate", "phone", "person_id"),
            [(new_ids[key], *values) for key, values in new.items()],
        )
        write_history(self.batch, self.now, Owner, list(new_ids.values()), "+")
        write_history(self.batch, self.now, Owner, list(changed), "~")
        self.touched_owners = set(new_ids.values()) | set(changed)
        return {k: v if isinstance(v, int) else new_ids[v] for k, v in ids.items()}

    touched_flats: set[Any]
    touched_owners: set[Any]


class OwnersDefinition:
    """The owners' roll (import_owners, the admin's and the API's owner imports)."""

    kind: str = ImportBatch.Kind.OWNERS
    result_class: type[ImportResult] = OwnersResult
    tables: tuple[UndoTable, ...] = (
        UndoTable(Ownership, ("flat_id", "owner_id")),
        UndoTable(Owner, OWNER_COLUMNS),
        UndoTable(Flat, FLAT_COLUMNS),
    )

    column_labels = COLUMN_LABELS
    # An empty cell keeps what is on record: nothing is read as a default.
    defaults: dict[str, Any] = {}
    unquoted: frozenset[str] = frozenset()
    example = {
        "area": "89.5",
        "name": "张三",
        "certificate": EXAMPLE_ID_NUMBER,
        "phone": "13800000000",
        "co_owners": "李四",
        "delivery": "已交付",
    }

    def read(self, data: bytes, filename: str) -> Table:
        return read_roll(data, filename)

    def read_head(self, table: Table, scope: Scope) -> dict[int, str]:
        checker = _Checker(scope, [])
        checked = [row for line, cells in table.rows if (row := checker.check_row(line, cells))]
        names = stairwell_names({row.flat[0] for row in checked})
        return {row.line: _row_in_words(row, names) for row in checked}

    def plan(
        self,
        table: Table,
        batch: ImportBatch,
        *,
        scope: Scope,
        progress: Progress,
        problems: list[Problem],
    ) -> _Plan:
        checker = _Checker(scope, problems)
        rows = checked_rows(table, checker.check_row, problems, progress)
        table.rows.clear()
        values, disputed = agreed_flat_values(rows, FLAT_COLUMNS, COLUMN_LABELS, problems)
        left_out = disputed | checker.bad_flats
        return _Plan(
            [row for row in rows if row.flat not in left_out],
            values,
            batch,
            scope=scope,
            stairwells=checker.locator.stairwells,
            problems=problems,
        )

    def describe(self, result: ImportResult) -> str:
        return (
            _(
                "%(rows)d rows: flats %(flats_created)d new, %(flats_updated)d updated; owners "
                "%(owners_created)d new, %(owners_updated)d updated; ownerships "
                "%(ownerships_created)d new, %(ownerships_removed)d ended; %(unchanged)d unchanged."
            )
            % result.counts()
        )

    def later_records(self, created: dict[type[Model], QuerySet[Any]]) -> int:
        flats, owners, titles = created[Flat], created[Owner], created[Ownership]
        return (
            Ownership.objects.filter(Q(flat__in=flats) | Q(owner__in=owners))
            .exclude(pk__in=titles)
            .count()
            + Household.objects.filter(flat__in=flats).count()
        )


OWNERS = OwnersDefinition()
