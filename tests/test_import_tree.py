import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from common.tabular import FileRejected
from grids.demo import SCALES, tree_rows
from grids.integrity import check_trees
from grids.models import Kind, Level, Node
from grids.tree_import import TreeImportFailed, import_tree
from tests.tree_files import as_cells, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def tiny_cells() -> list[list[str]]:
    return [
        as_cells(r)
        for r in tree_rows(SCALES["tiny"], street_code="330106050", street_name="导入街道")
    ]


def snapshot():
    return list(
        Node.objects.order_by("pk").values_list(
            "pk", "code", "name", "tree_id", "lft", "rght", "level"
        )
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda rows: ("tree.csv", csv_bytes(rows)),
        lambda rows: ("tree.csv", b"\xef\xbb\xbf" + csv_bytes(rows)),
        lambda rows: (
            "tree.csv",
            csv_bytes(rows, encoding="gb18030", title="白杨街道网格底册（2026年）"),
        ),
        lambda rows: ("tree.xlsx", xlsx_bytes(rows, title="网格划分表")),
    ],
    ids=["utf8", "utf8-bom", "gb18030-title-row", "xlsx"],
)
def test_loads_a_street_from_any_usual_file(make):
    filename, data = make(tiny_cells())
    result = import_tree(data=data, filename=filename)
    assert result.created == 39 and result.updated == 0
    assert Node.objects.filter(level=Level.STAIRWELL).count() == 24
    assert check_trees()[1] == []
    stairwell = Node.objects.filter(level=Level.STAIRWELL).order_by("lft").first()
    assert stairwell.compound and stairwell.building and stairwell.unit


def test_english_headers_and_values_are_accepted():
    data = (
        "code,name,level,parent_code,kind,compound,building,unit\n"
        "330106051,Test Street,street,,,,,\n"
        "330106051001,Campus Community,community,330106051,,,,\n"
        "330106051001001,University Grid,grid,330106051001,campus,浙江理工大学,,\n"
    ).encode()
    import_tree(data=data, filename="t.csv")
    assert Node.objects.get(code="330106051001001").kind == Kind.CAMPUS


