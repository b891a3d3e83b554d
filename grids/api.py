"""REST API over the tree, staff, assignments and coverage; thin over services and selectors."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from grids import personal_data, selectors, services
from grids.api_query import read_query
from grids.models import Assignment, Node, Staff
from grids.serializers import (
    AssignmentQuery,
    AssignmentSerializer,
    CoverageGapSerializer,
    EndAssignmentSerializer,
    LedgerSerializer,
    NodeQuery,
    NodeSerializer,
    StaffQuery,
    StaffSerializer,
    SubtreeQuery,
)

T = TypeVar("T")


def call_service(service: Callable[..., T], **kwargs: Any) -> T:
    """Run a service; its Django ValidationError becomes the API's 400."""
    try:
        return service(**kwargs)
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            raise serializers.ValidationError(error.message_dict) from error
        raise serializers.ValidationError({"detail": error.messages}) from error


def node_from_query(request: Request) -> Node | None:
    """`?node=<id>`: a node in the user's jurisdiction, or None; any other value is a 400."""
    node: Node | None = read_query(request, SubtreeQuery).get("node")
    return node


class NodeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NodeSerializer

    @extend_schema(parameters=[NodeQuery])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        qs = self.get_queryset()
        params = read_query(request, NodeQuery)
        if "level" in params:
            qs = qs.filter(level=params["level"])
        if "parent" in params:
            qs = qs.filter(parent=params["parent"])
        if params.get("q"):
            q = params["q"]
            qs = qs.filter(code__startswith=q) if q.isdigit() else qs.filter(name__icontains=q)
        return self._paged(qs)

    def get_queryset(self) -> QuerySet[Node]:
        return selectors.visible_nodes(self.request.user).order_by("tree_id", "lft")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        (node,) = selectors.attach_counts([self.get_object()])
        return Response(self.get_serializer(node).data)

    def _paged(self, qs: QuerySet[Node]) -> Response:
        page = selectors.attach_counts(self.paginate_queryset(qs) or [])
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=NodeSerializer(many=True))
    @action(detail=True)
    def children(self, request: Request, pk: str) -> Response:
        node = self.get_object()
        return self._paged(
            selectors.visible_nodes(request.user).filter(parent=node).order_by("lft")
        )

    @extend_schema(responses=NodeSerializer(many=True))
    @action(detail=True)
    def subtree(self, request: Request, pk: str) -> Response:
        node = self.get_object()
        return self._paged(
            selectors.subtree(node).filter(pk__in=selectors.visible_nodes(request.user))
        )

    @extend_schema(responses=LedgerSerializer)
    @action(detail=True)
    def ledger(self, request: Request, pk: str) -> Response:
        (node,) = selectors.attach_counts([self.get_object()])
        return Response(LedgerSerializer(selectors.ledger(node)).data)


class StaffViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = StaffSerializer

    def get_queryset(self) -> QuerySet[Staff]:
        qs = selectors.visible_staff(self.request.user).select_related("home_node")
        if self.action == "list":
            q = read_query(self.request, StaffQuery).get("q")
            if q:
                qs = qs.filter(selectors.staff_search(q))
        return qs.order_by("name", "pk")

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            # The admin's rule: the permission, or a stairwell leader's own team.
            "phones": personal_data.phones_in_full(self.request.user),
        }

    @extend_schema(parameters=[StaffQuery])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        ids = [row["id"] for row in response.data["results"]]
        personal_data.log_phones_shown(user=request.user, what="API staff list", staff_ids=ids)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        personal_data.log_phones_shown(
            user=request.user, what="API staff detail", staff_ids=[response.data["id"]]
        )
        return response

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = call_service(services.create_staff, **serializer.validated_data)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        assert isinstance(serializer.instance, Staff)
        call_service(services.update_staff, staff=serializer.instance, **serializer.validated_data)


class AssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AssignmentSerializer

    @extend_schema(parameters=[AssignmentQuery])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Assignment]:
        qs = selectors.visible_assignments(self.request.user).select_related("staff", "node")
        if self.action == "list":
            params = read_query(self.request, AssignmentQuery)
            if "node" in params:
                qs = qs.filter(node=params["node"])
            if "staff" in params:
                qs = qs.filter(staff=params["staff"])
            if params.get("current"):
                qs = qs.current()
        return qs.order_by("-started_on", "pk")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = call_service(services.assign, **serializer.validated_data)

    @extend_schema(request=EndAssignmentSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        if not request.user.has_perm("grids.change_assignment"):
            self.permission_denied(request)
        assignment = self.get_object()
        body = EndAssignmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(services.end_assignment, assignment=assignment, **body.validated_data)
        return Response(self.get_serializer(assignment).data)


class CoverageView(generics.GenericAPIView):
    """Units missing a required role: grids, micro-grids, and stairwells lacking the trio."""

    permission_classes = [IsAuthenticated]
    serializer_class = CoverageGapSerializer

    @extend_schema(parameters=[SubtreeQuery], responses=CoverageGapSerializer(many=True))
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("grids.view_node"):
            self.permission_denied(request)
        gaps = selectors.coverage_gaps(user=request.user, root=node_from_query(request))
        page = self.paginate_queryset(gaps)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
