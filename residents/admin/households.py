"""The household list and page, with members inline and per-page member counts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export import fields

from grids import personal_data
from grids.admin.mixins import (
    SelectorSearchMixin,
)
from residents import selectors, services
from residents.admin.common import (
    AuditedExportMixin,
    CommunityFilter,
    MaskedPersonColumns,
    RosterAdminMixin,
    SafeResource,
)
from residents.admin.history import ReadableHistoryMixin
from residents.models import (
    Household,
    HousingStatus,
    Person,
)


class MemberInline(MaskedPersonColumns, admin.TabularInline):
    """Members, read-only here; each links to the person's own page. ID numbers and
    birth dates are shown as the person list shows them to the same user: in full
    to who may see them (and logged by HouseholdAdmin.change_view), masked otherwise."""

    model = Person
    extra = 0
    can_delete = False
    verbose_name_plural = _("members")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        full = personal_data.may_see(request.user)
        return [
            "person_link",
            "full_id" if full else "shown_id",
            "sex",
            "birth_date" if full else "shown_birth",
            "relation",
            "residence_type",
            "political_status",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("name"))
    def person_link(self, obj: Person) -> str:
        url = reverse("admin:residents_person_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.name)

    @admin.display(description=_("ID number"))
    def full_id(self, obj: Person) -> str:
        return obj.id_number or ""


class HouseholdResource(SafeResource):
    """Households: no ID numbers or phones, only the owner's name."""

    address = fields.Field(column_name=_("address"))
    number = fields.Field(attribute="number", column_name=_("household number"))
    housing_status = fields.Field(
        attribute="flat__get_housing_status_display", column_name=_("housing status")
    )
    area = fields.Field(attribute="flat__area", column_name=_("exclusive area (m²)"))
    owner = fields.Field(attribute="flat__owner", column_name=_("owner's name as registered"))
    community = fields.Field(attribute="community__name", column_name=_("community"))

    class Meta:
        model = Household
        fields = ["address", "number", "housing_status", "area", "owner", "community"]

    def dehydrate_address(self, household: Household) -> str:
        return f"{household.stairwell.compound}{household.stairwell.name}{household.room}"


class HouseholdForm(forms.ModelForm):
    """The household with its flat's fields, which services.update_household writes to the flat."""

    housing_status = forms.ChoiceField(
        label=_("housing status"),
        choices=HousingStatus.choices,
        initial=HousingStatus.OWNER_OCCUPIED,
    )
    area = forms.DecimalField(
        label=_("exclusive area (m²)"),
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=2,
        help_text=_("Shared by every household of the flat."),
    )
    owner = forms.CharField(label=_("owner's name as registered"), required=False, max_length=50)

    class Meta:
        model = Household
        fields = ["stairwell", "room", "number", "kind"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for name in services.FLAT_EDITABLE & set(self.fields):
                self.initial[name] = getattr(self.instance.flat, name)


class MemberCountedChangeList(ChangeList):
    """Member counts for the shown page only (see selectors.attach_member_counts)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = selectors.attach_member_counts(self.result_list)


@admin.register(Household)
class HouseholdAdmin(
    ReadableHistoryMixin,
    SelectorSearchMixin,
    RosterAdminMixin,
    AuditedExportMixin,
    admin.ModelAdmin,
):
    resource_classes = [HouseholdResource]
    change_list_template = "admin/residents/household/change_list.html"
    list_display = [
        "address",
        "number",
        "flat__housing_status",
        "flat__area",
        "member_count",
        "community",
    ]
    list_select_related = ["stairwell", "community", "flat"]
    list_filter = [CommunityFilter, "flat__housing_status", "kind"]
    search_fields = ["room"]  # shows the box; the search is search_q
    search_q = staticmethod(selectors.household_search)
    search_help_text = _("Room, household number, or a member's name, full ID number or phone.")
    form = HouseholdForm
    fields = ["stairwell", "room", "number", "kind", "housing_status", "area", "owner"]
    autocomplete_fields = ["stairwell"]
    inlines = [MemberInline]
    show_full_result_count = False
    actions = None
    ordering = ["stairwell__tree_id", "stairwell__lft", "room"]
    # Rendering a row (address, masks, links) costs about 1 ms: 50 rows a page, not 100.
    list_per_page = 50

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return MemberCountedChangeList

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # On its page, the flat it lives in, as a link (a new room moves it).
        return [*self.fields, "flat"] if obj else list(self.fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["stairwell", "flat"] if obj else []

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            inlines = response.context_data.get("inline_admin_formsets", [])  # type: ignore[attr-defined]
            personal_data.log_if_unmasked(
                user=request.user,
                what=str(_("household page members")),
                # the rows the page showed (get_queryset is the formset's evaluated cache)
                ids=[
                    p.pk
                    for i in inlines
                    if i.formset.model is Person
                    for p in i.formset.get_queryset()
                ],
            )
        return response

    @admin.display(description=_("address"), ordering="stairwell__lft")
    def address(self, obj: Household) -> str:
        return f"{obj.stairwell.compound}{obj.stairwell.name}{obj.room}"

    @admin.display(description=_("members"))
    def member_count(self, obj: Household) -> int:
        return obj.member_count  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Household, form: Any, change: bool) -> None:
        editable = services.HOUSEHOLD_EDITABLE | services.FLAT_EDITABLE
        data = {k: v for k, v in form.cleaned_data.items() if k in editable}
        if change:
            services.update_household(household=obj, **data)
        else:
            created = services.create_household(stairwell=form.cleaned_data["stairwell"], **data)
            obj.pk = created.pk