def test_reimport_changes_nothing_and_a_renamed_node_updates_in_place():
    rows = tiny_cells()
    import_tree(data=csv_bytes(rows), filename="t.csv")
    before = snapshot()
    again = import_tree(data=csv_bytes(rows), filename="t.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 39)
    assert snapshot() == before
    rows[1][1] = "邻里社区（更名）"
    renamed = import_tree(data=csv_bytes(rows), filename="t.csv")
    assert (renamed.created, renamed.updated) == (0, 1)
    community = Node.objects.get(code=rows[1][0])
    assert community.name == "邻里社区（更名）"
    assert [row[0] for row in before if row[1] == community.code] == [community.pk]


def test_nodes_absent_from_the_file_are_left_alone_and_new_ones_slot_in():
    rows = tiny_cells()
    import_tree(data=csv_bytes(rows), filename="t.csv")
    grid = rows[2]
    partial = [
        rows[0],
        rows[1],
        grid,
        [grid[0] + "09", "新微网格", "微网格", grid[0], "住宅", "", "", ""],
    ]
    result = import_tree(data=csv_bytes(partial), filename="t.csv")
    assert result.created == 1
    assert Node.objects.count() == 40
    assert check_trees()[1] == []
    assert Node.objects.get(code=grid[0] + "09").compound == Node.objects.get(code=grid[0]).compound


def test_a_bad_file_lists_every_error_and_writes_nothing():
    rows = tiny_cells()
    import_tree(data=csv_bytes(rows[:3]), filename="t.csv")
    before = snapshot()
    bad = [
        *rows,
        ["330106050001999", "", "网格", "330106050001", "住宅", "", "", ""],  # empty name
        [
            "330106050009001",
            "孤儿网格",
            "网格",
            "330106050009",
            "住宅",
            "",
            "",
            "",
        ],  # unknown parent
        [
            "33010605000100199",
            "跳级",
            "微网格",
            "330106050001",
            "住宅",
            "",
            "",
            "",
        ],  # skipped level
        [rows[5][0], "重复", "微网格", rows[5][3], "住宅", "", "", ""],  # duplicate code
        [
            "330106050002888",
            "错前缀",
            "网格",
            "330106050001",
            "住宅",
            "",
            "",
            "",
        ],  # not under parent
        ["330106050001777", "坏类型", "网格", "330106050001", "农场", "", "", ""],  # bad kind
    ]
    with pytest.raises(TreeImportFailed) as failure:
        import_tree(data=csv_bytes(bad, title="标题行"), filename="t.csv")
    found = {(p.line, p.code) for p in failure.value.problems}
    first = 3 + len(rows)  # title row, header row, then the good rows
    assert (first, "empty_name") in found
    assert (first + 1, "unknown_parent") in found
    assert (first + 2, "skipped_level") in found
    assert (first + 3, "duplicate_code") in found
    assert (first + 4, "bad_code") in found
    assert (first + 5, "bad_kind") in found
    assert all(p.message for p in failure.value.problems)
    assert snapshot() == before


@pytest.mark.parametrize(
    "data,filename",
    [
        (b"", "t.csv"),
        (b"\x00\x01\x02garbage\xff" * 100, "t.csv"),
        (b"PK\x03\x04truncated", "t.xlsx"),
        ("名称,其他\n甲,乙\n".encode(), "t.csv"),
        (b"\xff\xfe\xfa" * 50, "t.csv"),
        (b"a" * (11 * 1024 * 1024), "t.csv"),
    ],
    ids=["empty", "binary", "truncated-xlsx", "no-header", "bad-encoding", "one-long-line"],
)
def test_broken_files_get_one_clear_message(data, filename, settings):
    settings.MAX_IMPORT_FILE_BYTES = 20 * 1024 * 1024
    with pytest.raises(FileRejected) as rejected:
        import_tree(data=data, filename=filename)
    assert str(rejected.value)
    assert Node.objects.count() == 0


def test_file_over_the_size_limit(settings):
    settings.MAX_IMPORT_FILE_BYTES = 1000
    with pytest.raises(FileRejected, match=r"MB"):
        import_tree(data=csv_bytes(tiny_cells()), filename="t.csv")


def test_command_prints_json_and_sets_exit_status(tmp_path, capsys):
    good = tmp_path / "street.csv"
    good.write_bytes(csv_bytes(tiny_cells(), encoding="gb18030"))
    call_command("import_tree", str(good), "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["created"] == 39 and out["errors"] == []

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["330106050001", "", "社区", "330106050", "", "", "", ""]]))
    with pytest.raises(CommandError) as error:
        call_command("import_tree", str(bad), "--json")
    assert error.value.returncode == 1
    out = json.loads(capsys.readouterr().out)
    assert out["errors"][0]["line"] == 2 and out["errors"][0]["column"] == "名称"


def test_dry_run_writes_nothing():
    result = import_tree(data=csv_bytes(tiny_cells()), filename="t.csv", dry_run=True)
    assert result.created == 39
    assert Node.objects.count() == 0


def test_a_new_stairwell_may_not_reuse_an_existing_address():
    rows = tiny_cells()
    import_tree(data=csv_bytes(rows), filename="t.csv")
    stairwell = next(r for r in rows if r[2] == "楼道")
    twin = [
        stairwell[0][:-3] + "099",
        "重复地址",
        "楼道",
        stairwell[3],
        "住宅",
        "",
        stairwell[6],
        stairwell[7],
    ]
    with pytest.raises(TreeImportFailed) as failure:
        import_tree(data=csv_bytes([twin]), filename="t.csv")
    assert [p.code for p in failure.value.problems] == ["duplicate_address"]
    assert stairwell[0] in failure.value.problems[0].message


def test_a_name_longer_than_a_node_holds_is_reported_not_a_failed_write():
    rows = tiny_cells()
    rows[-1][1] = "楼" * 101  # a stairwell: no row below depends on it
    with pytest.raises(TreeImportFailed) as failure:
        import_tree(data=csv_bytes(rows), filename="tree.csv")
    line = len(rows) + 1  # below the header
    assert [(p.line, p.column, p.code) for p in failure.value.problems] == [
        (line, "名称", "too_long")
    ]
    assert not Node.objects.exists()
