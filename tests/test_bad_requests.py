"""Hostile input is a 400 with a Chinese message, on the API and in the admin, never a 500.

A NUL byte (PostgreSQL text cannot hold one: a DataError), a lone surrogate
(psycopg cannot encode it) and JSON nested 100,000 deep (a RecursionError)
were server errors. They are refused in one place: common.middleware for the
path, query string, cookies and forms, common.parsers for JSON bodies. Run on
SQLite and on PostgreSQL: SQLite stores a NUL, so there the refusal is what
keeps the two databases answering alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from residents.models import Household, Visit

NUL_MESSAGE = "无法保存的字符"

API_QUERIES = [
    "/api/v1/households/?q=V%00",
    "/api/v1/households/?housing_status=V%00",
    "/api/v1/households/?V%00=1",
    "/api/v1/persons/?q=V%00",
    "/api/v1/nodes/?q=V%00",
    "/api/v1/staff/?q=V%00",
    "/api/v1/households/V%00/",
]

ADMIN_QUERIES = [
    "/admin/residents/household/?q=V%00",
    "/admin/residents/household/?housing_status=V%00",
    "/admin/residents/household/?housing_status__exact=V%00",
    "/admin/residents/person/?q=V%00",
    "/admin/grids/node/?q=V%00",
    "/admin/grids/staff/?q=V%00",
    "/admin/residents/lifeevent/add/?household=V%00",
    "/admin/autocomplete/?app_label=grids&model_name=assignment&field_name=node&term=V%00",
    "/admin/autocomplete/?app_label=grids&model_name=assignment&field_name=staff&term=V%00",
    "/admin/autocomplete/?app_label=residents&model_name=person&field_name=household&term=V%00",
    "/admin/autocomplete/?app_label=residents&model_name=household&field_name=stairwell&term=V%00",
    "/admin/residents/household/V%00/change/",
]


@pytest.fixture
def client_of(roster):
    """A client that answers a server error with its 500 page instead of raising it."""

    def login(user) -> Client:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        return client

    return login


@pytest.mark.parametrize("url", API_QUERIES)
def test_nul_in_an_api_query_is_a_400_in_chinese(client_of, alice, url):
    response = client_of(alice).get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert NUL_MESSAGE in response.json()["detail"]


@pytest.mark.parametrize("url", ADMIN_QUERIES)
def test_nul_in_an_admin_query_is_a_400_page_in_chinese(client_of, alice, url):
    response = client_of(alice).get(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert NUL_MESSAGE in page and "错误的请求" in page and "微网格治理平台" in page


def test_nul_in_the_path_or_a_cookie_is_a_400(client_of, alice):
    client = client_of(alice)
    assert client.get("/admin/V%00/").status_code == 400
    assert client.get("/api/v1/V%00/").json()["detail"].count(NUL_MESSAGE) == 1
    # http.cookies unquotes octal escapes: a session key holding NUL reached the database.
    cookie = 'sessionid="abcdefghij\\000"'
    assert client.get("/admin/", HTTP_COOKIE=cookie).status_code == 400


def test_nul_in_a_header_is_a_400(street):
    """A token holding NUL reached the database (a development server passes it on)."""
    response = Client().get("/api/v1/nodes/", HTTP_AUTHORIZATION="Token abc\x00")
    assert response.status_code == 400 and NUL_MESSAGE in response.json()["detail"]


def test_nul_in_a_posted_form_is_a_400_and_saves_nothing(client_of, alice):
    household = Household.objects.get(number="A1")
    data = {
        "household": household.pk,
        "visitor": alice.staff.pk,
        "visited_on": "2026-11-20",
        "notes": "走访\x00",
    }
    client = client_of(alice)
    response = client.post(reverse("admin:residents_visit_add"), data)
    assert response.status_code == 400 and NUL_MESSAGE in response.content.decode()
    form = "application/x-www-form-urlencoded"
    api = client.patch(f"/api/v1/households/{household.pk}/", "room=1%000", content_type=form)
    assert api.status_code == 400 and NUL_MESSAGE in api.json()["detail"]
    assert not Visit.objects.exists()
    assert Household.objects.get(pk=household.pk).room == household.room


def test_json_nested_100000_deep_is_a_400(client_of, alice):
    body = "[" * 100_000 + "]" * 100_000
    response = client_of(alice).post("/api/v1/visits/", body, content_type="application/json")
    assert response.status_code == 400
    assert "嵌套" in response.json()["detail"]


def test_json_nested_moderately_deep_is_refused_before_the_view(client_of, alice):
    value: object = "x"
    for _ in range(40):
        value = [value]
    body = json.dumps({"notes": value})
    response = client_of(alice).post("/api/v1/visits/", body, content_type="application/json")
    assert response.status_code == 400 and "嵌套" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        '{"room": "1\\u0000"}',
        '{"housing_status": "\\ud800"}',  # a choice error echoing it could not be encoded: 500
        '{"room\\u0000": "1"}',
    ],
    ids=["nul-value", "lone-surrogate", "nul-key"],
)
def test_json_strings_the_database_cannot_store_are_a_400(client_of, alice, body):
    household = Household.objects.get(number="A1")
    response = client_of(alice).patch(
        f"/api/v1/households/{household.pk}/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert NUL_MESSAGE in response.json()["detail"]


def test_malformed_json_is_a_400_in_chinese(client_of, alice):
    response = client_of(alice).post(
        "/api/v1/visits/", '{"notes": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert "不是有效的 JSON" in response.json()["detail"]
    assert "第 1 行" in response.json()["detail"]


def test_a_body_in_a_compressing_charset_is_a_400_in_chinese(client_of, alice):
    response = client_of(alice).generic(
        "POST", "/api/v1/visits/", b"{}", content_type="application/json; charset=bz2_codec"
    )
    assert response.status_code == 400 and "字符集" in response.json()["detail"]


def test_too_many_query_fields_is_a_400_in_chinese(client_of, alice):
    url = "/api/v1/households/?" + "&".join(f"f{i}=1" for i in range(1001))
    response = client_of(alice).get(url)
    assert response.status_code == 400 and "字段" in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/households/?q=" + "x" * 20_000,
        "/api/v1/households/?q=%F0%9F%98%80",
        "/api/v1/households/?q=%ED%A0%80",  # undecodable: Django replaces it with U+FFFD
        "/api/v1/households/?q=%FF",
        "/api/v1/persons/?q=" + "1" * 5000,
        "/admin/residents/household/?q=" + "x" * 20_000,
        "/admin/residents/person/?q=%F0%9F%98%80",
        "/admin/residents/household/?p=abc",
        "/admin/residents/household/?o=abc",
    ],
)
def test_huge_and_unicode_values_are_answered_not_a_server_error(client_of, alice, url):
    assert client_of(alice).get(url).status_code in (200, 400, 404)


def test_the_guard_loads_first_as_a_server_loads_it():
    """gunicorn loads the middleware before anything imports DRF: an import cycle failed a boot."""
    code = "from django.core.wsgi import get_wsgi_application; get_wsgi_application()"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
