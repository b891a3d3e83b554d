from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
