"""Register imports in the browser: upload, check, preview, confirm, undo."""

from __future__ import annotations

import csv
import heapq
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from common.tabular import (
    HEADER_SEARCH_ROWS,
    FileRejected,
    Problem,
    Table,
    column_letter,
    escape_formula,
    iter_raw_rows,
)
from grids.jurisdiction import Scope, scope_for
from grids.models import Level, Node
from grids.personal_data import shown_cell
from grids.selectors import visible_nodes
from residents import idnumbers, register_import, services
from residents.admin.common import RosterAdminMixin
from residents.models import (
    HousingStatus,
    ImportBatch,
    Relation,
    ResidenceType,
)
from residents.values import RELATION_WORDS, word

# The template gives the address in one column; 楼道编码 + 房号 are the other way
# to say it, and a row giving both would leave the user guessing which one counts.
TEMPLATE_SKIPS = ("stairwell_code", "room")
# The example row, by field: fake but valid (the ID number's check digit holds,
# sex and birth date agree with it); the address is the user's own first stairwell.
EXAMPLE = {
    "number": "0001",
    "name": "张三",
    "sex": "男",
    "ethnicity": "汉族",
    "birth_date": "1985-03-02",
    "relation": "户主",
    "phone": "13800000000",
    "political": "群众",
    "residence_type": "户籍",
    "housing_status": "自住",
    "area": "89.5",
}
EXAMPLE_ID_FIRST17 = "33010619850302001"  # odd sequence: a man, born 1985-03-02
EXAMPLE_ROOM = "101"
# A stairwell-less user (none in their jurisdiction) still gets a readable example.
EXAMPLE_ADDRESS = "和达城1幢1单元101室"
# What the row check reads an empty cell of these columns as (and a relation it
# does not know), where it does not refuse the row: the preview warns of each.
DEFAULTS = {
    "relation": Relation.OTHER,
    "residence_type": ResidenceType.REGISTERED,
    "housing_status": HousingStatus.OWNER_OCCUPIED,
}
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


def template_columns() -> list[str]:
    """The fields of the import template, in the engine's own order of canonical headers."""
    return [f for f in register_import.COLUMN_LABELS if f not in TEMPLATE_SKIPS]


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


