"""Telling people about a task: a row in each one's inbox, and the same news to the
outside channels (group robots, SMS) of the unit it concerns, through outbox. The
outside text is written in the platform's language and names no personal data."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grids.models import Level, Node, Staff
from outbox import services as outbox
from tasks.models import Notification, Task


def notify(task: Task, kind: str, users: Iterable[int], *, node: Node) -> None:
    """Tell `users` in the app, and `node`'s outside channels (SMS to those users)."""
    told = set(users)
    Notification.objects.bulk_create(
        [Notification(user_id=pk, task=task, kind=kind) for pk in told]
    )
    phones = (
        Staff.objects.filter(user_id__in=told).exclude(phone="").values_list("phone", flat=True)
        if told
        else []
    )
    outbox.tell(node=node, text=outside_text(task, kind), phones=phones)


def dispatching_unit(task: Task) -> Node:
    """The unit of the dispatchers: the community over the task's node (or the node,
    when it is above the communities)."""
    if task.node.level <= Level.COMMUNITY:
        return task.node
    return task.node.get_ancestors().get(level=Level.COMMUNITY)


def outside_text(task: Task, kind: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        headings: dict[str, str] = {
            Notification.Kind.DISPATCHED: _("New task"),
            Notification.Kind.ESCALATED: _("Overdue, escalated"),
            Notification.Kind.RETURNED: _("Returned"),
            Notification.Kind.VERIFY: _("Handled, to verify"),
            Notification.Kind.EXTENSION: _("Extension asked"),
        }
        parts = [f"【{headings[kind]}】{task.title}", task.node.display_name]
        if task.due_at is not None:
            due = timezone.localtime(task.due_at).strftime("%m-%d %H:%M")
            parts.append(_("due %(when)s") % {"when": due})
        if settings.SITE_URL:
            parts.append(f"{settings.SITE_URL}/m/tasks/{task.pk}/")
    return " · ".join(parts)
