"""import_owners: an owners' roll (业主名册) read together with the register (issue 9 §2).

The roster fixture has households in community A (和达城, alice's) and B (云帆城,
bob's). A roll gives their flats areas and owners, creates the flats only it
names, counts an owner of two flats as one owner, and records the developer's
unsold flats; a messy roll reports each bad row and writes nothing.
"""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from common.tabular import FileRejected
from residents import services
from residents.import_engine import ImportRejected
from residents.models import Delivery, Flat, ImportBatch, Owner, OwnerKind, Ownership, Person
from tests.support import credit_code, idn

HEADER = "房屋地址,专有部分面积（平方米）,业主姓名,证件号码,联系电话,共有人,交付状态"
OWNERS = ImportBatch.Kind.OWNERS


DEVELOPER = credit_code(32000001)
ZHANG = idn("330106", "19800101", 11)  # 张伟, who lives in 101 (the roster fixture)
OUTSIDER = idn("330106", "19660606", 77)  # owns two flats, lives elsewhere


def roll(*rows: str) -> bytes:
    return ("和达城业主名册\n" + HEADER + "\n" + "\n".join(rows) + "\n").encode("gb18030")


GOOD = [
    f"和达城1幢1单元101室,89.5,张伟,{ZHANG},13800000001,李娜,已交付",
    f"和达城1幢2单元201室,60,钱多,{OUTSIDER},13700000007,,已交付",
    f"和达城1幢2单元202室,61.25,钱多,{OUTSIDER},13700000007,,",
    f"和达城2幢1单元301室,120,和达置业有限公司,{DEVELOPER},,,未出售",
    f"和达城2幢1单元302室,118,和达置业有限公司,{DEVELOPER},,,未出售",
]


def snapshot():
    return [
        list(model.objects.order_by("pk").values_list())
        for model in (Flat, Owner, Ownership, Person)
    ]


def test_a_roll_gives_flats_their_areas_and_owners(roster):
    result = services.import_now(data=roll(*GOOD), filename="roll.csv", kind=OWNERS)
    assert (result.flats_created, result.owners_created, result.ownerships_created) == (2, 4, 6)
    flat = Flat.objects.get(room="101", stairwell__compound="和达城")
    assert str(flat.area) == "89.50" and flat.households.count() == 1  # the register's flat
    assert sorted(flat.ownerships.values_list("owner__name", flat=True)) == ["张伟", "李娜"]
    zhang = Owner.objects.get(certificate=ZHANG)
    assert zhang.person == Person.objects.get(id_number=ZHANG)  # an owner who lives here
    qian = Owner.objects.get(certificate=OUTSIDER)
    assert qian.ownerships.count() == 2 and qian.person is None
    developer = Owner.objects.get(certificate=DEVELOPER)
    assert developer.kind == OwnerKind.ORGANISATION
    assert set(
        Flat.objects.filter(ownerships__owner=developer).values_list("delivery", flat=True)
    ) == {Delivery.UNSOLD}
    # A flat only the roll names is created, vacant: nobody is registered in it.
    assert Flat.objects.get(room="302").housing_status == "vacant"

    again = services.import_now(data=roll(*GOOD), filename="roll.csv", kind=OWNERS)
    assert again.unchanged == len(GOOD)
    assert again.counts() == {**again.counts(), "flats_created": 0, "flats_updated": 0}
    assert (again.owners_created, again.owners_updated, again.ownerships_created) == (0, 0, 0)


MESSY = [
    *GOOD,
    f"和达城1幢1单元102室,70,孙错,{ZHANG[:-1]}0,,,",  # line 8: bad check character
    "和达城1幢1单元103室,70,某公司,91330106MA2XXXXX01,,,",  # line 9: bad credit code
    "和达城1幢1单元104室,70,周某,,,,已售出",  # line 10: unknown delivery word
    "和达城1幢1单元105室,70,,,,,",  # line 11: no name
    "和达城9幢1单元101室,70,吴某,,,,",  # line 12: no such building
    "和达城1幢1单元101室,90,李娜,,,,",  # line 13: another area for 101
    "和达城1幢1单元106室,七十,郑某,,电话未知,,",  # line 14: bad area and phone
]


def test_a_messy_roll_reports_each_bad_row_and_writes_nothing(roster):
    before = snapshot()
    with pytest.raises(ImportRejected) as rejected:
        services.import_now(data=roll(*MESSY), filename="roll.csv", kind=OWNERS)
    found = {(p.line, p.column, p.code) for p in rejected.value.result.errors}
    assert found == {
        (8, "证件号码", "bad_certificate"),
        (9, "证件号码", "bad_certificate"),
        (10, "交付状态", "bad_delivery"),
        (11, "业主姓名", "empty_name"),
        (12, "房屋地址", "unknown_building"),
        (13, "专有部分面积", "flat_disagrees"),
        (14, "专有部分面积", "bad_area"),
        (14, "联系电话", "bad_phone"),
    }
    for problem in rejected.value.result.errors:
        assert problem.message and ZHANG not in problem.message
    assert snapshot() == before

    result = services.import_now(
        data=roll(*MESSY), filename="roll.csv", kind=OWNERS, skip_invalid=True
    )
    # 101 is disputed (line 13): left out whole, so 张伟 and 李娜 are not its owners yet.
    assert not Flat.objects.get(room="101", stairwell__compound="和达城").ownerships.exists()
    assert result.ownerships_created == 4 and Owner.objects.filter(certificate=OUTSIDER).exists()


