"""What every import of a file into the roster shares: the register, the owners' roll.

An import is a small definition (import_definitions.Definition: how to read
its file, check its rows and plan its writes) over this engine, which runs it
the same way for the command, the admin and the API: read the file
(common.tabular: encodings, title rows, Chinese headers, a header named
twice), check every row and report every problem with its line, column and a
Chinese message (the first PROBLEMS_KEPT kept, all counted), stop early on a
file that is no such list, write all or nothing unless bad rows are skipped,
in one transaction with history rows stamped with the batch, and undo a batch
from those history rows, refusing when that would lose a later change.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.tabular import FileRejected, Problem, Report, Table
from grids.jurisdiction import Scope
from grids.models import Level, Node
from grids.personal_data import shown_cell
from residents import bulk, idnumbers
from residents.models import ANCESTOR_FIELDS, ImportBatch
from residents.values import choice, parse_area, parse_phone

PROGRESS_EVERY = 5000
# A report keeps this many problems (the first by line) and counts the rest by
# kind and column: a file that is not a register at all must stay cheap to
# store, list and download.
PROBLEMS_KEPT = 1000
# A file none of whose first rows is good is not such a list: stop there.
GIVE_UP_AFTER_ROWS = 1000

Progress = Callable[[int, int], None]
# problem(line, column, code, message), the column by its canonical name.


def no_progress(done: int, total: int) -> None:
    pass


@dataclass
class ImportResult:
    """What an import found and did; each definition adds its counts as int fields."""

    rows: int = 0
    unchanged: int = 0
    # The first PROBLEMS_KEPT problems by line; error_total and error_counts count them all.
    errors: list[Problem] = field(default_factory=list)
    error_total: int = 0
    error_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    error_examples: dict[str, str] = field(default_factory=dict)
    # Each record the import would change, with what changes (the first
    # PROBLEMS_KEPT by line; change_total counts them all): the preview lists them.
    changes: list[dict[str, Any]] = field(default_factory=list)
    change_total: int = 0
    written: bool = False
    batch_id: int | None = None
    area_id: int | None = None
    # The header's columns the import reads nothing from: {"column": letter, "header": text}
    ignored_columns: list[dict[str, str]] = field(default_factory=list)

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

    def counts(self) -> dict[str, int]:
        """The definition's counts (rows, …_created, …_updated, unchanged), in field order."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.type in ("int", int) and not f.name.startswith(("error", "change"))
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.counts(),
            "errors": [p.as_dict() for p in self.errors],
            "error_total": self.error_total,
            "error_counts": self.error_counts,
            "error_examples": self.error_examples,
            "changes": self.changes,
            "change_total": self.change_total,
            "written": self.written,
            "batch": self.batch_id,
            "ignored_columns": self.ignored_columns,
        }


