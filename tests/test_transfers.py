"""Transfer requests (迁入申请), through the services: who asks, who decides, what moves.

alice (community A) asks for 赵强, registered in bob's community B; bob accepts
or declines; charlie, over the street, moves him at once. A refusal tells the
requester nothing of the record it checked against.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from residents.history import EntryKind, record_history
from residents.models import LifeEvent, Person, TransferRequest
from residents.transfers import (
    TransferRefused,
    accept_transfer,
    decline_transfer,
    incoming_transfers,
    outgoing_transfers,
    request_transfer,
    withdraw_transfer,
)
from tests.support import a_rival_transaction, idn
from tests.transfer_data import ZHAO_ID, Homes, make_homes, zhao_secrets

Status = TransferRequest.Status


@pytest.fixture
def homes(community_a, community_b) -> Homes:
    return make_homes(community_a, community_b)


def ask(user, homes: Homes, **overrides) -> TransferRequest:
    given = {"id_number": ZHAO_ID, "name": "赵强", "household": homes.empty_home, **overrides}
    return request_transfer(user=user, **given)


def refused(user, homes: Homes, **overrides) -> TransferRefused:
    with pytest.raises(TransferRefused) as refusal:
        ask(user, homes, **overrides)
    return refusal.value


def statuses(transfer: TransferRequest) -> list[tuple[str, str]]:
    return list(transfer.events.values_list("from_status", "to_status"))


def test_a_person_registered_elsewhere_is_asked_for(alice, bob, homes):
    transfer = ask(alice, homes, note="已在本社区租住")
    assert transfer.status == Status.PENDING
    assert (transfer.given_name, transfer.given_id_number) == ("赵强", ZHAO_ID)
    assert transfer.source_stairwell == homes.zhao_home.stairwell
    assert Person.objects.get(pk=homes.zhao.pk).household == homes.zhao_home
    assert list(incoming_transfers(bob)) == [transfer]
    assert list(outgoing_transfers(alice)) == [transfer]
    assert not incoming_transfers(alice).exists() and not outgoing_transfers(bob).exists()
    assert statuses(transfer) == [("", Status.PENDING)]


def test_acceptance_moves_the_person_and_keeps_their_history(alice, bob, homes):
    transfer = ask(alice, homes, relation="head")
    before = list(Person.history.filter(id=homes.zhao.pk).values_list("history_id", "household_id"))
    accept_transfer(user=bob, transfer=transfer)
    zhao = Person.objects.get(pk=homes.zhao.pk)
    assert (zhao.household, zhao.relation) == (homes.empty_home, "head")
    rows = Person.history.filter(id=zhao.pk).order_by("history_date", "history_id")
    # Every earlier row is still there, as it was; one more says who moved him, and how.
    assert list(rows.values_list("history_id", "household_id"))[: len(before)] == before
    assert rows.count() == len(before) + 1
    latest = rows.last()
    assert (latest.household_id, latest.history_user, latest.history_change_reason) == (
        homes.empty_home.pk,
        bob,
        f"transfer:{transfer.pk}",
    )
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decided_by) == (Status.ACCEPTED, bob)
    assert statuses(transfer) == [("", Status.PENDING), (Status.PENDING, Status.ACCEPTED)]
    # Decided, he stays in community B's log; alice has him now.
    assert list(incoming_transfers(bob)) == [transfer]
    assert Person.objects.filter(pk=zhao.pk, household__community=homes.empty_home.community)


def test_a_move_is_dated_recorded_in_both_households_and_read_as_a_transfer(alice, bob, homes):
    transfer = ask(alice, homes)
    accept_transfer(user=bob, transfer=transfer)
    zhao = Person.objects.get(pk=homes.zhao.pk)
    today = timezone.localdate()
    assert zhao.moved_in_on == today
    moved_in = LifeEvent.objects.get(household=homes.empty_home)
    assert (moved_in.kind, moved_in.person, moved_in.occurred_on) == ("move_in", zhao, today)
    assert f"#{transfer.pk}" in moved_in.notes
    # The household he left keeps the move, naming him: he is no longer its member.
    moved_out = LifeEvent.objects.get(household=homes.zhao_home)
    assert (moved_out.kind, moved_out.person, moved_out.occurred_on) == ("move_out", None, today)
    assert "赵强" in moved_out.notes
    assert zhao.moved_out_on is None  # still on the roster, in alice's community
    newest = record_history(record=zhao, user=alice)[0]
    assert (newest.kind, newest.who) == (EntryKind.TRANSFERRED, "bob")
    assert newest.action == f"经迁入申请 #{transfer.pk} 迁入"


def test_decline_says_why_and_moves_nobody(alice, bob, homes):
    transfer = ask(alice, homes)
    with pytest.raises(ValidationError) as refused:
        decline_transfer(user=bob, transfer=transfer, reason="  ")
    assert "reason" in refused.value.error_dict
    decline_transfer(user=bob, transfer=transfer, reason="本人未申请迁出")
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decline_reason) == (Status.DECLINED, "本人未申请迁出")
    assert Person.objects.get(pk=homes.zhao.pk).household == homes.zhao_home
    # Declined, he may be asked for again.
    assert ask(alice, homes).status == Status.PENDING


def test_the_requester_withdraws_and_only_the_person_side_decides(alice, bob, homes):
    transfer = ask(alice, homes)
    with pytest.raises(PermissionDenied):
        accept_transfer(user=alice, transfer=transfer)
    with pytest.raises(PermissionDenied):
        withdraw_transfer(user=bob, transfer=transfer)
    withdraw_transfer(user=alice, transfer=transfer)
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decided_by) == (Status.WITHDRAWN, alice)
    with pytest.raises(ValidationError, match="不能再更改"):
        accept_transfer(user=bob, transfer=transfer)
    assert Person.objects.get(pk=homes.zhao.pk).household == homes.zhao_home


def test_a_second_click_changes_nothing(alice, bob, homes):
    transfer = ask(alice, homes)
    first, second = (TransferRequest.objects.get(pk=transfer.pk) for _ in range(2))
    accept_transfer(user=bob, transfer=first)
    history_rows = Person.history.filter(id=homes.zhao.pk).count()
    for decide in (
        lambda: accept_transfer(user=bob, transfer=second),
        lambda: decline_transfer(user=bob, transfer=second, reason="重复"),
        lambda: withdraw_transfer(user=alice, transfer=second),
    ):
        with pytest.raises(ValidationError, match="不能再更改"):
            decide()
    assert statuses(transfer) == [("", Status.PENDING), (Status.PENDING, Status.ACCEPTED)]
    assert Person.history.filter(id=homes.zhao.pk).count() == history_rows


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_decisions_at_once_are_claimed_once(alice, bob, homes):
    """bob accepts while a colleague's acceptance holds the row: one of them moves 赵强."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the second waits before it reads")
    transfer = ask(alice, homes)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        ours = cursor.fetchone()[0]

    def ours_waits() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [ours])
            return cursor.fetchone()[0] == "Lock"

    rival = TransferRequest.objects.get(pk=transfer.pk)
    with (
        a_rival_transaction(
            lambda: accept_transfer(user=bob, transfer=rival), until=ours_waits, commit=True
        ),
        pytest.raises(ValidationError, match="刷新"),
    ):
        accept_transfer(user=bob, transfer=transfer)
    assert statuses(transfer) == [("", Status.PENDING), (Status.PENDING, Status.ACCEPTED)]
    assert Person.history.filter(id=homes.zhao.pk, household=homes.empty_home).count() == 1


