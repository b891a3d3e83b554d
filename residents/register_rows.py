"""Reading a household register's rows: its columns, and every problem of each row.

The first half of the register import (register_import.py groups the good
rows into flats and households and writes them): each cell is read by the
parsers of residents.values and checked (ID numbers by GB 11643, addresses
against the importer's stairwells), and every problem is reported with its
line, column and a Chinese message that never quotes personal data.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.tabular import (
    FileRejected,
    Problem,
    Table,
    check_lengths,
    max_length,
    read_table,
)
from grids.jurisdiction import Scope
from grids.personal_data import shown_cell
from residents import idnumbers
from residents.flat_locator import FlatLocator
from residents.import_engine import (
    Memo,
    Progress,
    area_memo,
    checked_rows,
    chosen,
    phone_memo,
    read_cell,
)
from residents.models import (
    Household,
    HouseholdKind,
    HousingStatus,
    PartyKind,
    Person,
    PoliticalStatus,
    Relation,
    ResidenceType,
)
from residents.register_columns import PLACING_COLUMNS, REGISTER_COLUMNS
from residents.values import (
    HOUSEHOLD_KIND_WORDS,
    HOUSING_WORDS,
    POLITICAL_WORDS,
    RELATION_WORDS,
    RESIDENCE_WORDS,
    SEX_WORDS,
    parse_birth_month,
    parse_date,
)

COLUMN_LABELS = REGISTER_COLUMNS.labels
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
    "registered_address",
    "residence_type",
    "political_status",
    "party_kind",
)
# Which file column feeds each person column; a column absent from the file
# leaves the stored value alone.
PERSON_SOURCE = {
    "phone": "phone",
    "ethnicity": "ethnicity",
    "registered_address": "registered_address",
    "relation": "relation",
    "residence_type": "residence_type",
    "political_status": "political",
    "party_kind": "political",
}
# The household's columns the register gives, and the file column feeding each.
HOUSEHOLD_COLUMNS = ("number", "kind")
HOUSEHOLD_SOURCE = {"number": "number", "kind": "household_kind"}
# The flat's columns the register gives (in this order); each is the file column's name too.
FLAT_COLUMNS = ("housing_status", "area")
# What a row's empty cell in these columns is read as (and, for the relation, a
# word it does not know); the preview warns of each (residents/import_preview.py).
# The text cells written as the file gives them, and the longest each field holds.
TEXT_LENGTHS = {
    "number": max_length(Household, "number"),
    "name": max_length(Person, "name"),
    "head_name": max_length(Person, "name"),
    "ethnicity": max_length(Person, "ethnicity"),
    "registered_address": max_length(Person, "registered_address"),
}
# The problem of a cell that the ID number contradicts.
AGAINST_ID = {
    "sex": ("sex_mismatch", gettext_lazy("The sex does not agree with the ID number.")),
    "birth_date": (
        "birth_mismatch",
        gettext_lazy("The birth date does not agree with the one in the ID number."),
    ),
    "birth_month": (
        "birth_mismatch",
        gettext_lazy("The year and month of birth do not agree with the ID number's."),
    ),
}
DEFAULTS = {
    "relation": Relation.OTHER,
    "household_kind": HouseholdKind.FAMILY,
    "residence_type": ResidenceType.REGISTERED,
    "housing_status": HousingStatus.OWNER_OCCUPIED,
}


@dataclass(slots=True)
class PersonRow:
    line: int
    stairwell_id: int
    room: str
    number: str
    # 户主姓名 as the row gives it ("" without): several households of a flat apart
    head_name: str
    household_kind: str  # "" when the file has no 户别 column
    name: str
    id_number: str
    sex: str
    birth_date: datetime.date
    phone: str
    relation: str
    ethnicity: str
    registered_address: str
    residence_type: str
    political_status: str
    party_kind: str
    # None where the cell is empty: the flat's value then comes from its other rows.
    housing_status: str | None
    area: Decimal | None

    @property
    def flat(self) -> tuple[int, str]:
        return self.stairwell_id, self.room

    @property
    def household(self) -> object:
        """The household's key in the file: its 户号, else its flat and 户主姓名."""
        return self.number or (*self.flat, self.head_name)


