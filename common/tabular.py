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
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.utils.translation import gettext as _

# How far down a title block may push the header row.
HEADER_SEARCH_ROWS = 10
# Anything longer is not a register line but a broken file.
MAX_CELL_CHARS = 100_000
_BRACKETED_NOTE = re.compile(r"[(【\[].*?[)】\]]")
# The census numbers its questions ("D1.姓名", "R3 性别", "H2、户别"), other forms
# their columns ("1.姓名").
_NUMBERING = re.compile(r"^(?:[a-z]{1,2}\d{1,3}|\d{1,3})[.、:\-]?(?=\D)")
# A mark of a required column ("*姓名", "姓名※") is no part of a name.
_MARKS = re.compile(r"[*※]")


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
    # (column letter, header) of the header's cells that name no column: not read
    ignored: list[tuple[str, str]] = field(default_factory=list)


def normalise_header(text: str) -> str:
    """'建筑面积（平方米）' -> '建筑面积'; 'D1.姓名' -> '姓名'; ' Code ' -> 'code'.

    NFKC first: full-width letters, digits and brackets (Ｒ３．, （）) are the ASCII ones.
    """
    name = _BRACKETED_NOTE.sub("", _MARKS.sub("", unicodedata.normalize("NFKC", text)))
    # and after the number, a colon ("联系电话：") is no part of it either
    return _NUMBERING.sub("", "".join(name.split()).lower()).replace(":", "")


@dataclass(frozen=True)
class Column:
    """A column an import reads: its field, the header its template writes, the others it takes."""

    field: str
    label: str
    aliases: tuple[str, ...] = ()
    # Read only when the file has no header naming the field better: 户所在地 is a
    # household's address on forms without 现住址, and a mere region beside one.
    fallbacks: tuple[str, ...] = ()
    # A word in a bracketed note that makes the header name another field:
    # 住址（户籍地） is no current address but the registered one.
    notes_mean: tuple[tuple[str, str], ...] = ()


class Columns:
    """An import's columns: every header it reads, by its normalised text, and what it needs."""

    def __init__(self, columns: Iterable[Column], *, required: Iterable[str]) -> None:
        self.labels = {column.field: column.label for column in columns}
        self.notes_mean = {
            column.field: column.notes_mean for column in columns if column.notes_mean
        }
        self.required = tuple(required)
        # normalised header -> (field, whether it is a fallback)
        self.headers: dict[str, tuple[str, bool]] = {}
        for column in columns:
            for text, fallback in [
                (column.label, False),
                *((alias, False) for alias in column.aliases),
                *((alias, True) for alias in column.fallbacks),
            ]:
                key = normalise_header(text)
                taken = self.headers.setdefault(key, (column.field, fallback))
                if taken != (column.field, fallback):
                    raise ValueError(
                        f"the header {text!r} would mean both {taken[0]} and {column.field}"
                    )

    def _noted(self, cell: str, field: str) -> str:
        """The field a header names, as its bracketed notes may say otherwise."""
        notes = "".join(_BRACKETED_NOTE.findall(unicodedata.normalize("NFKC", cell)))
        for word, meant in self.notes_mean.get(field, ()):
            if word in notes:
                return meant
        return field

    def match(self, cells: list[str]) -> dict[int, str]:
        """Each cell's index -> the field its header names; a fallback only without a better one."""
        found: dict[int, str] = {}
        fallbacks: dict[int, str] = {}
        for index, cell in enumerate(cells):
            named = self.headers.get(normalise_header(cell))
            if named is not None:
                (fallbacks if named[1] else found)[index] = self._noted(cell, named[0])
        better = set(found.values())
        found.update((i, f) for i, f in fallbacks.items() if f not in better)
        return found


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
        rows = ([_cell_text(v) for v in values] for values in sheet.iter_rows(values_only=True))
        yield from _merged_down(rows, _merged_ranges(workbook, sheet))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as error:
        raise FileRejected(_("The Excel file is damaged or incomplete.")) from error
    finally:
        workbook.close()


_MERGED_RANGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')


def _column_index(letters: bytes) -> int:
    """b"A" -> 0, b"AA" -> 26: column_letter's inverse."""
    index = 0
    for letter in letters:
        index = index * 26 + letter - ord("A") + 1
    return index - 1


