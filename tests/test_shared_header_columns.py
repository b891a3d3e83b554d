"""A header naming one column twice is refused whole, both columns named (issue 9).

A register whose header gave 姓名 twice imported a person called "汉族": the
later column silently won. Every import reads its header through
common.tabular.read_table, so the register and the tree are both covered.
"""

import pytest

from common.tabular import FileRejected, column_letter
from grids.models import Node
from grids.tree_import import import_tree
from residents.models import Person
from residents.services import import_now
from tests.support import idn


def test_column_letters_are_the_spreadsheets():
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("户号,姓名,公民身份号码,与户主关系,现居住地址,姓名", ["“姓名”（B列）", "“姓名”（F列）"]),
        (
            "户号,姓名,身份证号,与户主关系,现居住地址,公民身份号码",
            ["“身份证号”（C列）", "“公民身份号码”（F列）"],
        ),
    ],
)
def test_a_register_with_a_column_twice_is_refused(street, header, named):
    row = f"A1,张伟,{idn('330106', '19800101', 11)},户主,和达城1幢1单元101室,汉族"
    with pytest.raises(FileRejected) as refused:
        import_now(data=f"{header}\n{row}".encode(), filename="r.csv")
    message = str(refused.value)
    assert all(part in message for part in named), message
    assert not Person.objects.exists()


def test_a_tree_with_a_column_twice_is_refused(db):
    data = "编码,名称,层级,上级编码,名称\n330106051,测试街道,街道,,别名\n".encode()
    with pytest.raises(FileRejected) as refused:
        import_tree(data=data, filename="t.csv")
    assert "“名称”（B列）" in str(refused.value) and "“名称”（E列）" in str(refused.value)
    assert not Node.objects.exists()
