import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from residents.addresses import AddressError, StairwellDirectory, chinese_to_int, parse

CN = "零一二三四五六七八九"


def cn(n: int) -> str:
    if n < 10:
        return CN[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN[tens]) + "十" + (CN[ones] if ones else "")


@given(st.integers(min_value=1, max_value=99))
def test_chinese_numerals(n):
    assert chinese_to_int(cn(n)) == n


@pytest.mark.parametrize(
    "text,expected",
    [
        ("和达城3幢2单元501室", ("和达城", "3", "2", "501")),
        (
            "浙江省杭州市钱塘区白杨街道和达城3幢2单元501室",
            ("浙江省杭州市钱塘区白杨街道和达城", "3", "2", "501"),
        ),
        ("和达城3号楼2单元501", ("和达城", "3", "2", "501")),
        ("和达城3栋-2-501", ("和达城", "3", "2", "501")),
        ("和达城 ３# 2-501", ("和达城", "3", "2", "501")),
        ("和达城三栋二单元501", ("和达城", "3", "2", "501")),
        ("和达城十二幢一单元1201室", ("和达城", "12", "1", "1201")),
        ("和达城3-2-501", ("和达城", "3", "2", "501")),
        ("和达城3座501", ("和达城", "3", "", "501")),
    ],
)
def test_address_styles(text, expected):
    parsed = parse(text)
    assert parsed is not None
    assert (parsed.prefix, parsed.building, parsed.unit, parsed.room) == expected


@given(
    st.sampled_from(["和达城", "金沙花园", "云帆苑"]),
    st.integers(1, 40),
    st.integers(1, 6),
    st.integers(101, 3304),
    st.sampled_from(
        ["{c}{b}幢{u}单元{r}室", "{c}{b}号楼{u}单元{r}", "{c}{b}栋-{u}-{r}", "{c}{b}-{u}-{r}"]
    ),
)
def test_every_style_resolves_to_the_same_stairwell(compound, building, unit, room, style):
    directory = StairwellDirectory([(7, compound, str(building), str(unit))])
    parsed = parse(style.format(c=compound, b=building, u=unit, r=room))
    assert parsed is not None and parsed.room == str(room)
    assert directory.resolve(parsed) == 7


def test_errors_name_the_nearest_match():
    directory = StairwellDirectory(
        [(1, "和达城", "3", "1"), (2, "和达城", "3", "2"), (3, "和达城", "5", "1")]
    )
    with pytest.raises(AddressError) as error:
        directory.resolve(parse("和达成3幢2单元501"))
    assert error.value.code == "unknown_compound" and "和达城" in str(error.value)
    with pytest.raises(AddressError) as error:
        directory.resolve(parse("和达城4幢2单元501"))
    assert error.value.code == "unknown_building" and "3" in str(error.value)
    with pytest.raises(AddressError) as error:
        directory.resolve(parse("和达城3幢7单元501"))
    assert error.value.code == "unknown_unit" and "1、2" in str(error.value)
    # a building with a single unit needs no unit in the address
    assert directory.resolve(parse("和达城5幢501室")) == 3


def test_unparseable():
    assert parse("白杨街道某处") is None


@given(st.dates(min_value=datetime.date(1900, 3, 1), max_value=datetime.date(2030, 12, 31)))
def test_every_date_style_reads_the_same(day):
    from residents.values import EXCEL_EPOCH, parse_date

    styles = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}",
        f"{day:%Y%m%d}",
        f"{day.year}年{day.month}月{day.day}日",
        str((day - EXCEL_EPOCH).days),
    ]
    assert {parse_date(s) for s in styles} == {day}
