"""The register import engine and `import_register`: messy real-world files."""

import csv
import datetime
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from common.tabular import FileRejected
from grids.jurisdiction import Scope, scope_for
from residents import register_import, services
from residents.demo import HEADER as DEMO_HEADER
from residents.import_engine import ImportRejected
from residents.models import Household, ImportBatch, Person, PoliticalStatus, ResidenceType
from residents.services import import_now
from tests.support import idn

EVERYTHING = Scope(everything=True)
HEADER = [*DEMO_HEADER[:-1], "建筑面积（平方米）"]  # a note in full-width brackets


def id15(region: str, birth6: str, seq: int) -> str:
    return f"{region}{birth6}{seq:03d}"


def register(rows, *, encoding="gb18030", title="白杨街道人口信息登记表") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if title:
        writer.writerow([title])
    writer.writerow(HEADER)
    writer.writerows(rows)
    writer.writerow([])
    writer.writerow([])
    return buffer.getvalue().encode(encoding)


# A household with an upper-case/lower-case X, a legacy 15-digit ID and mixed styles.
X_ID = next(
    idn("330106", "19491231", s)
    for s in range(0, 1000, 2)
    if idn("330106", "19491231", s)[-1] == "X"
)
GOOD = [
    [
        "H001",
        "张伟",
        "男",
        "汉族",
        idn("330106", "19800101", 11),
        "1980/1/1",
        "户主",
        "和达城1幢1单元101室",
        "13800000001",
        "中共党员（在册）",
        "户籍人口",
        "自住",
        "89.5",
    ],
    [
        "H001",
        "李娜",
        "女",
        "汉族",
        X_ID.lower(),
        "19491231",
        "配偶",
        "和达城1幢1单元101室",
        "",
        "群众",
        "户籍",
        "",
        "",
    ],
    [
        "H001",
        "张小明",
        "男",
        "汉",
        id15("330106", "850302", 13),
        "1985年3月2日",
        "子",
        "和达城1幢1单元101室",
        "",
        "共青团员",
        "户籍",
        "",
        "",
    ],
    [
        "H002",
        "王芳",
        "女",
        "回族",
        idn("410103", "19900515", 22),
        "33008",
        "户主",
        "浙江省杭州市和达城1栋-2-502",
        "13900000002",
        "群众",
        "流动人口",
        "出租",
        "60",
    ],
    [
        "",
        "赵强",
        "男",
        "汉族",
        idn("330106", "19700707", 33),
        "1970.7.7",
        "户主",
        "金沙城三幢一单元301",
        "",
        "群众",
        "户籍人口",
        "空置",
        "120.37",  # not a binary fraction: SQLite hands it back as a float
    ],
]
BAD = [
    # line 8: bad check character
    [
        "H003",
        "钱一",
        "男",
        "汉族",
        idn("330106", "19800101", 41)[:-1] + "0",
        "",
        "户主",
        "和达城1幢1单元102室",
        "",
        "群众",
        "户籍",
        "",
        "",
    ],
    # line 9: sex disagrees with the ID
    [
        "H004",
        "孙二",
        "女",
        "汉族",
        idn("330106", "19810101", 51),
        "",
        "户主",
        "和达城1幢1单元103室",
        "",
        "群众",
        "户籍",
        "",
        "",
    ],
    # line 10: unknown compound (nearest named)
    [
        "H005",
        "周三",
        "男",
        "汉族",
        idn("330106", "19820101", 61),
        "",
        "户主",
        "和达成1幢1单元104室",
        "",
        "群众",
        "户籍",
        "",
        "",
    ],
    # line 11: duplicate ID (same as line 3's head)
    [
        "H006",
        "吴四",
        "男",
        "汉族",
        idn("330106", "19800101", 11),
        "",
        "户主",
        "和达城1幢2单元101室",
        "",
        "群众",
        "户籍",
        "",
        "",
    ],
    # line 12: empty name
    [
        "H007",
        "",
        "男",
        "汉族",
        idn("330106", "19830101", 71),
        "",
        "户主",
        "和达城1幢2单元102室",
        "",
        "群众",
        "户籍",
        "",
        "",
    ],
    # line 13: bad area
    [
        "H008",
        "郑五",
        "男",
        "汉族",
        idn("330106", "19840101", 81),
        "",
        "户主",
        "和达城1幢2单元103室",
        "",
        "群众",
        "户籍",
        "",
        "九十",
    ],
    # line 14: household without a head
    [
        "H009",
        "冯六",
        "男",
        "汉族",
        idn("330106", "19850101", 91),
        "",
        "配偶",
        "和达城1幢2单元104室",
        "",
        "群众",
        "户籍",
        "",
        "",
    ],
    # line 15: birth date disagrees with the ID
    [
        "H010",
        "陈七",
        "男",
        "汉族",
        idn("330106", "19860101", 1),
        "1986-01-02",
        "户主",
        "和达城2幢1单元101室",
        "",
        "群众",
        "户籍",
        "",
        "",
    ],
    # line 16: bad date
    [
        "H011",
        "褚八",
        "男",
        "汉族",
        idn("330106", "19870101", 3),
        "昨天",
        "户主",
        "和达城2幢1单元102室",
        "",
        "群众",
        "户籍",
        "",
        "",
    ],
    # line 17: unknown unit
    [
        "H012",
        "卫九",
        "男",
        "汉族",
        idn("330106", "19880101", 5),
        "",
        "户主",
        "和达城1幢9单元101室",
        "",
        "群众",
        "户籍",
        "",
        "",
    ],
]


