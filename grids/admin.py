"""Browser admin for the tree, staff and assignments; thin over services and selectors.

Every queryset, foreign-key choice (so a posted id outside the jurisdiction is
rejected), widget and autocomplete goes through grids.selectors.visible(). Every
admin list of the site accepts only the lookups its filters offer
(OfferedLookupsMixin, applied to all registered admins by GridsConfig.ready).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import filters as admin_filters
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import (
    AutocompleteSelect,
    AutocompleteSelectMultiple,
    ForeignKeyRawIdWidget,
    url_params_from_lookup_dict,
)
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import Field, ForeignKey, ManyToManyField, Model, Q, QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from mptt.admin import MPTTModelAdmin, TreeRelatedFieldListFilter

from grids import personal_data, selectors, services
from grids.models import AccessLog, Assignment, Level, Node, Role, Staff, SupplyItem
from grids.search import node_search


# Django's filter classes and the query parameters each reads, as their
# expected_parameters() names them (a subclass first: TreeRelated before Related).
def _tree_related(path: str, field: Any) -> list[str]:
    remote = field.remote_field
    if remote is not None and hasattr(remote, "get_related_field"):
        name = remote.get_related_field().name
    else:
        name = field.related_model._meta.pk.name
    return [f"{path}__{name}__inhierarchy", f"{path}__isnull"]


FIELD_FILTER_PARAMETERS: list[tuple[type[Any], Callable[[str, Any], list[str]]]] = [
    (TreeRelatedFieldListFilter, _tree_related),
    (
        admin_filters.RelatedFieldListFilter,
        lambda path, field: [f"{path}__{field.target_field.name}__exact", f"{path}__isnull"],
    ),
    (
        admin_filters.BooleanFieldListFilter,
        lambda path, field: [f"{path}__exact", f"{path}__isnull"],
    ),
    (
        admin_filters.ChoicesFieldListFilter,
        lambda path, field: [f"{path}__exact", f"{path}__isnull"],
    ),
    (
        admin_filters.DateFieldListFilter,
        lambda path, field: [
            f"{path}__gte",
            f"{path}__lt",
            *([f"{path}__isnull"] if field.null else []),
        ],
    ),
    (admin_filters.AllValuesFieldListFilter, lambda path, field: [path, f"{path}__isnull"]),
    (admin_filters.EmptyFieldListFilter, lambda path, field: [f"{path}__isempty"]),
]


def filter_parameters(model: type[Model], list_filter: Any) -> list[str]:
    """The query parameters one `list_filter` entry reads, without building the filter
    (building one runs its queries)."""
    if isinstance(list_filter, type) and issubclass(list_filter, admin.SimpleListFilter):
        return [str(list_filter.parameter_name)]
    if isinstance(list_filter, (list, tuple)):
        field, filter_class = list_filter
    elif isinstance(list_filter, (str, Field)):
        field, filter_class = list_filter, None
    else:
        raise ImproperlyConfigured(
            f"{list_filter!r}: the admin lookup rule knows the parameters of SimpleListFilter "
            "subclasses and of field filters only."
        )
    if isinstance(field, Field):
        path, model_field = field.name, field
    else:
        path, model_field = field, get_fields_from_path(model, field)[-1]
    if filter_class is None:  # what FieldListFilter.create would choose
        filter_class = next(
            cls
            for test, cls in admin_filters.FieldListFilter._field_list_filters  # type: ignore[attr-defined]
            if test(model_field)
        )
    for base, parameters in FIELD_FILTER_PARAMETERS:
        if issubclass(filter_class, base):
            if filter_class.expected_parameters is not base.expected_parameters:
                break  # its own parameters: unknown here
            return parameters(path, model_field)
    raise ImproperlyConfigured(
        f"{filter_class.__qualname__} on {path}: the admin lookup rule does not know the "
        "parameters this filter reads; use a SimpleListFilter, or name them in linked_lookups."
    )


class OfferedLookupsMixin:
    """An admin list accepts only the lookups its own filters offer.

    Django's ModelAdmin.lookup_allowed accepts any lookup on a local field, so
    `?id=1&phone__startswith=1330` answered "1 条结果" or "0 条结果": an oracle for every
    masked value. Here a list (and everything built on its ChangeList, such as
    import-export's export view) accepts only
    - the parameters of its `list_filter` entries, as Django's filter classes read them
      (`kind__exact`, `kind__isnull`, `occurred_on__gte`/`__lt`, `tags__id__exact`, a
      SimpleListFilter's `parameter_name`),
    - its date hierarchy (`<field>__year`, `__month`, `__day`),
    - the fixed `limit_choices_to` lookups of Django's raw-id popups,
    - `linked_lookups`: the parameters of links the app itself builds to the list.
    Anything else makes ChangeList.get_filters raise DisallowedModelAdminLookup: a 400.
    """

    model: type[Model]
    linked_lookups: ClassVar[Iterable[str]] = ()

    def offered_lookups(self, request: HttpRequest | None) -> set[str]:
        list_filter = (
            self.get_list_filter(request)  # type: ignore[attr-defined]
            if request is not None
            else self.list_filter  # type: ignore[attr-defined]
        )
        offered = set(self.linked_lookups)
        for entry in list_filter:
            offered.update(filter_parameters(self.model, entry))
        hierarchy = self.date_hierarchy  # type: ignore[attr-defined]
        if hierarchy:
            offered.update(f"{hierarchy}__{part}" for part in ("year", "month", "day"))
        return offered

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        if lookup in self.offered_lookups(request):
            return True
        # Django's raw-id popup of a ForeignKey with limit_choices_to: that exact value only.
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in url_params_from_lookup_dict(fk_lookup).items():
                return True
        return False


def offer_only_filter_lookups(site: admin.AdminSite) -> None:
    """Re-register every admin of `site` that lacks OfferedLookupsMixin with it mixed in
    (Django's User and Group admins, DRF's Token admin, any other app's)."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, OfferedLookupsMixin):
            continue
        cls = type(model_admin)
        held = type(cls.__name__, (OfferedLookupsMixin, cls), {"__module__": cls.__module__})
        site.unregister(model)
        site.register(model, held)


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw-id widget that names the chosen object only if the form field offers it
    (Django's looks the id up in the whole table)."""

    def __init__(self, rel: Any, admin_site: Any, *, queryset: QuerySet[Any], **kwargs: Any):
        super().__init__(rel, admin_site, **kwargs)
        self.queryset = queryset

    def label_and_url_for_value(self, value: Any) -> tuple[str, str]:
        key = self.rel.get_related_field().name
        try:
            offered = self.queryset.filter(**{key: value}).exists()
        except (ValueError, ValidationError):
            offered = False
        return super().label_and_url_for_value(value) if offered else ("", "")


class WellFormedValuesMixin:
    """An autocomplete that shows only chosen values of the target's key type.

    Django's looks the chosen values up as they came: `?household=abc`, or a
    posted `abc`, raised ValueError (a 500) while the form was drawn.
    """

    field: Any

    def optgroups(
        self, name: str, value: Sequence[str], attr: dict[str, Any] | None = None
    ) -> list[tuple[str | None, list[dict[str, Any]], int | None]]:
        remote = self.field.remote_field
        key = remote.model._meta.get_field(getattr(remote, "field_name", None) or "pk")
        well_formed = []
        for item in value:
            try:
                key.to_python(item)
            except ValidationError:
                continue
            well_formed.append(item)
        return super().optgroups(name, well_formed, attr)  # type: ignore[misc]


class WellFormedAutocompleteSelect(WellFormedValuesMixin, AutocompleteSelect):
    pass


class WellFormedAutocompleteSelectMultiple(WellFormedValuesMixin, AutocompleteSelectMultiple):
    pass


class JurisdictionAdminMixin(OfferedLookupsMixin):
    """Scope the changelist, autocomplete, every foreign-key choice and widget, and accept
    only the lookups the list's filters offer."""

    model: type[Model]

    def scoped(self, model: type[Model], user: Any) -> QuerySet[Any]:
        """The jurisdiction-scoped queryset of `model`; other apps extend this."""
        return selectors.visible(model, user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = self.scoped(self.model, request.user)
        ordering = self.get_ordering(request)  # type: ignore[attr-defined]
        return qs.order_by(*ordering) if ordering else qs

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> HttpResponse:
        # Outside the jurisdiction and nonexistent look the same: a plain 404.
        raise Http404

    def _well_formed_autocomplete(
        self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any], widget: type[Any]
    ) -> None:
        """The autocomplete widget Django would give the field, drawing only well-formed values."""
        if db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
            kwargs.setdefault(
                "widget",
                widget(db_field, self.admin_site, using=kwargs.get("using")),  # type: ignore[attr-defined]
            )

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        # KeyError: not a model with a jurisdiction (e.g. the user who imported).
        with contextlib.suppress(KeyError):
            kwargs["queryset"] = self.scoped(db_field.remote_field.model, request.user)
        self._well_formed_autocomplete(db_field, request, kwargs, WellFormedAutocompleteSelect)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        if field is not None and type(field.widget) is ForeignKeyRawIdWidget:
            # An id in the query string (?person=…) is named only if it is in the field's scope.
            field.widget = ScopedRawIdWidget(
                db_field.remote_field,
                field.widget.admin_site,
                queryset=field.queryset,
                using=field.widget.db,
            )
        return field

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        with contextlib.suppress(KeyError):
            kwargs["queryset"] = self.scoped(db_field.remote_field.model, request.user)
        self._well_formed_autocomplete(
            db_field, request, kwargs, WellFormedAutocompleteSelectMultiple
        )
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class PersonalDataAuditMixin:
    """Logs every changelist page and detail page that showed personal data in full."""

    audit_list_label: Any
    audit_detail_label: Any

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        if hasattr(response, "context_data") and "cl" in response.context_data:
            personal_data.log_if_unmasked(
                user=request.user,
                what=str(self.audit_list_label),
                ids=[row.pk for row in response.context_data["cl"].result_list],
            )
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        if request.method == "GET" and response.status_code == 200:
            personal_data.log_if_unmasked(
                user=request.user, what=str(self.audit_detail_label), ids=[int(object_id)]
            )
        return response


class SelectorSearchMixin:
    """The search box filters by a selector's Q (a full ID number or phone finds the
    person though the list shows it masked), not by search_fields' icontains."""

    search_q: Callable[[str], Q]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        if not search_term:
            return queryset, False
        return queryset.filter(self.search_q(search_term)), False


class LevelFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(value), label) for value, label in Level.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Node]) -> QuerySet[Node]:
        value = self.value()
        return queryset.filter(level=int(value)) if value and value.isdigit() else queryset


class SupplyInline(admin.TabularInline):
    model = SupplyItem
    extra = 0
    fields = ["item", "quantity", "unit", "location"]


class NodeForm(ModelForm):
    class Meta:
        model = Node
        fields = [
            "parent",
            "code",
            "name",
            "kind",
            "compound",
            "building",
            "unit",
            "exits",
            "notes",
        ]


class CountedChangeList(ChangeList):
    """Children and stairwell counts for the shown page only, in one more query.

    Annotating the whole queryset makes SQLite compute the counts for every
    node before it sorts and slices (seconds for a street).
    """

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = selectors.attach_counts(self.result_list)


class MoveNodeForm(forms.Form):
    new_parent = forms.ModelChoiceField(queryset=Node.objects.none(), label=_("new parent"))
    new_code = forms.CharField(
        label=_("new code"),
        required=False,
        help_text=_("Leave empty for the next free code under the new parent."),
    )

    def __init__(self, *args: Any, targets: QuerySet[Node], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = targets  # type: ignore[attr-defined]


# The pages whose unit has a team to call: the stairwell's 一长二员, the micro-grid's.
TEAM_LEVELS = frozenset({Level.MICRO_GRID, Level.STAIRWELL})


@dataclass(frozen=True)
class TeamRow:
    name: str
    url: str
    role: str
    unit: str
    phone: str


def team_rows(request: HttpRequest, node: Node) -> list[TeamRow]:
    """The node's current team as its page shows it, audited for the phones shown in full."""
    team = list(selectors.current_team(user=request.user, node=node))
    phones = personal_data.phones_in_full(request.user)
    personal_data.log_phones_shown(
        user=request.user,
        what=str(_("current team of a unit")),
        staff_ids=dict.fromkeys(a.staff_id for a in team),
    )
    linked = request.user.has_perm("grids.view_staff")
    return [
        TeamRow(
            name=a.staff.name,
            url=reverse("admin:grids_staff_change", args=[a.staff_id]) if linked else "",
            role=a.get_role_display(),
            unit=a.node.display_name,
            phone=personal_data.shown_phone(a.staff.phone, full=phones.of(a.staff_id)),
        )
        for a in team
    ]


@admin.register(Node)
class NodeAdmin(SelectorSearchMixin, JurisdictionAdminMixin, MPTTModelAdmin):
    form = NodeForm
    list_display = ["name", "code", "level_display", "kind", "children_link", "stairwells"]
    list_display_links = ["name"]
    mptt_indent_field = "name"
    list_filter = [LevelFilter, "kind"]
    linked_lookups = ("parent__id__exact",)  # children_link and the drill-down path
    search_fields = ["code"]  # shows the box; the search is search_q
    search_q = staticmethod(node_search)
    search_help_text = _("Code, name, compound, or a stairwell as shown (和达城1幢1单元).")
    show_full_result_count = False
    list_per_page = 100
    inlines = [SupplyInline]
    actions = None
    change_list_template = "admin/grids/node/change_list.html"

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return CountedChangeList

    def get_readonly_fields(self, request: HttpRequest, obj: Node | None = None) -> list[str]:
        if obj is None:
            return []
        return ["parent", "code", "rolled_up_ledger"]

    def get_fields(self, request: HttpRequest, obj: Node | None = None) -> list[str]:
        fields = list(NodeForm.Meta.fields)
        return [*fields, "rolled_up_ledger"] if obj else fields

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "parent" and not request.user.is_superuser:
            # Only a superuser opens a new street.
            field.required = True
        return field

    @admin.display(description=_("level"), ordering="level")
    def level_display(self, obj: Node) -> str:
        return obj.level_label

    @admin.display(description=_("subordinate units"))
    def children_link(self, obj: Node) -> str:
        if not obj.children_count:
            return "0"
        url = reverse("admin:grids_node_changelist") + f"?parent__id__exact={obj.pk}"
        return format_html('<a href="{}">{} ›</a>', url, obj.children_count)

    @admin.display(description=_("stairwells"))
    def stairwells(self, obj: Node) -> int:
        return obj.stairwell_count

    @admin.display(description=_("ledger (rolled up)"))
    def rolled_up_ledger(self, obj: Node) -> str:
        ledger = selectors.ledger(obj)
        rows = format_html_join(
            "", "<li>{}：{} {}</li>", ((s.item, s.quantity, s.unit) for s in ledger.supplies)
        )
        return format_html(
            "{}：{}；{}：{}<ul>{}</ul>",
            _("stairwells"),
            ledger.stairwells,
            _("exits"),
            ledger.exits,
            rows,
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Node | None = None,
    ) -> Any:
        if obj is not None and obj.level in TEAM_LEVELS:
            context["team"] = team_rows(request, obj)
            context["team_by_unit"] = obj.level == Level.MICRO_GRID
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = extra_context or {}
        parent_id = request.GET.get("parent__id__exact", "")
        if parent_id.isdigit():
            parent = get_object_or_404(selectors.visible_nodes(request.user), pk=int(parent_id))
            visible_ids = set(
                selectors.visible_nodes(request.user)
                .filter(pk__in=parent.get_ancestors(include_self=True))
                .values_list("pk", flat=True)
            )
            extra_context["drill_path"] = [
                n for n in parent.get_ancestors(include_self=True) if n.pk in visible_ids
            ]
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Node, form: Any, change: bool) -> None:
        data = {
            f: form.cleaned_data[f] for f in form.cleaned_data if f in services.NODE_EDITABLE_FIELDS
        }
        if change:
            services.update_node(node=obj, **data)
        else:
            created = services.create_node(
                parent=form.cleaned_data.get("parent"), code=form.cleaned_data["code"], **data
            )
            obj.pk = created.pk
            obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        supplies = formset.save(commit=False)
        for supply in formset.deleted_objects:
            services.remove_supply(supply=supply)
        for supply in supplies:
            fields = {f: getattr(supply, f) for f in ("item", "quantity", "unit", "location")}
            if supply.pk is None:
                services.add_supply(node=form.instance, **fields)
            else:
                services.update_supply(supply=supply, **fields)

    def delete_model(self, request: HttpRequest, obj: Node) -> None:
        services.delete_node(node=obj)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
            return redirect(reverse("admin:grids_node_change", args=[object_id]))

    def get_urls(self) -> list[Any]:
        return [
            path(
                "coverage/",
                self.admin_site.admin_view(self.coverage_view),
                name="grids_node_coverage",
            ),
            path(
                "<int:node_id>/move/",
                self.admin_site.admin_view(self.move_view),
                name="grids_node_move",
            ),
            *super().get_urls(),
        ]

    def move_view(self, request: HttpRequest, node_id: int) -> HttpResponse:
        node = get_object_or_404(selectors.visible_nodes(request.user), pk=node_id)
        if not self.has_change_permission(request, node) or node.is_root_node():
            raise PermissionDenied
        targets = (
            selectors.visible_nodes(request.user)
            .filter(level=node.level - 1)
            .exclude(pk=node.parent_id)
            .order_by("tree_id", "lft")
        )
        form = MoveNodeForm(request.POST or None, targets=targets)
        if request.method == "POST" and form.is_valid():
            try:
                services.move_node(
                    node=node,
                    new_parent=form.cleaned_data["new_parent"],
                    new_code=form.cleaned_data["new_code"] or None,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                node.refresh_from_db()
                self.message_user(
                    request,
                    _("%(node)s moved; its new code is %(code)s.")
                    % {"node": node.name, "code": node.code},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:grids_node_change", args=[node.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Move %(node)s") % {"node": node.name},
            "node": node,
            "form": form,
        }
        return TemplateResponse(request, "admin/grids/node/move.html", context)

    def coverage_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        root = None
        node_id = request.GET.get("node", "")
        if node_id.isdigit():
            root = get_object_or_404(selectors.visible_nodes(request.user), pk=int(node_id))
        gaps = selectors.coverage_gaps(user=request.user, root=root)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Staffing coverage"),
            "root": root,
            "gaps": gaps,
            "roots": selectors.visible_nodes(request.user)
            .filter(level__lte=Level.GRID)
            .order_by("tree_id", "lft"),
        }
        return TemplateResponse(request, "admin/grids/coverage.html", context)


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

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        # PersonalDataAuditMixin audits the permission's full views; this, the team rule's.
        response = super().changelist_view(request, extra_context)
        if self._team_rule_only(request) and "cl" in getattr(response, "context_data", {}):
            personal_data.log_phones_shown(
                user=request.user,
                what=str(self.audit_list_label),
                staff_ids=[s.pk for s in response.context_data["cl"].result_list],
            )
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)
        if (
            self._team_rule_only(request)
            and request.method == "GET"
            and response.status_code == 200
        ):
            personal_data.log_phones_shown(
                user=request.user, what=str(self.audit_detail_label), staff_ids=[int(object_id)]
            )
        return response

    def _team_rule_only(self, request: HttpRequest) -> bool:
        return not personal_data.phones_in_full(request.user).everyone

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


admin.site.site_header = _("Micro-grid administration")
admin.site.site_title = _("Micro-grid administration")
admin.site.index_title = _("Street workbench")


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
