"""The phone pages (/m/) for the people who hold tasks: stairwell teams, micro-grid and
grid staff. My tasks by deadline with a countdown, a task with big buttons for what the
user may do now, and the inbox. Plain forms, no build step; thin over tasks.services."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common import files
from tasks import pipeline, selectors, services
from tasks.models import FINISHED

# The holder's buttons on the phone, in the order of the work.
PHONE_ACTIONS = ("acknowledge", "arrive", "handle", "return", "extend")
MY_TASKS_SHOWN = 100


def _unread(request: HttpRequest) -> int:
    return selectors.unread_count(request.user)


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    tasks = (
        selectors.my_tasks(request.user)
        .select_related("category", "node", "holder_node")
        .order_by("due_at", "pk")[:MY_TASKS_SHOWN]
    )
    return render(
        request, "tasks/phone/my_tasks.html", {"tasks": tasks, "unread": _unread(request)}
    )


@login_required
def task_page(request: HttpRequest, task_id: int) -> HttpResponse:
    task = get_object_or_404(
        selectors.visible_tasks(request.user).select_related("category", "node", "holder_node"),
        pk=task_id,
    )
    allowed = set(services.allowed_actions(request.user, task))
    buttons = [
        (name, services.ACTION_LABELS[name], pipeline.PIPELINE[name].needs_note)
        for name in PHONE_ACTIONS
        if name in allowed
    ]
    context = {
        "task": task,
        "files": task.attachments.all(),
        "buttons": buttons,
        "finished": task.status in FINISHED,
        "unread": _unread(request),
    }
    return render(request, "tasks/phone/task.html", context)


@login_required
@require_POST
def act(request: HttpRequest, task_id: int, action_name: str) -> HttpResponse:
    task = get_object_or_404(selectors.visible_tasks(request.user), pk=task_id)
    if action_name not in PHONE_ACTIONS:
        raise Http404
    hours = request.POST.get("extension_hours", "")
    given: dict[str, Any] = {
        "note": request.POST.get("note", ""),
        "files": request.FILES.getlist("photos"),
    }
    if action_name == "extend":
        given["extension"] = (
            datetime.timedelta(hours=int(hours))
            if hours.isdigit() and 0 < int(hours) < 2000
            else None
        )
    try:
        services.act(user=request.user, task=task, action=action_name, **given)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    except PermissionDenied as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request, _("Done: %(action)s.") % {"action": services.ACTION_LABELS[action_name]}
        )
    return redirect("phone:task", task.pk)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = selectors.inbox(request.user)[:100]
    return render(
        request,
        "tasks/phone/inbox.html",
        {"notifications": notifications, "unread": _unread(request)},
    )


@login_required
@require_POST
def read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = get_object_or_404(selectors.inbox(request.user), pk=notification_id)
    services.mark_read(notification=notification)
    return redirect("phone:task", notification.task_id)


@login_required
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """A task's photo or PDF, to a user who may see the task (the phone's and the admin's
    pages link here; nothing under MEDIA_ROOT has a public URL)."""
    return files.serve(
        get_object_or_404(selectors.visible_attachments(request.user), pk=attachment_id)
    )
