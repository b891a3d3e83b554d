"""The person list and page: masked columns, the 四掌握 lists, deleted records."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export import fields

from grids import personal_data
from grids.admin.mixins import (
    PersonalDataAuditMixin,
    SelectorSearchMixin,
)
from grids.models import Level
from grids.selectors import visible_nodes
from residents import idnumbers, selectors, services
from residents.admin.common import (
    AuditedExportMixin,
    MaskedPersonColumns,
    PersonCommunityFilter,
    RosterAdminMixin,
    SafeResource,
)
from residents.admin.history import ReadableHistoryMixin
from residents.models import (
    Household,
    LifeEvent,
    Person,
)


@dataclass(frozen=True)
class FourList:
    key: str
    label: str
    count: int
    url: str  # "" when the user may not open the list


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
    registered_address = fields.Field(
        attribute="registered_address", column_name=_("registered address")
    )
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
            "registered_address",
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
    # The user the form is for (set by PersonAdmin.get_form): whose jurisdiction a
    # registered ID number is looked up in.
    user: Any = None

    def clean_id_number(self) -> str:
        try:
            number = idnumbers.parse(self.cleaned_data["id_number"]).number
        except idnumbers.InvalidIDNumber as error:
            raise forms.ValidationError(str(error)) from error
        registered = Person.objects.filter(id_number=number).exclude(pk=self.instance.pk)
        if not registered.exists():
            return number
        if (
            self.user is None
            or selectors.visible_persons(self.user).filter(id_number=number).exists()
        ):
            raise forms.ValidationError(_("This ID number is already registered."))
        # Registered elsewhere: the person moves here by a request that community decides.
        if self.user.has_perm("residents.add_transferrequest"):
            raise forms.ValidationError(
                format_html(
                    '{} <a href="{}" id="transfer-hint">{}</a>',
                    _("This ID number is registered in another community."),
                    reverse("admin:residents_transferrequest_add"),
                    _("Ask for the person to move here (迁入申请)"),
                )
            )
        raise forms.ValidationError(_("This ID number is registered in another community."))


@admin.register(Person)
class PersonAdmin(
    MaskedPersonColumns,
    ReadableHistoryMixin,
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
        "household__flat__housing_status",
        "sex",
    ]
    search_fields = ["name"]  # shows the box; the search is search_q
    search_q = staticmethod(selectors.person_search)
    search_help_text = _("Name, or a full ID number or phone.")
    autocomplete_fields = ["household"]
    filter_horizontal = ["tags"]
    show_full_result_count = False
    actions = None
    # tree_id before lft, as on the household list: the (tree_id, lft) index then
    # yields rows in this order, and a page stops after 50 instead of sorting all.
    ordering = [
        "household__stairwell__tree_id",
        "household__stairwell__lft",
        "household__room",
        "pk",
    ]
    # Rendering a row (address, masks, links) costs about 1 ms: 50 rows a page, not 100.
    list_per_page = 50

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
        form.user = request.user  # type: ignore[attr-defined]  # a class made for this request
        if obj is not None and "id_number" in form.base_fields:
            form.base_fields["id_number"].initial = obj.id_number
        return form

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
            restored = restore(record=record)
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
        else:
            # The history row's own str() is "… as of <UTC timestamp>": name the
            # record, and when it was deleted in local time and the locale's format.
            deleted_at = formats.date_format(
                timezone.localtime(record.history_date), "DATETIME_FORMAT"
            )
            self.message_user(
                request,
                _("%(record)s (deleted %(deleted_at)s) was restored.")
                % {"record": restored, "deleted_at": deleted_at},
                messages.SUCCESS,
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
                Person,
                f"{persons}?political_status__exact=party_member",
            ),
            "floating": (
                _("Floating population"),
                Person,
                f"{persons}?residence_type__exact=floating",
            ),
            "rented": (
                _("Rented flats"),
                Household,
                reverse("admin:residents_household_changelist")
                + "?flat__housing_status__exact=rented",
            ),
            "life_events": (
                _("Life events in the last 90 days"),
                LifeEvent,
                reverse("admin:residents_lifeevent_changelist") + f"?occurred_on__gte={since}",
            ),
        }
        # A list the user may not open (a stairwell team's life events) is a count, no link.
        lists = [
            FourList(
                key,
                str(label),
                counts[key],
                url + where
                if self.admin_site.get_model_admin(model).has_view_permission(request)
                else "",
            )
            for key, (label, model, url) in links.items()
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
