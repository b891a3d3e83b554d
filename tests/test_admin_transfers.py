"""迁入申请 in the admin: alice asks for bob's resident 赵强 and her pages show nothing of
where he lives; bob accepts or declines from his inbox (POST, CSRF); charlie moves him at
once; dave, with no assignment, is refused."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from residents import services
from residents.models import Person, TransferRequest
from residents.transfers import request_transfer
from tests.support import idn
from tests.transfer_data import ZHAO_ID, Homes, make_homes, zhao_secrets

LIST = reverse("admin:residents_transferrequest_changelist")
ADD = reverse("admin:residents_transferrequest_add")


@pytest.fixture
def homes(community_a, community_b) -> Homes:
    return make_homes(community_a, community_b)


@pytest.fixture
def pending(alice, homes) -> TransferRequest:
    return request_transfer(user=alice, id_number=ZHAO_ID, name="赵强", household=homes.empty_home)


def page(transfer: TransferRequest) -> str:
    return reverse("admin:residents_transferrequest_change", args=[transfer.pk])


def decide(transfer: TransferRequest, decision: str) -> str:
    return reverse(f"admin:residents_transferrequest_{decision}", args=[transfer.pk])


def assert_says_nothing_of_zhao(html: str, homes: Homes) -> None:
    # A CSRF token is random text: a room number such as 602 may turn up in one.
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    for secret in zhao_secrets(homes):
        assert secret not in html, secret


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_alice_asks_and_sees_only_what_she_typed(admin_as, alice, homes):
    client = admin_as(alice)
    form = client.get(ADD)
    assert form.status_code == 200 and "迁入申请" in form.content.decode()
    response = client.post(
        ADD,
        {
            "id_number": ZHAO_ID,
            "name": "赵强",
            "household": homes.empty_home.pk,
            "relation": "tenant",
            "note": "租住本小区",
        },
        follow=True,
    )
    transfer = TransferRequest.objects.get()
    assert response.redirect_chain == [(page(transfer), 302)]
    assert "已提交" in messages_of(response)[0]
    html = response.content.decode()
    assert "赵强" in html and "待处理" in html and 'id="withdraw-form"' in html
    assert 'id="accept-form"' not in html
    assert_says_nothing_of_zhao(html, homes)
    outbox = client.get(LIST, {"box": "out"})
    assert list(outbox.context["cl"].result_list) == [transfer]
    assert_says_nothing_of_zhao(outbox.content.decode(), homes)
    assert not client.get(LIST).context["cl"].result_list  # her inbox


def test_a_wrong_name_is_a_form_error_that_reveals_nothing(admin_as, alice, homes):
    response = admin_as(alice).post(
        ADD,
        {
            "id_number": ZHAO_ID,
            "name": "赵刚",
            "household": homes.empty_home.pk,
            "relation": "other",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["姓名与此公民身份号码登记的姓名不符。"]
    html = response.content.decode()
    assert "赵强" not in html
    assert_says_nothing_of_zhao(html, homes)
    assert not TransferRequest.objects.exists()


def test_the_household_autocomplete_offers_only_the_jurisdiction(admin_as, alice, homes):
    response = admin_as(alice).get(
        "/admin/autocomplete/",
        {"app_label": "residents", "model_name": "transferrequest", "field_name": "target"},
    )
    offered = {int(r["id"]) for r in response.json()["results"]}
    assert homes.empty_home.pk in offered and homes.zhao_home.pk not in offered


def test_bob_accepts_from_his_inbox(admin_as, bob, homes, pending):
    client = admin_as(bob)
    assert list(client.get(LIST).context["cl"].result_list) == [pending]
    html = client.get(page(pending)).content.decode()
    assert 'id="accept-form"' in html and 'id="decline-form"' in html and "alice" in html
    # A GET changes nothing.
    assert client.get(decide(pending, "accept")).status_code == 302
    assert Person.objects.get(pk=homes.zhao.pk).household == homes.zhao_home
    response = client.post(decide(pending, "accept"), follow=True)
    assert "已迁入" in messages_of(response)[0]
    assert Person.objects.get(pk=homes.zhao.pk).household == homes.empty_home
    again = client.post(decide(pending, "accept"), follow=True)
    assert "不能再更改" in messages_of(again)[0]


def test_bob_declines_with_a_reason_and_alice_withdraws(admin_as, alice, bob, homes, pending):
    blank = admin_as(bob).post(decide(pending, "decline"), {"reason": ""}, follow=True)
    assert messages_of(blank) and TransferRequest.objects.get().status == "pending"
    admin_as(bob).post(decide(pending, "decline"), {"reason": "本人不同意"})
    assert TransferRequest.objects.get().status == "declined"
    html = admin_as(alice).get(page(pending)).content.decode()
    assert "本人不同意" in html and 'id="withdraw-form"' not in html
    again = request_transfer(user=alice, id_number=ZHAO_ID, name="赵强", household=homes.empty_home)
    assert admin_as(bob).post(decide(again, "withdraw")).status_code == 404
    response = admin_as(alice).post(decide(again, "withdraw"), follow=True)
    assert "撤回" in messages_of(response)[0]
    assert TransferRequest.objects.get(pk=again.pk).status == "withdrawn"


def test_the_buttons_need_the_csrf_token(bob, pending):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    assert client.post(decide(pending, "accept")).status_code == 403
    assert TransferRequest.objects.get().status == "pending"


def test_charlie_moves_at_once(admin_as, charlie, homes):
    response = admin_as(charlie).post(
        ADD,
        {
            "id_number": ZHAO_ID,
            "name": "赵强",
            "household": homes.empty_home.pk,
            "relation": "other",
        },
        follow=True,
    )
    assert "已迁入" in messages_of(response)[0]
    assert Person.objects.get(pk=homes.zhao.pk).household == homes.empty_home
    assert TransferRequest.objects.get().status == "accepted"


def test_dave_without_an_assignment_is_refused(admin_as, dave, pending):
    client = admin_as(dave)
    assert client.get(LIST).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.get(page(pending)).status_code == 404
    assert client.post(decide(pending, "accept")).status_code == 404


def test_a_request_goes_with_its_person_and_never_alone(admin_as, bob, homes, pending):
    client = admin_as(bob)
    alone = reverse("admin:residents_transferrequest_delete", args=[pending.pk])
    assert client.post(alone).status_code == 403
    deleting = reverse("admin:residents_person_delete", args=[homes.zhao.pk])
    confirm = client.get(deleting)
    assert confirm.status_code == 200 and not confirm.context["perms_lacking"]
    client.post(deleting, {"post": "yes"})
    assert not Person.objects.filter(pk=homes.zhao.pk).exists()
    assert not TransferRequest.objects.exists()


def test_the_lists_make_as_many_queries_for_many_rows_as_for_one(
    admin_as, alice, bob, homes, pending
):
    def counted(user, box: str) -> tuple[int, int]:
        client = admin_as(user)
        client.get(LIST, {"box": box})  # warm caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, {"box": box})
        return len(response.context["cl"].result_list), len(queries)

    one = {"out": counted(alice, "out"), "in": counted(bob, "in")}
    for n in range(5):
        neighbour = services.add_person(
            household=homes.zhao_home,
            name=f"邻居{n}",
            id_number=idn("330106", "19900101", 201 + 2 * n),
        )
        request_transfer(
            user=alice,
            id_number=neighbour.id_number,
            name=neighbour.name,
            household=homes.empty_home,
        )
    many = {"out": counted(alice, "out"), "in": counted(bob, "in")}
    assert {box: rows for box, (rows, _) in one.items()} == {"out": 1, "in": 1}
    assert {box: rows for box, (rows, _) in many.items()} == {"out": 6, "in": 6}
    assert {box: queries for box, (_, queries) in one.items()} == {
        box: queries for box, (_, queries) in many.items()
    }


def test_once_moved_in_his_history_does_not_say_where_he_came_from(admin_as, alice, bob, homes):
    transfer = request_transfer(
        user=alice, id_number=ZHAO_ID, name="赵强", household=homes.empty_home
    )
    admin_as(bob).post(decide(transfer, "accept"))
    history = reverse("admin:residents_person_history", args=[homes.zhao.pk])
    response = admin_as(alice).get(history)
    assert response.status_code == 200
    html = response.content.decode()
    assert homes.empty_home.stairwell.compound in html
    stairwell = homes.zhao_home.stairwell
    for secret in (stairwell.compound, homes.zhao_home.community.name, homes.zhao_home.number):
        assert secret not in html, secret


def test_adding_a_person_registered_elsewhere_points_to_a_transfer_request(admin_as, alice, homes):
    add_person = reverse("admin:residents_person_add")
    data = {
        "household": homes.empty_home.pk,
        "name": "赵强",
        "id_number": ZHAO_ID,
        "relation": "other",
        "residence_type": "registered",
        "political_status": "masses",
        "party_kind": "none",
    }
    response = admin_as(alice).post(add_person, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "该身份证号已在其他社区登记。" in html
    assert f'<a href="{ADD}" id="transfer-hint">' in html
    assert_says_nothing_of_zhao(html, homes)
    # In her own community the same ID number is simply taken.
    data.update(id_number=homes.zhang.id_number, name="张伟")
    html = admin_as(alice).post(add_person, data).content.decode()
    assert "该身份证号已登记。" in html and 'id="transfer-hint"' not in html
    assert Person.objects.filter(id_number=ZHAO_ID).get().household == homes.zhao_home
