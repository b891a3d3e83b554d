"""What the preview of a checked import shows beyond its problems: the first rows as
the import reads them and the warnings (an ignored column, a default taken)."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext

from common.tabular import FileRejected, Problem, Table
from grids.jurisdiction import Scope, scope_for
from grids.personal_data import shown_cell
from residents import import_engine
from residents.import_definitions import definition_of
from residents.import_engine import Definition
from residents.models import ImportBatch
from residents.values import RELATION_WORDS, choice

# The preview shows this many rows as the import reads them.
PREVIEW_ROWS = 10
# Reading a street's register again takes seconds: a batch's preview is made once
# (per status and language; masked, so anyone who sees the batch may see it).
PREVIEW_CACHE_SECONDS = 15 * 60


@dataclass(frozen=True)
class ProblemKind:
    label: str
    count: int


def problem_kinds(batch: ImportBatch) -> list[ProblemKind]:
    """Every kind of problem of a report with how often it occurs, commonest first."""
    summary = batch.summary or {}
    examples = summary.get("error_examples", {})
    counts = summary.get("error_counts", {}).get("by_code", {})
    return [
        ProblemKind(examples.get(code, code), n)
        for code, n in sorted(counts.items(), key=lambda item: -item[1])
    ]


@dataclass(frozen=True)
class PreviewRow:
    line: int
    cells: list[str]  # the file's cells of the columns the import reads, masked
    read_as: str  # what the import makes of the row, or that it has problems


@dataclass
class Preview:
    """The first rows as the import reads them, and every warning (the first PROBLEMS_KEPT)."""

    columns: list[tuple[str, str]]  # (the file's header, the field it feeds)
    # The header's other columns, which nothing is read from (文化程度, 登记日期 …)
    ignored: list[str]
    rows: list[PreviewRow]
    warnings: list[Problem]
    warning_total: int
    warning_kinds: list[ProblemKind]

    @property
    def warnings_not_listed(self) -> int:
        return self.warning_total - len(self.warnings)


def _preview_rows(table: Table, batch: ImportBatch, definition: Definition) -> list[PreviewRow]:
    """The first rows through the definition's own check, so they read as the import reads
    them."""
    head = Table(columns=table.columns, rows=table.rows[:PREVIEW_ROWS])
    scope = scope_for(batch.user) if batch.user else Scope(everything=True)
    read_as = definition.read_head(head, scope)
    bad = gettext("has problems, listed below")
    return [
        PreviewRow(
            line,
            [
                "*" * len(cells.get(name, ""))
                if name in definition.unquoted
                else shown_cell(cells.get(name, ""))
                for name in table.columns
            ],
            read_as.get(line, bad),
        )
        for line, cells in head.rows
    ]


def _defaulted_cells(table: Table, column: str, default: Any) -> Iterator[Problem]:
    """Cells of one column that the import reads as its default, by line."""
    header = table.columns.get(column)
    if header is None:
        return  # an absent column leaves the stored values alone
    for line, cells in table.rows:
        text = cells.get(column, "")
        if not text:
            yield Problem(
                line,
                header,
                f"empty_{column}",
                gettext("The cell is empty: read as %(default)s.") % {"default": default.label},
            )
        elif column == "relation" and choice(RELATION_WORDS, text) is None:
            yield Problem(
                line,
                header,
                "unknown_relation",
                gettext("Unknown relation “%(value)s”: read as %(other)s.")
                % {"value": shown_cell(text), "other": default.label},
            )


def _warnings(
    table: Table, definition: Definition
) -> tuple[list[Problem], Counter[str], dict[str, str]]:
    """The first PROBLEMS_KEPT warnings by line, and every one counted by kind.

    Kept as the report keeps its problems: a file with an empty column has a
    warning on every line, and only the first are worth listing.
    """
    sources = [
        _defaulted_cells(table, column, default) for column, default in definition.defaults.items()
    ]
    kept: list[Problem] = []
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for warning in heapq.merge(*sources, key=lambda w: (w.line, w.column)):
        counts[warning.code] += 1
        examples.setdefault(warning.code, warning.message)
        if len(kept) < import_engine.PROBLEMS_KEPT:
            kept.append(warning)
    return kept, counts, examples


def preview(batch: ImportBatch) -> Preview | None:
    """The preview of a checked batch, before it is confirmed; None once the file is gone."""
    if batch.status not in {ImportBatch.Status.CHECKED, ImportBatch.Status.REJECTED}:
        return None
    key = f"import-preview:{batch.pk}:{batch.status}:{batch.touched_at.timestamp()}"
    key += f":{translation.get_language()}"
    made: Preview | None = cache.get(key)
    if made is None:
        made = _make_preview(batch)
        cache.set(key, made, PREVIEW_CACHE_SECONDS)
    return made


def _make_preview(batch: ImportBatch) -> Preview | None:
    """The first rows and the warnings, read again from the stored upload."""
    data = bytes(batch.upload)  # deferred on the batch's page: read only here
    if not data:
        return None
    definition = definition_of(batch.kind)
    try:
        table = definition.read(data, batch.filename)
    except FileRejected:
        return None  # the report says why
    warnings, counts, examples = _warnings(table, definition)
    return Preview(
        columns=[
            (header, definition.column_labels[name]) for name, header in table.columns.items()
        ],
        ignored=[
            gettext("column %(letter)s, “%(header)s”")
            % {"letter": letter, "header": shown_cell(header)}
            for letter, header in table.ignored
        ],
        rows=_preview_rows(table, batch, definition),
        warnings=warnings,
        warning_total=counts.total(),
        warning_kinds=[ProblemKind(examples[c], n) for c, n in counts.most_common()],
    )
