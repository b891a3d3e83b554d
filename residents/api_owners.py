"""REST API of the owners' roll, read-only: owners (masked and audited as persons are) and
the electorate of a subtree (Civil Code art. 278)."""

from __future__ import annotations

import builtins
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from grids import personal_data
from grids.api_query import QueryParameters, read_query, search_field
from grids.selectors import visible_nodes
from grids.serializers import SubtreeQuery, scoped_id
from residents import owners, selectors
from residents.models import Owner, OwnerKind


class OwnedFlatSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    address = serializers.CharField(source="__str__")


class OwnerSerializer(serializers.ModelSerializer):
    """A natural person's certificate and every phone masked unless the user may see them;
    an organisation's credit code in full. Only the flats in the user's jurisdiction."""

    kind_label = serializers.CharField(source="get_kind_display")
    flats = OwnedFlatSerializer(source="shown_flats", many=True)

    class Meta:
        model = Owner
        fields = ["id", "kind", "kind_label", "name", "certificate", "phone", "flats"]
        read_only_fields = fields

    def to_representation(self, instance: Owner) -> dict[str, Any]:
        data = super().to_representation(instance)
        full = self.context.get("unmask", False)
        data["certificate"] = personal_data.shown_certificate(
            instance.certificate, personal=instance.kind == OwnerKind.PERSON, full=full
        )
        data["phone"] = personal_data.shown_phone(instance.phone, full=full)
        return data


class OwnerQuery(SubtreeQuery):
    q = search_field("A name, or a full ID number or unified social credit code.")


class OwnerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Owners of a flat in the jurisdiction; `?node=` those of a flat in its subtree."""

    serializer_class = OwnerSerializer
    # Only names the model for the schema and the permissions; get_queryset scopes.
    queryset = Owner.objects.none()

    @extend_schema(parameters=[OwnerQuery])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        self._audit(request, [row["id"] for row in response.data["results"]], "owner list")
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        self._audit(request, [response.data["id"]], "owner detail")
        return response

    def _audit(self, request: Request, ids: builtins.list[int], what: str) -> None:
        personal_data.log_if_unmasked(user=request.user, what=f"API {what}", ids=ids)

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "unmask": personal_data.may_see(self.request.user),
        }

    def get_queryset(self) -> QuerySet[Owner]:
        qs = owners.visible_owners(self.request.user)
        if self.action == "list":
            params = read_query(self.request, OwnerQuery)
            if "node" in params:
                qs = qs.filter(owners.owning(selectors.under(params["node"], "flat__")))
            if params.get("q"):
                qs = qs.filter(owners.owner_search(params["q"]))
        return qs.order_by("name", "pk")

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Owner]
    ) -> builtins.list[Owner] | None:
        page = super().paginate_queryset(queryset)
        return None if page is None else owners.attach_flats(page, self.request.user)

    def get_object(self) -> Owner:
        return owners.attach_flats([super().get_object()], self.request.user)[0]


class ElectorateQuery(QueryParameters):
    node = scoped_id(visible_nodes, "The subtree whose owners vote; else the whole jurisdiction.")


class ElectorateSerializer(serializers.Serializer):
    node = serializers.IntegerField(allow_null=True, help_text="Null: the whole jurisdiction.")
    flats = serializers.IntegerField(help_text="Exclusive parts counted (专有部分).")
    area = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Their exclusive area in m², exact."
    )
    heads = serializers.IntegerField(help_text="Owners counted as heads (业主人数).")
    heads_by_voter = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Heads by who casts them: owners (an owner or co-owners once however many "
        "flats), developer (all unsold or undelivered flats once), flat (no owner on record).",
    )
    flats_by_voter = serializers.DictField(
        child=serializers.IntegerField(), help_text="The flats each kind of voter holds."
    )


class ElectorateView(generics.GenericAPIView):
    """The electorate of `?node=`'s subtree (else of the whole jurisdiction): flats, exact
    area, heads and how they are counted.

    Needs the owners' view permission; a node outside the jurisdiction is a 400,
    as an unknown or malformed one is (the `?node=` of every list).
    """

    serializer_class = ElectorateSerializer
    queryset = Owner.objects.none()  # the permission is the owners' (ModelPermissions)

    @extend_schema(parameters=[ElectorateQuery], responses=ElectorateSerializer)
    def get(self, request: Request) -> Response:
        node = read_query(request, ElectorateQuery).get("node")
        counted = owners.electorate(request.user, node)
        return Response(
            ElectorateSerializer(
                {
                    "node": None if node is None else node.pk,
                    "flats": counted.count.flats,
                    "area": counted.count.area,
                    "heads": counted.count.heads,
                    "heads_by_voter": counted.heads,
                    "flats_by_voter": counted.flats,
                }
            ).data
        )
