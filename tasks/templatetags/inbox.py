"""The inbox link with the unread count, in the admin's header (one indexed count)."""

from __future__ import annotations

from typing import Any

from django import template

from tasks import selectors

register = template.Library()


@register.inclusion_tag("tasks/inbox_link.html", takes_context=True)
def inbox_link(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {"shown": False}
    return {"shown": True, "unread": selectors.unread_count(user)}
