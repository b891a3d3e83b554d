"""REST API of the roster and register imports; thin over services and selectors."""

from __future__ import annotations

import builtins
from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from grids import personal_data
from grids.api import call_service
from grids.api_query import read_query
from grids.serializers import SubtreeQuery
from residents import selectors, services
from residents.models import Household, ImportBatch, LifeEvent, Person, Visit
from residents.serializers import (
    FOUR_LISTS,
    ConfirmSerializer,
    HouseholdQuery,
    HouseholdSerializer,
    ImportBatchSerializer,
    ImportProblemSerializer,
    LifeEventQuery,
    LifeEventSerializer,
    PersonQuery,
    PersonSerializer,
    UploadSerializer,
    VisitSerializer,
)


def _subtree(params: dict[str, Any], prefix: str = "") -> Q:
    """`?node=<id>` (validated by read_query): only rows under that node."""
    node = params.get("node")
    return Q() if node is None else selectors.under(node, prefix)


class HouseholdViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = HouseholdSerializer

    @extend_schema(parameters=[HouseholdQuery])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Household]:
        qs = selectors.visible_households(self.request.user)
        if self.action == "list":
            params = read_query(self.request, HouseholdQuery)
            if params.get("rented"):
                qs = selectors.rented_households(self.request.user)
            qs = qs.filter(_subtree(params))
            if params.get("q"):
                qs = qs.filter(selectors.household_search(params["q"]))
            if "community" in params:
                qs = qs.filter(community=params["community"])
            if "housing_status" in params:
                qs = qs.filter(flat__housing_status=params["housing_status"])
        return qs.select_related("stairwell", "flat").order_by(
            "stairwell__tree_id", "stairwell__lft", "room"
        )

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Household]
    ) -> builtins.list[Household] | None:
        page = super().paginate_queryset(queryset)
        return None if page is None else selectors.attach_member_counts(page)

    def get_object(self) -> Household:
        return selectors.attach_member_counts([super().get_object()])[0]

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        assert isinstance(serializer, HouseholdSerializer)
        household = call_service(services.create_household, **serializer.service_fields())
        serializer.instance = selectors.attach_member_counts([household])[0]

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        assert isinstance(serializer, HouseholdSerializer)
        data = serializer.service_fields()
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

    @extend_schema(parameters=[PersonQuery])
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
        qs = selectors.visible_persons(self.request.user)
        if self.action == "list":
            params = read_query(self.request, PersonQuery)
            if "list" in params:
                qs = FOUR_LISTS[params["list"]](self.request.user)
            qs = qs.filter(_subtree(params, "household__"))
            if params.get("q"):
                qs = qs.filter(selectors.person_search(params["q"]))
            if "household" in params:
                qs = qs.filter(household=params["household"])
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

    @extend_schema(parameters=[LifeEventQuery])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[LifeEvent]:
        qs = selectors.visible_life_events(self.request.user)
        if self.action == "list":
            params = read_query(self.request, LifeEventQuery)
            if params.get("recent"):
                qs = selectors.recent_life_events(self.request.user)
            qs = qs.filter(_subtree(params, "household__"))
        return qs.order_by("-occurred_on", "pk")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = call_service(services.record_life_event, **serializer.validated_data)


class VisitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = VisitSerializer

    @extend_schema(parameters=[SubtreeQuery])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Visit]:
        qs = selectors.visible_visits(self.request.user)
        if self.action == "list":
            qs = qs.filter(_subtree(read_query(self.request, SubtreeQuery), "household__"))
        return qs.order_by("-visited_on", "pk")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = call_service(services.record_visit, **serializer.validated_data)


class ImportBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Register imports: upload, then poll status/progress, read errors, confirm, undo."""

    kind = ImportBatch.Kind.REGISTER
    serializer_class = ImportBatchSerializer
    # Only names the model for the schema (an integer id); get_queryset scopes.
    queryset = ImportBatch.objects.none()

    def get_queryset(self) -> QuerySet[ImportBatch]:
        return (
            selectors.visible_batches(self.request.user)
            .filter(kind=self.kind)
            .select_related("area")
            .defer("upload", "errors")
            .order_by("-created_at")
        )

    @extend_schema(request=UploadSerializer, responses={202: ImportBatchSerializer})
    def create(self, request: Request) -> Response:
        services.require_import_permission(request.user)
        upload = UploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        batch = call_service(
            services.start_import,
            user=request.user,
            data=call_service(services.read_upload, upload=file),
            filename=file.name,
            skip_invalid=upload.validated_data["skip_invalid"],
            kind=self.kind,
        )
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=ImportProblemSerializer(many=True))
    @action(detail=True)
    def errors(self, request: Request, pk: str) -> Response:
        """The batch's problems, by line: {line, column, code, message}."""
        batch = self.get_object()
        page = self.paginate_queryset(batch.errors)
        return self.get_paginated_response(ImportProblemSerializer(page, many=True).data)

    @extend_schema(request=ConfirmSerializer, responses={202: ImportBatchSerializer})
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


class OwnerImportViewSet(ImportBatchViewSet):
    """Owners' roll (业主名册) imports: the same steps as the register's."""

    kind = ImportBatch.Kind.OWNERS