def template_rows(user: Any) -> list[list[str]]:
    """The header row (the canonical Chinese headers) and one example row."""
    example = {
        **EXAMPLE,
        "id_number": EXAMPLE_ID_FIRST17 + idnumbers.check_character(EXAMPLE_ID_FIRST17),
        "address": example_address(user),
    }
    fields = template_columns()
    return [
        [register_import.COLUMN_LABELS[f] for f in fields],
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


@dataclass(frozen=True)
class PreviewRow:
    line: int
    cells: list[str]  # the file's cells of the columns the import reads, masked
    read_as: str  # what the import makes of the row, or that it has problems


@dataclass
class Preview:
    """The first rows as the import reads them, and every warning (the first PROBLEMS_KEPT)."""

    columns: list[tuple[str, str]]  # (the file's header, the field it feeds)
    rows: list[PreviewRow]
    warnings: list[Problem]
    warning_total: int
    warning_kinds: list[ProblemKind]

    @property
    def warnings_not_listed(self) -> int:
        return self.warning_total - len(self.warnings)


def _read_as(row: Any, stairwells: dict[int, str]) -> str:
    """A checked row in words, personal data masked (the preview is read like the report)."""
    return "，".join(
        [
            f"{stairwells.get(row.stairwell_id, '')} {row.room}",
            row.number or gettext("(no household number)"),
            row.name,
            str(Relation(row.relation).label),
            gettext("born %(year)d") % {"year": row.birth_date.year},
        ]
    )


def _shown(column: str, text: str) -> str:
    """A cell as the report would quote it; a birth date, which the ID mask hides, never."""
    if column == "birth_date":
        return "*" * len(text)
    return shown_cell(text)


def _preview_rows(table: Table, batch: ImportBatch) -> list[PreviewRow]:
    """The first rows through the engine's own check, so they read as the import reads them."""
    head = Table(columns=table.columns, rows=table.rows[:PREVIEW_ROWS])
    scope = scope_for(batch.user) if batch.user else Scope(everything=True)
    checker = register_import._Checker(head, scope)
    checked = {row.line: row for row in checker.check(lambda done, total: None)}
    stairwells = Node.objects.filter(pk__in={r.stairwell_id for r in checked.values()})
    names = {n.pk: n.display_name for n in stairwells}
    bad = gettext("has problems, listed below")
    return [
        PreviewRow(
            line,
            [_shown(name, cells.get(name, "")) for name in table.columns],
            _read_as(checked[line], names) if line in checked else bad,
        )
        for line, cells in head.rows
    ]


def _ignored_columns(data: bytes, batch: ImportBatch, table: Table) -> Iterator[Problem]:
    """A header cell the import does not know: its column is not read at all."""
    known = set(table.columns.values())
    rows = iter_raw_rows(data, batch.filename)
    for line, cells in zip(range(1, HEADER_SEARCH_ROWS + 1), rows, strict=False):
        if known <= {c.strip() for c in cells}:
            for index, cell in enumerate(c.strip() for c in cells):
                if cell and cell not in known:
                    yield Problem(
                        line,
                        shown_cell(cell),
                        "ignored_column",
                        gettext("Column %(letter)s, “%(header)s”, is not one the import reads.")
                        % {"letter": column_letter(index), "header": shown_cell(cell)},
                    )
            return


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
        elif column == "relation" and word(text) not in RELATION_WORDS:
            yield Problem(
                line,
                header,
                "unknown_relation",
                gettext("Unknown relation “%(value)s”: read as %(other)s.")
                % {"value": shown_cell(text), "other": default.label},
            )


def _warnings(
    data: bytes, batch: ImportBatch, table: Table
) -> tuple[list[Problem], Counter[str], dict[str, str]]:
    """The first PROBLEMS_KEPT warnings by line, and every one counted by kind.

    Kept as the report keeps its problems: a file with an empty column has a
    warning on every line, and only the first are worth listing.
    """
    sources = [
        _ignored_columns(data, batch, table),
        *(_defaulted_cells(table, column, default) for column, default in DEFAULTS.items()),
    ]
    kept: list[Problem] = []
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for warning in heapq.merge(*sources, key=lambda w: (w.line, w.column)):
        counts[warning.code] += 1
        examples.setdefault(warning.code, warning.message)
        if len(kept) < register_import.PROBLEMS_KEPT:
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
    try:
        table = register_import.read_register(data, batch.filename)
    except FileRejected:
        return None  # the report says why
    warnings, counts, examples = _warnings(data, batch, table)
    return Preview(
        columns=[
            (header, register_import.COLUMN_LABELS[name]) for name, header in table.columns.items()
        ],
        rows=_preview_rows(table, batch),
        warnings=warnings,
        warning_total=counts.total(),
        warning_kinds=[ProblemKind(examples[c], n) for c, n in counts.most_common()],
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("register file (CSV or XLSX)"))
    skip_invalid = forms.BooleanField(
        label=_("Skip bad rows and import the good ones"), required=False
    )


@admin.register(ImportBatch)
class ImportBatchAdmin(RosterAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "filename", "area", "status", "progress", "counts", "user"]
    list_select_related = ["user", "area"]
    list_filter = ["status"]
    show_full_result_count = False
    actions = None
    ordering = ["-created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportBatch]:
        # The uploaded file (up to the size limit) is read only by the jobs,
        # the problem report only by the batch's own page.
        return super().get_queryset(request).defer("upload", "errors")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("progress"))
    def progress(self, obj: ImportBatch) -> str:
        return f"{obj.percent}%"

    @admin.display(description=_("result"))
    def counts(self, obj: ImportBatch) -> str:
        s = obj.summary or {}
        return _("%(p)s persons new, %(u)s updated, %(e)s errors") % {
            "p": s.get("persons_created", "–"),
            "u": s.get("persons_updated", "–"),
            "e": obj.error_count,
        }

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="residents_importbatch_upload"),
            path(
                "template.<str:file_format>",
                view(self.template_view),
                name="residents_importbatch_template",
            ),
            path(
                "<int:batch_id>/progress/",
                view(self.progress_view),
                name="residents_importbatch_progress",
            ),
            path(
                "<int:batch_id>/errors.csv",
                view(self.errors_view),
                name="residents_importbatch_errors",
            ),
            path(
                "<int:batch_id>/confirm/",
                view(self.confirm_view),
                name="residents_importbatch_confirm",
            ),
            path("<int:batch_id>/undo/", view(self.undo_view), name="residents_importbatch_undo"),
            *super().get_urls(),
        ]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        return redirect("admin:residents_importbatch_upload")

    def _batch(self, request: HttpRequest, batch_id: int, *, report: bool = False) -> ImportBatch:
        """The batch for its own pages if the user sees it (else 404); `report` loads problems."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        batches = self.get_queryset(request)
        if report:
            batches = batches.defer(None).defer("upload")
        return get_object_or_404(batches, pk=batch_id)

    def _may_import(self, request: HttpRequest) -> bool:
        try:
            services.require_import_permission(request.user)
        except PermissionDenied:
            return False
        return True

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self._may_import(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = services.start_import(
                    user=request.user,
                    data=services.read_upload(upload=upload),
                    filename=upload.name,
                    skip_invalid=form.cleaned_data["skip_invalid"],
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return redirect("admin:residents_importbatch_change", batch.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a register"),
            "form": form,
        }
        return TemplateResponse(request, "admin/residents/importbatch/upload.html", context)

    def template_view(self, request: HttpRequest, file_format: str) -> HttpResponse:
        """The import template: the canonical headers and an example row in the user's area."""
        if not self._may_import(request):
            raise PermissionDenied
        if file_format not in TEMPLATE_FORMATS:
            raise Http404
        content_type, build = TEMPLATE_FORMATS[file_format]
        response = HttpResponse(build(template_rows(request.user)), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="register-template.{file_format}"'
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        batch = self._batch(request, int(object_id), report=True)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Register import: %(file)s") % {"file": batch.filename},
            "batch": batch,
            "errors": batch.errors,
            "more_errors": batch.errors_not_listed,
            "problem_kinds": problem_kinds(batch),
            "preview": preview(batch),
            "working": batch.status in ImportBatch.WORKING,
            "may_import": self._may_import(request),
            "Status": ImportBatch.Status,
        }
        return TemplateResponse(request, "admin/residents/importbatch/preview.html", context)

    def progress_view(self, request: HttpRequest, batch_id: int) -> JsonResponse:
        batch = self._batch(request, batch_id)
        return JsonResponse(
            {"status": batch.status, "label": batch.get_status_display(), "percent": batch.percent}
        )

    def errors_view(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        batch = self._batch(request, batch_id, report=True)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
        response.write("\ufeff")  # so Excel reads UTF-8
        writer = csv.writer(response)
        writer.writerow([_("line"), _("column"), _("code"), _("message")])
        for error in batch.errors:
            writer.writerow(
                [error["line"], error["column"], error["code"], escape_formula(error["message"])]
            )
        if batch.errors_not_listed:
            writer.writerow(
                [
                    "",
                    "",
                    "",
                    _("…and %(n)d more problems of the kinds above, not listed one by one.")
                    % {"n": batch.errors_not_listed},
                ]
            )
        return response

    def confirm_view(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        batch = self._batch(request, batch_id)
        if request.method != "POST":
            return redirect("admin:residents_importbatch_change", batch.pk)
        try:
            services.confirm_import(
                batch=batch, user=request.user, skip_invalid=bool(request.POST.get("skip_invalid"))
            )
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
        return redirect("admin:residents_importbatch_change", batch.pk)

    def undo_view(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        batch = self._batch(request, batch_id)
        if request.method == "POST":
            try:
                services.undo_import(batch=batch, user=request.user)
            except ValidationError as error:
                self.message_user(request, "；".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, _("The import was undone."), messages.SUCCESS)
        return redirect("admin:residents_importbatch_change", batch.pk)
