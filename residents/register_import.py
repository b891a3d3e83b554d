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
import functools
import gc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from common.tabular import FileRejected, Problem, Table, read_table
from grids.jurisdiction import Scope
from grids.models import Level, Node
from grids.personal_data import shown_cell
from residents import addresses, bulk, idnumbers
from residents.models import (
    ANCESTOR_FIELDS,
    Household,
    HousingStatus,
    ImportBatch,
    LifeEvent,
    PartyKind,
    Person,
    PoliticalStatus,
    Relation,
    ResidenceType,
    Visit,
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
# What a row's empty cell in these columns is read as (and, for the relation, a
# word it does not know); the preview warns of each (residents/import_preview.py).
DEFAULTS = {
    "relation": Relation.OTHER,
    "residence_type": ResidenceType.REGISTERED,
    "housing_status": HousingStatus.OWNER_OCCUPIED,
}
PROGRESS_EVERY = 5000
# A report keeps this many problems (the first by line) and counts the rest by
# kind and column: a file that is not a register at all must stay cheap to
# store, list and download.
PROBLEMS_KEPT = 1000
# A file none of whose first rows is good is not a register: stop there.
GIVE_UP_AFTER_ROWS = 1000


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
    # The first PROBLEMS_KEPT problems by line; error_total and error_counts count them all.
    errors: list[Problem] = field(default_factory=list)
    error_total: int = 0
    error_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    error_examples: dict[str, str] = field(default_factory=dict)
    written: bool = False
    batch_id: int | None = None
    area_id: int | None = None

    def set_problems(self, problems: list[Problem]) -> None:
        """Keep the first problems by line, and count every one by kind and by column."""
        by_code: Counter[str] = Counter(p.code for p in problems)
        by_column: Counter[str] = Counter(p.column for p in problems if p.column)
        self.errors = sorted(problems, key=lambda p: (p.line, p.column))[:PROBLEMS_KEPT]
        self.error_total = len(problems)
        self.error_counts = {"by_code": dict(by_code), "by_column": dict(by_column)}
        # One message of each kind, so a report that lists only the first
        # problems still says what every kind of the others is.
        examples: dict[str, str] = {}
        for problem in problems:
            examples.setdefault(problem.code, problem.message)
        self.error_examples = examples

    def add_problem(self, problem: Problem) -> None:
        self.errors.append(problem)
        self.error_total += 1
        by_code = self.error_counts.setdefault("by_code", {})
        by_code[problem.code] = by_code.get(problem.code, 0) + 1
        self.error_examples.setdefault(problem.code, problem.message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "households_created": self.households_created,
            "households_updated": self.households_updated,
            "persons_created": self.persons_created,
            "persons_updated": self.persons_updated,
            "unchanged": self.unchanged,
            "errors": [p.as_dict() for p in self.errors],
            "error_total": self.error_total,
            "error_counts": self.error_counts,
            "error_examples": self.error_examples,
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
        self.scope = scope
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
                    _("No stairwell %(code)s in your jurisdiction.") % {"code": shown_cell(code)},
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
                _("Cannot read “%(text)s” as compound, building, unit and room.")
                % {"text": shown_cell(text)},
            )
        try:
            return self.directory.resolve(parsed), parsed.room
        except addresses.AddressError as error:
            return error

    def check(self, progress: Progress) -> list[PersonRow]:
        """The good rows; raises FileRejected when none of the first rows is good."""
        rows: list[PersonRow] = []
        seen_ids: dict[str, int] = {}
        total = len(self.table.rows)
        for index, (line, cells) in enumerate(self.table.rows):
            if index % PROGRESS_EVERY == 0:
                progress(index, total)
            if index == GIVE_UP_AFTER_ROWS and not rows:
                self._give_up(index)
            row = self._check_row(line, cells, seen_ids)
            if row is not None:
                rows.append(row)
        return rows

    def _give_up(self, checked: int) -> None:
        commonest = Counter(p.message for p in self.problems).most_common(1)
        raise FileRejected(
            _(
                "None of the first %(n)d rows can be imported (the commonest problem, "
                "%(count)d times: %(problem)s). This does not look like a register, so "
                "checking stopped here."
            )
            % {"n": checked, "count": commonest[0][1], "problem": commonest[0][0]}
        )

    def _check_row(
        self, line: int, cells: dict[str, str], seen_ids: dict[str, int]
    ) -> PersonRow | None:
        before = len(self.problems)
        name = cells.get("name", "")
        if not name:
            self.problem(line, "name", "empty_name", _("The person's name is empty."))
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
                        line,
                        "sex",
                        "bad_sex",
                        _("Unknown sex “%(value)s”.") % {"value": shown_cell(sex_text)},
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
                        # A birth date is what the ID number's mask hides: never quoted.
                        _("The birth date is not a date (e.g. 1985-03-02, 1985/3/2, 19850302)."),
                    )
                elif birth != decoded.birth_date:
                    self.problem(
                        line,
                        "birth_date",
                        "birth_mismatch",
                        _("The birth date does not agree with the one in the ID number."),
                    )
        phone = "".join(cells.get("phone", "").split())
        if phone and not (
            5 <= len(phone) <= 20 and phone.replace("-", "").replace("+", "").isdigit()
        ):
            self.problem(
                line,
                "phone",
                "bad_phone",
                _("“%(value)s” is not a phone number.") % {"value": shown_cell(phone)},
            )
        relation = self.relations[cells.get("relation", "")] or DEFAULTS["relation"]
        residence_text = cells.get("residence_type", "")
        residence = (
            self.residence_types[residence_text] if residence_text else DEFAULTS["residence_type"]
        )
        if residence is None:
            self.problem(
                line,
                "residence_type",
                "bad_residence_type",
                _("Unknown residence type “%(value)s”; use 户籍/流动/境外.")
                % {"value": shown_cell(residence_text)},
            )
        political_text = cells.get("political", "")
        political = self.political_statuses[political_text]
        if political is None:
            self.problem(
                line,
                "political",
                "bad_political_status",
                _("Unknown political status “%(value)s”.") % {"value": shown_cell(political_text)},
            )
        housing_text = cells.get("housing_status", "")
        housing = (
            self.housing_statuses[housing_text] if housing_text else DEFAULTS["housing_status"]
        )
        if housing is None:
            self.problem(
                line,
                "housing_status",
                "bad_housing_status",
                _("Unknown housing status “%(value)s”; use 自住/出租/空置/商用.")
                % {"value": shown_cell(housing_text)},
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
                    _("“%(value)s” is not an area in m².") % {"value": shown_cell(area_text)},
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


# Persons compared with their stored rows per database query.
_COMPARED_AT_ONCE = 10_000
_NUMBER = HOUSEHOLD_COLUMNS.index("number")
_HOUSEHOLD = PERSON_COLUMNS.index("household_id")
_RELATION = PERSON_COLUMNS.index("relation")


class _Writer:
    """Compares the checked households and persons with the database and writes the difference."""

    def __init__(
        self,
        groups: list[_HouseholdGroup],
        present: set[str],
        batch: ImportBatch,
        *,
        scope: Scope,
        stairwells: frozenset[int],
    ) -> None:
        self.groups = groups
        self.present = present
        self.batch = batch
        self.scope = scope
        # The stairwells of the importer's jurisdiction: every household the
        # import may read or write lives in one of them.
        self.stairwells = stairwells
        self.now = timezone.now()
        self.kept_person_columns = frozenset(
            PERSON_COLUMNS.index(column)
            for column, source in PERSON_SOURCE.items()
            if source not in present
        )

    @functools.cached_property
    def ancestors(self) -> dict[int, dict[str, int]]:
        """stairwell id -> {street_id: …, micro_grid_id: …}, by one sweep in tree order.

        In (tree, lft) order a node's ancestor at each level is the latest node
        of that level before it: levels do not nest within themselves.
        """
        stairwells = Node.objects.filter(pk__in={g.key[0] for g in self.groups})
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

    def area(self) -> int | None:
        """The smallest node holding every household of the file; None when none resolved."""
        stairwells = {group.key[0] for group in self.groups}
        if len(stairwells) == 1:
            return stairwells.pop()
        shared = None
        for level in (Level.STREET, Level.COMMUNITY, Level.GRID, Level.MICRO_GRID):
            column = f"{ANCESTOR_FIELDS[level]}_id"
            at_level = {self.ancestors[stairwell].get(column) for stairwell in stairwells}
            if len(at_level) != 1:
                break
            shared = at_level.pop()
        return shared

    def _outside(self, stairwell_id: int) -> bool:
        return not self.scope.everything and stairwell_id not in self.stairwells

    def drop_people_registered_elsewhere(self, problems: list[Problem]) -> None:
        """Leave out, and report, households naming a person registered outside the jurisdiction.

        An import reads and writes only inside its importer's jurisdiction: a
        person of another community is moved by a transfer that community
        accepts, never by someone else's file. The importer learns that the ID
        number is registered elsewhere, not where nor anything else of them.
        """
        if self.scope.everything:
            return
        homes = dict(
            bulk.select_in(
                Person,
                ("id_number", "household_id"),
                "id_number",
                [row.id_number for group in self.groups for row in group.rows],
            )
        )
        ours = {pk for pk, _values in self.stored_households.values()}
        elsewhere = {
            pk
            for pk, stairwell in bulk.select_in(
                Household, ("id", "stairwell_id"), "id", sorted(set(homes.values()) - ours)
            )
            if self._outside(stairwell)
        }
        if not elsewhere:
            return
        kept = []
        for group in self.groups:
            foreign = [row for row in group.rows if homes.get(row.id_number) in elsewhere]
            if not foreign:
                kept.append(group)
            for row in foreign:
                problems.append(
                    Problem(
                        row.line,
                        COLUMN_LABELS["id_number"],
                        "registered_elsewhere",
                        _(
                            "This person is registered in a household outside your "
                            "jurisdiction, so their household is not imported. Their "
                            "community records the move, or someone over both communities "
                            "moves them."
                        ),
                    )
                )
        self.groups = kept

    def drop_conflicting_households(self, problems: list[Problem]) -> None:
        """Leave out, and report, the households the database would refuse.

        Persons and households missing from a register stay as they are, so a
        file cannot name a new head while the head on record is not among the
        rows written, nor give a household a number that a household of the
        street not in the file keeps. Leaving one household out may take the
        head of another out of the rows written, hence the repeat.
        """
        stored_heads = self._stored_heads()
        number_holders = self._number_holders()
        if not stored_heads and not number_holders:
            return
        while True:
            written_ids = {row.id_number for group in self.groups for row in group.rows}
            written_households = {
                found[0]
                for group in self.groups
                if (found := self.stored_households.get(group.key)) is not None
            }
            kept = []
            for group in self.groups:
                found = self.stored_households.get(group.key)
                pk = found[0] if found is not None else None
                stored_head = stored_heads.get(pk) if pk is not None else None
                number = group.head.number
                street = self.ancestors[group.key[0]].get("street_id", 0)
                holder = number_holders.get((street, number))
                if stored_head is not None and stored_head[0] not in written_ids:
                    problems.append(
                        Problem(
                            group.head.line,
                            COLUMN_LABELS["relation"],
                            "head_not_listed",
                            _(
                                "The household's head on record, %(name)s, is not in the "
                                "file: record their moving out or death first, or list them."
                            )
                            % {"name": stored_head[1]},
                        )
                    )
                elif holder is not None and holder[0] != pk and holder[0] not in written_households:
                    problems.append(self._number_taken(group.head.line, number, holder))
                else:
                    kept.append(group)
            if len(kept) == len(self.groups):
                return
            self.groups = kept

    def _number_taken(self, line: int, number: str, holder: tuple[int, int, str, str]) -> Problem:
        _pk, stairwell, code, room = holder
        if self._outside(stairwell):
            # Where a household outside the jurisdiction lives is not the importer's to learn.
            message = _(
                "Household number %(number)s belongs to a household outside your jurisdiction."
            ) % {"number": number}
        else:
            message = _(
                "Household number %(number)s belongs to another household of the street "
                "(stairwell %(stairwell)s, room %(room)s), which is not in the file."
            ) % {"number": number, "stairwell": code, "room": room}
        return Problem(line, COLUMN_LABELS["number"], "number_taken", message)

    def _stored_heads(self) -> dict[int, tuple[str, str]]:
        """household id -> (ID number, name) of its head on record, where the file names another."""
        heads = {
            found[0]: group.head.id_number
            for group in self.groups
            if (found := self.stored_households.get(group.key)) is not None
        }
        return {
            household: (id_number, name)
            for household, id_number, name in bulk.select_in(
                Person,
                ("household_id", "id_number", "name"),
                "household_id",
                list(heads),
                where={"relation": Relation.HEAD},
            )
            if id_number != heads[household]
        }

    def _number_holders(self) -> dict[tuple[int, str], tuple[int, int, str, str]]:
        """(street id, number) -> (household id, stairwell id, code, room) of numbers given anew."""
        if "number" not in self.present:
            return {}
        numbers = set()
        for group in self.groups:
            found = self.stored_households.get(group.key)
            if found is None or found[1][_NUMBER] != group.head.number:
                numbers.add(group.head.number)
        numbers.discard("")
        holders = list(
            bulk.select_in(
                Household,
                ("street_id", "number", "id", "stairwell_id", "room"),
                "number",
                sorted(numbers),
            )
        )
        codes = dict(
            bulk.select_in(Node, ("id", "code"), "id", sorted({row[3] for row in holders}))
        )
        return {
            (street, number): (pk, stairwell, codes[stairwell], room)
            for street, number, pk, stairwell, room in holders
        }

    def write(self, result: RegisterResult, dry_run: bool) -> None:
        """Count what changes; unless dry_run, write it with history rows."""
        ancestors = self.ancestors
        new_households: list[_HouseholdGroup] = []
        changed_households: list[tuple[int, tuple[Any, ...]]] = []
        # Changed rows that take over a value unique among their peers (a
        # household number in the street, the head of a household).
        renumbered: list[tuple[int, str]] = []
        promoted: list[tuple[int, str]] = []
        household_id: dict[tuple[int, str], int | None] = {}
        for group in self.groups:
            head = group.head
            found = self.stored_households.get(group.key)
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
                if _takes_number(wanted, stored):
                    renumbered.append((pk, wanted[_NUMBER]))
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
                target = household_id.get((row.stairwell_id, row.room))
                wanted = self._person_values(row, target, stored)
                if wanted != stored:
                    changed_people.append((pk, wanted))
                    if _takes_headship(wanted, stored):
                        promoted.append((pk, Relation.HEAD))
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
        _write_table(
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
            (pk, *self._person_values(row, household_id[(row.stairwell_id, row.room)], None))
            for pk, row in zip(person_ids, new_people, strict=True)
        ]
        _write_table(
            Person,
            ("id", *PERSON_COLUMNS),
            person_rows,
            ("id", *PERSON_COLUMNS),
            [(pk, *v) for pk, v in changed_people],
            contested="relation",
            unclaimed=Relation.OTHER,
            claims=promoted,
        )
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

    @functools.cached_property
    def stored_households(self) -> dict[tuple[int, str], tuple[int, tuple[Any, ...]]]:
        """(stairwell id, room) -> (household id, HOUSEHOLD_COLUMNS values) on record."""
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


def _takes_number(wanted: tuple[Any, ...], stored: tuple[Any, ...]) -> bool:
    """Whether a household (HOUSEHOLD_COLUMNS values) takes a number it did not have."""
    return wanted[_NUMBER] not in ("", stored[_NUMBER])


def _takes_headship(wanted: tuple[Any, ...], stored: tuple[Any, ...]) -> bool:
    """Whether a person (PERSON_COLUMNS values) becomes head of a household they did not head."""
    return wanted[_RELATION] == Relation.HEAD and (stored[_HOUSEHOLD], stored[_RELATION]) != (
        wanted[_HOUSEHOLD],
        Relation.HEAD,
    )


def _write_table(
    model: type[Any],
    insert_columns: tuple[str, ...],
    new_rows: list[tuple[Any, ...]],
    update_columns: tuple[str, ...],
    changed_rows: list[tuple[Any, ...]],
    *,
    contested: str,
    unclaimed: str,
    claims: list[tuple[int, str]],
) -> None:
    """Insert new rows and update changed ones of a table with a contested column.

    The contested column (a household's number, a person's relation) holds a
    value only one row may have at a time, and unique indexes are checked row
    by row: a value passed from one row to another would collide midway.
    Rows that claim a value are first written with `unclaimed` in its place,
    the new rows go in, and only then are the claims made.
    """
    at = update_columns.index(contested)
    claimed = {pk for pk, _value in claims}
    bulk.update_rows(
        model,
        update_columns,
        [
            (*row[:at], unclaimed, *row[at + 1 :]) if row[0] in claimed else row
            for row in changed_rows
        ],
    )
    bulk.insert_rows(model, insert_columns, new_rows)
    bulk.update_rows(model, ("id", contested), claims)


def undo(*, batch: ImportBatch, user_id: int | None) -> None:
    """Put back what `batch` wrote, in bulk, with a history row for every row put back.

    Persons go first: they may live in households the batch created. Raises
    ValidationError, having changed nothing, when anything the batch wrote
    was changed or added to since: putting the batch back would lose that.
    """
    stamped = {
        model: model.history.filter(history_change_reason=batch.history_reason)
        for model in (Person, Household)
    }
    _refuse_to_lose_later_changes(batch, stamped)
    snapshot = functools.partial(
        bulk.snapshot_history,
        history_date=timezone.now(),
        reason=batch.undo_reason,
        user_id=user_id,
    )
    for model, columns, contested, unclaimed, takes in (
        (Person, PERSON_COLUMNS, "relation", Relation.OTHER, _takes_headship),
        (Household, HOUSEHOLD_COLUMNS, "number", "", _takes_number),
    ):
        updated = stamped[model].filter(history_type="~")
        restored = _values_before(model, updated, columns)
        current = {
            pk: tuple(values)
            for pk, *values in bulk.select_in(model, ("id", *columns), "id", list(restored))
        }
        _write_table(
            model,
            (),
            [],
            ("id", *columns),
            [(pk, *values) for pk, values in restored.items()],
            contested=contested,
            unclaimed=unclaimed,
            claims=[
                (pk, values[columns.index(contested)])
                for pk, values in restored.items()
                if takes(values, current[pk])
            ],
        )
        snapshot(model, list(restored), history_type="~")
        created = list(stamped[model].filter(history_type="+").values_list("id", flat=True))
        snapshot(model, created, history_type="-")
        bulk.delete_rows(model, created)


def _refuse_to_lose_later_changes(batch: ImportBatch, stamped: dict[type[Any], Any]) -> None:
    # A later batch that was undone, with its undoing, left things as they were.
    undone = ImportBatch.objects.filter(
        status=ImportBatch.Status.UNDONE, created_at__gt=batch.created_at
    ).only("pk")
    settled = [reason for b in undone for reason in (b.history_reason, b.undo_reason)]
    later = sum(
        model.history.filter(
            id__in=rows.values("id"), history_date__gt=rows.values("history_date")[:1]
        )
        .exclude(history_change_reason__in=settled)
        .count()
        for model, rows in stamped.items()
    )
    created_households = stamped[Household].filter(history_type="+").values("id")
    created_persons = stamped[Person].filter(history_type="+").values("id")
    records = (
        LifeEvent.objects.filter(
            Q(household__in=created_households) | Q(person__in=created_persons)
        ).count()
        + Visit.objects.filter(household__in=created_households).count()
    )
    if later or records:
        raise ValidationError(
            _(
                "Undoing this import would lose what was recorded since: %(later)d change(s) "
                "to its persons and households, %(records)d visit(s) or life event(s) on "
                "them. Undo later imports or remove those records first."
            )
            % {"later": later, "records": records}
        )


def _values_before(
    model: type[Any], updated: Any, columns: tuple[str, ...]
) -> dict[int, tuple[Any, ...]]:
    """id -> the `columns` values each updated row had before the batch, from its history."""
    before = (
        model.history.filter(
            id__in=updated.values("id"), history_date__lt=updated.values("history_date")[:1]
        )
        .order_by("id", "-history_date", "-history_id")
        .values_list("id", *columns)
    )
    restored: dict[int, tuple[Any, ...]] = {}
    for pk, *values in before.iterator(chunk_size=10_000):
        restored.setdefault(pk, tuple(values))
    return restored


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


@_collector_paused()
def run(
    *,
    data: bytes,
    batch: ImportBatch,
    scope: Scope,
    dry_run: bool = False,
    progress: Progress = _no_progress,
    before_commit: Callable[[RegisterResult], None] = lambda result: None,
) -> RegisterResult:
    """Check the file; unless dry_run, or it has errors the batch does not skip, write it.

    Raises FileRejected when the file cannot be read at all. Writing needs a
    saved batch: its id stamps the history rows. `before_commit` runs inside
    the write's transaction, after the rows; what it raises rolls them back.
    """
    table = read_register(data, batch.filename)
    result = RegisterResult(rows=len(table.rows), batch_id=batch.pk)
    checker = _Checker(table, scope)
    checked = checker.check(progress)
    # The raw cells are no longer needed; freeing them keeps a street's register
    # well under the memory budget while it is written.
    table.rows.clear()
    writer = _Writer(
        _group(checked, checker.problems),
        set(table.columns),
        batch,
        scope=scope,
        stairwells=frozenset(checker.by_code.values()),
    )
    writer.drop_people_registered_elsewhere(checker.problems)
    writer.drop_conflicting_households(checker.problems)
    result.area_id = writer.area()
    result.set_problems(checker.problems)
    if dry_run or (result.errors and not batch.skip_invalid):
        writer.write(result, dry_run=True)
    else:
        try:
            with transaction.atomic():
                writer.write(result, dry_run=False)
                # The deferred foreign keys are checked here rather than at
                # COMMIT: a household deleted meanwhile must fail the write
                # before before_commit marks the batch applied.
                connection.check_constraints(
                    table_names=[Household._meta.db_table, Person._meta.db_table]
                )
                result.written = True
                before_commit(result)
        except IntegrityError as error:
            result.written = False
            # Checked against what the database held a moment ago: an import
            # committed meanwhile took the same persons or households.
            result.add_problem(
                Problem(
                    0,
                    "",
                    "conflict",
                    _(
                        "Someone else wrote some of these households or persons while this "
                        "file was being imported, so nothing was written. Import it again. "
                        "(%(detail)s)"
                    )
                    % {"detail": str(error).splitlines()[0]},
                )
            )
    progress(result.rows, result.rows)
    return result
