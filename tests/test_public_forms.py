"""Registers laid out as the public population forms lay them out, each imported exactly.

Each register is written by hand from a form's published headers: the census
short and long forms (普查表短表/长表, with their R1./D1. question numbers and
codes), the 常住人口登记表, the 全员人口信息采集表 and the 流动人口登记表. What the
import keeps is compared field by field; the columns the platform does not
keep are left out and named in the preview.
"""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from openpyxl import Workbook

from common.tabular import FileRejected
from grids.jurisdiction import Scope
from grids.models import Level, Node
from residents.models import (
    Household,
    HouseholdKind,
    ImportBatch,
    Person,
    Relation,
    ResidenceType,
    Sex,
)
from residents.services import import_now
from tests.support import idn

EVERYTHING = Scope(everything=True)
pytestmark = pytest.mark.django_db


def form(text: str, **ids: str) -> list[list[str]]:
    """A register as a form lays it out, one line per row, cells split at commas."""
    return [line.strip().format(**ids).split(",") for line in text.strip().splitlines()]


def csv_file(rows: list[list[str]], encoding: str = "gb18030") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def excel_cell(text: str) -> object:
    """A cell as Excel keeps what was typed: short digit runs and 1983.1 as numbers."""
    if text.isdigit() and len(text) < 6:
        return int(text)
    if re.fullmatch(r"\d{4}\.\d{1,2}", text):
        return float(text)
    return text


