"""REST API of matters ("五议两公开"); thin over deliberation's services and selectors.

`POST /api/v1/matters/` creates a matter; `advance/` records the stage it waits
for, `return/` sends it back with a reason (409 with a Chinese `detail` when the
order does not allow it); `vote/open/`, `electorate/`, `ballots/`,
`vote/close/` and `tally/` are the owners' assembly vote; `publish/` the two
publications; `milestones/`, `implementation/` and `objections/` what follows
the resolution; `log/` every change. Everything is scoped to the user's
jurisdiction: a matter outside it is a 404, a node outside it a 400.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import Conflict, run_service
from deliberation import files, implementation, selectors, services, voting
from deliberation import serializers as s
from deliberation.models import Matter, Milestone, StageRecord, Vote
from grids import personal_data
from grids.api_query import read_query


class MatterViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.MatterSerializer
    # Names the model for the permissions and the schema; get_queryset scopes.
    queryset = Matter.objects.none()
    # Answer 409 when the matter's stage or phase does not allow them (grids/api_schema.py).
    refusable_actions = frozenset(
        {
            "advance",
            "go_back",
            "open_vote",
            "close_vote",
            "electorate",
            "ballots",
            "tally",
            "publish",
            "milestones",
            "milestone",
            "implementation",
            "objections",
            "files",
        }
    )

    def get_queryset(self) -> QuerySet[Matter]:
        qs = selectors.visible_matters(self.request.user)
        if self.action == "list":
            params = read_query(self.request, s.MatterQuery)
            for field in ("stage", "phase"):
                if field in params:
                    qs = qs.filter(**{field: params[field]})
            if "item" in params:
                qs = qs.filter(item=params["item"] or None)
            if "node" in params:
                qs = selectors.in_subtree(qs, params["node"])
            if params.get("publicity") == "open":
                qs = selectors.in_publicity(qs)
            elif params.get("publicity") == "over":
                qs = selectors.publicity_over_unpublished(qs)
            return selectors.with_progress(qs).select_related("node").order_by("-created_at", "-pk")
        if self.action == "retrieve":
            return (
                selectors.with_progress(qs)
                .select_related("node")
                .prefetch_related(
                    Prefetch("records", queryset=StageRecord.objects.order_by("pk")),
                    "publications",
                    "milestones",
                )
            )
        return qs.select_related("node")

    def get_serializer_class(self) -> Any:
        if self.action == "electorate":
            return s.VoterSerializer
        return s.MatterDetailSerializer if self.action == "retrieve" else s.MatterSerializer

    @extend_schema(parameters=[s.MatterQuery])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def _detail(self, matter: Matter, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=matter.pk)
        return Response(s.MatterSerializer(fresh).data, status=code)

    @extend_schema(request=s.MatterCreateSerializer, responses={201: s.MatterSerializer})
    def create(self, request: Request) -> Response:
        body = s.MatterCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        matter = run_service(services.create_matter, user=request.user, **body.validated_data)
        return self._detail(matter, status.HTTP_201_CREATED)

    @extend_schema(request=s.AdvanceSerializer, responses=s.MatterSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request: Request, pk: str) -> Response:
        """Record the stage the matter waits for; the next stage follows (409 out of order)."""
        matter = self.get_object()
        body = s.AdvanceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        given = dict(body.validated_data)
        given["held_on"] = given.pop("date")
        run_service(services.advance, user=request.user, matter=matter, **given)
        return self._detail(matter)

    @extend_schema(
        request=s.ReturnSerializer, responses=s.MatterSerializer, operation_id="matters_return"
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def go_back(self, request: Request, pk: str) -> Response:
        """Send the matter back to an earlier stage, with the reason (logged)."""
        matter = self.get_object()
        body = s.ReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run_service(services.return_to, user=request.user, matter=matter, **body.validated_data)
        return self._detail(matter)

    @extend_schema(request=None, responses={201: s.VoteSerializer})
    @action(detail=True, methods=["post"], url_path="vote/open", url_name="vote-open")
    def open_vote(self, request: Request, pk: str) -> Response:
        """Open the owners' vote: the electorate under the matter's node is frozen."""
        vote = run_service(voting.open_vote, user=request.user, matter=self.get_object())
        return Response(s.VoteSerializer(vote).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.VoteSerializer)
    @action(detail=True, methods=["post"], url_path="vote/close", url_name="vote-close")
    def close_vote(self, request: Request, pk: str) -> Response:
        """Close the vote: the ballots are final."""
        vote = run_service(voting.close_vote, user=request.user, matter=self.get_object())
        return Response(s.VoteSerializer(vote).data)

    def _vote(self, matter: Matter) -> Vote:
        vote = voting.live_vote(matter)
        if vote is None:
            raise Conflict(detail=_("The matter has no vote: it opens at the owners' assembly."))
        return vote

    @extend_schema(responses=s.VoterSerializer(many=True))
    @action(detail=True, methods=["get"])
    def electorate(self, request: Request, pk: str) -> Response:
        """The vote's frozen electorate, a page of heads: names and certificates masked unless
        the user may see personal data (then audited); `choice` is the live ballot."""
        vote = self._vote(self.get_object())
        voters = selectors.visible_voters(request.user).filter(vote=vote).order_by("pk")
        page = self.paginate_queryset(voters)
        assert page is not None
        unmask = personal_data.may_see(request.user)
        context = {"unmask": unmask, "choices": voting.ballot_choices(vote, [v.pk for v in page])}
        data = s.VoterSerializer(page, many=True, context=context).data
        personal_data.log_if_unmasked(
            user=request.user,
            what=f"API electorate of matter {vote.matter_id}",
            ids=[v.pk for v in page],
        )
        return self.get_paginated_response(data)

    @extend_schema(request=s.BallotsSerializer, responses=s.BallotsWrittenSerializer)
    @action(detail=True, methods=["post"])
    def ballots(self, request: Request, pk: str) -> Response:
        """Enter one ballot or several (all or none); a changed ballot keeps the old one."""
        matter = self.get_object()
        body = s.BallotsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        written = run_service(
            voting.cast_ballots,
            user=request.user,
            matter=matter,
            ballots=body.validated_data["ballots"],
        )
        return Response({"written": written})

    @extend_schema(responses=s.TallySerializer)
    @action(detail=True, methods=["get"])
    def tally(self, request: Request, pk: str) -> Response:
        """The tally of the live ballots (while open, so far), in exact fractions."""
        vote = self._vote(self.get_object())
        return Response(s.tally_data(voting.tally_of(vote), is_open=vote.is_open))

    @extend_schema(request=s.PublishSerializer, responses={201: s.PublicationSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        """决议公开 or 实施结果公开 (409 when the matter is not there yet)."""
        matter = self.get_object()
        body = s.PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        publication = run_service(
            services.publish, user=request.user, matter=matter, **body.validated_data
        )
        return Response(s.PublicationSerializer(publication).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["post"], request=s.MilestoneSerializer, responses={201: s.MilestoneSerializer}
    )
    @extend_schema(methods=["get"], responses=s.MilestoneSerializer(many=True))
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def milestones(self, request: Request, pk: str) -> Response:
        matter = self.get_object()
        if request.method == "GET":
            return Response(s.MilestoneSerializer(matter.milestones.all(), many=True).data)
        body = s.MilestoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        milestone = run_service(
            implementation.add_milestone,
            user=request.user,
            matter=matter,
            title=body.validated_data["title"],
            planned_on=body.validated_data["planned_on"],
        )
        return Response(s.MilestoneSerializer(milestone).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.MilestoneUpdateSerializer, responses=s.MilestoneSerializer)
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"milestones/(?P<milestone_id>\d+)",
        url_name="milestone",
    )
    def milestone(self, request: Request, pk: str, milestone_id: str) -> Response:
        matter = self.get_object()
        found = Milestone.objects.filter(matter=matter, pk=int(milestone_id)).first()
        if found is None:
            raise NotFound()
        body = s.MilestoneUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = run_service(
            implementation.update_milestone,
            user=request.user,
            milestone=found,
            **body.validated_data,
        )
        return Response(s.MilestoneSerializer(updated).data)

    @extend_schema(request=s.ImplementationSerializer, responses=s.MatterSerializer)
    @action(detail=True, methods=["patch"])
    def implementation(self, request: Request, pk: str) -> Response:
        """Spending, budget and the final report, between the resolution and the result."""
        matter = self.get_object()
        body = s.ImplementationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run_service(
            implementation.update_implementation,
            user=request.user,
            matter=matter,
            **body.validated_data,
        )
        return self._detail(matter)

    @extend_schema(request=s.ObjectionSerializer, responses={201: s.ObjectionSerializer})
    @action(detail=True, methods=["post"])
    def objections(self, request: Request, pk: str) -> Response:
        """An objection received during the resolution's publicity period."""
        matter = self.get_object()
        body = s.ObjectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        objection = run_service(
            implementation.record_objection,
            user=request.user,
            matter=matter,
            **body.validated_data,
        )
        return Response(s.ObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["post"],
        request=s.MatterFilesSerializer,
        responses={201: s.MatterFileSerializer(many=True)},
    )
    @extend_schema(methods=["get"], responses=s.MatterFileSerializer(many=True))
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def files(self, request: Request, pk: str) -> Response:
        """The matter's photos and PDFs; `POST` multipart `files` (and a `milestone` or a
        `record` they belong to) adds some, all or none."""
        matter = self.get_object()
        if request.method == "GET":
            return Response(s.MatterFileSerializer(matter.files.all(), many=True).data)
        body = s.MatterFilesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        given = dict(body.validated_data)
        added = run_service(
            files.add_files,
            user=request.user,
            matter=matter,
            uploads=given.pop("files"),
            **given,
        )
        return Response(
            s.MatterFileSerializer(added, many=True).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses=s.MatterEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def log(self, request: Request, pk: str) -> Response:
        events = self.get_object().events.select_related("user")
        return Response(s.MatterEventSerializer(events, many=True).data)
