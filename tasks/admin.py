"""Dispatch tasks in the browser, for dispatchers: the list with its filters, a report
form, the task's page with its timeline and one button per action the user may take
now, and the categories and working-time calendars. Thin over tasks.services."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import correction_message, files_field
from grids import personal_data
from grids.admin.filters import SubtreeFilter
from grids.admin.mixins import OfferedLookupsMixin
from grids.models import Level, Node, Staff
from grids.selectors import visible_nodes, visible_staff
from tasks import pipeline, selectors, services, wartime
from tasks.models import (
    FINISHED,
    Attachment,
    Calendar,
    CalendarDay,
    Category,
    Escalation,
    Priority,
    Rating,
    Source,
    StageLimit,
    Task,
    WartimeArea,
)


class StageLimitInline(admin.TabularInline):
    model = StageLimit
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "default_priority", "repeat_minutes", "street_reminders"]
    search_fields = ["name", "code"]
    inlines = [StageLimitInline]


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 3


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    """The national default (no street) and the streets' own; a street's days override the
    default's. Next year's holidays are rows added here, no code."""

    list_display = ["name", "street", "periods"]
    inlines = [CalendarDayInline]
    fields = [
        "name",
        "street",
        "periods",
        "wartime_acknowledge_minutes",
        "wartime_arrive_minutes",
        "wartime_handle_minutes",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Calendar]:
        streets = visible_nodes(request.user).filter(level=Level.STREET)
        return Calendar.objects.filter(Q(street__isnull=True) | Q(street__in=streets))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "street":
            kwargs["queryset"] = visible_nodes(request.user).filter(level=Level.STREET)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The national default is everyone's: only a superuser changes it.
        if obj is not None and obj.street_id is None and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj) and super().has_delete_permission(
            request, obj
        )


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("Overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return selectors.overdue(queryset) if self.value() == "1" else queryset


class EscalatedFilter(admin.SimpleListFilter):
    title = _("escalated")
    parameter_name = "escalated"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("Escalated"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() != "1":
            return queryset
        return queryset.filter(Exists(Escalation.objects.filter(task=OuterRef("pk"))))


class ReportForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    category = forms.ModelChoiceField(label=_("category"), queryset=Category.objects.all())
    node = forms.ModelChoiceField(label=_("about"), queryset=Node.objects.none())
    source = forms.ChoiceField(label=_("source"), choices=Source.choices)
    priority = forms.ChoiceField(
        label=_("priority"),
        choices=[("", _("the category's default")), *Priority.choices],
        required=False,
    )
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea)
    reporter_name = forms.CharField(label=_("reporter's name"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("reporter's phone"), max_length=20, required=False)
    # A declared field: the metaclass moves it into base_fields, clear of BaseForm.files.
    files = files_field(_("photos or PDFs"))  # type: ignore[assignment]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["node"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = visible_nodes(user).order_by("tree_id", "lft")


class ActionForm(forms.Form):
    """What any action may need; the service says which one is missing."""

    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    node = forms.ModelChoiceField(
        label=_("to the unit"), queryset=Node.objects.none(), required=False
    )
    staff = forms.ModelChoiceField(label=_("or to"), queryset=Staff.objects.none(), required=False)
    passed = forms.NullBooleanField(label=_("check passed"), required=False)
    granted = forms.NullBooleanField(label=_("extension granted"), required=False)
    extension_hours = forms.IntegerField(
        label=_("more hours"), min_value=1, max_value=2000, required=False
    )
    rating = forms.ChoiceField(
        label=_("rating"), choices=[("", "–"), *Rating.choices], required=False
    )
    files = files_field(_("photos or PDFs"))  # type: ignore[assignment]  # as in ReportForm

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        node, staff = self.fields["node"], self.fields["staff"]
        assert isinstance(node, forms.ModelChoiceField)
        assert isinstance(staff, forms.ModelChoiceField)
        node.queryset = visible_nodes(user).order_by("tree_id", "lft")
        staff.queryset = visible_staff(user).order_by("name")


INBOX_SHOWN = 100


@admin.register(Task)
class TaskAdmin(OfferedLookupsMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "category",
        "status",
        "priority",
        "unit",
        "holder",
        "due_at",
        "overdue_mark",
    ]
    list_filter = [
        "status",
        "category",
        "priority",
        "source",
        OverdueFilter,
        EscalatedFilter,
        "wartime",
        SubtreeFilter,
    ]
    list_select_related = ["category", "node", "holder_node", "holder_staff"]
    search_fields = ["title"]
    ordering = ["due_at", "-pk"]
    show_full_result_count = False
    actions = None
    # What the add page (ReportForm) asks for, and all Django's own form machinery offers.
    fields = [
        "title",
        "category",
        "node",
        "source",
        "priority",
        "description",
        "reporter_name",
        "reporter_phone",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Task]:
        return selectors.visible_tasks(request.user).order_by(*self.ordering)

    @admin.display(description=_("about"))
    def unit(self, obj: Task) -> str:
        return obj.node.display_name

    @admin.display(description=_("held by"))
    def holder(self, obj: Task) -> str:
        if obj.holder_staff is not None:
            return obj.holder_staff.name
        return obj.holder_node.display_name if obj.holder_node else "–"

    @admin.display(description=_("overdue"), boolean=True)
    def overdue_mark(self, obj: Task) -> bool:
        return obj.status not in FINISHED and obj.overdue

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # changed only by the actions of the task's page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a task is cancelled, never deleted

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("inbox/", view(self.inbox_view), name="tasks_inbox"),
            path(
                "inbox/<int:notification_id>/read/",
                view(self.read_view),
                name="tasks_inbox_read",
            ),
            path(
                "<int:task_id>/act/<str:action_name>/",
                view(self.act_view),
                name="tasks_task_act",
            ),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, **context: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **context}

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ReportForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                task = services.create_task(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, _("The task was reported."), messages.SUCCESS)
                return redirect("admin:tasks_task_change", task.pk)
        context = self._context(request, title=_("Report a task"), form=form)
        return TemplateResponse(request, "admin/tasks/task/add.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """The task's page: its fields, its timeline and the buttons the user may press."""
        if not self.has_view_permission(request) or not object_id.isdigit():
            raise Http404
        task = get_object_or_404(
            self.get_queryset(request).select_related(
                "category", "node", "holder_node", "holder_staff", "created_by"
            ),
            pk=int(object_id),
        )
        full = personal_data.may_see(request.user)
        context = self._context(
            request,
            title=task.title,
            task=task,
            reporter_phone=personal_data.shown_phone(task.reporter_phone, full=full),
            timeline=timeline(task),
            actions=[
                (name, services.ACTION_LABELS[name], pipeline.PIPELINE[name])
                for name in services.allowed_actions(request.user, task)
            ],
            form=ActionForm(user=request.user),
        )
        if task.reporter_phone:
            personal_data.log_if_unmasked(user=request.user, what="task", ids=[task.pk])
        return TemplateResponse(request, "admin/tasks/task/detail.html", context)

    def inbox_view(self, request: HttpRequest) -> HttpResponse:
        """The user's own notifications, newest first; opening one marks it read."""
        notifications = selectors.inbox(request.user)[:INBOX_SHOWN]
        context = self._context(request, title=_("Inbox"), notifications=notifications)
        return TemplateResponse(request, "admin/tasks/task/inbox.html", context)

    def read_view(self, request: HttpRequest, notification_id: int) -> HttpResponse:
        notification = get_object_or_404(selectors.inbox(request.user), pk=notification_id)
        if request.method != "POST":
            return redirect("admin:tasks_inbox")
        services.mark_read(notification=notification)
        return redirect("admin:tasks_task_change", notification.task_id)

    def act_view(self, request: HttpRequest, task_id: int, action_name: str) -> HttpResponse:
        task = get_object_or_404(self.get_queryset(request), pk=task_id)
        if request.method != "POST":
            return redirect("admin:tasks_task_change", task.pk)
        if action_name not in pipeline.PIPELINE:
            raise Http404
        form = ActionForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            # The page is shown again by a redirect: the message names each field's error.
            self.message_user(request, correction_message(form), messages.ERROR)
            return redirect("admin:tasks_task_change", task.pk)
        given = dict(form.cleaned_data)
        hours = given.pop("extension_hours")
        try:
            services.act(
                user=request.user,
                task=task,
                action=action_name,
                extension=datetime.timedelta(hours=hours) if hours else None,
                **given,
            )
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
        except PermissionDenied as refused:
            self.message_user(request, str(refused), messages.ERROR)
        else:
            self.message_user(
                request,
                _("Done: %(action)s.") % {"action": services.ACTION_LABELS[action_name]},
                messages.SUCCESS,
            )
        return redirect("admin:tasks_task_change", task.pk)


