"""Reads of tasks, scoped: a user sees the tasks about nodes of their jurisdiction and
the ones held by them."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from grids.jurisdiction import scope_for, within
from grids.models import Assignment, Node
from tasks.models import FINISHED, Attachment, Notification, Task


def visible_tasks(user: Any) -> QuerySet[Task]:
    return Task.objects.filter(scope_for(user).q("node__") | Q(holder_staff__user=user))


def visible_attachments(user: Any) -> QuerySet[Attachment]:
    return Attachment.objects.filter(task__in=visible_tasks(user))


def my_tasks(user: Any) -> QuerySet[Task]:
    """Open tasks held by the user, their units' teams, or escalated to their units."""
    units = Assignment.objects.current().filter(staff__user=user).values("node_id")
    return (
        visible_tasks(user)
        .exclude(status__in=FINISHED)
        .filter(
            Q(holder_staff__user=user)
            | Q(holder_node__in=units)
            # Once escalated to them, theirs to act on too (services.holding_nodes).
            | Q(escalations__node__in=units)
        )
        .distinct()
    )


def in_subtree(tasks: QuerySet[Task], node: Node) -> QuerySet[Task]:
    return tasks.filter(within(node, "node__"))


def overdue(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return tasks.filter(due_at__lt=timezone.now()).exclude(status__in=FINISHED)


def inbox(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).select_related("task")


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def open_counts(user: Any) -> dict[str, int]:
    """The user's open tasks, those due within a day and the overdue: one query."""
    now = timezone.now()
    tomorrow = now + datetime.timedelta(days=1)
    return (
        visible_tasks(user)
        .exclude(status__in=FINISHED)
        .aggregate(
            open=Count("pk"),
            soon=Count("pk", filter=Q(due_at__gte=now, due_at__lt=tomorrow)),
            late=Count("pk", filter=Q(due_at__lt=now)),
        )
    )
