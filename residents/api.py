"""REST API of the roster and register imports; thin over services and selectors."""

from __future__ import annotations

import builtins
from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from grids import personal_data
from grids.api import call_service, node_from_query
from residents import selectors, services
from residents.models import Household, ImportBatch, LifeEvent, Person, Visit
from residents.serializers import (
    ConfirmSerializer,
    HouseholdSerializer,
    ImportBatchSerializer,
    LifeEventSerializer,
    PersonSerializer,
    UploadSerializer,
    VisitSerializer,
)

FOUR_LISTS = {
    "party-members": selectors.party_members,
    "floating": selectors.floating_population,
}


def _subtree(request: Request, prefix: str = "") -> Q:
    """`?node=<id>`: only rows under that node (in the jurisdiction)."""
    node = node_from_query(request)
    return Q() if node is None else selectors.under(node, prefix)


class HouseholdViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = HouseholdSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="room, 户号, or a member's name/full ID/phone"),
            OpenApiParameter("community", int),
            OpenApiParameter("housing_status", str),
            OpenApiParameter("rented", bool, description="only rented flats (四掌握)"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Household]:
        params = self.request.query_params
        qs = (
            selectors.rented_households(self.request.user)
            if params.get("rented") in {"1", "true"}
            else selectors.visible_households(self.request.user)
        ).filter(_subtree(self.request))
        if params.get("q"):
            qs = qs.filter(selectors.household_search(params["q"]))
        if params.get("community", "").isdigit():
            qs = qs.filter(community_id=int(params["community"]))
        if params.get("housing_status"):
            qs = qs.filter(housing_status=params["housing_status"])
        return (
            selectors.with_member_count(qs)
            .select_related("stairwell")
            .order_by("stairwell__tree_id", "stairwell__lft", "room")
        )

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = call_service(services.create_household, **serializer.validated_data)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("stairwell", None)
        call_service(services.update_household, household=serializer.instance, **data)


class PersonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Persons; `?list=party-members` or `?list=floating` gives the 四掌握 lists."""

    serializer_class = PersonSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="name, or a full ID number or phone"),
            OpenApiParameter("list", str, enum=list(FOUR_LISTS)),
            OpenApiParameter("household", int),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        self._audit(request, [row["id"] for row in response.data["results"]], "person list")
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        self._audit(request, [response.data["id"]], "person detail")
        return response

    def _audit(self, request: Request, ids: builtins.list[int], what: str) -> None:
        personal_data.log_if_unmasked(user=request.user, what=f"API {what}", ids=ids)

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "unmask": personal_data.may_see(self.request.user),
        }

    def get_queryset(self) -> QuerySet[Person]:
        params = self.request.query_params
        chosen = FOUR_LISTS.get(params.get("list", ""), selectors.visible_persons)
        qs = chosen(self.request.user).filter(_subtree(self.request, "household__"))
        if params.get("q"):
            qs = qs.filter(selectors.person_search(params["q"]))
        if params.get("household", "").isdigit():
            qs = qs.filter(household_id=int(params["household"]))
        return qs.prefetch_related("tags").order_by("household_id", "pk")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = call_service(
            services.add_person,
            household=data.pop("household"),
            name=data.pop("name"),
            id_number=data.pop("id_number"),
            **data,
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        call_service(
            services.update_person, person=serializer.instance, **serializer.validated_data
        )


class LifeEventViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Life events (喜事丧事); `?recent=1` gives the last 90 days (四掌握)."""

    serializer_class = LifeEventSerializer

    def get_queryset(self) -> QuerySet[LifeEvent]:
        if self.request.query_params.get("recent") in {"1", "true"}:
            qs = selectors.recent_life_events(self.request.user)
        else:
            qs = selectors.visible_life_events(self.request.user)
        return qs.filter(_subtree(self.request, "household__")).order_by("-occurred_on", "pk")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = call_service(services.record_life_event, **serializer.validated_data)


class VisitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = VisitSerializer

    def get_queryset(self) -> QuerySet[Visit]:
        return (
            selectors.visible_visits(self.request.user)
            .filter(_subtree(self.request, "household__"))
            .order_by("-visited_on", "pk")
        )

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = call_service(services.record_visit, **serializer.validated_data)


class ImportBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Register imports: upload, then poll status/progress, read errors, confirm, undo."""

    serializer_class = ImportBatchSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self) -> QuerySet[ImportBatch]:
        return (
            selectors.visible_batches(self.request.user)
            .select_related("area")
            .defer("upload")
            .order_by("-created_at")
        )

    @extend_schema(request=UploadSerializer, responses={202: ImportBatchSerializer})
    def create(self, request: Request) -> Response:
        if not request.user.has_perm("residents.add_importbatch"):
            self.permission_denied(request)
        upload = UploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        batch = call_service(
            services.start_import,
            user=request.user,
            data=file.read(),
            filename=file.name,
            skip_invalid=upload.validated_data["skip_invalid"],
        )
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True)
    def errors(self, request: Request, pk: str) -> Response:
        batch = self.get_object()
        page = self.paginate_queryset(batch.errors)
        return self.get_paginated_response(page)

    @extend_schema(request=ConfirmSerializer, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        batch = self.get_object()
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(
            services.confirm_import,
            batch=batch,
            user=request.user,
            skip_invalid=body.validated_data["skip_invalid"],
        )
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request: Request, pk: str) -> Response:
        batch = self.get_object()
        call_service(services.undo_import, batch=batch, user=request.user)
        return Response(ImportBatchSerializer(batch).data)
