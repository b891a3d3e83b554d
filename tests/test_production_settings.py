"""With DEBUG=0 the settings are production-grade from the environment alone.

`check --deploy` finds nothing to warn about; a short or missing SECRET_KEY is
refused; HTTPS redirect, HSTS and secure cookies are on unless switched off;
DEBUG itself is off unless asked for. Each case is a fresh interpreter, since
settings are read once.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "BEHIND_"))}
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by tests/conftest.py for Playwright
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="grid.example.cn",
        VAR_DIR=str(tmp_path / "var"),
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


SHOW = """
import json, django
from django.conf import settings
django.setup()
names = ["DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
         "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
         "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS",
         "SECURE_PROXY_SSL_HEADER"]
print(json.dumps({n: getattr(settings, n, None) for n in names}))
"""


def production_settings(env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_check_deploy_has_nothing_to_say(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "key",
    [None, "", "short-key", "a" * 60, "django-insecure-" + secrets.token_urlsafe(50)],
    ids=["missing", "empty", "short", "one-character", "django-insecure"],
)
def test_a_weak_secret_key_is_refused(tmp_path, key):
    result = manage(production_env(tmp_path, SECRET_KEY=key), "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def test_production_defaults(tmp_path):
    values = production_settings(production_env(tmp_path))
    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_debug_is_off_unless_asked_for(tmp_path):
    env = production_env(tmp_path)
    del env["DEBUG"]
    assert production_settings(env)["DEBUG"] is False


def test_behind_a_proxy_and_without_the_redirect(tmp_path):
    env = production_env(
        tmp_path, BEHIND_PROXY="1", SECURE_SSL_REDIRECT="0", SECURE_HSTS_PRELOAD="0"
    )
    values = production_settings(env)
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600  # HSTS stays (sent over HTTPS only)
    assert values["SESSION_COOKIE_SECURE"] is True


def test_development_needs_no_secret_key(tmp_path):
    env = production_env(tmp_path, DEBUG="1", SECRET_KEY="")
    values = production_settings(env)
    assert values["DEBUG"] is True
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
