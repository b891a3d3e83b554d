"""Security plumbing named by config/settings.py (README, "Security").

- `NoStoreApiMiddleware`: every /api/ answer carries personal data or may, so
  no browser or proxy keeps a copy (`Cache-Control: no-store`).
- `locked_out`: django-axes' answer once a username has failed too often from
  one address: a Chinese page in the admin's layout, 429.
- `client_ip`: the address axes counts failures by; behind a proxy
  (`BEHIND_PROXY=1`) the one the proxy saw, as DRF's throttles read it.
- `AnonRateThrottle`, `UserRateThrottle`, `AnonymousRequestsCounted`: DRF's
  throttles reading their rates when they run (so `override_settings` works),
  and anonymous requests counted before the permission check refuses them
  (DRF checks permissions first, so the API's anonymous requests, refused,
  would otherwise never be counted).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework import exceptions, throttling
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings


class NoStoreApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind one proxy the last X-Forwarded-For entry.

    The last entry is the one the proxy itself appended; anything before it
    came from the client and proves nothing.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.BEHIND_PROXY and forwarded:
        return forwarded.split(",")[-1].strip()
    remote: str | None = request.META.get("REMOTE_ADDR")
    return remote


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page axes shows instead of logging in (AXES_LOCKOUT_CALLABLE)."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    context = {
        **admin.site.each_context(request),
        "title": _("Account locked"),
        "is_nav_sidebar_enabled": False,  # nobody is logged in: no menu
        "minutes": minutes,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "contact": settings.LOGIN_LOCKOUT_CONTACT,
    }
    response = render(request, "locked_out.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


class _RatesAtRunTime:
    """DRF reads DEFAULT_THROTTLE_RATES once, at import; these read them per request."""

    def get_rate(self) -> str | None:
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        rate: str | None = rates.get(getattr(self, "scope", ""))
        return rate


class UserRateThrottle(_RatesAtRunTime, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_RatesAtRunTime, throttling.AnonRateThrottle):
    """Counts an anonymous request once, though it is asked twice (permission, then throttle)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        verdict: bool | None = getattr(request, "_anonymous_throttle_verdict", None)
        if verdict is None:
            verdict = super().allow_request(request, view)
            request._anonymous_throttle_verdict = verdict  # type: ignore[attr-defined]
        return verdict


class AnonymousRequestsCounted(BasePermission):
    """First of DEFAULT_PERMISSION_CLASSES: an anonymous request past the rate is a 429."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        throttle = AnonRateThrottle()
        if not throttle.allow_request(request, view):
            raise exceptions.Throttled(wait=throttle.wait())
        return True