def xlsx_file(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append([excel_cell(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def stored() -> dict[str | None, tuple]:
    """ID number -> what the import kept of the person and their household."""
    return {
        p.id_number: (
            p.name,
            p.sex,
            p.birth_date,
            p.relation,
            p.ethnicity,
            p.phone,
            p.registered_address,
            p.residence_type,
            f"{p.household.stairwell.compound}{p.household.stairwell.name}{p.household.room}",
            p.household.number,
            p.household.kind,
        )
        for p in Person.objects.select_related("household__stairwell")
    }


def households() -> list[tuple[str, str, str]]:
    return sorted(Household.objects.values_list("room", "number", "kind"))


IDS = {
    "zhang": idn("330106", "19820228", 11),
    "li": idn("330106", "19831015", 12),
    "son": idn("330106", "20100606", 13),
    "daughter": idn("330106", "20120909", 14),
    "grandma": idn("410102", "19500101", 16),
    "worker_a": idn("420102", "20010303", 21),
    "worker_b": idn("420102", "20020404", 23),
    "tenant": idn("510104", "19950505", 31),
    "wife": idn("510104", "19960606", 32),
}
ZHANG, LI, SON, DAUGHTER, GRANDMA = (IDS[k] for k in ("zhang", "li", "son", "daughter", "grandma"))
FAMILY, COLLECTIVE = HouseholdKind.FAMILY, HouseholdKind.COLLECTIVE

FULL_POPULATION_FORM = """
白杨街道全员人口信息采集表
序号,户号,户主姓名,姓名,性别,民族,公民身份号码,出生日期,与户主关系,文化程度,婚姻状况,现住址,户籍地址,联系电话,人口类型,登记日期
1,QY001,张伟,张伟,男,汉,{zhang},1982.02.28,本人,大学本科,已婚,和达城1幢1单元301室,浙江省杭州市西湖区文二路1号,13800000001,常住人口,2026-11-02
2,QY001,张伟,李娜,女,汉,{li},1983.10.15,妻,大专,已婚,和达城1幢1单元301室,浙江省杭州市西湖区文二路1号,,常住人口,2026-11-02
3,QY001,张伟,张小宝,男,汉,{son},2010.06.06,长子,小学,未婚,和达城1幢1单元301室,浙江省杭州市西湖区文二路1号,,常住人口,2026-11-02
"""


def test_the_full_population_form_of_the_issue(street):
    """全员人口信息采集: 现住址 places the household, 户籍地址 is kept, 文化程度… are left out."""
    data = csv_file(form(FULL_POPULATION_FORM, **IDS))
    result = import_now(data=data, filename="全员人口.csv", scope=EVERYTHING)
    assert result.errors == []
    home, hukou, registered = "和达城1幢1单元301", "浙江省杭州市西湖区文二路1号", ResidenceType.REGISTERED  # fmt: skip
    assert stored() == {
        ZHANG: ("张伟", Sex.MALE, datetime.date(1982, 2, 28), Relation.HEAD, "汉", "13800000001", hukou, registered, home, "QY001", FAMILY),
        LI: ("李娜", Sex.FEMALE, datetime.date(1983, 10, 15), Relation.SPOUSE, "汉", "", hukou, registered, home, "QY001", FAMILY),
        SON: ("张小宝", Sex.MALE, datetime.date(2010, 6, 6), Relation.CHILD, "汉", "", hukou, registered, home, "QY001", FAMILY),
    }  # fmt: skip
    again = import_now(data=data, filename="全员人口.csv", scope=EVERYTHING)
    assert (again.persons_created, again.persons_updated, again.households_updated) == (0, 0, 0)


CENSUS_SHORT_FORM = """
第七次全国人口普查表（短表）
普查区：白杨街道,,,普查小区：邻里社区
户编号,H1.户别,R1.姓名,R2.公民身份号码,R3.与户主关系,R4.性别,R5.出生年月,R6.民族,R7.普查时点居住地,R8.户口登记地,R9.离开户口登记地时间
PC0101,1,张伟,{zhang},0,1,198202,汉族,和达城1幢2单元502室,杭州市西湖区,
PC0101,1,李娜,{li},1,2,1983年10月,汉族,和达城1幢2单元502室,杭州市西湖区,
PC0101,1,王秀英,{grandma},4,2,1950-01,回族,和达城1幢2单元502室,郑州市中原区,五年以上
PC0101,1,张小妹,{daughter},2,2,2012.9,汉族,和达城1幢2单元502室,杭州市西湖区,
"""


def test_the_census_short_form_with_its_numbers_and_codes(street):
    """普查表短表: H/R question numbers, 户别 and relation and sex as codes, 出生年月."""
    result = import_now(
        data=csv_file(form(CENSUS_SHORT_FORM, **IDS)), filename="短表.csv", scope=EVERYTHING
    )
    assert result.errors == []
    kept = stored()
    assert {n: (v[0], v[1], v[3], v[4], v[6]) for n, v in kept.items()} == {
        ZHANG: ("张伟", Sex.MALE, Relation.HEAD, "汉族", "杭州市西湖区"),
        LI: ("李娜", Sex.FEMALE, Relation.SPOUSE, "汉族", "杭州市西湖区"),
        GRANDMA: ("王秀英", Sex.FEMALE, Relation.PARENT_IN_LAW, "回族", "郑州市中原区"),
        DAUGHTER: ("张小妹", Sex.FEMALE, Relation.CHILD, "汉族", "杭州市西湖区"),
    }
    # the birth date is the ID number's: the form gives only its year and month
    assert kept[GRANDMA][2] == datetime.date(1950, 1, 1)
    assert households() == [("502", "PC0101", FAMILY)]


CENSUS_LONG_FORM = """
第七次全国人口普查表（长表）
户编号,H1、户别（1家庭户 2集体户）,D1.姓名,D2.公民身份号码,D3.与户主关系（代码）,D4.性别（1男 2女）,D5.出生年月（年.月）,D6.民族,D7.普查时点居住地,D8.户口登记地,D12.受教育程度,D15.婚姻状况
L001,1,张伟,{zhang},0.户主,1,1982.02,汉族,金沙城2幢1单元101室,杭州市西湖区,7,2
L001,1,李娜,{li},1、配偶,2,1983.1,汉族,金沙城2幢1单元101室,杭州市西湖区,6,2
L002,2,赵强,{worker_a},,1,2001.03,汉族,金沙城3幢1单元101室,武汉市江岸区,5,1
L002,2,钱勇,{worker_b},,1,2002.04,土家族,金沙城3幢1单元101室,武汉市江岸区,5,1
"""


def test_the_census_long_form_in_excel_with_a_collective_household(street):
    """普查表长表 as Excel keeps it: numbers as numbers ("1983.1" is October), code and word
    together, notes in brackets; a dormitory's 集体户 has no head."""
    result = import_now(
        data=xlsx_file(form(CENSUS_LONG_FORM, **IDS)), filename="长表.xlsx", scope=EVERYTHING
    )
    assert result.errors == []
    kept = stored()
    assert {n: (v[0], v[1], v[3], v[8], v[10]) for n, v in kept.items()} == {
        ZHANG: ("张伟", Sex.MALE, Relation.HEAD, "金沙城2幢1单元101", FAMILY),
        LI: ("李娜", Sex.FEMALE, Relation.SPOUSE, "金沙城2幢1单元101", FAMILY),
        IDS["worker_a"]: ("赵强", Sex.MALE, Relation.OTHER, "金沙城3幢1单元101", COLLECTIVE),
        IDS["worker_b"]: ("钱勇", Sex.MALE, Relation.OTHER, "金沙城3幢1单元101", COLLECTIVE),
    }


PERMANENT_RESIDENTS_REGISTER = """
户别,户主姓名,姓名,户主或与户主关系,性别,民族,出生日期,公民身份证件编号,住址,服务处所
家庭户,张伟,张伟,户主,男,汉族,1982-02-28,{zhang},云帆城1幢1单元201室,
家庭户,张伟,张小宝,长子,男,汉族,2010-06-06,{son},云帆城1幢1单元201室,
家庭户,张伟,张小妹,次女,女,汉族,2012-09-09,{daughter},云帆城1幢1单元201室,
家庭户,李娜,李娜,本人,女,汉族,1983-10-15,{li},云帆城1幢1单元201室,某公司
家庭户,李娜,王秀英,母亲,女,回族,1950-01-01,{grandma},云帆城1幢1单元201室,
"""


def test_the_permanent_residents_register_two_households_of_a_flat_by_their_heads(street):
    """常住人口登记表: 户别, 户主姓名 and relations written out; no 户号, so the households
    sharing a flat are told apart by their heads' names."""
    data = csv_file(form(PERMANENT_RESIDENTS_REGISTER, **IDS), encoding="utf-8-sig")
    result = import_now(data=data, filename="常住人口.csv", scope=EVERYTHING)
    assert result.errors == []
    assert households() == [("201", "", FAMILY), ("201", "", FAMILY)]
    heads = {p.household_id: p.name for p in Person.objects.filter(relation=Relation.HEAD)}
    members = {p.name: heads[p.household_id] for p in Person.objects.all()}
    assert members == {
        "张伟": "张伟",
        "张小宝": "张伟",
        "张小妹": "张伟",
        "李娜": "李娜",
        "王秀英": "李娜",
    }
    assert Person.objects.get(id_number=GRANDMA).relation == Relation.PARENT


FLOATING_POPULATION_FORM = """
流动人口登记表
户编码,姓名,性别,民族,出生日期,公民身份号码,与户主关系,户籍所在地,现住地址,手机号,人口类型,来本地日期,居住事由
330106004001000101,孙磊,男,汉族,1995/5/5,{tenant},户主,四川省成都市锦江区,文鼎城4幢1单元602室,139 0000 0031,流动人口,2025-03-01,务工
330106004001000101,周敏,女,汉族,1996/6/6,{wife},妻子,四川省成都市锦江区,文鼎城4幢1单元602室,,流动人口,2025-03-01,随迁
"""


def test_the_floating_population_form(street):
    """流动人口登记表: 现住地址 where they live, 户籍所在地 kept, 手机号, 流动人口."""
    data = csv_file(form(FLOATING_POPULATION_FORM, **IDS))
    result = import_now(data=data, filename="流动人口.csv", scope=EVERYTHING)
    assert result.errors == []
    hukou, floating, home = "四川省成都市锦江区", ResidenceType.FLOATING, "文鼎城4幢1单元602"
    assert {n: (v[3], v[5], v[6], v[7], v[8]) for n, v in stored().items()} == {
        IDS["tenant"]: (Relation.HEAD, "13900000031", hukou, floating, home),
        IDS["wife"]: (Relation.SPOUSE, "", hukou, floating, home),
    }
    assert households() == [("602", "330106004001000101", FAMILY)]


def household_row(address_header: str, address: str) -> bytes:
    return (
        f"姓名,公民身份号码,与户主关系,{address_header}\n张伟,{ZHANG},户主,{address}\n"
    ).encode()


def test_a_registration_address_alone_places_nobody(street):
    for header in ("户籍地址", "户籍所在地", "户口登记地（详细地址）"):
        with pytest.raises(FileRejected) as refused:
            import_now(
                data=household_row(header, "和达城1幢1单元301室"),
                filename="r.csv",
                scope=EVERYTHING,
            )
        assert f"“{header}”是户籍登记的地址，不是实际居住的地方" in str(refused.value)
    assert not Person.objects.exists()


def test_the_households_place_is_the_address_only_without_a_current_one(street):
    data = f"户所在地,姓名,公民身份号码,与户主关系\n和达城1幢1单元301室,张伟,{ZHANG},户主\n"
    import_now(data=data.encode(), filename="r.csv", scope=EVERYTHING)
    assert households() == [("301", "", HouseholdKind.FAMILY)]
    both = (
        "户所在地,现住址,姓名,公民身份号码,与户主关系\n白杨街道,和达城1幢1单元302室,张伟,{},户主\n"
    )
    import_now(data=both.format(ZHANG).encode(), filename="r.csv", scope=EVERYTHING)
    assert Person.objects.get().household.room == "302"


def test_a_missing_header_names_the_chinese_columns(street):
    with pytest.raises(FileRejected) as refused:
        import_now(data="白杨街道\n甲,乙\n".encode(), filename="r.csv", scope=EVERYTHING)
    assert str(refused.value) == "前 10 行中没有找到表头；表头应包含“姓名”、“公民身份号码”列。"
    with pytest.raises(FileRejected) as refused:
        import_now(
            data="序号,姓名,性别,现住址\n1,张伟,男,和达城\n".encode(),
            filename="r.csv",
            scope=EVERYTHING,
        )
    assert str(refused.value) == "第 1 行像是表头，但缺少“公民身份号码”列。"


@pytest.mark.parametrize(
    ("cells", "code", "message"),
    [
        ({"出生年月": "198203"}, "birth_mismatch", "出生年月与身份证号中的出生年月不符。"),
        (
            {"出生年月": "1982.13"},
            "bad_month",
            "出生年月不是有效的年月（例如 1985.03、1985-3、198503）。",
        ),
        ({"性别": "1.女"}, "bad_sex", "无法识别的性别“1.女”。"),
        ({"户别": "3"}, "bad_household_kind", "未知的户别“3”，请填写 家庭户 或 集体户（1 或 2）。"),
        ({"联系电话": "不详"}, "bad_phone", "“不详”不是电话号码。"),
        ({"户主姓名": "李娜"}, "head_name_mismatch", "户主姓名与本户户主（第 2 行）的姓名不一致。"),
    ],
)
def test_values_the_forms_write_wrong_are_reported_in_chinese(street, cells, code, message):
    header = ",".join(["姓名", "公民身份号码", "与户主关系", "现住址", *cells])
    row = ",".join(["张伟", ZHANG, "0", "和达城1幢1单元301室", *cells.values()])
    result = import_now(
        data=f"{header}\n{row}\n".encode(), filename="r.csv", scope=EVERYTHING, dry_run=True
    )
    assert [(p.code, p.message) for p in result.errors] == [(code, message)]


def test_a_family_household_still_needs_its_head(street):
    data = f"户别,姓名,公民身份号码,与户主关系,现住址\n家庭户,张伟,{ZHANG},,和达城1幢1单元301室\n".encode()
    result = import_now(data=data, filename="r.csv", scope=EVERYTHING, dry_run=True)
    assert [p.code for p in result.errors] == ["household_heads"]
    collective = data.replace("家庭户".encode(), "集体户".encode())
    assert (
        import_now(data=collective, filename="r.csv", scope=EVERYTHING, dry_run=True).errors == []
    )


def test_the_preview_lists_the_columns_not_imported(admin_as, alice):
    stairwell = (
        Node.objects.filter(level=Level.STAIRWELL, compound="和达城").order_by("lft").first()
    )
    data = csv_file(
        [
            [
                "序号",
                "姓名",
                "公民身份号码",
                "与户主关系",
                "文化程度",
                "婚姻状况",
                "楼道编码",
                "房号",
                "登记日期",
            ],
            ["1", "张伟", ZHANG, "户主", "大学本科", "已婚", stairwell.code, "301", "2026-11-02"],
        ]
    )
    batch = ImportBatch.objects.create(
        user=alice,
        filename="r.csv",
        upload=data,
        status=ImportBatch.Status.CHECKED,
        summary={"rows": 1},
    )
    html = (
        admin_as(alice)
        .get(reverse("admin:residents_importbatch_change", args=[batch.pk]))
        .content.decode()
    )
    assert "<h2>未导入的列</h2>" in html
    listed = html[
        html.index('id="ignored-columns"') : html.index("</p>", html.index('id="ignored-columns"'))
    ]
    assert listed.endswith("第 A 列“序号”；第 E 列“文化程度”；第 F 列“婚姻状况”；第 I 列“登记日期”")


@pytest.mark.parametrize(
    ("header", "value", "limit"),
    [
        ("姓名", "张" * 51, 50),
        ("民族", "汉" * 21, 20),
        ("户号", "1" * 31, 30),
        ("户籍地址", "浙" * 201, 200),
        ("房号", "1" * 21, 20),
    ],
)
def test_a_cell_longer_than_its_field_is_reported_not_a_failed_write(street, header, value, limit):
    stairwell = (
        Node.objects.filter(level=Level.STAIRWELL, compound="和达城").order_by("lft").first()
    )
    cells = {
        "姓名": "张伟",
        "公民身份号码": ZHANG,
        "与户主关系": "户主",
        "楼道编码": stairwell.code,
        "房号": "301",
    }
    cells[header] = value
    data = csv_file([list(cells), list(cells.values())], encoding="utf-8")
    result = import_now(data=data, filename="r.csv", scope=EVERYTHING, skip_invalid=True)
    assert [(p.line, p.column, p.code) for p in result.errors] == [(2, header, "too_long")]
    assert f"最多能容纳的 {limit} 个字" in result.errors[0].message
    assert not Person.objects.exists()


def test_a_room_too_long_in_an_address_or_an_owners_name_is_reported(street):
    room = "1" * 21
    data = f"姓名,公民身份号码,与户主关系,现住址\n张伟,{ZHANG},户主,和达城1幢1单元{room}室\n"
    result = import_now(data=data.encode(), filename="r.csv", scope=EVERYTHING, dry_run=True)
    assert [(p.code, p.message) for p in result.errors] == [
        ("room_too_long", "地址中的房号超过了房号最多能容纳的 20 个字。")
    ]
    roll = f"房屋地址,业主姓名,共有人\n和达城1幢1单元101室,张伟,{'李' * 101}\n"
    result = import_now(
        data=roll.encode(),
        filename="roll.csv",
        scope=EVERYTHING,
        dry_run=True,
        kind=ImportBatch.Kind.OWNERS,
    )
    assert [(p.column, p.code) for p in result.errors] == [("共有人", "too_long")]


def test_the_report_names_the_columns_not_imported(street):
    result = import_now(
        data=csv_file(form(FULL_POPULATION_FORM, **IDS)),
        filename="r.csv",
        scope=EVERYTHING,
        dry_run=True,
    )
    assert result.as_dict()["ignored_columns"] == [
        {"column": "A", "header": "序号"},
        {"column": "J", "header": "文化程度"},
        {"column": "K", "header": "婚姻状况"},
        {"column": "P", "header": "登记日期"},
    ]


def test_a_registration_note_on_an_address_header_makes_it_the_registered_address(street):
    for header in ("住址（户籍地）", "地址(户口所在地)"):
        with pytest.raises(FileRejected) as refused:
            import_now(
                data=household_row(header, "和达城1幢1单元301室"),
                filename="r.csv",
                scope=EVERYTHING,
            )
        assert f"“{header}”是户籍登记的地址" in str(refused.value)
    import_now(
        data=household_row("住址（详细到门牌）", "和达城1幢1单元301室"),
        filename="r.csv",
        scope=EVERYTHING,
    )
    assert Person.objects.get().household.room == "301"


MERGED_HOUSEHOLD = """
户主姓名,姓名,公民身份号码,与户主关系,现住址
张伟,张伟,{zhang},户主,和达城1幢1单元301室
,李娜,{li},妻,和达城1幢1单元301室
,张小宝,{son},长子,和达城1幢1单元301室
李秀英,李秀英,{grandma},户主,和达城1幢1单元301室
"""


def test_a_head_name_given_on_the_households_first_line_only(street):
    """户主姓名 once per household, as a merged cell saved as CSV leaves it."""
    result = import_now(
        data=csv_file(form(MERGED_HOUSEHOLD, **IDS)), filename="r.csv", scope=EVERYTHING
    )
    assert result.errors == []
    sizes = sorted(h.members.count() for h in Household.objects.all())
    assert sizes == [1, 3]


def test_cells_merged_in_excel_are_read_on_every_line_of_the_merge(street):
    """户号, 户别 and the address merged over a household's lines (the sheet holds them in
    the first line only); a header merged across two columns stays one header."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["白杨街道人口登记表"])
    sheet.append(["户号", "户别", "姓名", "公民身份号码", "与户主关系", "现住址", ""])
    rows = [
        ["M1", "家庭户", "张伟", ZHANG, "户主", "和达城1幢1单元301室"],
        ["", "", "李娜", LI, "妻", ""],
        ["", "", "张小宝", SON, "长子", ""],
        ["M2", "集体户", "王秀英", GRANDMA, "", "金沙城1幢1单元101室"],
        ["", "", "张小妹", DAUGHTER, "", ""],
    ]
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("A1:G1")
    sheet.merge_cells("F2:G2")
    for column in "ABF":
        sheet.merge_cells(f"{column}3:{column}5")
        sheet.merge_cells(f"{column}6:{column}7")
    out = io.BytesIO()
    workbook.save(out)
    result = import_now(data=out.getvalue(), filename="merged.xlsx", scope=EVERYTHING)
    assert result.errors == []
    assert households() == [("101", "M2", COLLECTIVE), ("301", "M1", FAMILY)]
    assert Person.objects.get(id_number=SON).household.number == "M1"


def test_a_dormitory_on_record_needs_no_head_in_a_file_without_the_household_kind(street):
    dormitory = f"户号,户别,姓名,公民身份号码,现住址\nS1,集体户,张伟,{ZHANG},金沙城1幢1单元101室\n"
    import_now(data=dormitory.encode(), filename="r.csv", scope=EVERYTHING)
    update = (
        f"户号,姓名,公民身份号码,现住址,联系电话\nS1,张伟,{ZHANG},金沙城1幢1单元101室,13800000001\n"
    )
    result = import_now(data=update.encode(), filename="r.csv", scope=EVERYTHING)
    assert (result.errors, result.persons_updated) == ([], 1)
    assert households() == [("101", "S1", COLLECTIVE)]
    # a new household of several without a head is a family's, short of its head
    strangers = f"户号,姓名,公民身份号码,现住址\nS2,李娜,{LI},金沙城1幢1单元102室\nS2,张小宝,{SON},金沙城1幢1单元102室\n"
    result = import_now(data=strangers.encode(), filename="r.csv", scope=EVERYTHING, dry_run=True)
    assert [p.code for p in result.errors] == ["relation_needed"]


def test_a_file_without_relations_keeps_the_heads_on_record(street):
    """An update of phones lists no 与户主关系: the household on record keeps its head, even
    when the file lists only some of its members."""
    first = "姓名,公民身份号码,与户主关系,现住址\n张伟,{zhang},户主,和达城1幢1单元301室\n李娜,{li},妻,和达城1幢1单元301室\n"
    import_now(data=first.format(**IDS).encode(), filename="r.csv", scope=EVERYTHING)
    update = "姓名,公民身份号码,现住址,联系电话\n李娜,{li},和达城1幢1单元301室,13900000002\n"
    result = import_now(data=update.format(**IDS).encode(), filename="r.csv", scope=EVERYTHING)
    assert (result.errors, result.persons_updated) == ([], 1)
    assert {p.name: (p.relation, p.phone) for p in Person.objects.all()} == {
        "张伟": (Relation.HEAD, ""),
        "李娜": (Relation.SPOUSE, "13900000002"),
    }


FLOATING_WITHOUT_RELATIONS = """
流动人口登记表
姓名,性别,公民身份号码,户籍地址,实际居住地址,移动电话
孙磊,男,{tenant},四川省成都市锦江区,文鼎城4幢1单元601室,13900000031
周敏,女,{wife},四川省成都市锦江区,文鼎城4幢1单元602室,13900000032
赵强,男,{worker_a},湖北省武汉市江岸区,文鼎城4幢1单元603室,
钱勇,男,{worker_b},湖北省武汉市江岸区,文鼎城4幢1单元603室,
"""


def test_a_floating_population_form_without_relations_heads_each_lone_tenant(street):
    """Each tenant alone in a flat heads their household; two in one flat need the column."""
    data = csv_file(form(FLOATING_WITHOUT_RELATIONS, **IDS))
    result = import_now(data=data, filename="流动人口.csv", scope=EVERYTHING, skip_invalid=True)
    assert [(p.line, p.code) for p in result.errors] == [(5, "relation_needed")]
    assert "没有“与户主关系”列" in result.errors[0].message
    assert {p.name: p.relation for p in Person.objects.all()} == {
        "孙磊": Relation.HEAD,
        "周敏": Relation.HEAD,
    }
    assert households() == [("601", "", FAMILY), ("602", "", FAMILY)]


def test_a_file_without_relations_moves_no_one_into_or_out_of_a_headship(street):
    first = "户号,姓名,公民身份号码,与户主关系,现住址\nA,张伟,{zhang},户主,和达城1幢1单元301室\nA,李娜,{li},妻,和达城1幢1单元301室\nB,王秀英,{grandma},户主,和达城1幢1单元302室\n"
    import_now(data=first.format(**IDS).encode(), filename="r.csv", scope=EVERYTHING)
    moves = "户号,姓名,公民身份号码,现住址\nC,李娜,{li},和达城1幢1单元303室\nA,王秀英,{grandma},和达城1幢1单元301室\n"
    result = import_now(
        data=moves.format(**IDS).encode(), filename="r.csv", scope=EVERYTHING, dry_run=True
    )
    # 李娜 would start a household she does not head; 王秀英 would be a second head of A
    assert [(p.line, p.code) for p in result.errors] == [
        (2, "relation_needed"),
        (3, "relation_needed"),
    ]
