"""Reading a household register's rows: its columns, and every problem of each row.

The first half of the register import (register_import.py groups the good
rows into flats and households and writes them): each cell is read by the
parsers of residents.values and checked (ID numbers by GB 11643, addresses
against the importer's stairwells), and every problem is reported with its
line, column and a Chinese message that never quotes personal data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from common.tabular import FileRejected, Problem, Table, read_table
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
    HousingStatus,
    PartyKind,
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
    parse_date,
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
HOUSEHOLD_COLUMNS = ("number",)
# The flat's columns the register gives (in this order); each is the file column's name too.
FLAT_COLUMNS = ("housing_status", "area")
# What a row's empty cell in these columns is read as (and, for the relation, a
# word it does not know); the preview warns of each (residents/import_preview.py).
DEFAULTS = {
    "relation": Relation.OTHER,
    "residence_type": ResidenceType.REGISTERED,
    "housing_status": HousingStatus.OWNER_OCCUPIED,
}


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
    # None where the cell is empty: the flat's value then comes from its other rows.
    housing_status: str | None
    area: Decimal | None

    @property
    def flat(self) -> tuple[int, str]:
        return self.stairwell_id, self.room

    @property
    def household(self) -> object:
        """The household's key in the file: its 户号, or its flat when the row gives none."""
        return self.number or self.flat


class Checker:
    """Turns table rows into PersonRows, collecting every problem."""

    def __init__(self, table: Table, scope: Scope, problems: list[Problem] | None = None) -> None:
        self.table = table
        self.scope = scope
        self.problems: list[Problem] = [] if problems is None else problems
        self.locator = FlatLocator(scope, self.problem)
        self.today = timezone.localdate()
        self.sexes = Memo(chosen(SEX_WORDS))
        self.dates = Memo(parse_date)
        self.relations = Memo(chosen(RELATION_WORDS))
        self.residence_types = Memo(chosen(RESIDENCE_WORDS))
        self.political_statuses = Memo(chosen(POLITICAL_WORDS))
        self.housing_statuses = Memo(chosen(HOUSING_WORDS))
        self.areas = area_memo()
        self.phones = phone_memo()

    def problem(self, line: int, column: str, code: str, message: str) -> None:
        self.problems.append(Problem(line, COLUMN_LABELS[column], code, message))

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
        location = self.locator.locate(line, cells)
        if len(self.problems) != before or decoded is None or location is None:
            return None
        assert political is not None and residence is not None
        return PersonRow(
            line=line,
            stairwell_id=location[0],
            room=location[1],
            number=cells.get("number", ""),
            name=name,
            id_number=decoded.number,
            sex=decoded.sex,
            birth_date=decoded.birth_date,
            phone=phone or "",
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


def check_rows(
    table: Table, scope: Scope, problems: list[Problem], progress: Progress
) -> tuple[list[PersonRow], frozenset[int]]:
    """The good rows, and the stairwells of the importer's jurisdiction (problems added)."""
    checker = Checker(table, scope, problems)
    return checker.check(progress), checker.locator.stairwells
