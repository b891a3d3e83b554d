"""The tree in the admin: node list and pages (with their team), moves, coverage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from mptt.admin import MPTTModelAdmin

from grids import personal_data, selectors, services
from grids.admin.mixins import JurisdictionAdminMixin, SelectorSearchMixin
from grids.models import Level, Node, SupplyItem
from grids.search import node_search


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


@dataclass(frozen=True)
class PagePart:
    """A block another app adds to a node's page: its template and what it draws."""

    template: str
    context: dict[str, Any]


# What other apps add to a node's page (residents: a stairwell's flats), so that
# grids never imports them: each is called with the request and the node, and
# answers its part, or None where it has nothing to show. An app appends to it
# when its admin module is imported.
NODE_PAGE_PARTS: list[Callable[[HttpRequest, Node], PagePart | None]] = []


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
        if obj is not None:
            parts = (add_part(request, obj) for add_part in NODE_PAGE_PARTS)
            context["page_parts"] = [part for part in parts if part is not None]
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
