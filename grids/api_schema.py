"""The API's OpenAPI schema (DEFAULT_SCHEMA_CLASS): what the API answers, errors too.

drf-spectacular documents the success answer of each operation. Every API
view here also answers 403 (not logged in, or no permission), 400 for a bad
body or query parameter, 404 for an id outside the jurisdiction or a page past
the last, 413 for a body over the upload limit, 415 for a body in another
format, 429 when throttled, and 409 for an action a view lists in its
`refusable_actions` when the object's state does not allow it now; clients
and schemathesis read them here. An operation that declares an answer itself
(`extend_schema(responses=…)`) keeps it.

Bodies are JSON, and a file upload is multipart/form-data: the schema says so.
(The form encodings DRF also parses stay accepted for its browsable API; they
cannot carry a list or a nested object, so a client should not use them.)
An empty query parameter (`?node=`) is the parameter not given
(`allowEmptyValue`), as grids.api_query reads it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance, get_view_model
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

# {"detail": "…"}: what DRF answers for a refused, missing or throttled request.
DETAIL = inline_serializer("Detail", fields={"detail": serializers.CharField()})

# A bad body or query parameter: each field (or "detail", "non_field_errors")
# with its messages, nested as the body is.
INVALID = {
    "type": "object",
    "additionalProperties": {},
    "description": _('Each invalid field with its messages, e.g. {"page": ["…"]}.'),
}


def _uploads_files(serializer: Any) -> bool:
    fields = getattr(serializer, "fields", {})
    return any(isinstance(field, serializers.FileField) for field in fields.values())


# The tags of the endpoints without a model of their own (a model's is its plural name).
TAGS_WITHOUT_MODEL = {"coverage": _("Staffing coverage")}


class AutoSchema(openapi.AutoSchema):
    def get_tags(self) -> list[str]:
        """One tag per resource, in the reader's language.

        drf-spectacular's default, the path's first part, is "v1" for every operation.
        """
        model = get_view_model(self.view, emit_warnings=False)
        if model is not None:
            return [str(model._meta.verbose_name_plural)]
        resource = self._tokenize_path()[1:2] or self._tokenize_path()[:1]
        return [str(TAGS_WITHOUT_MODEL.get(part, part)) for part in resource]

    def map_parsers(self) -> list[Any]:
        media_types = super().map_parsers()
        serializer = force_instance(self.get_request_serializer())
        wanted = "multipart/form-data" if _uploads_files(serializer) else "application/json"
        return [wanted] if wanted in media_types else media_types

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_parameters()
        for parameter in parameters:
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return parameters

    def _error_responses(self) -> dict[str, OpenApiResponse]:
        has_path_id = "{" in self.path
        is_list = self.method == "GET" and self._is_list_view()
        # A view that reads declared query parameters refuses a bad one (api_query).
        takes_query = self.method == "GET" and any(
            parameter["in"] == "query" for parameter in self._get_parameters()
        )
        errors = {"403": OpenApiResponse(DETAIL, _("Not logged in, or not permitted."))}
        if self.method in {"POST", "PUT", "PATCH"} or is_list or takes_query:
            errors["400"] = OpenApiResponse(INVALID, _("Invalid input."))
        if self.method in {"POST", "PUT", "PATCH"}:
            # common.uploads: a body larger than the largest file accepted.
            errors["413"] = OpenApiResponse(DETAIL, _("The request is too large."))
            errors["415"] = OpenApiResponse(DETAIL, _("The body is not in a format accepted."))
        if has_path_id or is_list:
            errors["404"] = OpenApiResponse(
                DETAIL, _("Not found in your jurisdiction, or no such page.")
            )
        if getattr(self.view, "action", None) in getattr(self.view, "refusable_actions", ()):
            errors["409"] = OpenApiResponse(
                DETAIL, _("Not allowed in the object's present state (the reason in Chinese).")
            )
        if self.view.get_throttles():
            errors["429"] = OpenApiResponse(DETAIL, _("Too many requests."))
        return errors

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code, response in self._error_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
