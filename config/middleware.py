from collections.abc import Callable

from django.contrib import admin
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


class ChosenLanguageOnlyMiddleware:
    """Simplified Chinese unless the user chose another language.

    Ignores the browser's Accept-Language, so a browser set to English still
    opens the platform in Chinese; the language switch (a cookie) decides.
    Sits just before django.middleware.locale.LocaleMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class DatabaseBusyMiddleware:
    """A clear 503 when a write waited out the database lock, instead of a server error.

    On the embedded SQLite there is one write lock, which an import writing a
    street's register holds for half a minute; a write that waits longer than
    the lock timeout fails, rolled back. PostgreSQL locks rows, not the file.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not (isinstance(exception, OperationalError) and "database is locked" in str(exception)):
            return None
        message = _(
            "The database is busy writing a large import, so nothing was saved. "
            "Try again in a minute."
        )
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": message}, status=503)
        else:
            context = {**admin.site.each_context(request), "title": _("Busy"), "message": message}
            response = render(request, "busy.html", context, status=503)
        response["Retry-After"] = "30"
        return response
