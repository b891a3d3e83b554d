"""A rate for the public forms, per client address, in the shared cache: no login
means anyone can post, so each address may post only so often."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from config.security import client_ip


def allowed(request: HttpRequest, scope: str) -> bool:
    """Count this post; False once the address has posted PUBLIC_POSTS_PER_HOUR this hour."""
    hour = int(time.time() // 3600)
    key = f"public-posts:{scope}:{client_ip(request) or 'unknown'}:{hour}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count <= settings.PUBLIC_POSTS_PER_HOUR
