"""The red wartime banner on every admin and phone page of a subtree in wartime."""

from __future__ import annotations

from typing import Any

from django import template

from tasks import wartime

register = template.Library()


@register.inclusion_tag("tasks/wartime_banner.html", takes_context=True)
def wartime_banner(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"areas": []}
    return {"areas": wartime.active_for(user)}
