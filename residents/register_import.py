"""Importing a household register as it comes from other systems.

One engine behind the command, the admin and the API: read the file
(common.tabular), check every row and report every problem with its line,
column and a Chinese message, group rows into households, compare with the
database, and write the difference in bulk (COPY on PostgreSQL) with history
rows stamped with the batch, so the batch can be undone. Nothing is written
when any row is bad unless the caller chose to skip bad rows.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.tabular import FileRejected, Problem, Table, read_table
from grids.jurisdiction import Scope
from grids.models import Level, Node
from residents import addresses, bulk, idnumbers
from residents.models import (
    ANCESTOR_FIELDS,
    Household,
    HousingStatus,
    ImportBatch,
    PartyKind,
    Person,
    PoliticalStatus,
    Relation,
    ResidenceType,
)
from residents.values import (
    HOUSING_WORDS,
    POLITICAL_WORDS,
    RELATION_WORDS,
    RESIDENCE_WORDS,
    SEX_WORDS,
    parse_area,
    parse_date,
    word,
)

COLUMN_ALIASES = {
    "户号": "number",
    "户编号": "number",
    "姓名": "name",
    "性别": "sex",
    "民族": "ethnicity",
    "公民身份号码": "id_number",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "证件号码": "id_number",
    "出生日期": "birth_date",
    "与户主关系": "relation",
    "现居住地址": "address",
    "居住地址": "address",
    "住址": "address",
    "地址": "address",
    "楼道编码": "stairwell_code",
    "房号": "room",
    "室号": "room",
    "联系电话": "phone",
    "电话": "phone",
    "手机": "phone",
    "手机号码": "phone",
    "政治面貌": "political",
    "人口类型": "residence_type",
    "户籍类型": "residence_type",
    "房屋性质": "housing_status",
    "房屋用途": "housing_status",
    "建筑面积": "area",
    "专有部分面积": "area",
    "面积": "area",
}
REQUIRED_COLUMNS = ("name", "id_number")
COLUMN_LABELS = {
    "number": "户号",
    "name": "姓名",
    "sex": "性别",
    "ethnicity": "民族",
    "id_number": "公民身份号码",
    "birth_date": "出生日期",
    "relation": "与户主关系",
    "address": "现居住地址",
    "stairwell_code": "楼道编码",
    "room": "房号",
    "phone": "联系电话",
    "political": "政治面貌",
    "residence_type": "人口类型",
    "housing_status": "房屋性质",
    "area": "建筑面积",
}
# Person columns written by the import, in this order (database column names).
PERSON_COLUMNS = (
    "household_id",
    "name",
    "id_number",
    "sex",
    "birth_date",
    "phone",
    "relation",
    "ethnicity",
    "residence_type",
    "political_status",
    "party_kind",
)
# Which file column feeds each person column; a column absent from the file
# leaves the stored value alone.
PERSON_SOURCE = {
    "phone": "phone",
    "ethnicity": "ethnicity",
    "relation": "relation",
    "residence_type": "residence_type",
    "political_status": "political",
    "party_kind": "political",
}
HOUSEHOLD_COLUMNS = ("number", "housing_status", "area")
HOUSEHOLD_SOURCE = {"number": "number", "housing_status": "housing_status", "area": "area"}
PROGRESS_EVERY = 5000


class RegisterRejected(Exception):
    """The register has problems and nothing was written (raised by services.import_now)."""

    def __init__(self, result: RegisterResult) -> None:
        super().__init__(f"{len(result.errors)} problem(s)")
        self.result = result


@dataclass(slots=True)
class PersonRow:
    line: int
    stairwell_id: int
    room: str
    number: str
    name: str
    id_number: str
    sex: str
    birth_date: datetime.date
    phone: str
    relation: str
    ethnicity: str
    residence_type: str
    political_status: str
    party_kind: str
    housing_status: str
    area: Decimal | None


@dataclass
class RegisterResult:
    rows: int = 0
    households_created: int = 0
    households_updated: int = 0
    persons_created: int = 0
    persons_updated: int = 0
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)
    written: bool = False
    batch_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "households_created": self.households_created,
            "households_updated": self.households_updated,
            "persons_created": self.persons_created,
            "persons_updated": self.persons_updated,
            "unchanged": self.unchanged,
            "errors": [p.as_dict() for p in self.errors],
            "written": self.written,
            "batch": self.batch_id,
        }


Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    pass


class _Memo(dict[str, Any]):
    """A parser's results by cell text, None for text it rejects.

    A register repeats a few thousand distinct values in 150,000 rows, so each
    is parsed once and every later row costs one dictionary lookup.
    """

    def __init__(self, parse: Callable[[str], Any]) -> None:
        super().__init__()
        self.parse = parse

    def __missing__(self, text: str) -> Any:
        try:
            value = self.parse(text)
        except ValueError:
            value = None
        self[text] = value
        return value


def _chosen(words: dict[str, Any]) -> Callable[[str], Any]:
    return lambda text: words.get(word(text))


class _Checker:
    """Turns table rows into PersonRows, collecting every problem."""

    def __init__(self, table: Table, scope: Scope) -> None:
        self.table = table
        stairwells = list(
            Node.objects.filter(scope.q(), level=Level.STAIRWELL).values_list(
                "pk", "code", "compound", "building", "unit"
            )
        )
        self.directory = addresses.StairwellDirectory(
            [(pk, compound, building, unit) for pk, _code, compound, building, unit in stairwells]
        )
        self.by_code = {code: pk for pk, code, *_place in stairwells}
        self.problems: list[Problem] = []
        self.today = timezone.localdate()
        self.locations = _Memo(self._resolve)
        self.sexes = _Memo(_chosen(SEX_WORDS))
        self.dates = _Memo(parse_date)
        self.relations = _Memo(_chosen(RELATION_WORDS))
        self.residence_types = _Memo(_chosen(RESIDENCE_WORDS))
        self.political_statuses = _Memo(_chosen(POLITICAL_WORDS))
        self.housing_statuses = _Memo(_chosen(HOUSING_WORDS))
        self.areas = _Memo(parse_area)

    def problem(self, line: int, column: str, code: str, message: str) -> None:
        self.problems.append(Problem(line, COLUMN_LABELS[column], code, message))

    def _locate(self, line: int, cells: dict[str, str]) -> tuple[int, str] | None:
        code = cells.get("stairwell_code", "")
        if code:
            pk = self.by_code.get(code)
            room = cells.get("room", "")
            if pk is None:
                self.problem(
                    line,
                    "stairwell_code",
                    "unknown_stairwell",
                    _("No stairwell %(code)s in your jurisdiction.") % {"code": code},
                )
                return None
            if not room:
                self.problem(line, "room", "empty_room", _("The room is empty."))
                return None
            return pk, room
        text = cells.get("address", "")
        if not text:
            self.problem(line, "address", "empty_address", _("The address is empty."))
            return None
        location = self.locations[text]
        if isinstance(location, addresses.AddressError):
            self.problem(line, "address", location.code, str(location))
            return None
        return location

    def _resolve(self, text: str) -> tuple[int, str] | addresses.AddressError:
        """(stairwell id, room) for an address, or the error to report on every line with it."""
        parsed = addresses.parse(text)
        if parsed is None:
            return addresses.AddressError(
                "bad_address",
                _("Cannot read “%(text)s” as compound, building, unit and room.") % {"text": text},
            )
        try:
            return self.directory.resolve(parsed), parsed.room
        except addresses.AddressError as error:
            return error

    def check(self, progress: Progress) -> list[PersonRow]:
        rows: list[PersonRow] = []
        seen_ids: dict[str, int] = {}
        total = len(self.table.rows)
        for index, (line, cells) in enumerate(self.table.rows):
            if index % PROGRESS_EVERY == 0:
                progress(index, total)
            row = self._check_row(line, cells, seen_ids)
            if row is not None:
                rows.append(row)
        return rows

    def _check_row(
        self, line: int, cells: dict[str, str], seen_ids: dict[str, int]
    ) -> PersonRow | None:
        before = len(self.problems)
        name = cells.get("name", "")
        if not name:
            self.problem(line, "name", "empty_name", _("The name is empty."))
        decoded = None
        raw_id = cells.get("id_number", "")
        if not raw_id:
            self.problem(line, "id_number", "empty_id", _("The ID number is empty."))
        else:
            try:
                decoded = idnumbers.parse(raw_id, today=self.today)
            except idnumbers.InvalidIDNumber as error:
                self.problem(line, "id_number", error.code, str(error))
        if decoded is not None:
            first = seen_ids.setdefault(decoded.number, line)
            if first != line:
                self.problem(
                    line,
                    "id_number",
                    "duplicate_id",
                    _("The same ID number is already on line %(line)d.") % {"line": first},
                )
            sex_text = cells.get("sex", "")
            if sex_text:
                sex = self.sexes[sex_text]
                if sex is None:
                    self.problem(
                        line, "sex", "bad_sex", _("Unknown sex “%(value)s”.") % {"value": sex_text}
                    )
                elif sex != decoded.sex:
                    self.problem(
                        line, "sex", "sex_mismatch", _("The sex does not agree with the ID number.")
                    )
            birth_text = cells.get("birth_date", "")
            if birth_text:
                birth = self.dates[birth_text]
                if birth is None:
                    self.problem(
                        line,
                        "birth_date",
                        "bad_date",
                        _("“%(value)s” is not a date (e.g. 1985-03-02, 1985/3/2, 19850302).")
                        % {"value": birth_text},
                    )
                elif birth != decoded.birth_date:
                    self.problem(
                        line,
                        "birth_date",
                        "birth_mismatch",
                        _("The birth date %(given)s does not agree with the ID number (%(id)s).")
                        % {"given": birth.isoformat(), "id": decoded.birth_date.isoformat()},
                    )
        phone = "".join(cells.get("phone", "").split())
        if phone and not (
            5 <= len(phone) <= 20 and phone.replace("-", "").replace("+", "").isdigit()
        ):
            self.problem(
                line,
                "phone",
                "bad_phone",
                _("“%(value)s” is not a phone number.") % {"value": phone},
            )
        relation = self.relations[cells.get("relation", "")] or Relation.OTHER
        residence_text = cells.get("residence_type", "")
        residence = (
            self.residence_types[residence_text] if residence_text else ResidenceType.REGISTERED
        )
        if residence is None:
            self.problem(
                line,
                "residence_type",
                "bad_residence_type",
                _("Unknown residence type “%(value)s”; use 户籍/流动/境外.")
                % {"value": residence_text},
            )
        political_text = cells.get("political", "")
        political = self.political_statuses[political_text]
        if political is None:
            self.problem(
                line,
                "political",
                "bad_political_status",
                _("Unknown political status “%(value)s”.") % {"value": political_text},
            )
        housing_text = cells.get("housing_status", "")
        housing = (
            self.housing_statuses[housing_text] if housing_text else HousingStatus.OWNER_OCCUPIED
        )
        if housing is None:
            self.problem(
                line,
                "housing_status",
                "bad_housing_status",
                _("Unknown housing status “%(value)s”; use 自住/出租/空置/商用.")
                % {"value": housing_text},
            )
        area = None
        area_text = cells.get("area", "")
        if area_text:
            area = self.areas[area_text]
            if area is None:
                self.problem(
                    line,
                    "area",
                    "bad_area",
                    _("“%(value)s” is not an area in m².") % {"value": area_text},
                )
        location = self._locate(line, cells)
        if len(self.problems) != before or decoded is None or location is None:
            return None
        assert political is not None and residence is not None and housing is not None
        return PersonRow(
            line=line,
            stairwell_id=location[0],
            room=location[1],
            number=cells.get("number", ""),
            name=name,
            id_number=decoded.number,
            sex=decoded.sex,
            birth_date=decoded.birth_date,
            phone=phone,
            relation=relation,
            ethnicity=cells.get("ethnicity", ""),
            residence_type=residence,
            political_status=political[0],
            party_kind=political[1]
            if political[0] == PoliticalStatus.PARTY_MEMBER
            else PartyKind.NONE,
            housing_status=housing,
            area=area,
        )


@dataclass
class _HouseholdGroup:
    key: tuple[int, str]  # (stairwell id, room)
    rows: list[PersonRow]
    head: PersonRow


def _group(rows: list[PersonRow], problems: list[Problem]) -> list[_HouseholdGroup]:
    """Rows into households by 户号 (or address + room); each needs exactly one head."""
    by_key: dict[object, list[PersonRow]] = {}
    for row in rows:
        by_key.setdefault(row.number or (row.stairwell_id, row.room), []).append(row)
    groups: list[_HouseholdGroup] = []
    rooms: dict[tuple[int, str], int] = {}
    for members in by_key.values():
        lines = "、".join(str(r.line) for r in members[:10])
        addresses_in_group = {(r.stairwell_id, r.room) for r in members}
        if len(addresses_in_group) > 1:
            problems.append(
                Problem(
                    members[0].line,
                    COLUMN_LABELS["address"],
                    "household_addresses",
                    _("Household %(number)s lives at more than one address (lines %(lines)s).")
                    % {"number": members[0].number, "lines": lines},
                )
            )
            continue
        heads = [r for r in members if r.relation == Relation.HEAD]
        if len(heads) != 1:
            problems.append(
                Problem(
                    members[0].line,
                    COLUMN_LABELS["relation"],
                    "household_heads",
                    _(
                        "A household has exactly one head (户主); "
                        "this one has %(n)d (lines %(lines)s)."
                    )
                    % {"n": len(heads), "lines": lines},
                )
            )
            continue
        key = next(iter(addresses_in_group))
        if key in rooms:
            problems.append(
                Problem(
                    members[0].line,
                    COLUMN_LABELS["number"],
                    "room_shared",
                    _("Another household (line %(line)d) already lives in this room.")
                    % {"line": rooms[key]},
                )
            )
            continue
        rooms[key] = members[0].line
        groups.append(_HouseholdGroup(key=key, rows=members, head=heads[0]))
    return groups


class _Writer:
    """Compares the checked households and persons with the database and writes the difference."""

    def __init__(
        self, groups: list[_HouseholdGroup], present: set[str], batch: ImportBatch
    ) -> None:
        self.groups = groups
        self.present = present
        self.batch = batch
        self.now = timezone.now()
        self.kept_person_columns = frozenset(
            PERSON_COLUMNS.index(column)
            for column, source in PERSON_SOURCE.items()
            if source not in present
        )

    def _ancestors(self, stairwell_ids: set[int]) -> dict[int, dict[str, int]]:
        """stairwell id -> {street_id: …, micro_grid_id: …}, by one sweep in tree order.

        In (tree, lft) order a node's ancestor at each level is the latest node
        of that level before it: levels do not nest within themselves.
        """
        stairwells = Node.objects.filter(pk__in=stairwell_ids)
        upper = Node.objects.filter(
            tree_id__in=stairwells.values("tree_id"), level__lt=Level.STAIRWELL
        )
        nodes = sorted(
            [
                *stairwells.values_list("tree_id", "lft", "level", "pk"),
                *upper.values_list("tree_id", "lft", "level", "pk"),
            ]
        )
        latest: dict[str, int] = {}
        result: dict[int, dict[str, int]] = {}
        for _tree_id, _lft, level, pk in nodes:
            if level == Level.STAIRWELL:
                result[pk] = dict(latest)
            else:
                latest[f"{ANCESTOR_FIELDS[level]}_id"] = pk
        return result

    def write(self, result: RegisterResult, dry_run: bool) -> None:
        """Count what changes; unless dry_run, write it with history rows."""
        existing_households = self._existing_households()
        ancestors = self._ancestors({g.key[0] for g in self.groups})
        new_households: list[_HouseholdGroup] = []
        changed_households: list[tuple[int, tuple[Any, ...]]] = []
        household_id: dict[tuple[int, str], int | None] = {}
        for group in self.groups:
            head = group.head
            found = existing_households.get(group.key)
            if found is None:
                new_households.append(group)
                continue
            pk, stored = found
            household_id[group.key] = pk
            wanted = tuple(
                getattr(head, column) if HOUSEHOLD_SOURCE[column] in self.present else value
                for column, value in zip(HOUSEHOLD_COLUMNS, stored, strict=True)
            )
            if wanted != stored:
                changed_households.append((pk, wanted))
        result.households_created = len(new_households)
        result.households_updated = len(changed_households)
        new_ids: list[int | None] = (
            [None] * len(new_households)
            if dry_run
            else list(bulk.allocate_ids(Household, len(new_households)))
        )
        household_id.update((g.key, pk) for pk, g in zip(new_ids, new_households, strict=True))

        people = [r for g in self.groups for r in g.rows]
        existing_people = self._existing_people([r.id_number for r in people])
        new_people: list[PersonRow] = []
        changed_people: list[tuple[int, tuple[Any, ...]]] = []
        for row in people:
            found = existing_people.get(row.id_number)
            if found is None:
                new_people.append(row)
                continue
            pk, stored = found
            target = household_id.get((row.stairwell_id, row.room))
            wanted = self._person_values(row, target, stored)
            if wanted != stored:
                changed_people.append((pk, wanted))
        result.persons_created = len(new_people)
        result.persons_updated = len(changed_people)
        result.unchanged = len(people) - len(new_people) - len(changed_people)
        if dry_run:
            return

        household_rows: list[tuple[Any, ...]] = []
        for new_pk, group in zip(new_ids, new_households, strict=True):
            columns = ancestors[group.key[0]]
            household_rows.append(
                (
                    new_pk,
                    group.key[0],
                    columns.get("street_id"),
                    columns.get("community_id"),
                    columns.get("grid_id"),
                    columns.get("micro_grid_id"),
                    group.key[1],
                    group.head.number,
                    group.head.housing_status,
                    group.head.area,
                    "",
                )
            )
        household_columns = (
            "id",
            "stairwell_id",
            "street_id",
            "community_id",
            "grid_id",
            "micro_grid_id",
            "room",
            "number",
            "housing_status",
            "area",
            "owner",
        )
        bulk.insert_rows(Household, household_columns, household_rows)
        bulk.update_rows(
            Household, ("id", *HOUSEHOLD_COLUMNS), [(pk, *v) for pk, v in changed_households]
        )
        person_ids = bulk.allocate_ids(Person, len(new_people))
        person_rows = [
            (pk, *self._person_values(row, household_id[(row.stairwell_id, row.room)], None))
            for pk, row in zip(person_ids, new_people, strict=True)
        ]
        bulk.insert_rows(Person, ("id", *PERSON_COLUMNS), person_rows)
        bulk.update_rows(Person, ("id", *PERSON_COLUMNS), [(pk, *v) for pk, v in changed_people])
        self._write_history(Household, [pk for pk in new_ids if pk is not None], "+")
        self._write_history(Household, [pk for pk, _v in changed_households], "~")
        self._write_history(Person, person_ids, "+")
        self._write_history(Person, [pk for pk, _v in changed_people], "~")

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
            row.residence_type,
            row.political_status,
            row.party_kind,
        )
        if stored is None or not self.kept_person_columns:
            return values
        return tuple(
            stored[i] if i in self.kept_person_columns else value for i, value in enumerate(values)
        )

    def _existing_households(self) -> dict[tuple[int, str], tuple[int, tuple[Any, ...]]]:
        stairwells = sorted({g.key[0] for g in self.groups})
        columns = ("id", "stairwell_id", "room", *HOUSEHOLD_COLUMNS)
        return {
            (stairwell, room): (pk, tuple(values))
            for pk, stairwell, room, *values in bulk.select_in(
                Household, columns, "stairwell_id", stairwells
            )
        }

    def _existing_people(self, numbers: list[str]) -> dict[str, tuple[int, tuple[Any, ...]]]:
        return {
            values[2]: (pk, tuple(values))
            for pk, *values in bulk.select_in(Person, ("id", *PERSON_COLUMNS), "id_number", numbers)
        }

    def _write_history(self, model: type[Any], ids: list[int], kind: str) -> None:
        """One history row per written row, copied server-side from the rows themselves."""
        bulk.snapshot_history(
            model,
            ids,
            history_type=kind,
            history_date=self.now,
            reason=self.batch.history_reason,
            user_id=self.batch.user_id,
        )


def read_register(data: bytes, filename: str) -> Table:
    table = read_table(data, filename, aliases=COLUMN_ALIASES, required=REQUIRED_COLUMNS)
    if "address" not in table.columns and "stairwell_code" not in table.columns:
        raise FileRejected(
            _(
                "The register needs an address column (现居住地址) "
                "or a stairwell code column (楼道编码)."
            )
        )
    return table


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off Python's cycle collector while the rows are in memory.

    A register makes a few hundred thousand small objects, none of them in a
    cycle; left on, the collector would walk all of them again and again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run(
    *,
    data: bytes,
    batch: ImportBatch,
    scope: Scope,
    dry_run: bool = False,
    progress: Progress = _no_progress,
) -> RegisterResult:
    """Check the file; unless dry_run, or it has errors the batch does not skip, write it.

    Raises FileRejected when the file cannot be read at all. Writing needs a
    saved batch: its id stamps the history rows.
    """
    with _collector_paused():
        return _run(data=data, batch=batch, scope=scope, dry_run=dry_run, progress=progress)


def _run(
    *, data: bytes, batch: ImportBatch, scope: Scope, dry_run: bool, progress: Progress
) -> RegisterResult:
    table = read_register(data, batch.filename)
    result = RegisterResult(rows=len(table.rows), batch_id=batch.pk)
    checker = _Checker(table, scope)
    checked = checker.check(progress)
    # The raw cells are no longer needed; freeing them keeps a street's register
    # well under the memory budget while it is written.
    table.rows.clear()
    groups = _group(checked, checker.problems)
    result.errors = sorted(checker.problems, key=lambda p: (p.line, p.column))
    writer = _Writer(groups, set(table.columns), batch)
    if dry_run or (result.errors and not batch.skip_invalid):
        writer.write(result, dry_run=True)
    else:
        with transaction.atomic():
            writer.write(result, dry_run=False)
        result.written = True
    progress(result.rows, result.rows)
    return result
