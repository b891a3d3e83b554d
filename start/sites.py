"""The admin site whose index is the user's start page (templates/admin/index.html)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import Node
from residents import transfers
from residents.models import ImportBatch, Person, TransferRequest
from start import selectors
from tasks import selectors as task_selectors
from tasks.models import Task


@dataclass(frozen=True)
class Link:
    key: str
    label: str
    url: str


class StartAdminSite(admin.AdminSite):
    site_header = gettext_lazy("Micro-grid administration")
    site_title = gettext_lazy("Micro-grid administration")
    index_title = gettext_lazy("Street workbench")

    def index(self, request: HttpRequest, extra_context: Any = None) -> TemplateResponse:
        context = {
            "start_units": selectors.unit_counts(user=request.user),
            "start_unit_pages": self._may_view(request, Node),
            "start_links": self.daily_links(request),
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)

    def _may_view(self, request: HttpRequest, model: type[Any]) -> bool:
        return bool(self.get_model_admin(model).has_view_permission(request))

    def daily_links(self, request: HttpRequest) -> list[Link]:
        """The pages a user opens every day, each shown only if the check its own view
        makes lets the user in: no link leads to a refusal."""
        links = []
        if self._may_view(request, Person):  # PersonAdmin.four_view
            links.append(
                Link(
                    "four_lists",
                    _("The four lists (四掌握)"),
                    reverse("admin:residents_four_lists"),
                )
            )
        if self._may_view(request, Node):  # NodeAdmin.coverage_view
            links.append(
                Link("coverage", _("Staffing coverage"), reverse("admin:grids_node_coverage"))
            )
        # residents.services.require_import_permission, which the upload view asks
        if request.user.has_perm(ImportBatch.IMPORT_PERMISSION):
            links.append(
                Link(
                    "import", _("Import a register"), reverse("admin:residents_importbatch_upload")
                )
            )
        if self._may_view(request, TransferRequest):  # the inbox of TransferRequestAdmin
            waiting = transfers.incoming_transfers(request.user).filter(
                status=TransferRequest.Status.PENDING
            )
            count = waiting.count()
            links.append(
                Link(
                    "transfers",
                    _("Transfer requests (%(n)d waiting for you)") % {"n": count}
                    if count
                    else _("Transfer requests"),
                    reverse("admin:residents_transferrequest_changelist") + "?box=in",
                )
            )
        if self._may_view(request, Task):
            counts = task_selectors.open_counts(request.user)
            links.append(
                Link(
                    "tasks",
                    _("Tasks: %(open)d open, %(soon)d due within a day, %(late)d overdue") % counts,
                    reverse("admin:tasks_task_changelist"),
                )
            )
        if request.user.has_perm("tasks.view_task"):
            links.append(Link("phone", _("My tasks on the phone"), reverse("phone:my_tasks")))
        # Swagger UI is open to every logged-in user (SPECTACULAR_SETTINGS).
        links.append(Link("api_docs", _("API documentation"), reverse("swagger-ui")))
        return links
