"""What an API request may say in its query string: pages and declared parameters.

A view declares the parameters it reads as a `QueryParameters` serializer,
documents them with `extend_schema(parameters=[ThatSerializer])` and reads them
only through `read_query()`. A bad value is a 400 that names the parameter, in
the user's language; a parameter that no view declares is ignored. The page
number is checked by `Pagination`, the API's default paginator, for every list.

This module must not import DRF's generic views: DEFAULT_PAGINATION_CLASS names
`Pagination` and is imported while rest_framework.generics itself loads.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.paginator import Paginator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

_PAGE_NUMBER = re.compile(r"[0-9]{1,30}")

# A search term longer than any name, room, 户号, ID number or phone is a mistake.
SEARCH_MAX_LENGTH = 100


class Pagination(PageNumberPagination):
    """Pages of 50 (PAGE_SIZE); `page` is a whole number from 1 up, else a 400.

    A page past the last one stays DRF's 404 (无效页面).
    """

    def get_page_number(self, request: Request, paginator: Paginator) -> Any:
        raw = request.query_params.get(self.page_query_param) or "1"
        if raw in self.last_page_strings:
            return paginator.num_pages
        if not _PAGE_NUMBER.fullmatch(raw) or int(raw) < 1:
            raise serializers.ValidationError(
                {self.page_query_param: [_("A page number is a whole number from 1 up.")]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters


class QueryParameters(serializers.Serializer):
    """The query parameters one API list reads (subclass it; every field optional)."""


def search_field(help_text: str) -> serializers.CharField:
    """A free-text `q`: bounded in length, no NUL characters (CharField); blank searches nothing."""
    return serializers.CharField(
        required=False, allow_blank=True, max_length=SEARCH_MAX_LENGTH, help_text=help_text
    )


def id_field() -> serializers.IntegerField:
    """The pk_field of an id parameter: a whole number from 1 up (documented as such)."""
    return serializers.IntegerField(min_value=1)


def read_query(request: Request, declared: type[QueryParameters]) -> dict[str, Any]:
    """The declared query parameters, validated: a 400 if any is bad.

    An absent parameter is left out (an absent boolean is False). Validated
    once per request and parameter set, so a view may ask again.
    """
    cache: dict[type[QueryParameters], dict[str, Any]] = request.__dict__.setdefault(
        "_validated_query", {}
    )
    if declared not in cache:
        parameters = declared(data=request.query_params, context={"request": request})
        parameters.is_valid(raise_exception=True)
        cache[declared] = dict(parameters.validated_data)
    return cache[declared]
