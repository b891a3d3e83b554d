"""REST API of the flats (房屋), read-only; thin over residents.selectors.

A flat is edited through its page in the admin or through a household's
housing status and area (/api/v1/households/); here it is read with its
households and how many live there.
"""

from __future__ import annotations

import builtins
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from grids.api_query import read_query
from grids.serializers import SubtreeQuery, scoped_id
from residents import selectors
from residents.models import Flat, FlatUse, HousingStatus
from residents.serializers import visible_communities


class FlatSerializer(serializers.ModelSerializer):
    """A flat with its households; set the counts with selectors.attach_flat_counts."""

    address = serializers.SerializerMethodField(
        help_text="Compound, building, unit and room, as the pages show it (和达城1幢1单元101)."
    )
    household_count = serializers.IntegerField(
        read_only=True, help_text="Households (户) registered in the flat (一房多户: any number)."
    )
    resident_count = serializers.IntegerField(
        read_only=True, help_text="Members of its households neither moved out nor deceased."
    )
    households = serializers.ListField(
        source="household_ids",
        child=serializers.IntegerField(),
        read_only=True,
        help_text="The ids of its households (/api/v1/households/).",
    )

    class Meta:
        model = Flat
        fields = [
            "id",
            "stairwell",
            "address",
            "room",
            "use",
            "housing_status",
            "area",
            "delivery",
            "street",
            "community",
            "grid",
            "micro_grid",
            "household_count",
            "resident_count",
            "households",
        ]
        read_only_fields = fields

    def get_address(self, flat: Flat) -> str:
        return str(flat)


class FlatQuery(SubtreeQuery):
    community = scoped_id(visible_communities, "Only flats in this community.")
    use = serializers.ChoiceField(
        choices=FlatUse.choices, required=False, help_text="Only flats of this use (房屋用途)."
    )
    vacant = serializers.BooleanField(
        required=False, help_text="Only vacant flats (housing status 空置)."
    )
    rented = serializers.BooleanField(
        required=False, help_text="Only rented flats (housing status 出租, 四掌握)."
    )


# The housing status each flag of FlatQuery asks for.
STATUS_FLAGS = {"vacant": HousingStatus.VACANT, "rented": HousingStatus.RENTED}


class FlatViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Flats (房屋) in the jurisdiction, with their households and resident counts."""

    serializer_class = FlatSerializer

    @extend_schema(parameters=[FlatQuery])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Flat]:
        qs = selectors.visible_flats(self.request.user)
        if self.action == "list":
            params = read_query(self.request, FlatQuery)
            if "node" in params:
                qs = qs.filter(selectors.under(params["node"]))
            if "community" in params:
                qs = qs.filter(community=params["community"])
            if "use" in params:
                qs = qs.filter(use=params["use"])
            for flag, status in STATUS_FLAGS.items():
                if params.get(flag):
                    qs = qs.filter(housing_status=status)
        return qs.select_related("stairwell").order_by(
            "stairwell__tree_id", "stairwell__lft", "room"
        )

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Flat]
    ) -> builtins.list[Flat] | None:
        page = super().paginate_queryset(queryset)
        return None if page is None else selectors.attach_flat_counts(page)

    def get_object(self) -> Flat:
        return selectors.attach_flat_counts([super().get_object()])[0]