def _merged_ranges(workbook: Any, sheet: Any) -> list[tuple[int, int, int]]:
    """(first line, last line, column index) of each range of merged cells over several lines.

    A register merges a household's 户号, 户主姓名 or address over its members'
    lines, and the sheet then holds the value in the first line only. A
    read-only sheet does not say which cells are merged: the sheet's XML does,
    after its rows (openpyxl's archive and path: there is no public way).
    """
    ranges = []
    with workbook._archive.open(sheet._worksheet_path) as xml:
        tail = b""
        while chunk := xml.read(1 << 20):
            text = tail + chunk
            for first, top, _last, bottom in _MERGED_RANGE.findall(text):
                if int(bottom) > int(top):
                    ranges.append((int(top), int(bottom), _column_index(first)))
            # a range cut by the chunk's end is found whole in the next read
            tail = text[-200:] if b"<mergeCell" in text[-200:] else b""
    return sorted(set(ranges))


def _merged_down(
    rows: Iterable[list[str]], ranges: list[tuple[int, int, int]]
) -> Iterator[list[str]]:
    """The rows with each vertically merged range's value in every line of it.

    Only the range's first column: the cells beside it never held a value
    (and a header merged across columns stays one header).
    """
    if not ranges:
        yield from rows
        return
    pending = iter(ranges)
    upcoming = next(pending, None)
    active: list[tuple[int, int, str]] = []  # (last line, column, value)
    for line, cells in enumerate(rows, start=1):
        active = [a for a in active if a[0] >= line]
        for _last, column, value in active:
            if column >= len(cells):
                cells = cells + [""] * (column + 1 - len(cells))
            if not cells[column]:
                cells[column] = value
        while upcoming is not None and upcoming[0] == line:
            _top, bottom, column = upcoming
            if column < len(cells) and cells[column]:
                active.append((bottom, column, cells[column]))
            upcoming = next(pending, None)
        yield cells


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


def read_table(data: bytes, filename: str, *, columns: Columns) -> Table:
    """Find the header (below any title rows) and return the rows as dicts.

    The header is the first row naming every required column; its other cells
    that name no column are the table's `ignored` columns.
    """
    required = set(columns.required)
    rows = iter(iter_raw_rows(data, filename))
    header_map: dict[int, str] | None = None
    # (how many columns it names, line, the required ones it lacks) of the likeliest header
    likeliest: tuple[int, int, list[str]] = (0, 0, [])
    table = Table(columns={})
    line = 0
    for line, cells in enumerate(rows, start=1):
        if header_map is None:
            candidate = columns.match(cells)
            if required <= set(candidate.values()):
                _refuse_shared_columns(candidate, cells)
                header_map = candidate
                table.columns = {name: cells[index].strip() for index, name in candidate.items()}
                table.ignored = [
                    (column_letter(index), cell.strip())
                    for index, cell in enumerate(cells)
                    if cell.strip() and index not in candidate
                ]
                names = tuple(header_map.values())
                indices = tuple(header_map)
                width = max(indices) + 1
                continue
            if len(candidate) > likeliest[0]:
                missing = [f for f in columns.required if f not in candidate.values()]
                likeliest = (len(candidate), line, missing)
            if line >= HEADER_SEARCH_ROWS:
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
        raise FileRejected(_no_header(columns, likeliest))
    return table


def _no_header(columns: Columns, likeliest: tuple[int, int, list[str]]) -> str:
    """Why no header was found, naming the headers the user looks for in their file."""
    named, line, missing = likeliest
    quoted = "、".join(
        f"“{columns.labels[f]}”" for f in (missing if named > 1 else columns.required)
    )
    if named > 1:
        # Two known headers in one row: that row is the header, short of a column.
        return _("Line %(line)d looks like the header, but it has no %(columns)s column.") % {
            "line": line,
            "columns": quoted,
        }
    return _(
        "No header row found in the first %(n)d rows; it must have the columns %(columns)s."
    ) % {
        "n": HEADER_SEARCH_ROWS,
        "columns": quoted,
    }


# How an import is told of a problem: (line, column, code, message).
Report = Callable[[int, str, str, str], None]


def max_length(model: type[Model], field: str) -> int:
    length = getattr(model._meta.get_field(field), "max_length", None)
    assert isinstance(length, int), field
    return length


def too_long(line: int, column: str, text: str, limit: int, problem: Report) -> bool:
    """Report a cell longer than its field holds: the database would refuse the whole write."""
    if len(text) <= limit:
        return False
    problem(
        line,
        column,
        "too_long",
        _("The cell is longer than the %(n)d characters the field holds.") % {"n": limit},
    )
    return True


def check_lengths(
    line: int, cells: dict[str, str], limits: dict[str, int], problem: Report
) -> None:
    """too_long for each column of `limits` (column -> its field's max_length)."""
    for column, limit in limits.items():
        too_long(line, column, cells.get(column, ""), limit, problem)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: object) -> object:
    """A cell a spreadsheet would run as a formula, made inert by a leading quote (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
