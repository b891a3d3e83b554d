"""What every roster admin shares: the jurisdiction-scoped querysets, the community
filter, and exports that neutralise formulas, log who exported what, and run as a
job with a status page when large."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from import_export import resources
from import_export.admin import ExportMixin
from import_export.formats import base_formats
from import_export.forms import SelectableFieldsExportForm

from common.tabular import escape_formula
from grids import personal_data
from grids.admin.mixins import (
    JurisdictionAdminMixin,
)
from grids.models import Level
from grids.selectors import visible_nodes
from residents import exports, selectors
from residents.models import (
    ExportJob,
    Flat,
    Household,
    ImportBatch,
    LifeEvent,
    Person,
    Visit,
)

ROSTER_SELECTORS = {
    Flat: selectors.visible_flats,
    Household: selectors.visible_households,
    Person: selectors.visible_persons,
    LifeEvent: selectors.visible_life_events,
    Visit: selectors.visible_visits,
    ImportBatch: selectors.visible_batches,
}


class RosterAdminMixin(JurisdictionAdminMixin):
    def scoped(self, model: type[Model], user: Any) -> QuerySet[Any]:
        if model in ROSTER_SELECTORS:
            return ROSTER_SELECTORS[model](user)
        return super().scoped(model, user)


class CommunityFilter(admin.SimpleListFilter):
    """Only the communities in the user's jurisdiction, never a list of all."""

    title = _("community")
    parameter_name = "community"
    field = "community_id"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        communities = visible_nodes(request.user).filter(level=Level.COMMUNITY).order_by("lft")
        return [(str(c.pk), c.name) for c in communities]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return (
            queryset.filter(**{self.field: int(value)}) if value and value.isdigit() else queryset
        )


class PersonCommunityFilter(CommunityFilter):
    field = "household__community_id"


class MaskedPersonColumns:
    """A person's ID number, phone and birth date as read-only masked columns, for the
    pages that show a person to a user who may not see them in full."""

    @admin.display(description=_("ID number"))
    def shown_id(self, obj: Person) -> str:
        return personal_data.shown_id_number(obj.id_number, full=False)

    @admin.display(description=_("phone"))
    def shown_phone(self, obj: Person) -> str:
        return personal_data.shown_phone(obj.phone, full=False)

    @admin.display(description=_("birth date"))
    def shown_birth(self, obj: Person) -> str:
        return personal_data.shown_birth_date(obj.birth_date, full=False)


class SafeResource(resources.ModelResource):
    """Exports with translated headers and every formula-like cell made inert."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self.full = personal_data.may_see(kwargs.get("user"))

    def get_export_headers(self, *args: Any, **kwargs: Any) -> list[str]:
        return [str(header) for header in super().get_export_headers(*args, **kwargs)]

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        return escape_formula(super().export_field(field, instance, **kwargs))


class TranslatedFieldsExportForm(SelectableFieldsExportForm):
    """The export page lists each field by its translated column name alone.

    django-import-export labels a field "Attribute Name (column name)", the
    attribute's Python name title-cased, in English whatever the language.
    """

    def _get_field_label(self, resource: Any, field_name: str) -> str:
        field = resource.fields.get(field_name)
        return str(field.column_name) if field is not None else field_name


# The export page's "Select all" is missing from django-import-export's zh_Hans
# catalog; named here so that `make messages` keeps our translation of it.
gettext_noop("Select all")


class AuditedExportMixin(ExportMixin):
    """CSV/XLSX export of the scoped list, audited: at once when small, else by a worker.

    A large export redirects to its status page, which follows the job and
    then offers the file (residents.exports); the page, its progress and the
    file are the requesting user's only: anyone else gets a 404.
    """

    export_formats = [base_formats.CSV, base_formats.XLSX]
    export_form_class = TranslatedFieldsExportForm

    def get_export_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        name = f"{self.model._meta.app_label}_{self.model._meta.model_name}_export"
        return [
            path("export/<int:job_id>/", view(self.export_status_view), name=f"{name}_status"),
            path(
                "export/<int:job_id>/progress/",
                view(self.export_progress_view),
                name=f"{name}_progress",
            ),
            path(
                "export/<int:job_id>/download/",
                view(self.export_download_view),
                name=f"{name}_download",
            ),
            *super().get_urls(),
        ]

    def _do_file_export(
        self, file_format: Any, request: HttpRequest, queryset: Any, export_form: Any = None
    ) -> HttpResponse:
        # import-export's step once the export form is valid and the list's
        # filters accepted: the one place both paths below start from.
        columns = self.get_export_resource_fields_from_form(export_form) or []
        extension = file_format.get_extension()
        if not exports.is_small(queryset):
            job = exports.start_export(
                user=request.user,
                model=self.model,
                query=request.GET.urlencode(),
                columns=columns,
                file_format=extension,
            )
            return redirect(self._export_url("status", job.pk))
        resource_class = self.choose_export_resource_class(export_form, request)
        written = exports.export_now(
            user=request.user,
            resource=resource_class(**self.get_export_resource_kwargs(request)),
            queryset=queryset,
            columns=columns,
            file_format=extension,
        )
        response = HttpResponse(
            written.content, content_type=exports.CONTENT_TYPES[ExportJob.Format(extension)]
        )
        filename = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def _export_url(self, step: str, job_id: int) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_export_{step}", args=[job_id])

    def _export_job(
        self, request: HttpRequest, job_id: int, *, with_file: bool = False
    ) -> ExportJob:
        """One of the user's own exports of this list, else 404.

        Its status page shows no personal data, so it stays open to a user who
        has lost the list since: it tells them why the export failed.
        """
        jobs = exports.jobs_of(user=request.user, model=self.model)
        return get_object_or_404(jobs.defer(None) if with_file else jobs, pk=job_id)

    def export_status_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._export_job(request, job_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Export of %(list)s") % {"list": self.model._meta.verbose_name_plural},
            "job": job,
            "State": ExportJob.State,
            "working": job.state in ExportJob.WORKING,
            "progress_url": self._export_url("progress", job.pk),
            "download_url": self._export_url("download", job.pk),
            "list_url": reverse(
                f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist"
            )
            + (f"?{job.query}" if job.query else ""),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/residents/export_status.html", context)

    def export_progress_view(self, request: HttpRequest, job_id: int) -> JsonResponse:
        job = self._export_job(request, job_id)
        return JsonResponse(
            {
                "state": job.state,
                "label": job.get_state_display(),
                "percent": job.percent,
                "rows_done": job.rows_done,
                "rows_total": job.rows_total,
            }
        )

    def export_download_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._export_job(request, job_id, with_file=True)
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            file = exports.download(job=job, user=request.user)
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
            return redirect(self._export_url("status", job.pk))
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
        return response
