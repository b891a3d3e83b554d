"""REST API of dispatch tasks; thin over tasks.services and tasks.selectors.

`POST /api/v1/tasks/` reports a task; `POST /api/v1/tasks/{id}/{action}/` takes
one action of tasks/pipeline.py (409 with a Chinese `detail` when the task's
status does not allow it now); `GET` lists (`?state=&overdue=1&node=&mine=1`),
a task, its log and its escalations. `GET /api/v1/inbox/` is the user's
notifications, `POST /api/v1/inbox/{id}/read/` marks one read;
`GET/POST /api/v1/tasks/{id}/attachments/` lists and adds photos and PDFs (an
action takes them too, as multipart `files`); `/api/v1/wartime/`
lists and switches wartime areas. A reporter's
phone is personal data: masked unless the user may see it (then audited).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import run_service
from config.security import AnonymousRequestsCounted
from grids import personal_data
from grids.api_query import QueryParameters, id_field, read_query
from grids.selectors import visible_nodes, visible_staff
from grids.serializers import ScopedPrimaryKeyField, scoped_id
from tasks import pipeline, selectors, services, wartime
from tasks.models import (
    Attachment,
    Category,
    Escalation,
    Notification,
    Priority,
    Rating,
    Source,
    Status,
    Task,
    WartimeArea,
)


class TaskSerializer(serializers.ModelSerializer):
    category: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    deadlines = serializers.SerializerMethodField(
        help_text="The open stage's deadline: {stage: ISO time}; empty when no clock runs."
    )
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "category",
            "source",
            "priority",
            "node",
            "household",
            "status",
            "status_label",
            "holder_node",
            "holder_staff",
            "stage",
            "due_at",
            "deadlines",
            "overdue",
            "escalation_step",
            "rework_count",
            "wartime",
            "feedback",
            "rating",
            "reporter_name",
            "reporter_phone",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_deadlines(self, task: Task) -> dict[str, str]:
        if not task.stage or task.due_at is None:
            return {}
        return {task.stage: task.due_at.isoformat()}

    def to_representation(self, instance: Task) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["reporter_phone"] = personal_data.shown_phone(
            instance.reporter_phone, full=self.context.get("unmask", False)
        )
        return data


class TaskCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.all())
    node = ScopedPrimaryKeyField(visible_nodes, pk_field=id_field())
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    # A declared field, popped from the class by DRF (mypy sees Field.source).
    source = serializers.ChoiceField(choices=Source.choices)  # type: ignore[assignment]
    description = serializers.CharField(max_length=5000, allow_blank=True, default="")
    reporter_name = serializers.CharField(max_length=50, allow_blank=True, default="")
    reporter_phone = serializers.CharField(max_length=20, allow_blank=True, default="")


class ActionSerializer(serializers.Serializer):
    """Every action's input; each reads what it needs (a missing one is a 400)."""

    note = serializers.CharField(
        max_length=5000, allow_blank=True, default="", help_text="Reason, or the feedback."
    )
    node = ScopedPrimaryKeyField(visible_nodes, pk_field=id_field(), required=False)
    staff = ScopedPrimaryKeyField(visible_staff, pk_field=id_field(), required=False)
    passed = serializers.BooleanField(required=False, allow_null=True, default=None)
    granted = serializers.BooleanField(required=False, allow_null=True, default=None)
    extension_minutes = serializers.IntegerField(
        min_value=1, max_value=60 * 24 * 90, required=False
    )
    rating = serializers.ChoiceField(choices=Rating.choices, required=False, default="")


class TaskQuery(QueryParameters):
    state = serializers.ChoiceField(choices=Status.choices, required=False)
    overdue = serializers.BooleanField(required=False)
    mine = serializers.BooleanField(required=False, help_text="Only tasks you or your unit hold.")
    node = scoped_id(visible_nodes, "Only tasks about this node's subtree.")


class TaskEventSerializer(serializers.Serializer):
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    user = serializers.SerializerMethodField()
    at = serializers.DateTimeField()
    note = serializers.CharField()

    def get_user(self, event: Any) -> str | None:
        user = event.user
        return None if user is None else user.get_full_name() or user.get_username()


class EscalationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Escalation
        fields = ["stage", "level", "node", "due_at", "escalated_at"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where the file is served (scoped).")

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "event", "uploaded_at", "url"]
        read_only_fields = fields

    def get_url(self, attachment: Attachment) -> str:
        return reverse("phone:attachment", args=[attachment.pk])


class FilesSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(), help_text="Photos (JPEG, PNG, WebP) or PDFs."
    )


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TaskSerializer
    # Names the model for the permissions and the schema; get_queryset scopes.
    queryset = Task.objects.none()
    # The life cycle's actions answer 409 when the task's status does not allow them now.
    refusable_actions = frozenset(f"act_{name}" for name in pipeline.ACTIONS)

    def get_queryset(self) -> QuerySet[Task]:
        user = self.request.user
        qs = selectors.visible_tasks(user)
        if self.action == "list":
            params = read_query(self.request, TaskQuery)
            if params.get("mine"):
                qs = selectors.my_tasks(user)
            if "state" in params:
                qs = qs.filter(status=params["state"])
            if params.get("overdue"):
                qs = selectors.overdue(qs)
            if "node" in params:
                qs = selectors.in_subtree(qs, params["node"])
        return qs.select_related("category").order_by("due_at", "-pk")

    def get_serializer_context(self) -> dict[str, Any]:
        unmask = personal_data.may_see(self.request.user)
        return {**super().get_serializer_context(), "unmask": unmask}

    def _audited(self, response: Response, ids: list[int]) -> Response:
        personal_data.log_if_unmasked(user=self.request.user, what="API task list", ids=ids)
        return response

    @extend_schema(parameters=[TaskQuery])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        return self._audited(response, [row["id"] for row in response.data["results"]])

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        return self._audited(response, [response.data["id"]])

    @extend_schema(request=TaskCreateSerializer, responses={201: TaskSerializer})
    def create(self, request: Request) -> Response:
        body = TaskCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        task = run_service(
            services.create_task,
            user=request.user,
            files=request.FILES.getlist("files"),
            **body.validated_data,
        )
        return Response(self.get_serializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=TaskEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def log(self, request: Request, pk: str) -> Response:
        events = self.get_object().events.select_related("user")
        return Response(TaskEventSerializer(events, many=True).data)

    @extend_schema(responses=EscalationSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def escalations(self, request: Request, pk: str) -> Response:
        return Response(EscalationSerializer(self.get_object().escalations.all(), many=True).data)

    @extend_schema(
        methods=["post"], request=FilesSerializer, responses={201: AttachmentSerializer(many=True)}
    )
    @extend_schema(methods=["get"], responses=AttachmentSerializer(many=True))
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def attachments(self, request: Request, pk: str) -> Response:
        """The task's photos and PDFs; `POST` multipart `files` adds some (all or none)."""
        task = self.get_object()
        if request.method == "GET":
            return Response(AttachmentSerializer(task.attachments.all(), many=True).data)
        added = run_service(
            services.add_attachments,
            user=request.user,
            task=task,
            files=request.FILES.getlist("files"),
        )
        return Response(AttachmentSerializer(added, many=True).data, status=status.HTTP_201_CREATED)

    def _act(self, request: Request, name: str) -> Response:
        task = self.get_object()
        body = ActionSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        given = dict(body.validated_data)
        minutes = given.pop("extension_minutes", None)
        task = run_service(
            services.act,
            user=request.user,
            task=task,
            action=name,
            extension=datetime.timedelta(minutes=minutes) if minutes else None,
            files=request.FILES.getlist("files"),
            **given,
        )
        return Response(self.get_serializer(task).data)


def _action_view(name: str) -> Any:
    @extend_schema(
        request=ActionSerializer, responses={200: TaskSerializer}, operation_id=f"tasks_{name}"
    )
    def view(self: TaskViewSet, request: Request, pk: str) -> Response:
        return self._act(request, name)

    view.__name__ = f"act_{name}"
    view.__doc__ = f"The {name} action of the task's life cycle (409 when not allowed now)."
    return action(detail=True, methods=["post"], url_path=name, url_name=name)(view)


# One endpoint per action of the pipeline, each in the schema.
for _name in pipeline.ACTIONS:
    setattr(TaskViewSet, f"act_{_name}", _action_view(_name))


class NotificationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    task_title = serializers.CharField(source="task.title", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "task", "task_title", "kind", "kind_label", "created_at", "read_at"]
        read_only_fields = fields


class InboxViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The user's own notifications, newest first."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()
    # Everyone's own: no model permission to hold.
    permission_classes = [AnonymousRequestsCounted, IsAuthenticated]

    def get_queryset(self) -> QuerySet[Notification]:
        return selectors.inbox(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        notification = services.mark_read(notification=self.get_object())
        return Response(self.get_serializer(notification).data)


class WartimeAreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = WartimeArea
        fields = ["id", "node", "reason", "started_at", "applied_to_open", "ended_at"]
        read_only_fields = fields


class WartimeSwitchSerializer(serializers.Serializer):
    node = ScopedPrimaryKeyField(visible_nodes, pk_field=id_field())
    on = serializers.BooleanField()
    reason = serializers.CharField(max_length=200, allow_blank=True, default="")
    apply_to_open = serializers.BooleanField(default=False)


class WartimeView(APIView):
    """`GET`: the wartime areas on, above or below the user's units. `POST`: switch a
    subtree to wartime (`on: true`, with a reason) or back (a street official or
    community secretary over it)."""

    permission_classes = [AnonymousRequestsCounted, IsAuthenticated]
    queryset = WartimeArea.objects.none()  # names the model, for the schema's tag

    @extend_schema(responses=WartimeAreaSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(WartimeAreaSerializer(wartime.active_for(request.user), many=True).data)

    @extend_schema(request=WartimeSwitchSerializer, responses=WartimeAreaSerializer)
    def post(self, request: Request) -> Response:
        body = WartimeSwitchSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        given = body.validated_data
        if given["on"]:
            area = run_service(
                wartime.switch_on,
                user=request.user,
                node=given["node"],
                reason=given["reason"],
                apply_to_open=given["apply_to_open"],
            )
        else:
            area = run_service(wartime.switch_off, user=request.user, node=given["node"])
        return Response(WartimeAreaSerializer(area).data)
