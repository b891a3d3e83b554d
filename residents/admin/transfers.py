"""Transfer requests (迁入申请) in the browser: the two boxes, a request's page with its
buttons, and the form that asks for a person. Thin over residents.transfers.

The requester's side is shown TransferRequest.REQUESTER_SEES of a request and
nothing else; the person's side sees whom it is about and who asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Field, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from grids import personal_data
from grids.admin.mixins import PersonalDataAuditMixin, WellFormedAutocompleteSelect
from residents import selectors, transfers
from residents.models import Household, Relation, TransferRequest

BOXES: dict[str, Callable[[Any], QuerySet[TransferRequest]]] = {
    "in": transfers.incoming_transfers,
    "out": transfers.outgoing_transfers,
}


def _box(request: HttpRequest) -> str:
    box = request.GET.get("box", "in")
    return box if box in BOXES else "in"


class BoxFilter(admin.SimpleListFilter):
    """The inbox (people of the jurisdiction asked for) or the outbox (asked by it); never both."""

    title = _("requests")
    parameter_name = "box"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("in", _("For people of my jurisdiction")),
            ("out", _("Asked by my jurisdiction")),
        ]

    def value(self) -> str:
        value = super().value()
        return value if value in BOXES else "in"

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset & BOXES[self.value()](request.user)


class TransferForm(forms.Form):
    """迁入申请: who (as their ID card says) moves into which household of the jurisdiction."""

    id_number = forms.CharField(label=_("ID number"), max_length=30)
    name = forms.CharField(label=_("full name"), max_length=50)
    household = forms.ModelChoiceField(label=_("moving into"), queryset=Household.objects.none())
    relation = forms.ChoiceField(
        label=_("relation to head"), choices=Relation.choices, initial=Relation.OTHER
    )
    note = forms.CharField(
        label=_("note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the person's community, which decides on the request."),
    )

    def __init__(self, *args: Any, user: Any, admin_site: admin.AdminSite, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["household"]
        assert isinstance(field, forms.ModelChoiceField)
        # The household list's own autocomplete, scoped and searched as that list is.
        field.widget = WellFormedAutocompleteSelect(
            TransferRequest._meta.get_field("target"), admin_site
        )
        field.widget.is_required = field.required
        # After the widget: setting the queryset hands the widget its choices.
        field.queryset = selectors.visible_households(user)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("reason for declining"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


def _label(field_name: str) -> str:
    field = TransferRequest._meta.get_field(field_name)
    assert isinstance(field, Field)
    return str(field.verbose_name)


def _address(transfer: TransferRequest) -> str:
    stairwell = transfer.target.stairwell
    return f"{stairwell.compound}{stairwell.name}{transfer.target.room}"


@admin.register(TransferRequest)
class TransferRequestAdmin(PersonalDataAuditMixin, admin.ModelAdmin):
    audit_list_label = _("transfer request list")
    audit_detail_label = _("transfer request")
    list_filter = [BoxFilter, "status"]
    # The model fields the add page (TransferForm) asks for: what Django's own form
    # machinery (get_form) offers too, never the person or the deciding side's fields.
    fields = ["given_id_number", "given_name", "target", "relation", "note"]
    show_full_result_count = False
    actions = None
    ordering = ["-created_at", "-pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TransferRequest]:
        # Either box; BoxFilter and each page's own lookup narrow it to one.
        return (BOXES["in"](request.user) | BOXES["out"](request.user)).order_by(*self.ordering)

    def get_list_select_related(self, request: HttpRequest) -> list[str]:
        if _box(request) == "in":
            return ["target__stairwell", "source_stairwell", "requested_by"]
        return ["target__stairwell"]

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        # Built per request: masking depends on the user, and the admin instance is shared.
        full = personal_data.may_see(request.user)

        @admin.display(description=_("ID number given"))
        def given_id(obj: TransferRequest) -> str:
            return personal_data.shown_id_number(obj.given_id_number, full=full)

        if _box(request) == "in":
            return [
                "given_name",
                given_id,
                "moving_from",
                "moving_into",
                "requested_by",
                "status",
                "created_at",
            ]
        return ["given_name", given_id, "moving_into", "status", "created_at", "decided_at"]

    @admin.display(description=_("moving into"))
    def moving_into(self, obj: TransferRequest) -> str:
        return _address(obj)

    @admin.display(description=_("moving from"))
    def moving_from(self, obj: TransferRequest) -> str:
        return f"{obj.source_stairwell.compound}{obj.source_stairwell.name}"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # decided by the buttons of the request's page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A request goes only with its person or household (CASCADE): Django's
        # delete page of those asks this of each request it takes along, and the
        # user there may delete what it belongs to. Never deleted on its own
        # (delete_view); no delete action or button.
        return obj is not None

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        raise PermissionDenied

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            *(
                path(
                    f"<int:transfer_id>/{decision}/",
                    view(self.decide_view),
                    {"decision": decision},
                    name=f"residents_transferrequest_{decision}",
                )
                for decision in ("accept", "decline", "withdraw")
            ),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, **context: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            **context,
        }

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TransferForm(request.POST or None, user=request.user, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            try:
                transfer = transfers.request_transfer(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if transfer.status == TransferRequest.Status.ACCEPTED:
                    message = _("%(name)s has moved into %(household)s.")
                else:
                    message = _(
                        "The request for %(name)s to move into %(household)s was sent; "
                        "the person's community decides on it."
                    )
                self.message_user(
                    request,
                    message % {"name": transfer.given_name, "household": _address(transfer)},
                    messages.SUCCESS,
                )
                return redirect("admin:residents_transferrequest_change", transfer.pk)
        context = self._context(request, title=_("Transfer request"), form=form)
        return TemplateResponse(request, "admin/residents/transferrequest/add.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """The request's page: what the user's side may see of it, and its buttons."""
        if not self.has_view_permission(request) or not object_id.isdigit():
            raise Http404
        transfer = get_object_or_404(
            self.get_queryset(request).select_related("target__stairwell"), pk=int(object_id)
        )
        person_side = transfers.is_incoming(request.user, transfer)
        pending = transfer.status == TransferRequest.Status.PENDING
        context = self._context(
            request,
            title=_("Transfer request: %(name)s") % {"name": transfer.given_name},
            transfer=transfer,
            rows=self._rows(request, transfer, person_side=person_side),
            events=transfer.events.select_related("user") if person_side else (),
            may_decide=person_side
            and pending
            and request.user.has_perm(TransferRequest.DECIDE_PERMISSION),
            may_withdraw=not person_side
            and pending
            and request.user.has_perm(TransferRequest.REQUEST_PERMISSION),
            decline_form=DeclineForm(),
        )
        self.log_shown(request, str(self.audit_detail_label), [transfer.pk])
        return TemplateResponse(request, "admin/residents/transferrequest/detail.html", context)

    def _rows(
        self, request: HttpRequest, transfer: TransferRequest, *, person_side: bool
    ) -> list[tuple[str, Any]]:
        """(label, value) of what the user's side sees: REQUESTER_SEES, more on the person's."""
        full = personal_data.may_see(request.user)
        shown: dict[str, Any] = {
            "given_id_number": personal_data.shown_id_number(transfer.given_id_number, full=full),
            "relation": transfer.get_relation_display(),
            "target": _address(transfer),
            "status": transfer.get_status_display(),
        }
        rows = [
            (_label(name), shown.get(name, getattr(transfer, name)))
            for name in TransferRequest.REQUESTER_SEES
        ]
        if person_side:
            person = transfer.person
            url = reverse("admin:residents_person_change", args=[person.pk])
            rows += [
                (_label("person"), format_html('<a href="{}">{}</a>', url, person.name)),
                (_label("source_stairwell"), self.moving_from(transfer)),
                (_label("requested_by"), transfer.requested_by or ""),
                (_label("decided_by"), transfer.decided_by or ""),
            ]
        return rows

    def decide_view(self, request: HttpRequest, transfer_id: int, decision: str) -> HttpResponse:
        """The buttons: accept or decline (the person's side), withdraw (the requester's)."""
        box = "out" if decision == "withdraw" else "in"
        transfer = get_object_or_404(BOXES[box](request.user), pk=transfer_id)
        if request.method != "POST":
            return redirect("admin:residents_transferrequest_change", transfer.pk)
        try:
            if decision == "accept":
                transfers.accept_transfer(user=request.user, transfer=transfer)
                done = _("%(name)s has moved into %(household)s.")
            elif decision == "decline":
                form = DeclineForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(list(form.errors["reason"]))
                transfers.decline_transfer(
                    user=request.user, transfer=transfer, reason=form.cleaned_data["reason"]
                )
                done = _("The request was declined.")
            else:
                transfers.withdraw_transfer(user=request.user, transfer=transfer)
                done = _("The request was withdrawn.")
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request,
                done % {"name": transfer.given_name, "household": _address(transfer)},
                messages.SUCCESS,
            )
        return redirect("admin:residents_transferrequest_change", transfer.pk)
