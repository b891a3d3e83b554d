"""The flat list and page (its owners' names, its households), and a stairwell's flats
on the stairwell's page (grids.admin.nodes.NODE_PAGE_PARTS)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from grids.admin.mixins import SelectorSearchMixin
from grids.admin.nodes import NODE_PAGE_PARTS, PagePart
from grids.models import Level, Node
from residents import selectors, services
from residents.admin.common import CommunityFilter, RosterAdminMixin
from residents.admin.history import ReadableHistoryMixin
from residents.models import Flat, Household, Owner, Ownership, Person, Relation

HOUSEHOLD_COLUMNS = ("household_link", "head", "resident_count")


class HouseholdInline(admin.TabularInline):
    """The flat's households, read-only; each links to its own page."""

    model = Household
    fields = HOUSEHOLD_COLUMNS
    readonly_fields = HOUSEHOLD_COLUMNS
    extra = 0
    can_delete = False
    verbose_name_plural = Household._meta.verbose_name_plural

    def get_queryset(self, request: HttpRequest) -> QuerySet[Household]:
        # Empty without the household permission (Django's), within the jurisdiction,
        # and each row's head and residents in the same query; the stairwell names the
        # row (Household.__str__) above its cells.
        heads = Person.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD)
        return (
            (super().get_queryset(request) & selectors.visible_households(request.user))
            .select_related("stairwell")
            .annotate(
                head_name=Subquery(heads.values("name")[:1]),
                residents=Count("members", filter=selectors.living_here("members__")),
            )
            .order_by("pk")
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("household number"))
    def household_link(self, obj: Household) -> str:
        url = reverse("admin:residents_household_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.number or _("(no number)"))

    @admin.display(description=Relation.HEAD.label)
    def head(self, obj: Household) -> str:
        return obj.head_name or ""  # type: ignore[attr-defined]

    @admin.display(description=_("residents"))
    def resident_count(self, obj: Household) -> int:
        return obj.residents  # type: ignore[attr-defined]


class FlatCountedChangeList(ChangeList):
    """Household and resident counts for the shown page only (selectors.attach_flat_counts)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = selectors.attach_flat_counts(self.result_list)


@dataclass(frozen=True)
class OwnerRow:
    name: str
    url: str


def owner_rows(request: HttpRequest, flat: Flat) -> list[OwnerRow]:
    """The flat's owners on the roll, by name only; linked to their page where the user has one."""
    ownerships = Ownership.objects.filter(flat=flat).select_related("owner").order_by("pk")
    linked = request.user.has_perm("residents.view_owner")
    rows = []
    for ownership in ownerships:
        url = ""
        if linked:
            try:
                url = reverse("admin:residents_owner_change", args=[ownership.owner_id])
            except NoReverseMatch:  # no owners' pages in this admin
                linked = False
        rows.append(OwnerRow(name=ownership.owner.name, url=url))
    return rows


@admin.register(Flat)
class FlatAdmin(ReadableHistoryMixin, SelectorSearchMixin, RosterAdminMixin, admin.ModelAdmin):
    change_form_template = "admin/residents/flat/change_form.html"
    list_display = [
        "address",
        "use",
        "housing_status",
        "area",
        "delivery",
        "household_count",
        "resident_count",
    ]
    list_select_related = ["stairwell"]
    list_filter = ["use", "housing_status", CommunityFilter]
    search_fields = ["room"]  # shows the box; the search is search_q
    search_q = staticmethod(selectors.address_search)
    search_help_text = _("Room or address (和达城1幢1单元101, 和达城1-1-101).")
    fields = ["stairwell", "room", "use", "housing_status", "area", "owner", "delivery"]
    # Only services.FLAT_EDITABLE is edited: a flat is made at its room by its first
    # household (services.flat_at), and a household moves by changing its room.
    readonly_fields = ["stairwell", "room", "delivery"]
    inlines = [HouseholdInline]
    show_full_result_count = False
    actions = None
    ordering = ["stairwell__tree_id", "stairwell__lft", "room"]
    list_per_page = 50

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return FlatCountedChangeList

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Flat | None = None,
    ) -> Any:
        if obj is not None:
            context["owners"] = owner_rows(request, obj)
            context["owners_title"] = capfirst(Owner._meta.verbose_name_plural)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("address"), ordering="stairwell__lft")
    def address(self, obj: Flat) -> str:
        return str(obj)

    @admin.display(description=Household._meta.verbose_name_plural)
    def household_count(self, obj: Flat) -> int:
        return obj.household_count  # type: ignore[attr-defined]

    @admin.display(description=_("residents"))
    def resident_count(self, obj: Flat) -> int:
        return obj.resident_count  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Flat, form: Any, change: bool) -> None:
        data = {k: v for k, v in form.cleaned_data.items() if k in services.FLAT_EDITABLE}
        # The form has set the posted values on obj already; the service compares them
        # with the stored ones (it saves, and records history, only on a change).
        services.update_flat(flat=Flat.objects.get(pk=obj.pk), **data)


@dataclass(frozen=True)
class FlatRow:
    room: str
    url: str
    area: Decimal | None
    status: str
    households: int
    residents: int


def stairwell_flats(request: HttpRequest, node: Node) -> PagePart | None:
    """A stairwell's flats on its page, each linked to the flat's page (two queries)."""
    if node.level != Level.STAIRWELL or not request.user.has_perm("residents.view_flat"):
        return None
    flats = [
        FlatRow(
            room=flat.room,
            url=reverse("admin:residents_flat_change", args=[flat.pk]),
            area=flat.area,
            status=flat.get_housing_status_display(),
            households=flat.household_count,  # type: ignore[attr-defined]
            residents=flat.resident_count,  # type: ignore[attr-defined]
        )
        for flat in selectors.flats_in_stairwell(request.user, node)
    ]
    return PagePart(
        template="admin/residents/flat/in_stairwell.html",
        context={"title": capfirst(Flat._meta.verbose_name_plural), "flats": flats},
    )


NODE_PAGE_PARTS.append(stairwell_flats)
