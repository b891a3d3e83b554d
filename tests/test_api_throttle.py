"""DRF throttling: per user and, for anonymous requests, per address; a 429 in Chinese
with Retry-After past the rate. The rates come from API_THROTTLE_USER / _ANON."""

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient


@pytest.fixture
def tiny_rates():
    rates = {"anon": "3/min", "user": "5/min"}
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        yield


def assert_throttled(response):
    assert response.status_code == 429
    detail = response.json()["detail"]
    assert "限流" in detail and "秒" in detail, detail
    assert int(response["Retry-After"]) > 0


def test_a_user_past_the_rate_is_told_to_wait_in_chinese(tiny_rates, api_as, alice, bob):
    client = api_as(alice)
    for _ in range(5):
        assert client.get("/api/v1/nodes/").status_code == 200
    assert_throttled(client.get("/api/v1/nodes/"))
    assert_throttled(client.get("/api/v1/households/"))  # one count for the whole API
    # the count is alice's, not everyone's
    assert api_as(bob).get("/api/v1/nodes/").status_code == 200


def test_anonymous_requests_are_counted_though_refused(tiny_rates, db):
    client = APIClient()
    for _ in range(3):
        assert client.get("/api/v1/nodes/").status_code in (401, 403)
    assert_throttled(client.get("/api/v1/nodes/"))
    # per address
    assert APIClient(REMOTE_ADDR="10.0.0.7").get("/api/v1/nodes/").status_code in (401, 403)


def test_the_default_rates_are_generous_for_users_and_tight_for_anonymous():
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates == {"anon": "60/min", "user": "1200/min"}


SET = "from django.core.cache import cache; cache.set({key!r}, 'counted', 60)"
GET = "from django.core.cache import cache; print(cache.get({key!r}))"


def test_with_redis_every_process_sees_the_same_counts():
    """gunicorn's workers throttle together: the configured cache is Redis when there is one."""
    if not settings.CACHE_URL:
        pytest.skip("no Redis configured: each process counts in its own memory")
    key = f"test-shared-{uuid.uuid4()}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}

    def run(code: str) -> str:
        script = f"import django; django.setup(); {code}"
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    backend = run("from django.conf import settings; print(settings.CACHES['default']['BACKEND'])")
    assert backend == "django.core.cache.backends.redis.RedisCache"
    run(SET.format(key=key))
    assert run(GET.format(key=key)) == "counted"
