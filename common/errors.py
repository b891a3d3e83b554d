"""Error answers in one place: JSON `{"detail": ...}` under /api/, a page in the admin layout else.

config/urls.py names the handlers below as handler400/403/404/500,
CSRF_FAILURE_VIEW is csrf_failure, and REST_FRAMEWORK's EXCEPTION_HANDLER is
api_exception_handler. The pages are templates/400.html, 403.html,
404.html, 413.html and 500.html (extending templates/error_base.html); the
API answers reuse Django REST framework's translated messages, so an API
error reads the same whether DRF or Django produced it.

The 500 page is rendered without the request (no user, no database), as
Django's own server_error does: whatever failed must not fail it again.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token
from rest_framework import exceptions, views
from rest_framework.response import Response

logger = logging.getLogger(__name__)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(detail: str, status: int) -> JsonResponse:
    # Chinese as characters, as DRF writes them, not \u escapes.
    return JsonResponse(
        {"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def error_response(
    request: HttpRequest,
    status: int,
    message: str | None = None,
    *,
    api_message: str | None = None,
    with_user: bool = True,
) -> HttpResponse:
    """The answer for `status`: JSON on /api/, else templates/<status>.html.

    `message` replaces the page's (and the JSON's) default text; `with_user`
    False renders the page without the admin's user tools and menu, for
    answers given before authentication ran or when it may be what failed.
    """
    if is_api(request):
        detail = message or api_message or _("The request could not be handled.")
        return _json(str(detail), status)
    context: dict[str, Any] = {
        "site_header": admin.site.site_header,
        "site_title": admin.site.site_title,
    }
    if with_user and hasattr(request, "user"):
        try:
            context.update(admin.site.each_context(request))
        except Exception:  # the page must render even if the menu cannot be built
            logger.exception("admin context for an error page")
    if message:
        context["message"] = message
    body = loader.render_to_string(f"{status}.html", context, request)
    return HttpResponse(body, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Often a SuspiciousOperation (a bad Host header, a malformed body): no user tools.
    return error_response(
        request, 400, api_message=str(exceptions.ParseError.default_detail), with_user=False
    )


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 403, api_message=str(exceptions.PermissionDenied.default_detail))


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404, api_message=str(exceptions.NotFound.default_detail))


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return _json(str(exceptions.APIException.default_detail), 500)
    context = {"site_header": admin.site.site_header, "site_title": admin.site.site_title}
    return HttpResponse(loader.get_template("500.html").render(context), status=500)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (REST_FRAMEWORK's EXCEPTION_HANDLER), but a 404 says 未找到。

    DRF passes Django's Http404 message on, which from get_object_or_404 is
    English and names the model ("No ImportBatch matches the given query.").
    """
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return views.exception_handler(exc, context)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted without its security token, or with an expired one (CSRF_FAILURE_VIEW)."""
    message = _(
        "The form could not be sent: its security token is missing or expired "
        "(cookies blocked, or the page was open too long). Reload the page and try again."
    )
    return error_response(request, 403, message, with_user=False)
