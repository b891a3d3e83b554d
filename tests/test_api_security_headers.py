"""Every /api/ answer is `Cache-Control: no-store`; the schema and Swagger UI are for
logged-in users only; pages carry the Content-Security-Policy."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient


@pytest.mark.parametrize(
    "path",
    ["/api/v1/persons/", "/api/v1/households/", "/api/v1/nodes/", "/api/v1/coverage/", "/api/v1/"],
)
def test_api_answers_are_not_stored(api_as, alice, roster, path):
    response = api_as(alice).get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_api_refusals_and_errors_are_not_stored_either(api_as, alice, db):
    assert APIClient().get("/api/v1/persons/")["Cache-Control"] == "no-store"
    missing = api_as(alice).get("/api/v1/persons/999999/")
    assert missing.status_code == 404
    assert missing["Cache-Control"] == "no-store"
    bad = api_as(alice).post("/api/v1/visits/", {}, format="json")
    assert bad.status_code in (400, 403)
    assert bad["Cache-Control"] == "no-store"


def test_a_person_in_the_browsable_api_is_not_stored(admin_as, alice, roster):
    from residents.models import Person

    person = Person.objects.filter(household__community__name__contains="和达城").first() or (
        Person.objects.first()
    )
    response = admin_as(alice).get(f"/api/v1/persons/{person.pk}/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_the_schema_refuses_anonymous_users(db):
    response = APIClient().get("/api/schema/")
    assert response.status_code in (401, 403)
    assert b"/api/v1/persons/" not in response.content
    assert response["Cache-Control"] == "no-store"


def test_swagger_ui_sends_anonymous_users_to_the_login(db):
    for path in ("/api/docs/", "/api/docs/?script="):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")


def test_swagger_ui_for_a_user_has_no_inline_script(admin_as, alice):
    client = admin_as(alice)
    page = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts and all("src=" in tag for tag in scripts)
    start = client.get("/api/docs/?script=")
    assert start.status_code == 200
    assert start["Content-Type"].startswith("application/javascript")
    assert client.get("/api/schema/").status_code == 200


def test_pages_carry_the_content_security_policy(client, db):
    policy = client.get("/admin/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
