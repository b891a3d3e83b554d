"""Importing a household register as it comes from other systems (a definition on
residents.import_engine).

register_rows.py reads and checks the rows; here the good rows are grouped
into households and their flats (several households may share one flat),
compared with the database, and the difference written in bulk (COPY on
PostgreSQL) with history rows stamped with the batch, so it can be undone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from common.tabular import Problem, Table
from grids import personal_data
from grids.jurisdiction import Scope
from residents import bulk
from residents.flat_locator import insert_flats
from residents.import_engine import (
    EXAMPLE_ID_NUMBER,
    PROBLEMS_KEPT,
    ImportResult,
    Progress,
    UndoTable,
    stairwell_names,
    write_history,
    write_table,
)
from residents.models import (
    Flat,
    Household,
    HouseholdKind,
    ImportBatch,
    LifeEvent,
    Ownership,
    Person,
    Relation,
    Visit,
)
from residents.register_households import (
    NUMBER,
    HouseholdGroup,
    StoredHouseholds,
    flat_values,
    group_rows,
)
from residents.register_rows import (
    COLUMN_LABELS,
    DEFAULTS,
    FLAT_COLUMNS,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_SOURCE,
    PERSON_COLUMNS,
    PersonRow,
    check_rows,
    read_register,
)


@dataclass
class RegisterResult(ImportResult):
    flats_created: int = 0
    flats_updated: int = 0
    households_created: int = 0
    households_updated: int = 0
    persons_created: int = 0
    persons_updated: int = 0
    transfers_requested: int = 0


# Persons compared with their stored rows per database query.
_COMPARED_AT_ONCE = 10_000
_HOUSEHOLD = PERSON_COLUMNS.index("household_id")
_RELATION = PERSON_COLUMNS.index("relation")


class _Writer(StoredHouseholds):
    """Writes the difference between the file's households and persons and the database's."""

    def write(self, result: RegisterResult, dry_run: bool) -> None:
        """Count what changes; unless dry_run, write it with history rows."""
        result.transfers_requested = len(self.transfers)
        flat_id, new_flats = self._write_flats(result, dry_run)
        new_households: list[HouseholdGroup] = []
        changed_households: list[tuple[int, tuple[Any, ...]]] = []
        # Changed rows that take over a value unique among their peers (a
        # household number in the street, the head of a household).
        renumbered: list[tuple[int, str]] = []
        promoted: list[tuple[int, str]] = []
        household_id: dict[object, int | None] = {}
        for group in self.groups:
            found = self.matched.get(group.key)
            if found is None:
                new_households.append(group)
                continue
            pk, stored = found
            household_id[group.key] = pk
            wanted = self._household_values(group, stored)
            if wanted != stored:
                changed_households.append((pk, wanted))
                if _takes_number(wanted, stored):
                    renumbered.append((pk, wanted[NUMBER]))
        result.households_created = len(new_households)
        result.households_updated = len(changed_households)
        new_ids: list[int | None] = (
            [None] * len(new_households)
            if dry_run
            else list(bulk.allocate_ids(Household, len(new_households)))
        )
        household_id.update((g.key, pk) for pk, g in zip(new_ids, new_households, strict=True))

        people = [r for g in self.groups for r in g.rows]
        new_people: list[PersonRow] = []
        changed_people: list[tuple[int, tuple[Any, ...]]] = []
        # (row, stored values, wanted values) of the first changed persons by line.
        changed_rows: list[tuple[PersonRow, tuple[Any, ...], tuple[Any, ...]]] = []
        # A chunk at a time: the stored rows of a whole street, held beside the
        # file's, would take a re-import past the memory budget.
        for chunk in bulk.in_chunks(people, _COMPARED_AT_ONCE):
            existing_people = self._existing_people([r.id_number for r in chunk])
            for row in chunk:
                found = existing_people.get(row.id_number)
                if found is None:
                    new_people.append(row)
                    continue
                pk, stored = found
                wanted = self._person_values(row, household_id.get(row.household), stored)
                if wanted != stored:
                    changed_people.append((pk, wanted))
                    if len(changed_rows) < PROBLEMS_KEPT:
                        changed_rows.append((row, stored, wanted))
                    if _takes_headship(wanted, stored):
                        promoted.append((pk, Relation.HEAD))
        self._describe_changes(result, changed_rows)
        result.change_total = len(changed_people)
        result.persons_created = len(new_people)
        result.persons_updated = len(changed_people)
        result.unchanged = len(people) - len(new_people) - len(changed_people)
        if dry_run:
            return

        household_rows: list[tuple[Any, ...]] = []
        for new_pk, group in zip(new_ids, new_households, strict=True):
            columns = self.ancestors[group.flat[0]]
            household_rows.append(
                (
                    new_pk,
                    flat_id[group.flat],
                    group.flat[0],
                    columns.get("street_id"),
                    columns.get("community_id"),
                    columns.get("grid_id"),
                    columns.get("micro_grid_id"),
                    group.flat[1],
                    *self._household_values(group, None),
                )
            )
        household_columns = (
            "id",
            "flat_id",
            "stairwell_id",
            "street_id",
            "community_id",
            "grid_id",
            "micro_grid_id",
            "room",
            *HOUSEHOLD_COLUMNS,
        )
        write_table(
            Household,
            household_columns,
            household_rows,
            ("id", *HOUSEHOLD_COLUMNS),
            [(pk, *v) for pk, v in changed_households],
            contested="number",
            unclaimed="",
            claims=renumbered,
        )
        person_ids = bulk.allocate_ids(Person, len(new_people))
        person_rows = [
            (pk, *self._person_values(row, household_id[row.household], None))
            for pk, row in zip(person_ids, new_people, strict=True)
        ]
        write_table(
            Person,
            ("id", *PERSON_COLUMNS),
            person_rows,
            ("id", *PERSON_COLUMNS),
            [(pk, *v) for pk, v in changed_people],
            contested="relation",
            unclaimed=Relation.OTHER,
            claims=promoted,
        )
        self._request_transfers(result, household_id)
        write_history(self.batch, self.now, Flat, new_flats, "+")
        write_history(
            self.batch, self.now, Household, [pk for pk in new_ids if pk is not None], "+"
        )
        write_history(self.batch, self.now, Household, [pk for pk, _v in changed_households], "~")
        write_history(self.batch, self.now, Person, person_ids, "+")
        write_history(self.batch, self.now, Person, [pk for pk, _v in changed_people], "~")

    def _describe_changes(
        self,
        result: RegisterResult,
        changed: list[tuple[PersonRow, tuple[Any, ...], tuple[Any, ...]]],
    ) -> None:
        """What changes for each person the import changes: field, old value → new value.

        Phones are masked (anyone who may see the batch sees its preview); a
        move names the households by 户号, or room when they have none.
        """
        moved_from = {
            stored[_HOUSEHOLD]
            for _row, stored, wanted in changed
            if stored[_HOUSEHOLD] != wanted[_HOUSEHOLD]
        }
        named = {
            pk: number or room
            for pk, number, room in bulk.select_in(
                Household, ("id", "number", "room"), "id", sorted(moved_from)
            )
        }
        labels = {f.attname: str(f.verbose_name) for f in Person._meta.concrete_fields}
        choices = {
            f.attname: {str(k): str(v) for k, v in f.flatchoices}
            for f in Person._meta.concrete_fields
            if f.choices
        }

        def shown(column: str, value: Any) -> str:
            if column == "phone":
                return personal_data.shown_phone(value or "", full=False)
            return choices.get(column, {}).get(str(value), "" if value is None else str(value))

        for row, stored, wanted in changed:
            fields = []
            for column, old, new in zip(PERSON_COLUMNS, stored, wanted, strict=True):
                if old == new:
                    continue
                if column == "household_id":
                    old_text = named.get(old, "")
                    new_text = row.number or row.room
                    label = str(Person._meta.get_field("household").verbose_name)
                else:
                    old_text, new_text, label = (
                        shown(column, old),
                        shown(column, new),
                        labels[column],
                    )
                fields.append({"field": label, "old": old_text, "new": new_text})
            result.changes.append({"line": row.line, "name": row.name, "fields": fields})
        result.changes.sort(key=lambda change: change["line"])

    def _request_transfers(self, result: RegisterResult, household_id: dict[object, Any]) -> None:
        """Ask the other communities for the members registered there (transfers.py)."""
        from residents import transfers  # it writes through services, which run imports

        for key, row in self.transfers:
            try:
                transfers.request_transfer(
                    user=self.batch.user,
                    id_number=row.id_number,
                    name=row.name,
                    household=Household.objects.get(pk=household_id[key]),
                    relation=row.relation,
                    note=_("From the import of %(file)s, line %(line)d.")
                    % {"file": self.batch.filename, "line": row.line},
                )
            except (ValidationError, PermissionDenied) as refused:
                result.transfers_requested -= 1
                if getattr(refused, "code", None) == "open_request":
                    continue  # asked for already (the same file again): nothing more to ask
                messages = getattr(refused, "messages", None) or [str(refused)]
                result.add_problem(
                    Problem(
                        row.line, COLUMN_LABELS["id_number"], "transfer_refused", " ".join(messages)
                    )
                )

    def _write_flats(
        self, result: RegisterResult, dry_run: bool
    ) -> tuple[dict[tuple[int, str], int | None], list[int]]:
        """Create the new flats and update the changed ones; (flat key -> id, new flat ids).

        A flat column the file does not have keeps its stored value.
        """
        kept = [i for i, column in enumerate(FLAT_COLUMNS) if column not in self.present]
        stored = {
            (stairwell, room): (pk, tuple(values))
            for pk, stairwell, room, *values in bulk.select_in(
                Flat,
                ("id", "stairwell_id", "room", *FLAT_COLUMNS),
                "stairwell_id",
                sorted({flat[0] for flat in self.flat_values}),
            )
        }
        flat_id: dict[tuple[int, str], int | None] = {}
        new: list[tuple[tuple[int, str], tuple[Any, ...]]] = []
        changed: list[tuple[Any, ...]] = []
        for flat in sorted({g.flat for g in self.groups}):
            wanted = self.flat_values[flat]
            found = stored.get(flat)
            if found is None:
                new.append((flat, wanted))
                continue
            pk, values = found
            flat_id[flat] = pk
            wanted = tuple(values[i] if i in kept else v for i, v in enumerate(wanted))
            if wanted != values:
                changed.append((pk, *wanted))
        result.flats_created = len(new)
        result.flats_updated = len(changed)
        if dry_run:
            flat_id.update((flat, None) for flat, _values in new)
            return flat_id, []
        new_ids = insert_flats(
            [(flat, dict(zip(FLAT_COLUMNS, values, strict=True))) for flat, values in new],
            self.ancestors,
        )
        flat_id.update((flat, pk) for (flat, _values), pk in zip(new, new_ids, strict=True))
        bulk.update_rows(Flat, ("id", *FLAT_COLUMNS), changed)
        write_history(self.batch, self.now, Flat, [row[0] for row in changed], "~")
        return flat_id, list(new_ids)

    def _household_values(
        self, group: HouseholdGroup, stored: tuple[Any, ...] | None
    ) -> tuple[Any, ...]:
        """The household's HOUSEHOLD_COLUMNS values as the file has them; columns the file
        does not have keep their stored values."""
        values = (group.lead.number, group.kind or HouseholdKind.FAMILY)
        if stored is None:
            return values
        return tuple(
            value if HOUSEHOLD_SOURCE[column] in self.present else old
            for column, value, old in zip(HOUSEHOLD_COLUMNS, values, stored, strict=True)
        )

    def _person_values(
        self, row: PersonRow, household: int | None, stored: tuple[Any, ...] | None
    ) -> tuple[Any, ...]:
        """The person's column values (PERSON_COLUMNS order) as the file has them.

        Columns the file does not have keep their stored values.
        """
        values = (
            household,
            row.name,
            row.id_number,
            row.sex,
            row.birth_date,
            row.phone,
            row.relation,
            row.ethnicity,
            row.registered_address,
            row.residence_type,
            row.political_status,
            row.party_kind,
        )
        if stored is None or not self.kept_person_columns:
            return values
        return tuple(
            stored[i] if i in self.kept_person_columns else value for i, value in enumerate(values)
        )

    def _existing_people(self, numbers: list[str]) -> dict[str, tuple[int, tuple[Any, ...]]]:
        return {
            values[2]: (pk, tuple(values))
            for pk, *values in bulk.select_in(Person, ("id", *PERSON_COLUMNS), "id_number", numbers)
        }


def _takes_number(wanted: tuple[Any, ...], stored: tuple[Any, ...]) -> bool:
    """Whether a household (HOUSEHOLD_COLUMNS values) takes a number it did not have."""
    return wanted[NUMBER] not in ("", stored[NUMBER])


def _takes_headship(wanted: tuple[Any, ...], stored: tuple[Any, ...]) -> bool:
    """Whether a person (PERSON_COLUMNS values) becomes head of a household they did not head."""
    return wanted[_RELATION] == Relation.HEAD and (stored[_HOUSEHOLD], stored[_RELATION]) != (
        wanted[_HOUSEHOLD],
        Relation.HEAD,
    )


class RegisterDefinition:
    """The household register (import_register, the admin's and the API's imports)."""

    kind: str = ImportBatch.Kind.REGISTER
    result_class: type[ImportResult] = RegisterResult
    tables: tuple[UndoTable, ...] = (
        UndoTable(Person, PERSON_COLUMNS, "relation", Relation.OTHER, _takes_headship),
        UndoTable(Household, HOUSEHOLD_COLUMNS, "number", "", _takes_number),
        UndoTable(Flat, FLAT_COLUMNS),
    )

    column_labels = COLUMN_LABELS
    defaults: dict[str, Any] = DEFAULTS
    # A birth date is what the ID number's mask hides.
    unquoted = frozenset({"birth_date"})
    example = {
        "number": "0001",
        "name": "张三",
        "sex": "男",
        "ethnicity": "汉族",
        "household_kind": "家庭户",
        "registered_address": "浙江省杭州市西湖区白杨街道",
        "id_number": EXAMPLE_ID_NUMBER,
        "birth_date": "1985-03-02",
        "relation": "户主",
        "phone": "13800000000",
        "political": "群众",
        "residence_type": "户籍",
        "housing_status": "自住",
        "area": "89.5",
    }

    def read(self, data: bytes, filename: str) -> Table:
        return read_register(data, filename)

    def read_head(self, table: Table, scope: Scope) -> dict[int, str]:
        checked, _stairwells = check_rows(table, scope, [], lambda done, total: None)
        names = stairwell_names({row.stairwell_id for row in checked})
        # Without the column the relation is the one on record, not the default.
        relations = "relation" in table.columns
        return {
            row.line: "，".join(
                [
                    f"{names.get(row.stairwell_id, '')} {row.room}",
                    row.number or _("(no household number)"),
                    row.name,
                    *([str(Relation(row.relation).label)] if relations else []),
                    _("born %(year)d") % {"year": row.birth_date.year},
                ]
            )
            for row in checked
        }

    def plan(
        self,
        table: Table,
        batch: ImportBatch,
        *,
        scope: Scope,
        progress: Progress,
        problems: list[Problem],
    ) -> _Writer:
        checked, stairwells = check_rows(table, scope, problems, progress)
        # The raw cells are no longer needed; freeing them keeps a street's
        # register well under the memory budget while it is written.
        present = set(table.columns)
        table.rows.clear()
        grouped = group_rows(checked, problems, relations_given="relation" in present)
        groups, values = flat_values(grouped, problems)
        writer = _Writer(groups, values, present, batch, scope=scope, stairwells=stairwells)
        writer.match_stored_households(problems)
        writer.settle_heads(problems)
        writer.drop_people_registered_elsewhere(problems)
        writer.drop_conflicting_households(problems)
        return writer

    def describe(self, result: ImportResult) -> str:
        return (
            _(
                "%(rows)d rows: flats %(flats_created)d new, %(flats_updated)d updated; "
                "households %(households_created)d new, %(households_updated)d updated; persons "
                "%(persons_created)d new, %(persons_updated)d updated, %(unchanged)d unchanged."
            )
            % result.counts()
        )

    def later_records(self, created: dict[type[Model], QuerySet[Any]]) -> int:
        households, persons, flats = created[Household], created[Person], created[Flat]
        return (
            LifeEvent.objects.filter(Q(household__in=households) | Q(person__in=persons)).count()
            + Visit.objects.filter(household__in=households).count()
            # Households moved into, and owners given to, the flats it created.
            + Household.objects.filter(flat__in=flats).exclude(pk__in=households).count()
            + Ownership.objects.filter(flat__in=flats).count()
        )


REGISTER = RegisterDefinition()
