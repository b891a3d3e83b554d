"""REST API of 举手制 micro-projects, for staff; thin over microprojects' services.

`/api/v1/ideas/` lists the ideas of the jurisdiction with their support and takes one
from the suggestion box; `adopt/` makes one a project, `decline/` answers it.
`/api/v1/micro-projects/` lists the projects with participants and ratings counted;
`updates/` posts progress, `publish/` finishes one for rating. Phones masked unless
the user may see personal data (then audited).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import run_service
from config.security import AnonymousRequestsCounted
from grids import personal_data
from grids.api_permissions import ChangeOnPostPermissions
from grids.api_query import id_field
from grids.selectors import visible_nodes
from grids.serializers import ScopedPrimaryKeyField
from microprojects import selectors, services
from microprojects.models import Idea, Project


class IdeaSerializer(serializers.ModelSerializer):
    residents = serializers.IntegerField(read_only=True, help_text="Residents' raised hands.")
    branches = serializers.IntegerField(read_only=True, help_text="Party branches' hands.")

    class Meta:
        model = Idea
        fields = [
            "id",
            "community",
            "title",
            "text",
            "name",
            "phone",
            "source",
            "status",
            "answer",
            "residents",
            "branches",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Idea) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["phone"] = personal_data.shown_phone(instance.phone, full=self.context["unmask"])
        return data


class BoxIdeaSerializer(serializers.Serializer):
    community = ScopedPrimaryKeyField(visible_nodes, pk_field=id_field())
    title = serializers.CharField(max_length=100)
    text = serializers.CharField(max_length=2000)
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=20)


class AdoptSerializer(serializers.Serializer):
    budget = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    title = serializers.CharField(max_length=100, allow_blank=True, default="")


class IdeaDeclineSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=2000)


class ProjectSerializer(serializers.ModelSerializer):
    satisfied = serializers.IntegerField(read_only=True)
    fairly = serializers.IntegerField(read_only=True)
    unsatisfied = serializers.IntegerField(read_only=True)
    participant_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "idea",
            "title",
            "budget",
            "status",
            "progress",
            "summary",
            "adopted_at",
            "published_at",
            "participant_count",
            "satisfied",
            "fairly",
            "unsatisfied",
        ]
        read_only_fields = fields


class UpdateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="Photos (JPEG, PNG, WebP)."
    )


class ProjectPublishSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=5000)


class IdeaViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = IdeaSerializer
    queryset = Idea.objects.none()  # names the model; get_queryset scopes
    refusable_actions = frozenset({"adopt", "decline"})

    def get_queryset(self) -> QuerySet[Idea]:
        ideas = selectors.with_support(selectors.visible_ideas(self.request.user))
        return ideas.order_by("-created_at", "-pk")

    def get_serializer_context(self) -> dict[str, Any]:
        unmask = personal_data.may_see(self.request.user)
        return {**super().get_serializer_context(), "unmask": unmask}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        ids = [row["id"] for row in response.data["results"]]
        personal_data.log_if_unmasked(user=request.user, what="API ideas", ids=ids)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        personal_data.log_if_unmasked(user=request.user, what="API idea", ids=[response.data["id"]])
        return response

    def _shown(self, idea: Idea, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=idea.pk)).data, status=code)

    @extend_schema(request=BoxIdeaSerializer, responses={201: IdeaSerializer})
    def create(self, request: Request) -> Response:
        """An idea from the suggestion box, entered by staff."""
        body = BoxIdeaSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        idea = run_service(services.submit_idea, user=request.user, **body.validated_data)
        return self._shown(idea, status.HTTP_201_CREATED)

    @extend_schema(request=AdoptSerializer, responses={201: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def adopt(self, request: Request, pk: str) -> Response:
        body = AdoptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        project = run_service(
            services.adopt, user=request.user, idea=self.get_object(), **body.validated_data
        )
        shown = selectors.with_ratings(Project.objects.filter(pk=project.pk)).get()
        return Response(ProjectSerializer(shown).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IdeaDeclineSerializer, responses=IdeaSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        body = IdeaDeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        idea = run_service(
            services.decline, user=request.user, idea=self.get_object(), **body.validated_data
        )
        return self._shown(idea)


class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ProjectSerializer
    queryset = Project.objects.none()  # names the model; get_queryset scopes
    # A project is an adopted idea: its POST actions change it.
    permission_classes = [AnonymousRequestsCounted, ChangeOnPostPermissions]
    refusable_actions = frozenset({"updates", "publish"})

    def get_queryset(self) -> QuerySet[Project]:
        projects = selectors.with_ratings(selectors.visible_projects(self.request.user))
        return projects.order_by("-adopted_at", "-pk")

    def _shown(self, project: Project) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=project.pk)).data)

    @extend_schema(request=UpdateSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def updates(self, request: Request, pk: str) -> Response:
        body = UpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        project = self.get_object()
        run_service(services.post_update, user=request.user, project=project, **body.validated_data)
        return self._shown(project)

    @extend_schema(request=ProjectPublishSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        body = ProjectPublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        project = self.get_object()
        run_service(services.publish, user=request.user, project=project, **body.validated_data)
        return self._shown(project)
