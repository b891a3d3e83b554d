"""A stairwell is named with its compound wherever it is shown ("3幢2单元" names dozens)."""

from django.urls import reverse

from grids.models import Level, Node


def a_stairwell() -> Node:
    return Node.objects.filter(level=Level.STAIRWELL, compound="和达城").order_by("lft").first()


def test_its_name_carries_the_compound(street):
    stairwell = a_stairwell()
    assert stairwell.display_name == f"和达城{stairwell.name}"
    assert str(stairwell) == f"和达城{stairwell.name} ({stairwell.code})"
    community = stairwell.parent.parent.parent
    assert community.display_name == community.name


def test_pickers_and_the_households_stairwell_show_it(admin_as, alice, roster):
    client = admin_as(alice)
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "residents",
            "model_name": "household",
            "field_name": "stairwell",
            "term": "",
        },
    ).json()["results"]
    assert found and all(r["text"].startswith(("和达城", "金沙城")) for r in found)
    from residents.models import Household

    household = Household.objects.get(number="A1")
    page = client.get(reverse("admin:residents_household_change", args=[household.pk]))
    assert f"和达城{household.stairwell.name}" in page.content.decode()