def test_the_command_prints_json_and_fails_on_problems(roster, tmp_path, capsys):
    path = tmp_path / "roll.csv"
    path.write_bytes(roll(*MESSY))
    with pytest.raises(CommandError):
        call_command("import_owners", str(path), "--json")
    out = json.loads(capsys.readouterr().out)
    assert {
        "rows",
        "flats_created",
        "flats_updated",
        "owners_created",
        "owners_updated",
        "unchanged",
        "errors",
    } <= set(out)
    assert out["rows"] == len(MESSY) and not Owner.objects.exists()
    path.write_bytes(roll(*GOOD))
    call_command("import_owners", str(path), "--dry-run")
    assert not Owner.objects.exists()
    call_command("import_owners", str(path))
    assert Owner.objects.count() == 4


def test_a_roll_with_a_column_twice_is_refused_naming_both(roster):
    data = ("房屋地址,业主姓名,证件号码,姓名\n和达城1幢1单元101室,张伟,,张伟\n").encode()
    with pytest.raises(FileRejected) as refused:
        services.import_now(data=data, filename="roll.csv", kind=OWNERS)
    assert "“业主姓名”（B列）" in str(refused.value) and "“姓名”（D列）" in str(refused.value)


def test_owners_no_longer_named_cease_and_undo_brings_them_back(roster):
    services.import_now(data=roll(*GOOD), filename="a.csv", kind=OWNERS)
    before = snapshot()
    buyer = idn("330106", "19880808", 88)
    sold = [*GOOD[:3], f"和达城2幢1单元301室,120,冯买,{buyer},,,已交付", GOOD[4]]
    result = services.import_now(data=roll(*sold), filename="b.csv", kind=OWNERS)
    assert (result.ownerships_created, result.ownerships_removed, result.flats_updated) == (1, 1, 1)
    assert Flat.objects.get(room="301").ownerships.get().owner.name == "冯买"
    services.undo_import(batch=ImportBatch.objects.get(pk=result.batch_id))
    after = snapshot()
    # The ownership comes back with its id; only history differs.
    assert after == before


def test_undo_refuses_when_a_created_flat_got_an_owner_since(roster):
    result = services.import_now(data=roll(GOOD[4]), filename="a.csv", kind=OWNERS)
    flat = Flat.objects.get(room="302")  # only the roll names it
    Ownership.objects.create(flat=flat, owner=Owner.objects.create(name="后来者"))
    with pytest.raises(ValidationError):
        services.undo_import(batch=ImportBatch.objects.get(pk=result.batch_id))
    assert Flat.objects.filter(room="302").exists()


def test_a_worker_reads_and_writes_only_their_own_flats_and_learns_nothing(roster, alice, bob):
    # bob's roll (community B) makes 钱多 an owner there first.
    bobs = (
        "房屋地址,业主姓名,证件号码,联系电话\n"
        + f"云帆城1幢1单元101室,钱多,{OUTSIDER},13700000009\n"
    )
    services.import_now(data=bobs.encode(), filename="b.csv", user=bob, kind=OWNERS)
    before = snapshot()
    with pytest.raises(ImportRejected) as rejected:
        services.import_now(
            data=roll(
                f"和达城1幢2单元201室,60,钱多多,{OUTSIDER},,,",  # another name: refused
                "云帆城1幢1单元101室,80,张三,,,,",  # bob's flat: unknown to alice
            ),
            filename="a.csv",
            user=alice,
            kind=OWNERS,
        )
    text = json.dumps([p.as_dict() for p in rejected.value.result.errors], ensure_ascii=False)
    assert {p.code for p in rejected.value.result.errors} >= {"owner_renamed"}
    assert (
        "钱多," not in text
        and "13700000009" not in text
        and "云帆城1幢" not in text.replace("云帆城1幢1单元101室", "")
    )
    assert snapshot() == before
    # The same name: linked to alice's flat, but bob's record (the phone) is left alone.
    services.import_now(
        data=roll(f"和达城1幢2单元201室,60,钱多,{OUTSIDER},13999999999,,"),
        filename="a.csv",
        user=alice,
        kind=OWNERS,
    )
    qian = Owner.objects.get(certificate=OUTSIDER)
    assert qian.ownerships.count() == 2 and qian.phone == "13700000009"
