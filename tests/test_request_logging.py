"""A refusal (4xx) is logged as one line; a server error keeps its traceback."""

import logging

import pytest
from django.test import Client
from django.urls import path

from config.urls import urlpatterns as site_urls


def broken(request):
    raise RuntimeError("something really broke")


urlpatterns = [*site_urls, path("broken/", broken)]


def request_records(caplog):
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_permission_denied_in_the_admin_is_one_line(admin_as, dave, caplog):
    client = admin_as(dave)  # staff, no permission on nodes
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/admin/grids/node/")
    assert response.status_code == 403
    (record,) = request_records(caplog)
    assert record.status_code == 403
    assert "Forbidden" in record.getMessage()
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


def test_an_api_refusal_is_one_line(caplog, db):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = Client().get("/api/v1/nodes/")
    assert response.status_code in (401, 403)
    assert "Traceback" not in caplog.text


@pytest.mark.urls(__name__)
def test_a_server_error_keeps_its_traceback(caplog, db):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/broken/")
    assert response.status_code == 500
    (record,) = request_records(caplog)
    assert record.exc_info is not None
    assert "something really broke" in caplog.text
    assert "Traceback" in caplog.text
