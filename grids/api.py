"""REST API over the tree, staff, assignments and coverage; thin over services and selectors."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from grids import personal_data, selectors, services
from grids.models import Assignment, Node, Staff
from grids.serializers import (
    AssignmentSerializer,
    CoverageGapSerializer,
    EndAssignmentSerializer,
    LedgerSerializer,
    NodeSerializer,
    StaffSerializer,
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
    """`?node=<id>`, which must be a node in the user's jurisdiction (else 404)."""
    node_id = request.query_params.get("node", "")
    if not node_id:
        return None
    if not node_id.isdigit():
        raise serializers.ValidationError({"node": _("Enter a node id.")})
    return get_object_or_404(selectors.visible_nodes(request.user), pk=int(node_id))


class NodeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NodeSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("level", int, description="0 street … 4 stairwell"),
            OpenApiParameter("parent", int),
            OpenApiParameter("q", str, description="code prefix or part of the name"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._paged(self.get_queryset())

    def get_queryset(self) -> QuerySet[Node]:
        qs = selectors.visible_nodes(self.request.user)
        params = self.request.query_params
        if params.get("level", "").isdigit():
            qs = qs.filter(level=int(params["level"]))
        if params.get("parent", "").isdigit():
            qs = qs.filter(parent_id=int(params["parent"]))
        if params.get("q"):
            q = params["q"].strip()
            qs = qs.filter(code__startswith=q) if q.isdigit() else qs.filter(name__icontains=q)
        return qs.order_by("tree_id", "lft")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        (node,) = selectors.attach_counts([self.get_object()])
        return Response(self.get_serializer(node).data)

    def _paged(self, qs: QuerySet[Node]) -> Response:
        page = selectors.attach_counts(self.paginate_queryset(qs) or [])
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @action(detail=True)
    def children(self, request: Request, pk: str) -> Response:
        node = self.get_object()
        return self._paged(
            selectors.visible_nodes(request.user).filter(parent=node).order_by("lft")
        )

    @action(detail=True)
    def subtree(self, request: Request, pk: str) -> Response:
        node = self.get_object()
        return self._paged(
            selectors.subtree(node).filter(pk__in=selectors.visible_nodes(request.user))
        )

    @extend_schema(responses=LedgerSerializer)
    @action(detail=True)
    def ledger(self, request: Request, pk: str) -> Response:
        return Response(LedgerSerializer(selectors.ledger(self.get_object())).data)


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
        if self.request.query_params.get("q"):
            qs = qs.filter(selectors.staff_search(self.request.query_params["q"]))
        return qs.order_by("name", "pk")

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "unmask": personal_data.may_see(self.request.user),
        }

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        ids = [row["id"] for row in response.data["results"]]
        personal_data.log_if_unmasked(user=request.user, what="API staff list", ids=ids)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        personal_data.log_if_unmasked(
            user=request.user, what="API staff detail", ids=[response.data["id"]]
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

    def get_queryset(self) -> QuerySet[Assignment]:
        qs = selectors.visible_assignments(self.request.user).select_related("staff", "node")
        params = self.request.query_params
        if params.get("node", "").isdigit():
            qs = qs.filter(node_id=int(params["node"]))
        if params.get("staff", "").isdigit():
            qs = qs.filter(staff_id=int(params["staff"]))
        if params.get("current") in {"1", "true"}:
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


class CoverageView(APIView):
    """Units missing a required role: grids, micro-grids, and stairwells lacking the trio."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("node", int, description="limit to this subtree")],
        responses=CoverageGapSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("grids.view_node"):
            self.permission_denied(request)
        gaps = selectors.coverage_gaps(user=request.user, root=node_from_query(request))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(gaps, request, view=self)
        return paginator.get_paginated_response(CoverageGapSerializer(page, many=True).data)
