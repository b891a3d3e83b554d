"""The API's OpenAPI schema documents its error answers too (DEFAULT_SCHEMA_CLASS).

drf-spectacular documents the success answer of each operation. Every API
view here also answers 403 (not logged in, or no permission), 400 for a bad
body or query parameter, 404 for an id outside the jurisdiction or a page past
the last, 413 for a body over the upload limit, and 429 when throttled; a client and schemathesis read them here.
An operation that declares an answer itself (`extend_schema(responses=…)`) keeps it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

# {"detail": "…"}: what DRF answers for a refused, missing or throttled request.
DETAIL = inline_serializer("Detail", fields={"detail": serializers.CharField()})

# A bad body or query parameter: each field (or "detail", "non_field_errors")
# with its messages, nested as the body is.
INVALID = {
    "type": "object",
    "additionalProperties": {},
    "description": 'Each invalid field with its messages, e.g. {"page": ["…"]}.',
}


class AutoSchema(openapi.AutoSchema):
    def _error_responses(self) -> dict[str, OpenApiResponse]:
        has_path_id = "{" in self.path
        is_list = self.method == "GET" and self._is_list_view()
        errors = {"403": OpenApiResponse(DETAIL, _("Not logged in, or not permitted."))}
        if self.method in {"POST", "PUT", "PATCH"} or is_list:
            errors["400"] = OpenApiResponse(INVALID, _("Invalid input."))
        if self.method in {"POST", "PUT", "PATCH"}:
            # common.uploads: a body larger than the largest file accepted.
            errors["413"] = OpenApiResponse(DETAIL, _("The request is too large."))
        if has_path_id or is_list:
            errors["404"] = OpenApiResponse(
                DETAIL, _("Not found in your jurisdiction, or no such page.")
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