def test_a_street_official_moves_the_person_at_once(charlie, homes):
    transfer = ask(charlie, homes)
    assert (transfer.status, transfer.decided_by, transfer.requested_by) == (
        Status.ACCEPTED,
        charlie,
        charlie,
    )
    assert Person.objects.get(pk=homes.zhao.pk).household == homes.empty_home
    assert statuses(transfer) == [("", Status.ACCEPTED)]


def test_a_wrong_name_is_refused_without_saying_the_right_one(alice, homes):
    for name in ("赵弓虽", "赵", "强", ""):
        refusal = refused(alice, homes, name=name)
        assert (refusal.code, list(refusal.message_dict)) == ("name_mismatch", ["name"])
        said = " ".join(refusal.messages)
        assert "赵强" not in said and not any(s in said for s in zhao_secrets(homes))
    assert not TransferRequest.objects.exists()
    # The same name as people write it is the name.
    assert ask(alice, homes, name=" 赵 强 ").status == Status.PENDING


def test_a_person_of_the_own_community_is_moved_on_their_page(alice, charlie, homes):
    for user in (alice, charlie):
        refusal = refused(user, homes, id_number=homes.zhang.id_number, name="张伟")
        assert refusal.code == "in_jurisdiction"
    assert not TransferRequest.objects.exists()


def test_an_unknown_or_invalid_id_number_is_refused(alice, homes):
    refusal = refused(alice, homes, id_number=idn("330106", "19900101", 77))
    assert refusal.code == "unknown_id_number" and "新增" in refusal.message_dict["id_number"][0]
    refusal = refused(alice, homes, id_number="330106199001011234")
    assert (refusal.code, list(refusal.message_dict)) == ("invalid_id_number", ["id_number"])


def test_one_open_request_per_person(alice, bob, charlie, homes):
    transfer = ask(alice, homes)
    for user in (alice, charlie):
        assert refused(user, homes).code == "open_request"
    duplicate = TransferRequest(
        person=transfer.person,
        target=transfer.target,
        source_stairwell=transfer.source_stairwell,
        given_name="赵强",
        given_id_number=ZHAO_ID,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_a_head_joins_a_household_without_one(alice, bob, homes):
    refusal = refused(alice, homes, household=homes.a_home, relation="head")
    assert (refusal.code, list(refusal.message_dict)) == ("household_has_head", ["relation"])
    transfer = ask(alice, homes, household=homes.a_home, relation="tenant")
    accept_transfer(user=bob, transfer=transfer)
    assert Person.objects.get(pk=homes.zhao.pk).relation == "tenant"


def test_who_may_not_ask_or_decide(alice, bob, dave, frank, homes):
    for user in (dave, frank):  # no assignment; a micro-grid leader, who only views
        with pytest.raises(PermissionDenied):
            ask(user, homes)
    # A household outside the jurisdiction is not one to ask for people into.
    with pytest.raises(PermissionDenied):
        ask(bob, homes)
    transfer = ask(alice, homes)
    for user in (dave, frank):
        with pytest.raises(PermissionDenied):
            accept_transfer(user=user, transfer=transfer)
        assert not incoming_transfers(user).exists() and not outgoing_transfers(user).exists()
