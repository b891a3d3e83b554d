from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.routers import DefaultRouter

from deliberation.api import MatterViewSet
from grids import api as grids_api
from microprojects.api import IdeaViewSet, ProjectViewSet
from residents import api as residents_api
from residents import api_flats, api_owners
from residents.api_transfers import TransferViewSet
from tasks import api as tasks_api


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI for logged-in users, its start-up script served from here (no inline script
    under the CSP); an anonymous visitor is sent to the login page and back."""

    def handle_exception(self, exc: Exception) -> Any:  # a redirect, not DRF's Response
        anonymous = not self.request.user.is_authenticated
        if anonymous and isinstance(exc, exceptions.NotAuthenticated | exceptions.PermissionDenied):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


router = DefaultRouter()
router.register("nodes", grids_api.NodeViewSet, basename="node")
router.register("staff", grids_api.StaffViewSet, basename="staff")
router.register("assignments", grids_api.AssignmentViewSet, basename="assignment")
router.register("flats", api_flats.FlatViewSet, basename="flat")
router.register("owners", api_owners.OwnerViewSet, basename="owner")
router.register("households", residents_api.HouseholdViewSet, basename="household")
router.register("persons", residents_api.PersonViewSet, basename="person")
router.register("life-events", residents_api.LifeEventViewSet, basename="lifeevent")
router.register("visits", residents_api.VisitViewSet, basename="visit")
router.register("imports", residents_api.ImportBatchViewSet, basename="importbatch")
router.register("owner-imports", residents_api.OwnerImportViewSet, basename="ownerimport")
router.register("transfers", TransferViewSet, basename="transfer")
router.register("tasks", tasks_api.TaskViewSet, basename="task")
router.register("inbox", tasks_api.InboxViewSet, basename="notification")
router.register("matters", MatterViewSet, basename="matter")
router.register("ideas", IdeaViewSet, basename="idea")
router.register("micro-projects", ProjectViewSet, basename="project")

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("m/", include("tasks.urls")),
    path("public/", include("public.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(router.urls)),
    path("api/v1/coverage/", grids_api.CoverageView.as_view(), name="coverage"),
    path("api/v1/electorate/", api_owners.ElectorateView.as_view(), name="electorate"),
    path("api/v1/wartime/", tasks_api.WartimeView.as_view(), name="wartime"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/auth/", include("rest_framework.urls")),
]

# Chinese error pages in the admin's layout, JSON under /api/ (common/errors.py).
handler400 = "common.errors.bad_request"
handler403 = "common.errors.permission_denied"
handler404 = "common.errors.page_not_found"
handler500 = "common.errors.server_error"
