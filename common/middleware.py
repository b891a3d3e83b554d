"""Bad requests refused in one place, before any view (or the database) sees them.

RequestGuardMiddleware sits in MIDDLEWARE just after LocaleMiddleware (so its
messages are in the user's language) and before anything that reads the body
(CsrfViewMiddleware reads POST). It answers:

- 413 when the Content-Length is above the largest upload plus its multipart
  envelope (common.uploads.request_limit), before a byte of the body is read;
- 413 when the uploaded files pass the file limit while they stream
  (common.uploads.CappedUploadHandler), or the form's other fields pass
  DATA_UPLOAD_MAX_MEMORY_SIZE;
- 400 when the path, a query-string key or value, a cookie, a header, or a
  form field (name, value or file name) holds a character PostgreSQL text cannot store:
  a NUL byte, or a lone surrogate (U+D800–U+DFFF). PostgreSQL refuses NUL with
  a DataError and psycopg cannot encode a surrogate, both server errors;
  SQLite stores them, so the answer would differ by database. No real input
  holds them;
- 400 for a form with too many fields or files, or a malformed multipart body;
  a client that hangs up mid-upload is answered 400 rather than logged as 500.

Forms are parsed here, eagerly, for POST with a form content type: the same
parse CsrfViewMiddleware or the view would do a moment later (Django caches
it; DRF reuses it), but here its failures become the answers above in one
place. JSON bodies are checked by common.parsers.JSONParser.

The answers are JSON `{"detail": ...}` under /api/ and a page in the admin's
layout elsewhere (common.errors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from common import uploads
from common.errors import error_response
from common.storable import has_unstorable, unstorable_message

_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _any_unstorable(pairs: Iterable[tuple[str, list[str]]]) -> bool:
    return any(
        has_unstorable(key) or any(has_unstorable(value) for value in values)
        for key, values in pairs
    )


def _headers(request: HttpRequest) -> Iterable[tuple[str, str]]:
    # gunicorn refuses a NUL in a header, a development server may not; a token holding
    # one reached the database.
    return ((k, v) for k, v in request.META.items() if k.startswith("HTTP_") and isinstance(v, str))


def content_length(request: HttpRequest) -> int:
    """The announced length of the body; 0 if absent or not a number (as Django reads it)."""
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.refusal(request) or self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        if content_length(request) > uploads.request_limit():
            return self.too_large(request)
        try:
            if (
                has_unstorable(request.path_info)
                or _any_unstorable(request.GET.lists())
                or _any_unstorable((k, [v]) for k, v in request.COOKIES.items())
                or _any_unstorable((k, [v]) for k, v in _headers(request))
                or self._form_unstorable(request)
            ):
                return error_response(request, 400, unstorable_message(), with_user=False)
        except Exception as error:
            response = self.process_exception(request, error)
            if response is None:
                raise
            return response
        return None

    def _form_unstorable(self, request: HttpRequest) -> bool:
        if request.content_type not in _FORM_TYPES:
            return False
        if request.method == "POST":
            form = request.POST
        elif request.content_type == "application/x-www-form-urlencoded":
            # Django parses only POST; DRF parses PUT and PATCH from the same body.
            form = QueryDict(request.body, encoding=request.encoding)
        else:
            return False  # a multipart PUT or PATCH: DRF parses it, the upload cap applies
        files = ((name, [f.name or "" for f in fs]) for name, fs in request.FILES.lists())
        return _any_unstorable(form.lists()) or _any_unstorable(files)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The same answers for a body first parsed in a view (DRF parses PUT and PATCH)."""
        if isinstance(exception, uploads.UploadTooLarge):
            return self.too_large(request)
        if isinstance(exception, RequestDataTooBig):  # DATA_UPLOAD_MAX_MEMORY_SIZE
            message = _(
                "The form or the JSON sent is larger than %(kb)d KB (files apart). "
                "Send less at once."
            ) % {"kb": max(1, int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) // 1024)}
            return error_response(request, 413, message, with_user=False)
        if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
            message = _("The form has too many fields or files.")
            return error_response(request, 400, message, with_user=False)
        if isinstance(exception, MultiPartParserError):
            message = _("The form could not be read (a malformed upload). Try again.")
            return error_response(request, 400, message, with_user=False)
        if isinstance(exception, UnreadablePostError):
            message = _("The upload was interrupted before it arrived. Try again.")
            return error_response(request, 400, message, with_user=False)
        return None

    @staticmethod
    def too_large(request: HttpRequest) -> HttpResponse:
        return error_response(request, 413, uploads.too_large_message(), with_user=False)
