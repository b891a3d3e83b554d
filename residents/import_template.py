"""An import's template: the definition's canonical headers and one example row that
imports cleanly in the user's own first stairwell, as CSV (UTF-8 with BOM) or XLSX."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

from grids.models import Level
from grids.selectors import visible_nodes
from residents.import_engine import Definition

# The template gives the address in one column; 楼道编码 + 房号 are the other way
# to say it, and a row giving both would leave the user guessing which one counts.
# 出生年月 and 户主姓名 repeat what 出生日期 and the head's row say.
TEMPLATE_SKIPS = ("stairwell_code", "room", "birth_month", "head_name")
EXAMPLE_ROOM = "101"
# A stairwell-less user (none in their jurisdiction) still gets a readable example.
EXAMPLE_ADDRESS = "和达城1幢1单元101室"


def template_columns(definition: Definition) -> list[str]:
    """The fields of the import template, in the definition's order of canonical headers."""
    return [f for f in definition.column_labels if f not in TEMPLATE_SKIPS]


def example_address(user: Any) -> str:
    """An address in the user's first stairwell, so the example imports where they work."""
    stairwell = (
        visible_nodes(user)
        .filter(level=Level.STAIRWELL)
        .exclude(compound="")
        .order_by("tree_id", "lft")
        .first()
    )
    if stairwell is None:
        return EXAMPLE_ADDRESS
    unit = f"{stairwell.unit}单元" if stairwell.unit else ""
    return f"{stairwell.compound}{stairwell.building}幢{unit}{EXAMPLE_ROOM}室"


def template_rows(user: Any, definition: Definition) -> list[list[str]]:
    """The header row (the canonical Chinese headers) and one example row, fake but valid
    (the ID number's check character holds, sex and birth date agree with it)."""
    example = {**definition.example, "address": example_address(user)}
    fields = template_columns(definition)
    return [
        [definition.column_labels[f] for f in fields],
        [example.get(f, "") for f in fields],
    ]


def template_csv(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8")  # the BOM: Excel then reads UTF-8


def template_xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for cell in sheet[2]:
        cell.number_format = "@"  # text: Excel must not turn the ID number into 3.3E+17
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


TEMPLATE_FORMATS = {
    "csv": ("text/csv; charset=utf-8", template_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", template_xlsx),
}
