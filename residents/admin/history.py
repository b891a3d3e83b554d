"""The history page of a roster record: its simple-history rows, readable (residents.history).

Django's page lists LogEntry rows, which imports and services never write, so
imported records had "no change history" and edits read "已修改Phone。".
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from grids import personal_data
from residents import history


class ReadableHistoryMixin:
    """For a ModelAdmin of a model with `history = HistoricalRecords(...)`.

    The record is found through get_object, so the page is scoped like the
    change page: a record outside the jurisdiction is a 404.
    """

    model: type[Model]

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)  # type: ignore[attr-defined]
        if not self.has_view_or_change_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        entries = history.record_history(record=obj, user=request.user)
        if history.has_personal_data(self.model):
            personal_data.log_if_unmasked(
                user=request.user,
                what=_("%(record)s history") % {"record": self.model._meta.verbose_name},
                ids=[obj.pk],
            )
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": _("Change history: %s") % obj,
            "object": obj,
            "opts": self.model._meta,
            "entries": entries,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name  # type: ignore[attr-defined]
        return TemplateResponse(request, "admin/residents/history.html", context)
