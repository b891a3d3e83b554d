"""REST API of transfer requests (迁入申请); thin over residents.transfers.

`GET /api/v1/transfers/?box=in` lists the requests for people of the user's
jurisdiction, `?box=out` those asked by it; `POST` asks for a person; `POST
…/{id}/accept/`, `…/decline/` (the person's side) and `…/withdraw/` (the
requester's side) decide. The requester's side is shown REQUESTER_SEES only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from grids import personal_data
from grids.api import call_service
from grids.api_query import QueryParameters, id_field, read_query
from grids.serializers import ScopedPrimaryKeyField
from residents import selectors, transfers
from residents.models import Relation, TransferRequest

BOXES = {"in": transfers.incoming_transfers, "out": transfers.outgoing_transfers}


class TransferSerializer(serializers.ModelSerializer):
    """A request as one side sees it: on the requester's side (context `person_side`
    false) `person`, `moving_from` and `requested_by` are null, and nothing but
    REQUESTER_SEES is read. The ID number is masked unless the user may see it."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    target_address = serializers.SerializerMethodField()
    person = serializers.SerializerMethodField(help_text="Null on the requester's side.")
    moving_from = serializers.SerializerMethodField(
        help_text="The person's stairwell when asked; null on the requester's side."
    )
    requested_by = serializers.SerializerMethodField(
        help_text="Who asked; null on the requester's side."
    )

    class Meta:
        model = TransferRequest
        fields = [
            "id",
            *TransferRequest.REQUESTER_SEES,
            "status_label",
            "target_address",
            "person",
            "moving_from",
            "requested_by",
        ]
        read_only_fields = fields

    def _person_side(self) -> bool:
        return bool(self.context.get("person_side", False))

    def get_target_address(self, transfer: TransferRequest) -> str:
        stairwell = transfer.target.stairwell
        return f"{stairwell.compound}{stairwell.name}{transfer.target.room}"

    def get_person(self, transfer: TransferRequest) -> int | None:
        return transfer.person_id if self._person_side() else None

    def get_moving_from(self, transfer: TransferRequest) -> str | None:
        if not self._person_side():
            return None
        stairwell = transfer.source_stairwell
        return f"{stairwell.compound}{stairwell.name}"

    def get_requested_by(self, transfer: TransferRequest) -> str | None:
        user = transfer.requested_by if self._person_side() else None
        return None if user is None else user.get_full_name() or user.get_username()

    def to_representation(self, instance: TransferRequest) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["given_id_number"] = personal_data.shown_id_number(
            instance.given_id_number, full=self.context.get("unmask", False)
        )
        return data


class TransferQuery(QueryParameters):
    box = serializers.ChoiceField(
        choices=[("in", "in"), ("out", "out")],
        required=False,
        help_text="in (default): requests for people of your jurisdiction; "
        "out: requests to move people into it.",
    )
    status = serializers.ChoiceField(choices=TransferRequest.Status.choices, required=False)


class TransferCreateSerializer(serializers.Serializer):
    id_number = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=50)
    household = ScopedPrimaryKeyField(
        selectors.visible_households,
        pk_field=id_field(),
        help_text="The household of yours the person moves into.",
    )
    relation = serializers.ChoiceField(choices=Relation.choices, default=Relation.OTHER)
    note = serializers.CharField(max_length=1000, allow_blank=True, default="")


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class TransferViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TransferSerializer
    # Only names the model for the permissions and the schema; get_queryset scopes.
    queryset = TransferRequest.objects.none()

    def _box(self) -> str:
        if self.action in ("accept", "decline"):
            return "in"
        if self.action in ("withdraw", "create"):
            return "out"
        return str(read_query(self.request, TransferQuery).get("box", "in"))

    def get_queryset(self) -> QuerySet[TransferRequest]:
        qs = BOXES[self._box()](self.request.user)
        if self.action == "list":
            params = read_query(self.request, TransferQuery)
            if "status" in params:
                qs = qs.filter(status=params["status"])
        if self._box() == "in":
            qs = qs.select_related("source_stairwell", "requested_by")
        return qs.select_related("target__stairwell")

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "person_side": self._box() == "in",
            "unmask": personal_data.may_see(self.request.user),
        }

    @extend_schema(parameters=[TransferQuery])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        personal_data.log_if_unmasked(
            user=request.user,
            what="API transfer request list",
            ids=[row["id"] for row in response.data["results"]],
        )
        return response

    @extend_schema(request=TransferCreateSerializer, responses={201: TransferSerializer})
    def create(self, request: Request) -> Response:
        body = TransferCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        transfer = call_service(
            transfers.request_transfer, user=request.user, **body.validated_data
        )
        return self._answer(transfer, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        transfer = call_service(
            transfers.accept_transfer, user=request.user, transfer=self.get_object()
        )
        return self._answer(transfer)

    @extend_schema(request=DeclineSerializer, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        transfer = self.get_object()
        body = DeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call_service(
            transfers.decline_transfer,
            user=request.user,
            transfer=transfer,
            reason=body.validated_data["reason"],
        )
        return self._answer(transfer)

    @extend_schema(request=None, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        transfer = call_service(
            transfers.withdraw_transfer, user=request.user, transfer=self.get_object()
        )
        return self._answer(transfer)

    def _answer(self, transfer: TransferRequest, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(transfer).data, status=code)
