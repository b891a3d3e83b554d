"""Staff, their assignments, and the access log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from grids import personal_data, selectors, services
from grids.admin.mixins import (
    JurisdictionAdminMixin,
    OfferedLookupsMixin,
    PersonalDataAuditMixin,
    SelectorSearchMixin,
)
from grids.models import AccessLog, Assignment, Role, Staff


class NewAssignmentInline(JurisdictionAdminMixin, admin.TabularInline):
    """Rows for new assignments only; existing ones are listed (and ended) below."""

    model = Assignment
    extra = 0
    can_delete = False
    fields = ["node", "role", "started_on", "ended_on"]
    autocomplete_fields = ["node"]
    verbose_name = _("new assignment")
    verbose_name_plural = _("new assignments")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assignment]:
        return Assignment.objects.none()


class AssignmentInline(JurisdictionAdminMixin, admin.TabularInline):
    """History of assignments in the jurisdiction; only the end date can change."""

    model = Assignment
    extra = 0
    can_delete = False
    fields = ["node", "role", "started_on", "ended_on"]
    readonly_fields = ["node", "role", "started_on"]
    verbose_name_plural = _("assignment history")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assignment]:
        return selectors.visible_assignments(request.user).select_related("node")

    def get_ordering(self, request: HttpRequest) -> tuple[str, ...]:
        return ("-started_on",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CurrentRoleFilter(admin.SimpleListFilter):
    title = _("current role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Role.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Staff]) -> QuerySet[Staff]:
        role = self.value()
        if role not in Role.values:
            return queryset
        return queryset.filter(selectors.serving_as(role, user=request.user))


class RolesChangeList(ChangeList):
    """The shown page's current roles, in one more query."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = selectors.with_current_roles(self.result_list, user=request.user)


@admin.register(Staff)
class StaffAdmin(
    PersonalDataAuditMixin, SelectorSearchMixin, JurisdictionAdminMixin, admin.ModelAdmin
):
    audit_list_label = _("staff list")
    audit_detail_label = _("staff detail")
    list_display = ["name"]  # see get_list_display
    list_select_related = ["home_node"]
    list_filter = [CurrentRoleFilter, "party_membership", "affiliation"]
    search_fields = ["name"]  # shows the box; the search is search_q
    search_q = staticmethod(selectors.staff_search)
    search_help_text = _("Name or organisation, or a full phone number.")
    autocomplete_fields = ["home_node", "user"]
    fields = [
        "name",
        "phone",
        "party_membership",
        "affiliation",
        "organisation",
        "home_node",
        "user",
    ]
    inlines = [NewAssignmentInline, AssignmentInline]
    show_full_result_count = False
    actions = None
    ordering = ["name", "pk"]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return RolesChangeList

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        # Built per request: the admin instance is shared between users.
        phones = personal_data.phones_in_full(request.user)

        @admin.display(description=_("phone"))
        def phone(obj: Staff) -> str:
            return personal_data.shown_phone(obj.phone, full=phones.of(obj.pk))

        return [
            "name",
            "current_roles",
            phone,
            "party_membership",
            "affiliation",
            "organisation",
            "home_node",
        ]

    @admin.display(description=_("current roles"))
    def current_roles(self, obj: Staff) -> str:
        return "、".join(
            _("%(role)s (%(unit)s)") % {"role": a.get_role_display(), "unit": a.node.display_name}
            for a in obj.current_assignments  # type: ignore[attr-defined]
        )

    def log_shown(self, request: HttpRequest, what: str, ids: list[int]) -> None:
        # Phones shown in full under either rule: the permission, or a leader's own team.
        personal_data.log_phones_shown(user=request.user, what=what, staff_ids=ids)

    def _phone_in_full(self, request: HttpRequest, obj: Staff | None) -> bool:
        return obj is None or personal_data.phones_in_full(request.user).of(obj.pk)

    def get_fields(self, request: HttpRequest, obj: Staff | None = None) -> Any:
        if self._phone_in_full(request, obj):
            return self.fields
        return [("shown_phone" if f == "phone" else f) for f in self.fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Staff | None = None) -> list[str]:
        # Linking a login account decides what someone may see: superusers only.
        readonly = [] if request.user.is_superuser else ["user"]
        if not self._phone_in_full(request, obj):
            readonly.append("shown_phone")
        return readonly

    @admin.display(description=_("phone"))
    def shown_phone(self, obj: Staff) -> str:
        return personal_data.shown_phone(obj.phone, full=False)

    def save_model(self, request: HttpRequest, obj: Staff, form: Any, change: bool) -> None:
        data = dict(form.cleaned_data)
        if change:
            services.update_staff(staff=obj, **data)
        else:
            created = services.create_staff(**data)
            obj.pk = created.pk

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        staff = form.instance
        # The admin's change message reads these; services save, not formset.save().
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not inline_form.cleaned_data:
                continue
            data = inline_form.cleaned_data
            if inline_form.instance.pk is None:
                assignment = services.assign(
                    staff=staff, node=data["node"], role=data["role"], started_on=data["started_on"]
                )
                if data.get("ended_on"):
                    services.end_assignment(assignment=assignment, ended_on=data["ended_on"])
                formset.new_objects.append(assignment)
            elif "ended_on" in inline_form.changed_data and data.get("ended_on"):
                services.end_assignment(assignment=inline_form.instance, ended_on=data["ended_on"])
                formset.changed_objects.append((inline_form.instance, ["ended_on"]))


@admin.register(Assignment)
class AssignmentAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    list_display = ["staff", "role", "node", "started_on", "ended_on"]
    list_select_related = ["staff", "node"]
    list_filter = ["role"]
    search_fields = ["staff__name", "^node__code", "node__name"]
    autocomplete_fields = ["staff", "node"]
    show_full_result_count = False
    actions = None
    ordering = ["-started_on", "pk"]

    def get_readonly_fields(self, request: HttpRequest, obj: Assignment | None = None) -> list[str]:
        return ["staff", "node", "role", "started_on"] if obj else []

    def save_model(self, request: HttpRequest, obj: Assignment, form: Any, change: bool) -> None:
        if change:
            if "ended_on" in form.changed_data and form.cleaned_data.get("ended_on"):
                services.end_assignment(assignment=obj, ended_on=form.cleaned_data["ended_on"])
        else:
            data = form.cleaned_data
            created = services.assign(
                staff=data["staff"],
                node=data["node"],
                role=data["role"],
                started_on=data["started_on"],
            )
            if data.get("ended_on"):
                services.end_assignment(assignment=created, ended_on=data["ended_on"])
            obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # History is kept: an assignment is ended, never deleted.
        return False


@admin.register(AccessLog)
class AccessLogAdmin(OfferedLookupsMixin, admin.ModelAdmin):
    list_display = ["at", "user", "action", "what", "count"]
    list_filter = ["action"]
    search_fields = ["user__username", "what"]
    show_full_result_count = False
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
