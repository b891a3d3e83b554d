"""/api/v1/transfers/: alice asks for bob's resident 赵强 and learns nothing of where he
lives; bob finds the request in his inbox and decides; charlie moves him at once; dave,
with no assignment, is refused. Bad input is a 4xx with a message, never a 500."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from residents import services
from residents.models import Person, TransferRequest
from tests.support import idn
from tests.transfer_data import ZHAO_ID, Homes, make_homes, zhao_secrets

URL = "/api/v1/transfers/"


@pytest.fixture
def homes(community_a, community_b) -> Homes:
    return make_homes(community_a, community_b)


def ask(client, homes: Homes, **overrides):
    body = {"id_number": ZHAO_ID, "name": "赵强", "household": homes.empty_home.pk, **overrides}
    return client.post(URL, body, format="json")


def assert_says_nothing_of_zhao(response, homes: Homes) -> None:
    text = json.dumps(response.json(), ensure_ascii=False)
    for secret in zhao_secrets(homes):
        assert secret not in text, secret


def test_the_requester_sees_what_they_typed_and_the_status(api_as, alice, bob, homes):
    client = api_as(alice)
    response = ask(client, homes, note="租住本小区")
    assert response.status_code == 201
    made = response.json()
    assert (made["status"], made["given_name"], made["given_id_number"]) == (
        "pending",
        "赵强",
        ZHAO_ID,
    )
    assert (made["person"], made["moving_from"], made["requested_by"]) == (None, None, None)
    assert_says_nothing_of_zhao(response, homes)
    outbox = client.get(URL, {"box": "out"})
    assert [row["id"] for row in outbox.json()["results"]] == [made["id"]]
    assert_says_nothing_of_zhao(outbox, homes)
    assert client.get(URL).json()["count"] == 0  # the inbox: nobody of hers is asked for


def test_the_persons_community_accepts_from_its_inbox(api_as, alice, bob, homes):
    made = ask(api_as(alice), homes).json()
    client = api_as(bob)
    [row] = client.get(URL, {"box": "in"}).json()["results"]
    assert (row["id"], row["person"], row["requested_by"]) == (made["id"], homes.zhao.pk, "alice")
    assert row["moving_from"] == homes.zhao_home.stairwell.compound + homes.zhao_home.stairwell.name
    accepted = client.post(f"{URL}{made['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Person.objects.get(pk=homes.zhao.pk).household == homes.empty_home
    [row] = api_as(alice).get(URL, {"box": "out", "status": "accepted"}).json()["results"]
    assert row["id"] == made["id"] and row["person"] is None


def test_decline_with_a_reason_and_withdraw(api_as, alice, bob, homes):
    made = ask(api_as(alice), homes).json()
    declining = f"{URL}{made['id']}/decline/"
    assert api_as(bob).post(declining, {}, format="json").status_code == 400
    assert api_as(bob).post(declining, {"reason": "本人未申请"}, format="json").status_code == 200
    [row] = api_as(alice).get(URL, {"box": "out"}).json()["results"]
    assert (row["status"], row["decline_reason"]) == ("declined", "本人未申请")
    again = ask(api_as(alice), homes).json()
    withdrawn = api_as(alice).post(f"{URL}{again['id']}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    second = api_as(alice).post(f"{URL}{again['id']}/withdraw/")
    assert second.status_code == 400 and "不能再更改" in json.dumps(
        second.json(), ensure_ascii=False
    )


def test_each_side_decides_only_its_own_part(api_as, alice, bob, homes):
    made = ask(api_as(alice), homes).json()
    assert api_as(alice).post(f"{URL}{made['id']}/accept/").status_code == 404
    assert api_as(alice).post(f"{URL}{made['id']}/decline/", {"reason": "x"}).status_code == 404
    assert api_as(bob).post(f"{URL}{made['id']}/withdraw/").status_code == 404
    assert TransferRequest.objects.get(pk=made["id"]).status == "pending"


def test_a_street_official_moves_at_once(api_as, charlie, homes):
    response = ask(api_as(charlie), homes)
    assert response.status_code == 201 and response.json()["status"] == "accepted"
    # charlie may not see ID numbers in full, even the one he typed.
    assert response.json()["given_id_number"] != ZHAO_ID
    assert Person.objects.get(pk=homes.zhao.pk).household == homes.empty_home


def test_dave_without_an_assignment_is_refused(api_as, alice, dave, homes):
    made = ask(api_as(alice), homes).json()
    client = api_as(dave)
    assert client.get(URL).status_code == 403
    assert ask(client, homes).status_code == 403
    assert client.post(f"{URL}{made['id']}/accept/").status_code == 403


def test_refusals_say_why_and_nothing_of_the_record(api_as, alice, bob, homes):
    client = api_as(alice)
    wrong_name = ask(client, homes, name="赵刚")
    assert wrong_name.status_code == 400 and list(wrong_name.json()) == ["name"]
    assert_says_nothing_of_zhao(wrong_name, homes)
    unknown = ask(client, homes, id_number=idn("330106", "19900101", 77))
    assert unknown.status_code == 400 and "新增" in unknown.json()["id_number"][0]
    assert ask(client, homes, id_number="12345").status_code == 400
    own = ask(client, homes, id_number=homes.zhang.id_number, name="张伟")
    assert own.status_code == 400 and "管辖范围内" in own.json()["detail"][0]
    # bob's household is not one alice may ask people into.
    foreign = ask(client, homes, household=homes.zhao_home.pk)
    assert foreign.status_code == 400 and list(foreign.json()) == ["household"]
    assert not TransferRequest.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("get", URL, {"box": "sideways"}),
        ("get", URL, {"status": "lost"}),
        ("get", URL, {"page": "0"}),
        ("post", URL, {"household": "abc"}),
        ("post", URL, {"id_number": "\x00", "name": "赵强"}),
        ("post", f"{URL}abc/accept/", {}),
        ("post", f"{URL}99999999999999999999/accept/", {}),
        ("post", f"{URL}1/decline/", {"reason": "x" * 1001}),
    ],
)
def test_bad_input_is_a_4xx(api_as, alice, homes, method, path, params):
    client = api_as(alice)
    if method == "get":
        response = client.get(path, params)
    else:
        response = client.post(path, params, format="json")
    assert 400 <= response.status_code < 500


def test_the_lists_make_as_many_queries_for_many_rows_as_for_one(api_as, alice, bob, homes):
    def counted(user, box: str) -> tuple[int, int]:
        client = api_as(user)
        client.get(URL, {"box": box})  # warm caches (the user's scope, permissions)
        with CaptureQueriesContext(connection) as queries:
            rows = client.get(URL, {"box": box}).json()["count"]
        return rows, len(queries)

    ask(api_as(alice), homes)
    one = {"out": counted(alice, "out"), "in": counted(bob, "in")}
    for n in range(5):
        neighbour = services.add_person(
            household=homes.zhao_home,
            name=f"邻居{n}",
            id_number=idn("330106", "19900101", 201 + 2 * n),
        )
        assert ask(api_as(alice), homes, id_number=neighbour.id_number, name=neighbour.name)
    many = {"out": counted(alice, "out"), "in": counted(bob, "in")}
    assert {box: rows for box, (rows, _) in one.items()} == {"out": 1, "in": 1}
    assert {box: rows for box, (rows, _) in many.items()} == {"out": 6, "in": 6}
    assert {box: queries for box, (_, queries) in one.items()} == {
        box: queries for box, (_, queries) in many.items()
    }