class ImportRejected(Exception):
    """The file has problems and nothing was written (raised by services.import_now)."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__(f"{len(result.errors)} problem(s)")
        self.result = result


class Memo(dict[str, Any]):
    """A parser's results by cell text, None for text it rejects.

    A register repeats a few thousand distinct values in 150,000 rows, so each
    is parsed once and every later row costs one dictionary lookup. `code` and
    `message` are what read_cell reports for a rejected cell; the message is
    lazy, translated only for a row that has the problem (translating it for
    every row was a tenth of an import's time).
    """

    def __init__(
        self, parse: Callable[[str], Any], code: str = "", message: str | Promise = ""
    ) -> None:
        super().__init__()
        self.parse = parse
        self.code = code
        self.message = message

    def __missing__(self, text: str) -> Any:
        try:
            value = self.parse(text)
        except ValueError:
            value = None
        self[text] = value
        return value


def chosen(words: dict[str, Any]) -> Callable[[str], Any]:
    return functools.partial(choice, words)


def read_cell(line: int, cells: dict[str, str], column: str, memo: Memo, problem: Report) -> Any:
    """The column's cell as `memo` reads it: None for an empty cell, and for one it
    rejects, which is reported with the memo's message naming the cell (masked) as
    %(value)s."""
    text = cells.get(column, "")
    if not text:
        return None
    value = memo[text]
    if value is None:
        problem(line, column, memo.code, str(memo.message) % {"value": shown_cell(text)})
    return value


# A fake but valid ID number for templates (a man born 1985-03-02: odd sequence).
EXAMPLE_ID_NUMBER = "33010619850302001" + idnumbers.check_character("33010619850302001")


def phone_memo() -> Memo:
    return Memo(parse_phone, "bad_phone", gettext_lazy("“%(value)s” is not a phone number."))


def area_memo() -> Memo:
    return Memo(parse_area, "bad_area", gettext_lazy("“%(value)s” is not an area in m²."))


def checked_rows(
    table: Table,
    check_row: Callable[[int, dict[str, str]], Any],
    problems: list[Problem],
    progress: Progress,
) -> list[Any]:
    """The good rows (check_row's results that are not None), reporting progress.

    Raises FileRejected when none of the first GIVE_UP_AFTER_ROWS rows is good.
    """
    rows: list[Any] = []
    total = len(table.rows)
    for index, (line, cells) in enumerate(table.rows):
        if index % PROGRESS_EVERY == 0:
            progress(index, total)
        if index == GIVE_UP_AFTER_ROWS and not rows:
            commonest = Counter(p.message for p in problems).most_common(1)
            raise FileRejected(
                _(
                    "None of the first %(n)d rows can be imported (the commonest problem, "
                    "%(count)d times: %(problem)s). This does not look like a register, so "
                    "checking stopped here."
                )
                % {"n": index, "count": commonest[0][1], "problem": commonest[0][0]}
            )
        row = check_row(line, cells)
        if row is not None:
            rows.append(row)
    return rows


def stairwell_ancestors(stairwell_ids: set[int]) -> dict[int, dict[str, int]]:
    """stairwell id -> {street_id: …, micro_grid_id: …}, by one sweep in tree order.

    In (tree, lft) order a node's ancestor at each level is the latest node
    of that level before it: levels do not nest within themselves.
    """
    stairwells = Node.objects.filter(pk__in=stairwell_ids)
    upper = Node.objects.filter(tree_id__in=stairwells.values("tree_id"), level__lt=Level.STAIRWELL)
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


def stairwell_names(stairwell_ids: set[int]) -> dict[int, str]:
    """stairwell id -> its display name (compound, building, unit), for rows in words."""
    return {n.pk: n.display_name for n in Node.objects.filter(pk__in=stairwell_ids)}


def smallest_area(ancestors: dict[int, dict[str, int]]) -> int | None:
    """The smallest node holding every stairwell of `ancestors`; None when there is none."""
    stairwells = set(ancestors)
    if len(stairwells) == 1:
        return stairwells.pop()
    shared = None
    for level in (Level.STREET, Level.COMMUNITY, Level.GRID, Level.MICRO_GRID):
        column = f"{ANCESTOR_FIELDS[level]}_id"
        at_level = {ancestors[stairwell].get(column) for stairwell in stairwells}
        if len(at_level) != 1:
            break
        shared = at_level.pop()
    return shared


def write_history(
    batch: ImportBatch, at: Any, model: type[Model], ids: list[int], kind: str
) -> None:
    """One history row per written row, stamped with the batch, copied server-side
    from the rows themselves."""
    bulk.snapshot_history(
        model,
        ids,
        history_type=kind,
        history_date=at,
        reason=batch.history_reason,
        user_id=batch.user_id,
    )


@dataclass(frozen=True)
class UndoTable:
    """A table an import writes, as its undo puts it back.

    contested: a column only one row may hold a value of at a time (a
    household's number, a person's relation as head); `takes(values, current)`
    says whether a row put back takes such a value it does not hold now.
    """

    model: type[Model]
    columns: tuple[str, ...]
    contested: str | None = None
    unclaimed: str = ""
    takes: Callable[[tuple[Any, ...], tuple[Any, ...]], bool] | None = None


class Plan(Protocol):
    """A checked file, compared with the database: counts it, or writes it."""

    @property
    def area_id(self) -> int | None:
        """The smallest node holding every row's flat (who governs it sees the batch)."""
        ...

    def write(self, result: Any, dry_run: bool) -> None: ...


class Definition(Protocol):
    """One kind of import (import_definitions): the engine runs it; its template and
    preview (import_template, import_preview) are made from the same definition."""

    kind: str
    result_class: type[ImportResult]
    # Children first: undo deletes what the batch created in this order.
    tables: tuple[UndoTable, ...]
    # field -> the canonical Chinese header, in the template's order.
    column_labels: dict[str, str]
    # field -> what an empty cell is read as (the preview warns of each one).
    defaults: dict[str, Any]
    # Fields the preview never quotes, not even masked.
    unquoted: frozenset[str]
    # The template's example row by field; import_template adds the address.
    example: dict[str, str]

    def read(self, data: bytes, filename: str) -> Table: ...

    def read_head(self, table: Table, scope: Scope) -> dict[int, str]:
        """line -> the row as the import reads it, in words, masked; rows with problems left out."""
        ...

    def plan(
        self,
        table: Table,
        batch: ImportBatch,
        *,
        scope: Scope,
        progress: Progress,
        problems: list[Problem],
    ) -> Plan: ...

    def describe(self, result: Any) -> str:
        """One line saying what the import did (or would do), for the command."""
        ...

    def later_records(self, created: dict[type[Model], QuerySet[Any]]) -> int:
        """Records added since on what the batch created (ids per model), which undo would lose."""
        ...


def write_table(
    model: type[Any],
    insert_columns: tuple[str, ...],
    new_rows: list[tuple[Any, ...]],
    update_columns: tuple[str, ...],
    changed_rows: list[tuple[Any, ...]],
    *,
    contested: str | None = None,
    unclaimed: str = "",
    claims: list[tuple[int, str]] | None = None,
) -> None:
    """Insert new rows and update changed ones of a table, minding a contested column.

    The contested column (a household's number, a person's relation) holds a
    value only one row may have at a time, and unique indexes are checked row
    by row: a value passed from one row to another would collide midway.
    Rows that claim a value are first written with `unclaimed` in its place,
    the new rows go in, and only then are the claims made.
    """
    if contested is None or not claims:
        bulk.update_rows(model, update_columns, changed_rows)
        bulk.insert_rows(model, insert_columns, new_rows)
        return
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
    definition: Definition,
    *,
    data: bytes,
    batch: ImportBatch,
    scope: Scope,
    dry_run: bool = False,
    progress: Progress = no_progress,
    before_commit: Callable[[Any], None] = lambda result: None,
) -> Any:
    """Check the file; unless dry_run, or it has errors the batch does not skip, write it.

    Raises FileRejected when the file cannot be read at all. Writing needs a
    saved batch: its id stamps the history rows. `before_commit` runs inside
    the write's transaction, after the rows; what it raises rolls them back.
    """
    table = definition.read(data, batch.filename)
    result = definition.result_class(rows=len(table.rows), batch_id=batch.pk)
    result.ignored_columns = [
        {"column": letter, "header": shown_cell(header)} for letter, header in table.ignored
    ]
    problems: list[Problem] = []
    plan = definition.plan(table, batch, scope=scope, progress=progress, problems=problems)
    result.area_id = plan.area_id
    result.set_problems(problems)
    if dry_run or (result.errors and not batch.skip_invalid):
        plan.write(result, dry_run=True)
    else:
        try:
            with transaction.atomic():
                plan.write(result, dry_run=False)
                # The deferred foreign keys are checked here rather than at
                # COMMIT: a row deleted meanwhile must fail the write before
                # before_commit marks the batch applied.
                connection.check_constraints(
                    table_names=[t.model._meta.db_table for t in definition.tables]
                )
                result.written = True
                before_commit(result)
        except IntegrityError as error:
            result.written = False
            # Checked against what the database held a moment ago: an import
            # committed meanwhile wrote the same rows.
            result.add_problem(
                Problem(
                    0,
                    "",
                    "conflict",
                    _(
                        "Someone else wrote some of these records while this file was being "
                        "imported, so nothing was written. Import it again. (%(detail)s)"
                    )
                    % {"detail": str(error).splitlines()[0]},
                )
            )
    progress(result.rows, result.rows)
    return result


def undo(definition: Definition, *, batch: ImportBatch, user_id: int | None) -> None:
    """Put back what `batch` wrote, in bulk, with a history row for every row put back.

    Tables go children first: persons may live in households the batch
    created, which may live in flats it created. Raises ValidationError,
    having changed nothing, when anything the batch wrote was changed or
    added to since: putting the batch back would lose that.
    """
    stamped = {
        table.model: table.model.history.filter(  # type: ignore[attr-defined]
            history_change_reason=batch.history_reason
        )
        for table in definition.tables
    }
    _refuse_to_lose_later_changes(definition, batch, stamped)
    snapshot = functools.partial(
        bulk.snapshot_history,
        history_date=timezone.now(),
        reason=batch.undo_reason,
        user_id=user_id,
    )
    for table in definition.tables:
        model, columns = table.model, table.columns
        restored = _values_before(model, stamped[model].filter(history_type="~"), columns)
        current = {
            pk: tuple(values)
            for pk, *values in bulk.select_in(model, ("id", *columns), "id", list(restored))
        }
        takes = table.takes
        write_table(
            model,
            (),
            [],
            ("id", *columns),
            [(pk, *values) for pk, values in restored.items()],
            contested=table.contested,
            unclaimed=table.unclaimed,
            claims=[
                (pk, values[columns.index(table.contested)])
                for pk, values in restored.items()
                if table.contested is not None and takes is not None and takes(values, current[pk])
            ],
        )
        snapshot(model, list(restored), history_type="~")
        # Rows the batch deleted (an owner no longer on a flat's roll) come back as they were.
        deleted = list(stamped[model].filter(history_type="-").values_list("id", *columns))
        bulk.insert_rows(model, ("id", *columns), deleted)
        snapshot(model, [row[0] for row in deleted], history_type="+")
        created = list(stamped[model].filter(history_type="+").values_list("id", flat=True))
        snapshot(model, created, history_type="-")
        bulk.delete_rows(model, created)


def _refuse_to_lose_later_changes(
    definition: Definition, batch: ImportBatch, stamped: dict[type[Model], Any]
) -> None:
    # A later batch that was undone, with its undoing, left things as they were.
    undone = ImportBatch.objects.filter(
        status=ImportBatch.Status.UNDONE, created_at__gt=batch.created_at
    ).only("pk")
    settled = [reason for b in undone for reason in (b.history_reason, b.undo_reason)]
    later = sum(
        model.history.filter(  # type: ignore[attr-defined]
            id__in=rows.values("id"), history_date__gt=rows.values("history_date")[:1]
        )
        .exclude(history_change_reason__in=settled)
        .count()
        for model, rows in stamped.items()
    )
    records = definition.later_records(
        {model: rows.filter(history_type="+").values("id") for model, rows in stamped.items()}
    )
    if later or records:
        raise ValidationError(
            _(
                "Undoing this import would lose what was recorded since: %(later)d change(s) "
                "to what it wrote, %(records)d record(s) added to what it created (visits, "
                "life events, households or owners of its flats). Undo later imports or "
                "remove those records first."
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
