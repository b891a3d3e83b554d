"""Community workers delete households and persons of their own jurisdiction, and
can bring them back; nobody deletes across communities, and the stairwell team
deletes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grids.models import Level, Role
from residents.models import Household, Person
from tests.conftest import first_under, make_user


def _delete(client, model: str, pk: int):
    return client.post(
        reverse(f"admin:residents_{model}_delete", args=[pk]), {"post": "yes"}, follow=True
    )


def test_a_community_worker_deletes_a_person_and_restores_them(admin_as, alice, roster):
    zhang = Person.objects.get(name="张伟")
    client = admin_as(alice)
    confirm = client.get(reverse("admin:residents_person_delete", args=[zhang.pk]))
    assert confirm.status_code == 200
    _delete(client, "person", zhang.pk)
    assert not Person.objects.filter(pk=zhang.pk).exists()
    record = Person.history.get(id=zhang.pk, history_type="-")
    deleted = client.get(reverse("admin:residents_deleted"))
    assert [p.history_id for p in deleted.context["persons"]] == [record.history_id]
    client.post(reverse("admin:residents_restore", args=["person", record.history_id]))
    assert Person.objects.get(pk=zhang.pk).id_number == zhang.id_number


def test_an_empty_household_is_deleted_and_one_with_members_is_kept(admin_as, alice, roster):
    client = admin_as(alice)
    full = Household.objects.get(number="A1")
    page = _delete(client, "household", full.pk)
    assert page.status_code == 200 and Household.objects.filter(pk=full.pk).exists()
    empty = Household.objects.get(number="A3")
    empty.members.all().delete()
    _delete(client, "household", empty.pk)
    assert not Household.objects.filter(pk=empty.pk).exists()
    assert Household.history.filter(id=empty.pk, history_type="-").exists()


def test_nobody_deletes_in_another_community(admin_as, alice, bob, roster):
    zhao = Person.objects.get(name="赵强")  # community B
    client = admin_as(alice)
    assert client.get(reverse("admin:residents_person_delete", args=[zhao.pk])).status_code == 404
    assert (
        client.post(
            reverse("admin:residents_person_delete", args=[zhao.pk]), {"post": "yes"}
        ).status_code
        == 404
    )
    assert Person.objects.filter(pk=zhao.pk).exists()


@pytest.mark.parametrize("role", [Role.STAIRWELL_LEADER, Role.STREET_OFFICIAL])
def test_who_only_reads_the_roster_deletes_nothing(admin_as, community_a, street, roster, role):
    node = street if role == Role.STREET_OFFICIAL else first_under(community_a, Level.STAIRWELL)
    user = make_user("reader", node, role)
    zhang = Person.objects.get(name="张伟")
    client = admin_as(user)
    assert client.post(
        reverse("admin:residents_person_delete", args=[zhang.pk]), {"post": "yes"}
    ).status_code in (403, 404)
    assert Person.objects.filter(pk=zhang.pk).exists()
    change = client.get(reverse("admin:residents_person_change", args=[zhang.pk]))
    if change.status_code == 200:  # no delete link on a page the user may only read
        assert (
            reverse("admin:residents_person_delete", args=[zhang.pk]) not in change.content.decode()
        )
