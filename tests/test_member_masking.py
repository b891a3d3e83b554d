"""One masking rule on every page: the household page shows its members' ID numbers
and birth dates as the person list shows them to the same user."""

from __future__ import annotations

from django.urls import reverse

from grids.models import AccessLog
from residents.models import Household

PERSONS = reverse("admin:residents_person_changelist")


def _pages(client):
    household = Household.objects.get(number="A1")
    detail = client.get(reverse("admin:residents_household_change", args=[household.pk]))
    assert detail.status_code == 200
    return client.get(PERSONS).content.decode(), detail.content.decode()


def test_a_worker_sees_members_in_full_on_both_pages_and_it_is_logged(admin_as, alice, roster):
    listed, detail = _pages(admin_as(alice))
    zhang, li = roster[0][3], roster[1][3]
    assert zhang in listed and zhang in detail and li in detail
    members = set(Household.objects.get(number="A1").members.values_list("pk", flat=True))
    log = AccessLog.objects.get(user=alice, what="住户页面的成员")
    assert {int(i) for i in log.object_ids.split(",")} == members


def test_a_masked_user_sees_members_masked_on_both_pages(admin_as, frank, roster):
    listed, detail = _pages(admin_as(frank))
    zhang = roster[0][3]
    for page in (listed, detail):
        assert zhang not in page and zhang[6:14] not in page  # nor the birth date
        assert zhang[:6] + "*" * 12 in page
    assert not AccessLog.objects.exists()


def test_another_community_does_not_open_the_household(admin_as, bob, roster):
    household = Household.objects.get(number="A1")
    url = reverse("admin:residents_household_change", args=[household.pk])
    assert admin_as(bob).get(url).status_code == 404