TimelineRow = tuple[datetime.datetime, str, str, str, list[Attachment]]


def timeline(task: Task) -> list[TimelineRow]:
    """(when, what, who, note, files): the transitions with the files that came with them,
    the escalations, and files added on their own; oldest first."""
    rows: list[TimelineRow] = [
        (
            event.at,
            f"{event.get_from_status_display() or '–'} → {event.get_to_status_display()}",
            str(event.user or ""),
            event.note,
            list(event.attachments.all()),
        )
        for event in task.events.select_related("user").prefetch_related("attachments")
    ]
    rows += [
        (
            step.escalated_at,
            str(_("Escalated to %(unit)s (%(stage)s overdue)"))
            % {"unit": step.node.display_name, "stage": step.get_stage_display()},
            "",
            "",
            [],
        )
        for step in task.escalations.select_related("node")
    ]
    rows += [
        (file.uploaded_at, str(_("File added")), str(file.uploaded_by), "", [file])
        for file in task.attachments.filter(event=None).select_related("uploaded_by")
    ]
    return sorted(rows, key=lambda row: row[0] or timezone.now())


class WartimeForm(forms.Form):
    node = forms.ModelChoiceField(label=_("unit"), queryset=Node.objects.none())
    reason = forms.CharField(label=_("reason"), max_length=200)
    apply_to_open = forms.BooleanField(
        label=_("apply the wartime standard to open tasks too"), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["node"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            visible_nodes(user).filter(level__lte=Level.GRID).order_by("tree_id", "lft")
        )


@admin.register(WartimeArea)
class WartimeAreaAdmin(admin.ModelAdmin):
    """平战转换: the switches, newest first; adding one declares wartime, the action ends it."""

    list_display = ["node", "reason", "started_at", "started_by", "ended_at", "ended_by"]
    list_select_related = ["node", "started_by", "ended_by"]
    fields = ["node", "reason", "applied_to_open"]
    actions = ["end_wartime"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WartimeArea]:
        return WartimeArea.objects.filter(node__in=visible_nodes(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_authenticated and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the log of switches is kept

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        form = WartimeForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                wartime.switch_on(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            except PermissionDenied as refused:
                form.add_error(None, str(refused))
            else:
                self.message_user(request, _("Wartime is declared."), messages.WARNING)
                return redirect("admin:tasks_wartimearea_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Declare wartime"),
            "form": form,
        }
        return TemplateResponse(request, "admin/tasks/task/add.html", context)

    @admin.action(description=_("Back to peacetime"))
    def end_wartime(self, request: HttpRequest, queryset: QuerySet[WartimeArea]) -> None:
        for area in queryset.filter(ended_at__isnull=True).select_related("node"):
            try:
                wartime.switch_off(user=request.user, node=area.node)
            except (ValidationError, PermissionDenied) as refused:
                self.message_user(request, f"{area.node}: {refused}", messages.ERROR)
