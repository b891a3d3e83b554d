"""Widgets and initial values name nothing outside the jurisdiction (issue 8, item 5).

`/admin/residents/lifeevent/add/?person=<any id>` printed that person's name through
the raw-id widget; with sequential ids every name of the street could be listed.
The walk below opens every registered admin's add form with each of its foreign keys
(and many-to-many fields) set, through the query string, to an object the user may
not see, and looks for that object's name in the page.
"""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape

from grids.admin.mixins import ScopedRawIdWidget
from grids.models import Staff
from residents.admin.events import LifeEventAdmin
from residents.models import LifeEvent, Person

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def add_url(model: type[Model]) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


def as_request(user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


def visible(model: type[Model], user: Any) -> QuerySet[Any]:
    """What `user` may see of `model` through the admin: nothing without a view permission."""
    model_admin = admin.site._registry.get(model)
    request = as_request(user)
    if model_admin is None or not model_admin.has_view_or_change_permission(request):
        return model._default_manager.none()
    return model_admin.get_queryset(request)


def outside(db_field: Any, user: Any) -> list[Model]:
    """The first and the last object the field could hold (limit_choices_to: e.g. only
    stairwells) that `user` may not see."""
    model = db_field.related_model
    hidden = model._default_manager.complex_filter(db_field.get_limit_choices_to()).exclude(
        pk__in=visible(model, user).values("pk")
    )
    return [obj for obj in (hidden.order_by("pk").first(), hidden.order_by("-pk").first()) if obj]


def add_form_relations(model: type[Model], user: Any) -> dict[str, Any]:
    """The add form's fields that choose objects, with their model fields."""
    model_admin = admin.site._registry[model]
    form = model_admin.get_form(as_request(user), None, change=False)
    return {
        name: model._meta.get_field(name)
        for name, field in form.base_fields.items()
        if isinstance(field, forms.ModelChoiceField)
    }


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_no_add_form_names_an_object_outside(model, admin_as, alice, bob, roster):
    client = admin_as(alice)
    if client.get(add_url(model)).status_code != 200:
        pytest.skip("alice cannot add here")
    checked = 0
    for name, db_field in add_form_relations(model, alice).items():
        for other in outside(db_field, alice):
            page = client.get(add_url(model), {name: other.pk}).content.decode()
            assert escape(str(other)) not in page, (name, str(other))
            checked += 1
    # LifeEvent.person, Visit.visitor, Assignment.staff … each had one to try.
    assert checked or not add_form_relations(model, alice)


def test_life_event_form_names_only_persons_in_the_jurisdiction(admin_as, alice, roster):
    client = admin_as(alice)
    url = add_url(LifeEvent)
    elsewhere = Person.objects.get(name="赵强")  # community B
    assert "赵强" not in client.get(url, {"person": elsewhere.pk}).content.decode()
    here = Person.objects.get(name="张伟")
    assert "张伟" in client.get(url, {"person": here.pk}).content.decode()


def test_the_person_autocomplete_of_a_life_event_is_scoped(admin_as, alice, roster):
    client = admin_as(alice)
    query = {"app_label": "residents", "model_name": "lifeevent", "field_name": "person"}
    found = client.get(reverse("admin:autocomplete"), {**query, "term": ""}).json()["results"]
    names = {row["text"] for row in found}
    assert "张伟" in names and "赵强" not in names


def test_the_staff_form_names_no_user_or_node_outside(admin_as, alice, bob, community_b, db):
    client = admin_as(alice)
    page = client.get(add_url(Staff), {"user": bob.pk, "home_node": community_b.pk})
    body = page.content.decode()
    assert page.status_code == 200
    assert "bob" not in body and community_b.name not in body
    # Only a superuser links a login account; the autocomplete behind it lists users to no one else.
    query = {"app_label": "grids", "model_name": "staff", "field_name": "user", "term": "b"}
    assert client.get(reverse("admin:autocomplete"), query).status_code == 403


def test_the_staff_form_offers_users_by_autocomplete_to_a_superuser(admin_as, bob, db):
    root = get_user_model().objects.create_superuser("root", password="x")
    page = admin_as(root).get(add_url(Staff), {"user": bob.pk}).content.decode()
    assert 'data-field-name="user"' in page and "bob" in page


def test_a_raw_id_widget_names_only_what_its_field_offers(alice, roster):
    """Any raw-id widget an admin declares looks the id up in its field's scoped queryset."""

    class RawIdEvents(LifeEventAdmin):
        autocomplete_fields = ["household"]
        raw_id_fields = ["person"]

    form = RawIdEvents(LifeEvent, admin.site).get_form(as_request(alice), None, change=False)
    widget = form.base_fields["person"].widget  # raw-id widgets are not wrapped
    assert isinstance(widget, ScopedRawIdWidget)
    elsewhere = Person.objects.get(name="赵强")
    here = Person.objects.get(name="张伟")
    assert widget.label_and_url_for_value(elsewhere.pk) == ("", "")
    assert widget.label_and_url_for_value(here.pk)[0] == "张伟"
    assert widget.label_and_url_for_value("abc") == ("", "")


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("admin:residents_lifeevent_add", "household"),
        ("admin:residents_lifeevent_add", "person"),
        ("admin:residents_visit_add", "visitor"),
        ("admin:residents_visit_add", "household"),
        ("admin:grids_assignment_add", "node"),
    ],
)
def test_a_malformed_chosen_value_is_no_server_error(admin_as, alice, roster, url, field):
    """`?household=abc` or a posted `abc` was a ValueError while Django drew the autocomplete."""
    client = admin_as(alice)
    assert client.get(reverse(url), {field: "abc"}).status_code == 200
    posted = client.post(reverse(url), {field: "abc"})
    assert posted.status_code == 200 and field in posted.context["adminform"].form.errors
