"""Register imports in the browser: upload, check, preview, confirm, undo."""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from common.tabular import (
    escape_formula,
)
from residents import services
from residents.admin.common import RosterAdminMixin
from residents.import_definitions import DEFINITIONS
from residents.import_preview import preview, problem_kinds
from residents.import_template import TEMPLATE_FORMATS, template_rows
from residents.models import (
    ImportBatch,
)

# What each count of an import's summary says, once written and before.
COUNT_LABELS = {
    "flats_created": (_("flats created"), _("flats to create")),
    "flats_updated": (_("flats updated"), _("flats to update")),
    "households_created": (_("households created"), _("households to create")),
    "households_updated": (_("households updated"), _("households to update")),
    "persons_created": (_("persons created"), _("persons to create")),
    "persons_updated": (_("persons updated"), _("persons to update")),
    "owners_created": (_("owners created"), _("owners to create")),
    "owners_updated": (_("owners updated"), _("owners to update")),
    "ownerships_created": (_("ownerships created"), _("ownerships to create")),
    "ownerships_removed": (_("ownerships ended"), _("ownerships to end")),
}


def summary_counts(batch: ImportBatch) -> list[tuple[str, int]]:
    """(label, count) of the batch's summary, as written or as it would be."""
    written = 0 if batch.applied_at else 1
    summary = batch.summary or {}
    return [
        (str(labels[written]), summary[key])
        for key, labels in COUNT_LABELS.items()
        if key in summary
    ]


class UploadForm(forms.Form):
    # Not required: an upload that does not say is a register, as before there were two lists.
    kind = forms.ChoiceField(
        label=_("list"),
        choices=ImportBatch.Kind.choices,
        initial=ImportBatch.Kind.REGISTER,
        required=False,
    )
    file = forms.FileField(label=_("file (CSV or XLSX)"))
    skip_invalid = forms.BooleanField(
        label=_("Skip bad rows and import the good ones"), required=False
    )


@admin.register(ImportBatch)
class ImportBatchAdmin(RosterAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "filename",
        "area",
        "status",
        "progress",
        "counts",
        "user",
    ]
    list_select_related = ["user", "area"]
    list_filter = ["kind", "status"]
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
        unit = "owners" if obj.kind == ImportBatch.Kind.OWNERS else "persons"
        return _("%(p)s new, %(u)s updated, %(e)s errors") % {
            "p": s.get(f"{unit}_created", "–"),
            "u": s.get(f"{unit}_updated", "–"),
            "e": obj.error_count,
        }

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="residents_importbatch_upload"),
            path(
                "template/<str:kind>.<str:file_format>",
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
                    kind=form.cleaned_data["kind"] or ImportBatch.Kind.REGISTER,
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return redirect("admin:residents_importbatch_change", batch.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a register or an owners' roll"),
            "form": form,
        }
        return TemplateResponse(request, "admin/residents/importbatch/upload.html", context)

    def template_view(self, request: HttpRequest, kind: str, file_format: str) -> HttpResponse:
        """The import template: the canonical headers and an example row in the user's area."""
        if not self._may_import(request):
            raise PermissionDenied
        if file_format not in TEMPLATE_FORMATS or kind not in DEFINITIONS:
            raise Http404
        content_type, build = TEMPLATE_FORMATS[file_format]
        rows = template_rows(request.user, DEFINITIONS[kind])
        response = HttpResponse(build(rows), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{kind}-template.{file_format}"'
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        batch = self._batch(request, int(object_id), report=True)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("%(kind)s import: %(file)s")
            % {"kind": batch.get_kind_display(), "file": batch.filename},
            "batch": batch,
            "errors": batch.errors,
            "more_errors": batch.errors_not_listed,
            "problem_kinds": problem_kinds(batch),
            "preview": preview(batch),
            "summary_counts": summary_counts(batch),
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
