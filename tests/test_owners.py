"""The owners' services and selectors (residents/owners.py): certificates checked and stored
normalised with Chinese errors and nothing written, co-owners set in bulk with history,
owners scoped by their flats and searched by a full certificate only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import Level, Node
from residents import owners, services
from residents.models import Flat, Owner, OwnerKind, Ownership
from tests.support import credit_code, idn


def stairwells_of(node: Node) -> list[Node]:
    return list(node.get_descendants().filter(level=Level.STAIRWELL).order_by("lft"))


def a_flat(stairwell: Node, room: str, *, delivery: str = "", **fields) -> Flat:
    """The flat at `room`, made through the services, with `fields` (area, use…)."""
    flat = services.flat_at(stairwell=stairwell, room=room)
    if fields:
        services.update_flat(flat=flat, **fields)
    if delivery:
        owners.set_delivery(flat=flat, delivery=delivery)
    return flat


ZHANG = idn("330106", "19800101", 11)


def typo_last(number: str) -> str:
    """`number` with its check character mistyped."""
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def test_a_persons_certificate_is_stored_as_its_18_digits(db):
    legacy = "330106800101001"  # 15 digits, born 1980-01-01
    owner = owners.create_owner(name=" 张伟 ", certificate=legacy, phone=" 13800000001 ")
    assert owner.certificate == idn("330106", "19800101", 1)
    assert (owner.name, owner.phone, owner.kind) == ("张伟", "13800000001", OwnerKind.PERSON)


def test_full_width_spaced_and_lowercase_forms_normalise(db):
    number = next(n for s in range(100) if (n := idn("110101", "19900101", s)).endswith("X"))
    messy = f" {number[:6]} {number[6:].lower().replace('0', '０')} "
    assert owners.normalised_certificate(kind=OwnerKind.PERSON, certificate=messy) == number
    code = credit_code(7)
    spaced = f"{code[:9].lower()} {code[9:].lower()}"
    assert owners.normalised_certificate(kind=OwnerKind.ORGANISATION, certificate=spaced) == code
    assert owners.normalised_certificate(kind=OwnerKind.PERSON, certificate="  ") is None


def test_an_organisation_is_stored_with_its_credit_code(db):
    owner = owners.create_owner(
        name="和达置业有限公司", kind=OwnerKind.ORGANISATION, certificate=credit_code(1).lower()
    )
    assert owner.certificate == credit_code(1)


@pytest.mark.parametrize(
    ("kind", "certificate", "message"),
    [
        (OwnerKind.PERSON, typo_last(ZHANG), "身份证号校验位不正确"),
        (OwnerKind.PERSON, "33010619800101", "身份证号"),
        (OwnerKind.PERSON, credit_code(1), "身份证号"),
        (OwnerKind.ORGANISATION, ZHANG, "统一社会信用代码"),
        (OwnerKind.ORGANISATION, typo_last(credit_code(1)), "统一社会信用代码的校验码不对"),
        (OwnerKind.ORGANISATION, "9133010612345", "统一社会信用代码"),
    ],
)
def test_a_bad_certificate_is_a_chinese_error_and_writes_nothing(db, kind, certificate, message):
    with pytest.raises(ValidationError) as caught:
        owners.create_owner(name="某业主", kind=kind, certificate=certificate)
    (error,) = caught.value.message_dict["certificate"]
    assert message in error
    assert not Owner.objects.exists() and not Owner.history.exists()


def test_a_certificate_is_on_the_roll_once(db):
    owners.create_owner(name="张伟", certificate=ZHANG)
    with pytest.raises(ValidationError) as caught:
        owners.create_owner(name="张伟（重复）", certificate=ZHANG.lower())
    assert "已存在" in caught.value.message_dict["certificate"][0]
    assert Owner.objects.count() == 1
    # Owners the roll gives no certificate for are many.
    owners.create_owner(name="无证业主甲")
    owners.create_owner(name="无证业主乙", certificate="")
    assert Owner.objects.filter(certificate__isnull=True).count() == 2


def test_update_checks_the_certificate_against_the_new_kind(db):
    owner = owners.create_owner(name="张伟", certificate=ZHANG)
    with pytest.raises(ValidationError) as caught:
        owners.update_owner(owner=owner, kind=OwnerKind.ORGANISATION, name="和达置业")
    assert "统一社会信用代码" in caught.value.message_dict["certificate"][0]
    owner.refresh_from_db()
    assert (owner.kind, owner.name) == (OwnerKind.PERSON, "张伟")
    owners.update_owner(
        owner=owner, kind=OwnerKind.ORGANISATION, name="和达置业", certificate=credit_code(3)
    )
    owner.refresh_from_db()
    assert (owner.kind, owner.certificate) == (OwnerKind.ORGANISATION, credit_code(3))
    with pytest.raises(TypeError):
        owners.update_owner(owner=owner, history=None)


def test_co_owners_are_set_replaced_and_removed_with_history(community_a, alice):
    flat = a_flat(stairwells_of(community_a)[0], "101", area=Decimal("90.00"))
    zhang = owners.create_owner(name="张伟", certificate=ZHANG)
    li = owners.create_owner(name="李娜", certificate=idn("330106", "19820202", 12))
    wang = owners.create_owner(name="王芳")

    assert owners.set_flat_owners(flat=flat, owners=[zhang, li], user=alice) == (
        owners.OwnershipChanges(added=2, removed=0)
    )
    assert owners.set_flat_owners(flat=flat, owners=[li, zhang]) == owners.OwnershipChanges(0, 0)
    assert owners.set_flat_owners(flat=flat, owners=[li, wang], user=alice) == (
        owners.OwnershipChanges(added=1, removed=1)
    )
    assert set(flat.ownerships.values_list("owner__name", flat=True)) == {"李娜", "王芳"}
    rows = list(Ownership.history.order_by("history_id"))
    changes = [(r.history_type, r.owner_id) for r in rows]
    assert sorted(changes[:2]) == sorted([("+", zhang.pk), ("+", li.pk)])
    assert changes[2:] == [("-", zhang.pk), ("+", wang.pk)]
    assert {r.history_user_id for r in rows} == {alice.pk}

    owners.remove_ownership(ownership=flat.ownerships.get(owner=wang))
    assert list(flat.ownerships.values_list("owner__name", flat=True)) == ["李娜"]
    assert Ownership.history.filter(history_type="-", owner_id=wang.pk).exists()


def test_setting_many_flats_owners_takes_the_same_queries_for_one_or_twenty(community_a):
    stairwell = stairwells_of(community_a)[0]
    flats = [a_flat(stairwell, f"{n + 1:02d}01") for n in range(20)]
    people = [owners.create_owner(name=f"业主{n}") for n in range(21)]

    def counted(owners_by_flat) -> int:
        with CaptureQueriesContext(connection) as queries:
            owners.set_owners(owners_by_flat=owners_by_flat, reason="import:1")
        return len(queries)

    one = counted({flats[0].pk: [people[0].pk, people[1].pk]})
    many = counted({f.pk: [people[n].pk, people[n + 1].pk] for n, f in enumerate(flats)})
    assert many == one
    assert Ownership.objects.count() == 40
    assert set(Ownership.history.values_list("history_change_reason", flat=True)) == {"import:1"}
    # Replacing every flat's second owner and keeping the first: one removal and one
    # addition each, in the same statements again.
    replaced = counted({f.pk: [people[n].pk, people[20].pk] for n, f in enumerate(flats)})
    assert replaced == one + 2  # the removals' history and their delete
    assert (
        Ownership.objects.count() == 40 and Ownership.objects.filter(owner=people[20]).count() == 20
    )


def test_owners_by_certificate_finds_the_whole_roll(db):
    zhang = owners.create_owner(name="张伟", certificate=ZHANG)
    company = owners.create_owner(
        name="和达置业", kind=OwnerKind.ORGANISATION, certificate=credit_code(1)
    )
    found = owners.owners_by_certificate([ZHANG, credit_code(1), credit_code(2)])
    assert found == {ZHANG: zhang, credit_code(1): company}


def test_the_search_matches_a_whole_certificate_only(db):
    zhang = owners.create_owner(name="张伟", certificate=ZHANG)
    company = owners.create_owner(
        name="和达置业", kind=OwnerKind.ORGANISATION, certificate=credit_code(1)
    )

    def found(term: str) -> set[int]:
        return set(Owner.objects.filter(owners.owner_search(term)).values_list("pk", flat=True))

    assert found(ZHANG) == found(f" {ZHANG.lower()} ") == {zhang.pk}
    assert found(ZHANG[:17]) == found(ZHANG[:10]) == found(ZHANG[-4:]) == set()
    assert found(credit_code(1).lower()) == {company.pk}
    assert found("和达") == {company.pk} and found("张") == {zhang.pk}


def test_owners_are_seen_through_their_flats(community_a, community_b, alice, bob, charlie, dave):
    a1, a2 = (a_flat(stairwells_of(community_a)[0], room) for room in ("101", "102"))
    b1 = a_flat(stairwells_of(community_b)[0], "101")
    zhang = owners.create_owner(name="张伟", certificate=ZHANG)  # two flats in A, one in B
    li = owners.create_owner(name="李娜")  # in A only
    zhao = owners.create_owner(name="赵强")  # in B only
    owners.create_owner(name="无房业主")  # no flat
    owners.set_owners(
        owners_by_flat={a1.pk: [zhang.pk, li.pk], a2.pk: [zhang.pk], b1.pk: [zhang.pk, zhao.pk]}
    )

    def seen(user) -> list[str]:
        return sorted(owners.visible_owners(user).values_list("name", flat=True))

    assert seen(alice) == ["张伟", "李娜"]  # 张伟 once, though he holds two of A's flats
    assert seen(bob) == ["张伟", "赵强"]
    assert seen(charlie) == ["张伟", "李娜", "赵强"]
    assert seen(dave) == []
    # Each sees only the flats in their own jurisdiction.
    (shown,) = owners.attach_flats(owners.visible_owners(alice).filter(pk=zhang.pk), alice)
    assert shown.shown_flats == [a1, a2]
    (shown,) = owners.attach_flats([zhang], bob)
    assert shown.shown_flats == [b1]
