"""List filters shared by the admins of things that hang off the tree."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from grids.jurisdiction import within
from grids.models import Level
from grids.selectors import visible_nodes


class SubtreeFilter(admin.SimpleListFilter):
    """Rows about a node's subtree (`?subtree=<node id>`, a node the user may see), by the
    row's `node` (`node_prefix` names another path to it)."""

    title = _("unit")
    parameter_name = "subtree"
    node_prefix = "node__"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        units = visible_nodes(request.user).filter(level__lte=Level.GRID).order_by("tree_id", "lft")
        return [(str(n.pk), n.display_name) for n in units[:50]]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        node = visible_nodes(request.user).filter(pk=int(value) if value.isdigit() else 0).first()
        return queryset.none() if node is None else queryset.filter(within(node, self.node_prefix))