def snapshot():
    return (
        list(Household.objects.order_by("pk").values_list()),
        list(Person.objects.order_by("pk").values_list()),
    )


@pytest.fixture
def messy(street):
    return register(GOOD + BAD)


def test_a_messy_register_reports_every_bad_row(messy):
    with pytest.raises(ImportRejected) as rejected:
        import_now(data=messy, filename="登记表.csv", scope=EVERYTHING)
    found = {(p.line, p.column, p.code) for p in rejected.value.result.errors}
    assert found == {
        (8, "公民身份号码", "id_check"),
        (9, "性别", "sex_mismatch"),
        (10, "现居住地址", "unknown_compound"),
        (11, "公民身份号码", "duplicate_id"),
        (12, "姓名", "empty_name"),
        (13, "建筑面积", "bad_area"),
        (14, "与户主关系", "household_heads"),
        (15, "出生日期", "birth_mismatch"),
        (16, "出生日期", "bad_date"),
        (17, "现居住地址", "unknown_unit"),
    }
    messages = {p.line: p.message for p in rejected.value.result.errors}
    assert "和达城" in messages[10]
    assert "1、2" in messages[17]
    assert Household.objects.count() == 0 and Person.objects.count() == 0
    assert ImportBatch.objects.get().status == ImportBatch.Status.REJECTED


def test_skip_invalid_imports_exactly_the_good_rows_and_again_changes_nothing(messy):
    result = import_now(data=messy, filename="登记表.csv", scope=EVERYTHING, skip_invalid=True)
    assert (result.households_created, result.persons_created) == (3, 5)
    assert len(result.errors) == 10
    head = Person.objects.get(name="张伟")
    assert head.political_status == PoliticalStatus.PARTY_MEMBER and head.party_kind == "registered"
    assert Person.objects.get(name="李娜").id_number == X_ID
    assert Person.objects.get(name="张小明").id_number == idn("330106", "19850302", 13)
    wang = Person.objects.get(name="王芳")
    assert wang.residence_type == ResidenceType.FLOATING and wang.birth_date == datetime.date(
        1990, 5, 15
    )
    assert wang.household.flat.housing_status == "rented" and wang.household.room == "502"
    assert str(Household.objects.get(number="H001").flat.area) == "89.50"
    zhao = Person.objects.get(name="赵强")
    assert (
        zhao.household.stairwell.compound == "金沙城" and zhao.household.stairwell.building == "3"
    )
    assert zhao.household.community_id == zhao.household.stairwell.parent.parent.parent_id

    before = snapshot()
    again = import_now(data=messy, filename="登记表.csv", scope=EVERYTHING, skip_invalid=True)
    assert (
        again.households_created,
        again.households_updated,
        again.persons_created,
        again.persons_updated,
        again.unchanged,
    ) == (0, 0, 0, 0, 5)
    assert snapshot() == before


def test_a_person_who_moves_is_moved_not_duplicated(street):
    import_now(data=register(GOOD), filename="a.csv", scope=EVERYTHING)
    moved = [row[:] for row in GOOD[4:5]]
    moved[0][7] = "金沙城4幢1单元202室"
    result = import_now(data=register(moved), filename="b.csv", scope=EVERYTHING)
    assert (result.persons_created, result.persons_updated, result.households_created) == (0, 1, 1)
    zhao = Person.objects.get(name="赵强")
    assert zhao.household.room == "202"
    assert zhao.history.count() == 2
    assert Person.objects.filter(name="赵强").count() == 1


