"""Reading the spreadsheets people actually send: CSV or XLSX, any usual encoding.

CSV may be UTF-8, UTF-8 with BOM or GB18030 (a superset of GBK and GB2312);
we detect which, since neither csv nor tablib guesses. A title row above the
header and empty rows anywhere are normal and skipped. Each data row keeps the
line number the user sees in their spreadsheet program.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

# How far down a title block may push the header row.
HEADER_SEARCH_ROWS = 10
# Anything longer is not a register line but a broken file.
MAX_CELL_CHARS = 100_000
_BRACKETED_NOTE = re.compile(r"[（(【\[].*?[）)】\]]")


class FileRejected(Exception):
    """The file as a whole cannot be read; the message says why, for the user."""

    def as_problem(self) -> Problem:
        """The rejection as a report's one problem: line 0, the file as a whole."""
        return Problem(0, "", "bad_file", str(self))


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
        }


@dataclass
class Table:
    # canonical column name -> the header text as the file wrote it
    columns: dict[str, str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def normalise_header(text: str) -> str:
    """'建筑面积（平方米）' -> '建筑面积'; ' Code ' -> 'code'."""
    return _BRACKETED_NOTE.sub("", text).strip().replace(" ", "").replace("\u3000", "").lower()


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise FileRejected(
            _("The file is neither UTF-8 nor GB18030/GBK text; save it again as CSV or XLSX.")
        ) from error


def _csv_rows(data: bytes) -> Iterable[list[str]]:
    if b"\x00" in data[:4096]:
        raise FileRejected(_("This is not a CSV or XLSX file."))
    text = _decode(data)
    csv.field_size_limit(MAX_CELL_CHARS)
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as error:
        raise FileRejected(
            _("The file cannot be read as CSV (a line is too long or a quote is unbalanced).")
        ) from error


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes) -> Iterable[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileRejected(_("The Excel file is damaged or incomplete.")) from error
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as error:
        raise FileRejected(_("The Excel file is damaged or incomplete.")) from error
    finally:
        workbook.close()


def iter_raw_rows(data: bytes, filename: str = "") -> Iterable[list[str]]:
    if not data.strip():
        raise FileRejected(_("The file is empty."))
    limit = settings.MAX_IMPORT_FILE_BYTES
    if len(data) > limit:
        raise FileRejected(
            _("The file is larger than the limit of %(mb)d MB.") % {"mb": limit // (1024 * 1024)}
        )
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(data)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileRejected(_("The Excel file is damaged or incomplete."))
    if filename.lower().endswith(".xls"):
        raise FileRejected(_("Old .xls files are not supported; save it as XLSX or CSV."))
    return _csv_rows(data)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column as a spreadsheet program names it."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _refuse_shared_columns(header: dict[int, str], cells: list[str]) -> None:
    """Two header cells meaning one column (姓名 twice, 身份证号 and 公民身份号码) are refused.

    Otherwise one of them silently wins: a register whose second 姓名 column
    held ethnicities imported a person called "汉族".
    """
    by_name: dict[str, list[int]] = {}
    for index, name in header.items():
        by_name.setdefault(name, []).append(index)
    shared = [indices for indices in by_name.values() if len(indices) > 1]
    if not shared:
        return
    described = "；".join(
        "、".join(
            _("“%(header)s” (column %(letter)s)")
            % {"header": cells[i].strip(), "letter": column_letter(i)}
            for i in indices
        )
        for indices in shared
    )
    raise FileRejected(
        _(
            "Several columns of the header mean the same thing: %(columns)s. Keep one of "
            "them (delete or rename the others) and upload the file again."
        )
        % {"columns": described}
    )


def read_table(
    data: bytes,
    filename: str,
    *,
    aliases: Mapping[str, str],
    required: Iterable[str],
) -> Table:
    """Find the header (below any title rows) and return the rows as dicts.

    `aliases` maps each accepted, normalised header text to a canonical
    column name; `required` are the canonical names the header must contain.
    """
    required = set(required)
    rows = iter(iter_raw_rows(data, filename))
    header_map: dict[int, str] | None = None
    table = Table(columns={})
    line = 0
    for line, cells in enumerate(rows, start=1):
        if header_map is None:
            candidate = {
                index: aliases[normalise_header(cell)]
                for index, cell in enumerate(cells)
                if normalise_header(cell) in aliases
            }
            if required <= set(candidate.values()):
                _refuse_shared_columns(candidate, cells)
                header_map = candidate
                table.columns = {name: cells[index].strip() for index, name in candidate.items()}
                names = tuple(header_map.values())
                indices = tuple(header_map)
                width = max(indices) + 1
            elif line >= HEADER_SEARCH_ROWS:
                break
            continue
        if not "".join(cells).strip():
            continue
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        # zip/map keep the per-row work in C: a register has 150,000 rows.
        values = map(str.strip, map(cells.__getitem__, indices))
        table.rows.append((line, dict(zip(names, values, strict=True))))
    if header_map is None:
        raise FileRejected(
            _("No header row found in the first %(n)d rows; expected columns: %(columns)s.")
            % {"n": HEADER_SEARCH_ROWS, "columns": ", ".join(sorted(required))}
        )
    return table


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: object) -> object:
    """A cell a spreadsheet would run as a formula, made inert by a leading quote (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
