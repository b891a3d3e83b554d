"""A refusal is one WARNING line on the console, no traceback; a server error keeps both.

The console handler is the one runserver and gunicorn print through (LOGGING's
"console"); its output is read here by pointing it at a buffer. DEBUG is on as
under `make run`, where Django's own console handler used to print every line twice.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import path

from common.log_filters import RefusalsAsOneLine
from config.urls import urlpatterns as site_urls


def broken(request):
    raise RuntimeError("something really broke")


urlpatterns = [*site_urls, path("broken/", broken)]


@pytest.fixture
def console(settings) -> Iterator[io.StringIO]:
    settings.DEBUG = True
    (handler,) = [
        h
        for h in logging.getLogger().handlers
        if h.name == "console" and isinstance(h, logging.StreamHandler)
    ]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def request_lines(buffer: io.StringIO) -> list[str]:
    # django-axes reports the test client's log-in on the same console
    return [line for line in buffer.getvalue().splitlines() if not line.startswith("AXES")]


def test_a_403_is_one_warning_line_without_traceback(admin_as, dave, console, caplog):
    client = admin_as(dave)  # staff without a role: the roster's lists refuse him
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client.get("/admin/residents/household/")
    assert response.status_code == 403
    assert request_lines(console) == ["Forbidden (Permission denied): /admin/residents/household/"]
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


def test_a_refused_host_is_one_warning_line_not_an_error(db, console):
    response = Client(raise_request_exception=False).get("/admin/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    (line,) = request_lines(console)
    assert "Invalid HTTP_HOST header: 'evil.example'" in line
    assert "Traceback" not in console.getvalue()


def test_the_filter_makes_a_suspicious_requests_error_a_warning_and_keeps_a_5xx():
    def record(status: int) -> logging.LogRecord:
        try:
            raise ValueError("refused")
        except ValueError:
            exc_info = sys.exc_info()
        entry = logging.LogRecord("django.security.X", logging.ERROR, "", 0, "x", (), exc_info)
        entry.status_code = status
        return entry

    refused, failed = record(400), record(500)
    assert RefusalsAsOneLine().filter(refused) and RefusalsAsOneLine().filter(failed)
    assert (refused.levelname, refused.exc_info) == ("WARNING", None)
    assert failed.levelname == "ERROR" and failed.exc_info is not None


@pytest.mark.urls(__name__)
def test_a_server_error_keeps_its_traceback_and_level(db, console):
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    output = console.getvalue()
    assert "Internal Server Error: /broken/" in output
    assert "Traceback" in output and "something really broke" in output
    assert output.count("Internal Server Error: /broken/") == 1