def test_undo_puts_everything_back(street):
    first = import_now(data=register(GOOD[:4]), filename="a.csv", scope=EVERYTHING)
    before = snapshot()
    changed = [row[:] for row in GOOD]
    changed[0][1] = "张伟伟"
    second = import_now(data=register(changed), filename="b.csv", scope=EVERYTHING)
    assert second.persons_updated == 1 and second.persons_created == 1
    services.undo_import(batch=ImportBatch.objects.get(pk=second.batch_id))
    assert snapshot() == before
    assert ImportBatch.objects.get(pk=second.batch_id).status == ImportBatch.Status.UNDONE
    with pytest.raises(ValidationError):
        services.undo_import(batch=ImportBatch.objects.get(pk=second.batch_id))
    assert first.batch_id != second.batch_id


def test_history_rows_are_written_for_the_changed_rows_only(street):
    import_now(data=register(GOOD[:3]), filename="a.csv", scope=EVERYTHING)
    changed = [row[:] for row in GOOD[:3]]
    changed[0][8], changed[2][8] = "13800000009", "13800000010"  # phones of the 1st and 3rd
    result = import_now(data=register(changed), filename="b.csv", scope=EVERYTHING)
    assert (result.persons_updated, result.unchanged) == (2, 1)
    counts = {p.name: p.history.count() for p in Person.objects.all()}
    assert counts == {"张伟": 2, "李娜": 1, "张小明": 2}


def test_persons_are_compared_with_the_database_a_chunk_at_a_time(street, monkeypatch):
    monkeypatch.setattr(register_import, "_COMPARED_AT_ONCE", 2)
    import_now(data=register(GOOD[:4]), filename="a.csv", scope=EVERYTHING)
    changed = [row[:] for row in GOOD]
    changed[3][1] = "王芳芳"  # in the second chunk
    result = import_now(data=register(changed), filename="b.csv", scope=EVERYTHING)
    assert (result.persons_created, result.persons_updated, result.unchanged) == (1, 1, 3)
    assert Person.objects.filter(name="王芳芳").count() == 1 and Person.objects.count() == 5


def test_a_worker_imports_only_into_their_jurisdiction(street, alice):
    outside = [row[:] for row in GOOD[4:5]]  # 金沙城 is community A's second grid
    outside[0][7] = "云帆城1幢1单元101室"  # community B
    with pytest.raises(ImportRejected) as rejected:
        import_now(data=register(outside), filename="x.csv", scope=scope_for(alice), user=alice)
    assert rejected.value.result.errors[0].code == "unknown_compound"
    assert Person.objects.count() == 0


def test_a_batch_covers_the_smallest_area_holding_its_households(street, community_a):
    from grids.models import Level, Node

    def area(rows) -> Node | None:
        result = import_now(data=register(rows), filename="x.csv", scope=EVERYTHING, dry_run=True)
        return None if result.area_id is None else Node.objects.get(pk=result.area_id)

    assert area(GOOD) == community_a  # two grids of community A
    one_stairwell = area(GOOD[:2])
    assert one_stairwell.level == Level.STAIRWELL and one_stairwell.name == "1幢1单元"
    elsewhere = [row[:] for row in GOOD[4:5]]
    elsewhere[0][4] = idn("330106", "19700707", 35)
    elsewhere[0][7] = "云帆城1幢1单元101室"  # community B
    assert area(GOOD + elsewhere) == street
    nowhere = [row[:] for row in GOOD[:1]]
    nowhere[0][7] = "无名城1幢1单元101室"
    assert area(nowhere) is None


def test_stairwell_code_column_may_replace_the_address(street):
    from grids.models import Level, Node

    stairwell = Node.objects.filter(level=Level.STAIRWELL).order_by("lft").first()
    data = (
        "楼道编码,房号,姓名,公民身份号码,与户主关系\n"
        f"{stairwell.code},301,林一,{idn('330106', '19900101', 7)},户主\n"
    ).encode("utf-8-sig")
    result = import_now(data=data, filename="x.csv", scope=EVERYTHING)
    assert result.persons_created == 1
    assert Household.objects.get().stairwell == stairwell


