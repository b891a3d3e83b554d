"""The owners' list and page (业主): certificates and phones masked, flats in the jurisdiction.

A natural person's certificate (an ID number) and every phone are shown in
full only to a user who may see personal data, and those pages are audited;
an organisation's credit code is public. An owner's flats outside the user's
jurisdiction are never listed or counted. Owners come from the owners' roll
and the flats: an owner with no flat yet would lie outside every jurisdiction,
so there is no blank "add owner" page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from grids import personal_data
from grids.admin.mixins import PersonalDataAuditMixin, SelectorSearchMixin
from residents import owners, selectors
from residents.admin.common import CommunityFilter, RosterAdminMixin
from residents.admin.history import ReadableHistoryMixin
from residents.models import Flat, Owner, OwnerKind

# Addresses shown in a row of the list; the page shows them all.
ADDRESSES_IN_A_ROW = 3


def _addresses(flats: list[Flat]) -> str:
    """The flats' addresses, each linking to the flat's page when there are flat pages."""
    try:
        urls = [reverse("admin:residents_flat_change", args=[flat.pk]) for flat in flats]
    except NoReverseMatch:
        return "、".join(str(flat) for flat in flats)
    return format_html_join("、", '<a href="{}">{}</a>', zip(urls, map(str, flats), strict=True))


class OwnerCommunityFilter(CommunityFilter):
    """Owners of a flat in the chosen community (each once)."""

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not (value and value.isdigit()):
            return queryset
        return queryset.filter(owners.owning(Q(flat__community_id=int(value))))


class OwnedFlatsChangeList(ChangeList):
    """Each owner's flats in the jurisdiction, for the shown page only (owners.attach_flats)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = owners.attach_flats(self.result_list, request.user)


class OwnerForm(forms.ModelForm):
    """For a user who may not see personal data: the name alone is edited."""

    class Meta:
        model = Owner
        fields = ["name"]


class FullOwnerForm(forms.ModelForm):
    """For a user who may see personal data: the certificate is checked and stored normalised."""

    certificate = forms.CharField(
        label=_("certificate number"),
        required=False,
        max_length=40,
        help_text=_(
            "A natural person's ID number, or an organisation's unified social credit code."
        ),
    )

    class Meta:
        model = Owner
        fields = ["kind", "name", "certificate", "phone"]

    def clean_certificate(self) -> str | None:
        try:
            return owners.normalised_certificate(
                kind=self.cleaned_data.get("kind", OwnerKind.PERSON),
                certificate=self.cleaned_data["certificate"],
            )
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["certificate"]) from error


@admin.register(Owner)
class OwnerAdmin(
    ReadableHistoryMixin,
    PersonalDataAuditMixin,
    SelectorSearchMixin,
    RosterAdminMixin,
    admin.ModelAdmin,
):
    audit_list_label = _("owner list")
    audit_detail_label = _("owner detail")
    list_display = ["name"]  # see get_list_display
    list_filter = [OwnerCommunityFilter, "kind"]
    search_fields = ["name"]  # shows the box; the search is search_q
    search_q = staticmethod(owners.owner_search)
    search_help_text = _("Name, or a full ID number or unified social credit code.")
    show_full_result_count = False
    actions = None
    ordering = ["name", "pk"]
    list_per_page = 50

    def scoped(self, model: type[Model], user: Any) -> QuerySet[Any]:
        return owners.visible_owners(user) if model is Owner else super().scoped(model, user)

    def _full(self, request: HttpRequest) -> bool:
        return personal_data.may_see(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return OwnedFlatsChangeList

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        # Built per request: whether to unmask depends on the user, and the
        # admin instance is shared between concurrent requests.
        full = self._full(request)

        @admin.display(description=_("certificate number"))
        def certificate(obj: Owner) -> str:
            return personal_data.shown_certificate(
                obj.certificate, personal=obj.kind == OwnerKind.PERSON, full=full
            )

        @admin.display(description=_("phone"))
        def phone(obj: Owner) -> str:
            return personal_data.shown_phone(obj.phone, full=full)

        return ["name", "kind", certificate, phone, "flat_count", "flat_addresses"]

    @admin.display(description=_("flats"))
    def flat_count(self, obj: Owner) -> int:
        return len(obj.shown_flats)  # type: ignore[attr-defined]

    @admin.display(description=_("addresses"))
    def flat_addresses(self, obj: Owner) -> str:
        flats: list[Flat] = obj.shown_flats  # type: ignore[attr-defined]
        shown = _addresses(flats[:ADDRESSES_IN_A_ROW])
        return format_html("{}…", shown) if len(flats) > ADDRESSES_IN_A_ROW else shown

    # The page.
    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            owners.attach_flats([obj], request.user)
            obj.shown_resident = (  # the linked resident, if the user may see them
                selectors.visible_persons(request.user).filter(pk=obj.person_id).first()
                if obj.person_id
                else None
            )
        return obj

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = FullOwnerForm if self._full(request) else OwnerForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if self._full(request):
            return ["kind", "name", "certificate", "phone", "resident", "owned_flats"]
        return ["kind", "name", "shown_certificate", "shown_phone", "resident", "owned_flats"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if self._full(request):
            return ["resident", "owned_flats"]
        return ["kind", "shown_certificate", "shown_phone", "resident", "owned_flats"]

    @admin.display(description=_("certificate number"))
    def shown_certificate(self, obj: Owner) -> str:
        return personal_data.shown_certificate(
            obj.certificate, personal=obj.kind == OwnerKind.PERSON, full=False
        )

    @admin.display(description=_("phone"))
    def shown_phone(self, obj: Owner) -> str:
        return personal_data.shown_phone(obj.phone, full=False)

    @admin.display(description=_("resident"))
    def resident(self, obj: Owner) -> str:
        person = obj.shown_resident  # type: ignore[attr-defined]
        if person is None:
            return "-"
        url = reverse("admin:residents_person_change", args=[person.pk])
        return format_html('<a href="{}">{}</a>', url, person.name)

    @admin.display(description=_("flats owned"))
    def owned_flats(self, obj: Owner) -> str:
        return _addresses(obj.shown_flats) or "-"  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Owner, form: Any, change: bool) -> None:
        owners.update_owner(owner=obj, **form.cleaned_data)