class Checker:
    """Turns table rows into PersonRows, collecting every problem."""

    def __init__(self, table: Table, scope: Scope, problems: list[Problem] | None = None) -> None:
        self.table = table
        self.scope = scope
        self.problems: list[Problem] = [] if problems is None else problems
        self.locator = FlatLocator(scope, self.problem)
        self.today = timezone.localdate()
        self.sexes = Memo(chosen(SEX_WORDS), "bad_sex", gettext_lazy("Unknown sex “%(value)s”."))
        self.dates = Memo(
            parse_date,
            "bad_date",
            gettext_lazy("The birth date is not a date (e.g. 1985-03-02, 1985/3/2, 19850302)."),
        )
        self.relations = Memo(chosen(RELATION_WORDS))
        self.household_kinds = Memo(
            chosen(HOUSEHOLD_KIND_WORDS),
            "bad_household_kind",
            gettext_lazy("Unknown household kind “%(value)s”; use 家庭户 or 集体户 (1 or 2)."),
        )
        self.birth_months = Memo(
            parse_birth_month,
            "bad_month",
            gettext_lazy(
                "The year and month of birth are not a month (e.g. 1985.03, 1985-3, 198503)."
            ),
        )
        self.residence_types = Memo(chosen(RESIDENCE_WORDS))
        self.political_statuses = Memo(chosen(POLITICAL_WORDS))
        self.housing_statuses = Memo(chosen(HOUSING_WORDS))
        self.areas = area_memo()
        self.phones = phone_memo()
        # Without a 户别 column a household is of the kind on record (a new one a family).
        self.kinds_given = "household_kind" in table.columns
        # (flat, 户主姓名) of the row above, for a row leaving its 户主姓名 empty
        self.above: tuple[tuple[int, str] | None, str] = (None, "")

    def problem(self, line: int, column: str, code: str, message: str) -> None:
        self.problems.append(Problem(line, COLUMN_LABELS[column], code, message))

    def _against_id(
        self, line: int, column: str, text: str, memo: Memo, agrees: Callable[[Any], bool]
    ) -> None:
        """A cell the ID number says too (sex, birth date or month): readable, and the same."""
        value = memo[text]
        if value is None:
            # A birth date is what the ID number's mask hides: only the sex is quoted.
            shown = {"value": shown_cell(text)} if column == "sex" else {}
            self.problem(line, column, memo.code, str(memo.message) % shown)
        elif not agrees(value):
            code, message = AGAINST_ID[column]
            self.problem(line, column, code, str(message))

    def check(self, progress: Progress) -> list[PersonRow]:
        """The good rows; raises FileRejected when none of the first rows is good."""
        seen_ids: dict[str, int] = {}
        return checked_rows(
            self.table,
            lambda line, cells: self._check_row(line, cells, seen_ids),
            self.problems,
            progress,
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
                self._against_id(line, "sex", sex_text, self.sexes, lambda sex: sex == decoded.sex)
            birth_text = cells.get("birth_date", "")
            if birth_text:
                born = decoded.birth_date
                self._against_id(line, "birth_date", birth_text, self.dates, lambda d: d == born)
            month_text = cells.get("birth_month", "")
            if month_text:
                month = (decoded.birth_date.year, decoded.birth_date.month)
                self._against_id(
                    line,
                    "birth_month",
                    month_text,
                    self.birth_months,
                    lambda months: month in months,
                )
        phone = read_cell(line, cells, "phone", self.phones, self.problem)
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
        housing = self.housing_statuses[housing_text] if housing_text else None
        if housing_text and housing is None:
            self.problem(
                line,
                "housing_status",
                "bad_housing_status",
                _("Unknown housing status “%(value)s”; use 自住/出租/空置/商用.")
                % {"value": shown_cell(housing_text)},
            )
        area = read_cell(line, cells, "area", self.areas, self.problem)
        check_lengths(line, cells, TEXT_LENGTHS, self.problem)
        kind = read_cell(line, cells, "household_kind", self.household_kinds, self.problem)
        location = self.locator.locate(line, cells)
        head_name = cells.get("head_name", "")
        if not head_name and location is not None and self.above[0] == location:
            # 户主姓名 on the household's first row only, as a merged cell leaves it
            head_name = self.above[1]
        self.above = (location, head_name)
        if len(self.problems) != before or decoded is None or location is None:
            return None
        assert political is not None and residence is not None
        return PersonRow(
            line=line,
            stairwell_id=location[0],
            room=location[1],
            number=cells.get("number", ""),
            head_name=head_name,
            household_kind=kind or (DEFAULTS["household_kind"] if self.kinds_given else ""),
            name=name,
            id_number=decoded.number,
            sex=decoded.sex,
            birth_date=decoded.birth_date,
            phone=phone or "",
            relation=relation,
            ethnicity=cells.get("ethnicity", ""),
            registered_address=cells.get("registered_address", ""),
            residence_type=residence,
            political_status=political[0],
            party_kind=political[1]
            if political[0] == PoliticalStatus.PARTY_MEMBER
            else PartyKind.NONE,
            housing_status=housing,
            area=area,
        )


def read_register(data: bytes, filename: str) -> Table:
    table = read_table(data, filename, columns=REGISTER_COLUMNS)
    if not any(column in table.columns for column in PLACING_COLUMNS):
        if "registered_address" in table.columns:
            raise FileRejected(
                _(
                    "“%(header)s” is where the residents' hukou is registered, not where they "
                    "live, so it cannot place anyone in a flat. Add the current address "
                    "(现住址 or 现居住地址), or the stairwell code (楼道编码) and room (房号)."
                )
                % {"header": table.columns["registered_address"]}
            )
        raise FileRejected(
            _(
                "The register needs the current address (现住址 or 现居住地址) "
                "or the stairwell code (楼道编码) and room (房号)."
            )
        )
    return table


def check_rows(
    table: Table, scope: Scope, problems: list[Problem], progress: Progress
) -> tuple[list[PersonRow], frozenset[int]]:
    """The good rows, and the stairwells of the importer's jurisdiction (problems added)."""
    checker = Checker(table, scope, problems)
    return checker.check(progress), checker.locator.stairwells