def test_households_carry_their_stairwells_ancestors_in_every_street(street):
    from grids.demo import SCALES, tree_rows
    from grids.models import Level, Node
    from grids.tree_import import load_street

    load_street(rows=tree_rows(SCALES["tiny"], street_code="330106005", street_name="西溪街道"))
    stairwells = list(Node.objects.filter(level=Level.STAIRWELL).order_by("tree_id", "-lft"))
    chosen = stairwells[::7]
    assert len({s.tree_id for s in chosen}) == 2
    lines = "".join(
        f"{s.code},{101 + i},住户{i},{idn('330106', '19900101', 2 * i + 1)},户主\n"
        for i, s in enumerate(chosen)
    )
    data = ("楼道编码,房号,姓名,公民身份号码,与户主关系\n" + lines).encode("utf-8")
    assert import_now(data=data, filename="x.csv", scope=EVERYTHING).households_created == len(
        chosen
    )
    for household in Household.objects.select_related("stairwell"):
        ancestors = {a.level: a.pk for a in household.stairwell.get_ancestors()}
        assert (
            household.street_id,
            household.community_id,
            household.grid_id,
            household.micro_grid_id,
        ) == (ancestors[0], ancestors[1], ancestors[2], ancestors[3])


def test_xlsx_with_excel_dates(street):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["社区人口台账"])
    sheet.append(HEADER)
    row = list(GOOD[0])
    row[5] = datetime.datetime(1980, 1, 1)
    sheet.append(row)
    row = list(GOOD[3])
    row[5] = 33008  # an Excel serial
    sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = import_now(data=buffer.getvalue(), filename="台账.xlsx", scope=EVERYTHING)
    assert result.persons_created == 2 and not result.errors


@pytest.mark.parametrize(
    "data,filename",
    [
        (b"", "r.csv"),
        (b"\x00\x01garbage" * 50, "r.csv"),
        (b"PK\x03\x04broken", "r.xlsx"),
        ("姓名,年龄\n张三,30\n".encode(), "r.csv"),
        ("姓名,公民身份号码\n张三,1\n".encode(), "r.csv"),
        (b"\xff\xfe\xfa" * 40, "r.csv"),
        (b"x" * (10 * 1024 * 1024 + 10), "r.csv"),
    ],
    ids=[
        "empty",
        "binary",
        "truncated-xlsx",
        "no-header",
        "no-address-column",
        "bad-encoding",
        "10MB-line",
    ],
)
def test_broken_files_get_one_clear_message(street, data, filename):
    with pytest.raises(FileRejected) as rejected:
        import_now(data=data, filename=filename, scope=EVERYTHING)
    assert str(rejected.value)
    assert Person.objects.count() == 0


def test_the_cycle_collector_is_back_on_after_any_import(street, messy):
    # The import holds the collector off while the rows are in memory.
    import gc

    import_now(data=register(GOOD), filename="r.csv", scope=EVERYTHING)
    assert gc.isenabled()
    with pytest.raises(ImportRejected):
        import_now(data=messy, filename="r.csv", scope=EVERYTHING)
    assert gc.isenabled()
    with pytest.raises(FileRejected):
        import_now(data=b"\x00\x01garbage", filename="r.csv", scope=EVERYTHING)
    assert gc.isenabled()


def test_file_over_the_limit(street, settings):
    settings.MAX_IMPORT_FILE_BYTES = 100
    with pytest.raises(FileRejected):
        import_now(data=register(GOOD), filename="r.csv", scope=EVERYTHING)


def test_command_json_and_exit_status(street, messy, tmp_path, capsys):
    path = tmp_path / "登记表.csv"
    path.write_bytes(messy)
    with pytest.raises(CommandError) as error:
        call_command("import_register", str(path), "--json")
    assert error.value.returncode == 1
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {
        "rows",
        "flats_created",
        "flats_updated",
        "households_created",
        "households_updated",
        "persons_created",
        "persons_updated",
        "unchanged",
        "errors",
        "error_total",
        "error_counts",
        "error_examples",
        "changes",
        "change_total",
        "transfers_requested",
        "ignored_columns",
    }
    assert out["rows"] == 15 and len(out["errors"]) == 10
    assert out["errors"][0] == {
        "line": 8,
        "column": "公民身份号码",
        "code": "id_check",
        "message": out["errors"][0]["message"],
    }
    assert Person.objects.count() == 0

    good = tmp_path / "good.csv"
    good.write_bytes(register(GOOD))
    call_command("import_register", str(good), "--json", "--dry-run")
    assert json.loads(capsys.readouterr().out)["persons_created"] == 5
    assert Person.objects.count() == 0
    call_command("import_register", str(good), "--json")
    assert json.loads(capsys.readouterr().out)["persons_created"] == 5
    assert Person.objects.count() == 5
