"""Browser admin of the roster: households with their members, persons, events, visits,
register imports. Scoped by jurisdiction; ID numbers and phones masked unless the
user may see them, and every unmasked page and export is logged."""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.admin import ExportMixin
from import_export.formats import base_formats

from common.tabular import escape_formula
from grids import personal_data
from grids.admin import (
    JurisdictionAdminMixin,
    OfferedLookupsMixin,
    PersonalDataAuditMixin,
    SelectorSearchMixin,
)
from grids.models import AccessLog, Level
from grids.selectors import visible_nodes
from residents import idnumbers, selectors, services
from residents.models import (
    Household,
    ImportBatch,
    LifeEvent,
    Person,
    Tag,
    Visit,
)

ROSTER_SELECTORS = {
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


class MemberInline(admin.TabularInline):
    """Members, read-only here (masked); each links to the person's own page."""

    model = Person
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "person_link",
        "shown_id",
        "sex",
        "shown_birth",
        "relation",
        "residence_type",
        "political_status",
    )
    verbose_name_plural = _("members")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("name"))
    def person_link(self, obj: Person) -> str:
        url = reverse("admin:residents_person_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.name)

    @admin.display(description=_("ID number"))
    def shown_id(self, obj: Person) -> str:
        return personal_data.shown_id_number(obj.id_number, full=False)

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


class AuditedExportMixin(ExportMixin):
    """CSV/XLSX export of the scoped list; every export writes an access-log row."""

    export_formats = [base_formats.CSV, base_formats.XLSX]

    def get_export_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_data(
        self, file_format: Any, request: HttpRequest, queryset: Any, **kwargs: Any
    ) -> Any:
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        masked = "" if personal_data.may_see(request.user) else str(_(" (masked)"))
        personal_data.log_access(
            user=request.user,
            action=AccessLog.Action.EXPORT,
            what=str(self.model._meta.verbose_name_plural) + masked,
            ids=queryset.values_list("pk", flat=True),
        )
        return data


class HouseholdResource(SafeResource):
    """Households: no ID numbers or phones, only the owner's name."""

    address = fields.Field(column_name=_("address"))
    number = fields.Field(attribute="number", column_name=_("household number"))
    housing_status = fields.Field(
        attribute="get_housing_status_display", column_name=_("housing status")
    )
    area = fields.Field(attribute="area", column_name=_("exclusive area (m²)"))
    owner = fields.Field(attribute="owner", column_name=_("owner"))
    community = fields.Field(attribute="community__name", column_name=_("community"))

    class Meta:
        model = Household
        fields = ["address", "number", "housing_status", "area", "owner", "community"]

    def dehydrate_address(self, household: Household) -> str:
        return f"{household.stairwell.compound}{household.stairwell.name}{household.room}"


@dataclass(frozen=True)
class FourList:
    key: str
    label: str
    count: int
    url: str


class MemberCountedChangeList(ChangeList):
    """Member counts for the shown page only (see selectors.attach_member_counts)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = selectors.attach_member_counts(self.result_list)


@admin.register(Household)
class HouseholdAdmin(SelectorSearchMixin, RosterAdminMixin, AuditedExportMixin, admin.ModelAdmin):
    resource_classes = [HouseholdResource]
    change_list_template = "admin/residents/household/change_list.html"
    list_display = ["address", "number", "housing_status", "area", "member_count", "community"]
    list_select_related = ["stairwell", "community"]
    list_filter = [CommunityFilter, "housing_status"]
    search_fields = ["room"]  # shows the box; the search is search_q
    search_q = staticmethod(selectors.household_search)
    search_help_text = _("Room, household number, or a member's name, full ID number or phone.")
    fields = ["stairwell", "room", "number", "housing_status", "area", "owner"]
    autocomplete_fields = ["stairwell"]
    inlines = [MemberInline]
    show_full_result_count = False
    actions = None
    ordering = ["stairwell__tree_id", "stairwell__lft", "room"]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return MemberCountedChangeList

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["stairwell"] if obj else []

    @admin.display(description=_("address"), ordering="stairwell__lft")
    def address(self, obj: Household) -> str:
        return f"{obj.stairwell.compound}{obj.stairwell.name}{obj.room}"

    @admin.display(description=_("members"))
    def member_count(self, obj: Household) -> int:
        return obj.member_count  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Household, form: Any, change: bool) -> None:
        data = {k: v for k, v in form.cleaned_data.items() if k in services.HOUSEHOLD_EDITABLE}
        if change:
            services.update_household(household=obj, **data)
        else:
            created = services.create_household(stairwell=form.cleaned_data["stairwell"], **data)
            obj.pk = created.pk


class PersonResource(SafeResource):
    """Export of persons: masked unless the exporting user may see personal data."""

    name = fields.Field(attribute="name", column_name=_("name"))
    id_number = fields.Field(attribute="id_number", column_name=_("ID number"))
    sex = fields.Field(attribute="get_sex_display", column_name=_("sex"))
    birth_date = fields.Field(attribute="birth_date", column_name=_("birth date"))
    phone = fields.Field(attribute="phone", column_name=_("phone"))
    address = fields.Field(column_name=_("address"))
    relation = fields.Field(attribute="get_relation_display", column_name=_("relation to head"))
    ethnicity = fields.Field(attribute="ethnicity", column_name=_("ethnicity"))
    residence_type = fields.Field(
        attribute="get_residence_type_display", column_name=_("residence type")
    )
    political_status = fields.Field(
        attribute="get_political_status_display", column_name=_("political status")
    )

    class Meta:
        model = Person
        fields = [
            "name",
            "id_number",
            "sex",
            "birth_date",
            "phone",
            "address",
            "relation",
            "ethnicity",
            "residence_type",
            "political_status",
        ]

    def dehydrate_id_number(self, person: Person) -> str:
        return personal_data.shown_id_number(person.id_number, full=self.full)

    def dehydrate_phone(self, person: Person) -> str:
        return personal_data.shown_phone(person.phone, full=self.full)

    def dehydrate_birth_date(self, person: Person) -> str:
        return personal_data.shown_birth_date(person.birth_date, full=self.full)

    def dehydrate_address(self, person: Person) -> str:
        stairwell = person.household.stairwell
        return f"{stairwell.compound}{stairwell.name}{person.household.room}"


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = [*services.PERSON_EDITABLE, "tags"]


class FullPersonForm(PersonForm):
    """For users who may see personal data (and for adding a person): the ID number is editable."""

    id_number = forms.CharField(label=_("ID number"), max_length=30)

    def clean_id_number(self) -> str:
        try:
            number = idnumbers.parse(self.cleaned_data["id_number"]).number
        except idnumbers.InvalidIDNumber as error:
            raise forms.ValidationError(str(error)) from error
        if Person.objects.filter(id_number=number).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This ID number is already registered."))
        return number


@admin.register(Person)
class PersonAdmin(
    PersonalDataAuditMixin,
    SelectorSearchMixin,
    RosterAdminMixin,
    AuditedExportMixin,
    admin.ModelAdmin,
):
    audit_list_label = _("person list")
    audit_detail_label = _("person detail")
    resource_classes = [PersonResource]
    change_list_template = "admin/residents/person/change_list.html"
    form = PersonForm
    list_display = ["name"]  # see get_list_display
    list_select_related = ["household__stairwell"]
    list_filter = [
        PersonCommunityFilter,
        "residence_type",
        "political_status",
        "party_kind",
        "tags",
        "household__housing_status",
        "sex",
    ]
    search_fields = ["name"]  # shows the box; the search is search_q
    search_q = staticmethod(selectors.person_search)
    search_help_text = _("Name, or a full ID number or phone.")
    autocomplete_fields = ["household"]
    filter_horizontal = ["tags"]
    show_full_result_count = False
    actions = None
    ordering = ["household__stairwell__lft", "household__room", "pk"]

    def _full(self, request: HttpRequest) -> bool:
        return personal_data.may_see(request.user)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        base = [f for f in PersonForm.Meta.fields if f != "phone"]
        if self._full(request) or obj is None:
            return [base[0], base[1], "id_number", "phone", *base[2:]]
        return [base[0], base[1], "shown_id", "shown_phone", "sex", "shown_birth", *base[2:]]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if self._full(request) or obj is None:
            return ["sex", "birth_date"] if obj else []
        return ["shown_id", "shown_phone", "sex", "shown_birth"]

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        # Columns are built per request: whether to unmask depends on the user,
        # and the admin instance is shared between concurrent requests.
        full = self._full(request)

        @admin.display(description=_("ID number"))
        def id_number(obj: Person) -> str:
            return personal_data.shown_id_number(obj.id_number, full=full)

        @admin.display(description=_("phone"))
        def phone(obj: Person) -> str:
            return personal_data.shown_phone(obj.phone, full=full)

        # Sorting by a hidden birth date would order the masked rows by it.
        @admin.display(description=_("birth date"), ordering="birth_date" if full else None)
        def birth_date(obj: Person) -> str:
            return personal_data.shown_birth_date(obj.birth_date, full=full)

        return [
            "name",
            id_number,
            "sex",
            birth_date,
            phone,
            "relation",
            "residence_type",
            "political_status",
            "household_link",
        ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = FullPersonForm if self._full(request) or obj is None else PersonForm
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "id_number" in form.base_fields:
            form.base_fields["id_number"].initial = obj.id_number
        return form

    @admin.display(description=_("ID number"))
    def shown_id(self, obj: Person) -> str:
        return personal_data.shown_id_number(obj.id_number, full=False)

    @admin.display(description=_("phone"))
    def shown_phone(self, obj: Person) -> str:
        return personal_data.shown_phone(obj.phone, full=False)

    @admin.display(description=_("birth date"))
    def shown_birth(self, obj: Person) -> str:
        return personal_data.shown_birth_date(obj.birth_date, full=False)

    @admin.display(description=_("household"), ordering="household__room")
    def household_link(self, obj: Person) -> str:
        url = reverse("admin:residents_household_change", args=[obj.household_id])
        stairwell = obj.household.stairwell
        return format_html(
            '<a href="{}">{}{}{}</a>', url, stairwell.compound, stairwell.name, obj.household.room
        )

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        data = dict(form.cleaned_data)
        id_number = data.pop("id_number", None)
        tags = data.pop("tags", None)
        if change:
            services.update_person(person=obj, id_number=id_number, tags=tags, **data)
        else:
            household = data.pop("household")
            name = data.pop("name")
            created = services.add_person(
                household=household, name=name, id_number=id_number or "", tags=tags or (), **data
            )
            obj.pk = created.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # tags are saved by the services

    def get_urls(self) -> list[Any]:
        return [
            path("four/", self.admin_site.admin_view(self.four_view), name="residents_four_lists"),
            path(
                "deleted/", self.admin_site.admin_view(self.deleted_view), name="residents_deleted"
            ),
            path(
                "deleted/<str:kind>/<int:history_id>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name="residents_restore",
            ),
            *super().get_urls(),
        ]

    def deleted_view(self, request: HttpRequest) -> HttpResponse:
        """Deleted households and persons in the jurisdiction, each with a restore button."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        persons = list(selectors.deleted_persons(request.user)[:200])
        for record in persons:
            record.shown_id = personal_data.shown_id_number(record.id_number, full=False)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Deleted records"),
            "households": selectors.deleted_households(request.user)[:200],
            "persons": persons,
        }
        return TemplateResponse(request, "admin/residents/deleted.html", context)

    def restore_view(self, request: HttpRequest, kind: str, history_id: int) -> HttpResponse:
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        restorers = {
            "person": (selectors.deleted_persons, services.restore_person),
            "household": (selectors.deleted_households, services.restore_household),
        }
        if kind not in restorers:
            raise Http404
        deleted, restore = restorers[kind]
        record = get_object_or_404(deleted(request.user), history_id=history_id)
        try:
            restore(record=record)
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request, _("%(record)s was restored.") % {"record": record}, messages.SUCCESS
            )
        return redirect("admin:residents_deleted")

    def four_view(self, request: HttpRequest) -> HttpResponse:
        """四掌握: counts of the four lists in the jurisdiction, each linking to its list."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        community = request.GET.get("community", "")
        communities = visible_nodes(request.user).filter(level=Level.COMMUNITY).order_by("lft")
        chosen = None
        if community:
            if not community.isdigit():
                raise PermissionDenied
            chosen = get_object_or_404(communities, pk=int(community))
        counts = selectors.four_list_counts(request.user, community=chosen)
        where = f"&community={chosen.pk}" if chosen else ""
        persons = reverse("admin:residents_person_changelist")
        since = timezone.localdate() - datetime.timedelta(days=selectors.RECENT_DAYS)
        links = {
            "party_members": (
                _("Party members"),
                f"{persons}?political_status__exact=party_member",
            ),
            "floating": (_("Floating population"), f"{persons}?residence_type__exact=floating"),
            "rented": (
                _("Rented flats"),
                reverse("admin:residents_household_changelist") + "?housing_status__exact=rented",
            ),
            "life_events": (
                _("Life events in the last 90 days"),
                reverse("admin:residents_lifeevent_changelist") + f"?occurred_on__gte={since}",
            ),
        }
        lists = [
            FourList(key, str(label), counts[key], url + where)
            for key, (label, url) in links.items()
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("The four lists (四掌握)"),
            "lists": lists,
            "communities": communities,
            "chosen": chosen,
        }
        return TemplateResponse(request, "admin/residents/four_lists.html", context)


@admin.register(Tag)
class TagAdmin(OfferedLookupsMixin, admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class EventCommunityFilter(CommunityFilter):
    field = "household__community_id"


@admin.register(LifeEvent)
class LifeEventAdmin(RosterAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "occurred_on", "household", "person", "notes"]
    list_select_related = ["household__stairwell", "person"]
    list_filter = [EventCommunityFilter, "kind", "occurred_on"]
    autocomplete_fields = ["household", "person"]
    show_full_result_count = False
    actions = None
    ordering = ["-occurred_on", "pk"]

    def save_model(self, request: HttpRequest, obj: LifeEvent, form: Any, change: bool) -> None:
        if change:
            obj.full_clean()
            obj.save()
            return
        created = services.record_life_event(**form.cleaned_data)
        obj.pk = created.pk


@admin.register(Visit)
class VisitAdmin(RosterAdminMixin, admin.ModelAdmin):
    list_display = ["visited_on", "household", "visitor", "notes"]
    list_select_related = ["household__stairwell", "visitor"]
    list_filter = ["visited_on"]
    autocomplete_fields = ["household", "visitor"]
    show_full_result_count = False
    actions = None
    ordering = ["-visited_on", "pk"]

    def save_model(self, request: HttpRequest, obj: Visit, form: Any, change: bool) -> None:
        if change:
            obj.full_clean()
            obj.save()
            return
        created = services.record_visit(**form.cleaned_data)
        obj.pk = created.pk


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
