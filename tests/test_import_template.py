"""The imports' templates (CSV and XLSX) and the preview's first rows and warnings."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from residents import idnumbers, import_engine, owner_import, register_rows, services
from residents.import_template import TEMPLATE_SKIPS
from residents.models import ImportBatch
from tests.conftest import PASSWORD
from tests.support import chromium, credit_code, idn

pytestmark = pytest.mark.django_db

HEADERS = [
    label for field, label in register_rows.COLUMN_LABELS.items() if field not in TEMPLATE_SKIPS
]


def download(client, file_format: str, kind: str = "register") -> bytes:
    response = client.get(reverse("admin:residents_importbatch_template", args=[kind, file_format]))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'.{file_format}"')
    return response.content


def xlsx_rows(data: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_template_imports_cleanly_where_the_user_works(admin_as, alice, file_format):
    data = download(admin_as(alice), file_format)
    result = services.import_now(
        data=data, filename=f"template.{file_format}", user=alice, dry_run=True
    )
    assert [p.message for p in result.errors] == []
    assert (result.rows, result.persons_created, result.households_created) == (1, 1, 1)
    assert not ImportBatch.objects.exists()


def test_the_csv_template_is_utf8_with_bom_and_the_engines_headers(admin_as, alice):
    data = download(admin_as(alice), "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    header, example = [line.split(",") for line in data[3:].decode("utf-8").splitlines()]
    assert header == HEADERS
    assert idnumbers.is_valid(example[header.index("公民身份号码")])
    assert example[header.index("现居住地址")].startswith("和达城")


def test_the_xlsx_template_has_the_same_rows(admin_as, alice):
    client = admin_as(alice)
    csv_rows = [r.split(",") for r in download(client, "csv")[3:].decode("utf-8").splitlines()]
    assert xlsx_rows(download(client, "xlsx")) == csv_rows


def test_only_importers_get_the_template(admin_as, alice, frank):
    assert (
        admin_as(frank)
        .get(reverse("admin:residents_importbatch_template", args=["register", "csv"]))
        .status_code
        == 403
    )
    client = admin_as(alice)
    for kind, file_format in [("register", "xls"), ("tree", "csv")]:
        url = reverse("admin:residents_importbatch_template", args=[kind, file_format])
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_owners_template_imports_cleanly_where_the_user_works(admin_as, alice, file_format):
    data = download(admin_as(alice), file_format, kind="owners")
    result = services.import_now(
        data=data,
        filename=f"owners.{file_format}",
        user=alice,
        dry_run=True,
        kind=ImportBatch.Kind.OWNERS,
    )
    assert [p.message for p in result.errors] == []
    # 张三 and the co-owner 李四 of a flat the roll creates.
    assert (result.rows, result.owners_created, result.flats_created) == (1, 2, 1)
    header = xlsx_rows(data)[0] if file_format == "xlsx" else None
    if header is not None:
        assert header == [
            label for f, label in owner_import.COLUMN_LABELS.items() if f not in TEMPLATE_SKIPS
        ]


def test_the_upload_page_links_both_templates(admin_as, alice):
    html = admin_as(alice).get(reverse("admin:residents_importbatch_upload")).content.decode()
    assert 'id="template-csv"' in html and 'id="template-xlsx"' in html
    assert 'id="owners-template-csv"' in html and 'id="owners-template-xlsx"' in html


REGISTER = (
    "户号,姓名,性别,公民身份号码,出生日期,与户主关系,现居住地址,联系电话,备注\n"
    "T1,张伟,男,{a},1980-01-01,户主,和达城1幢1单元101室,13800000001,老住户\n"
    "T1,李娜,女,{b},,表妹,和达城1幢1单元101室,13800000002,\n"
    "T2,王芳,女,{c},,户主,和达城9幢1单元101室,13900000003,\n"
)


def checked_batch(alice, status=ImportBatch.Status.REJECTED) -> ImportBatch:
    data = REGISTER.format(
        a=idn("330106", "19800101", 11),
        b=idn("330106", "19820202", 12),
        c=idn("410103", "19900515", 22),
    ).encode("utf-8")
    return ImportBatch.objects.create(
        user=alice, filename="register.csv", upload=data, status=status, summary={"rows": 3}
    )


def test_the_preview_shows_the_first_rows_as_read_masked(admin_as, alice):
    batch = checked_batch(alice)
    html = (
        admin_as(alice)
        .get(reverse("admin:residents_importbatch_change", args=[batch.pk]))
        .content.decode()
    )
    rows = html[
        html.index('id="preview-rows"') : html.index("</table>", html.index('id="preview-rows"'))
    ]
    assert "身份证号" not in rows and "公民身份号码" in rows
    assert idn("330106", "19800101", 11) not in html and "13800000001" not in html
    assert "1980-01-01" not in html
    assert "和达城1幢1单元 101，T1，张伟，户主，1980年生" in rows
    assert rows.count("有问题，见下方列表") == 1  # 和达城9幢 does not exist


def test_the_preview_lists_every_warning(admin_as, alice):
    batch = checked_batch(alice, status=ImportBatch.Status.CHECKED)
    html = (
        admin_as(alice)
        .get(reverse("admin:residents_importbatch_change", args=[batch.pk]))
        .content.decode()
    )
    assert "未导入的列" in html
    assert "第 I 列“备注”" in html[html.index('id="ignored-columns"') :]
    warnings = html[html.index('id="import-warnings"') :]
    assert "未知的与户主关系“表妹”，按“其他”导入。" in warnings
    assert 'id="warning-kinds"' in html


def test_warnings_are_listed_up_to_the_reports_bound_and_counted_beyond(admin_as, alice):
    kept = import_engine.PROBLEMS_KEPT
    lines = [f"张{i},{idn('330106', '19800101', i)},,和达城1幢1单元101室" for i in range(kept + 5)]
    data = ("姓名,公民身份号码,与户主关系,现居住地址\n" + "\n".join(lines)).encode("utf-8")
    batch = ImportBatch.objects.create(
        user=alice, filename="r.csv", upload=data, status=ImportBatch.Status.REJECTED
    )
    html = admin_as(alice).get(reverse("admin:residents_importbatch_change", args=[batch.pk]))
    html = html.content.decode()
    listed = html[html.index('id="import-warnings"') : html.index('id="more-warnings"')]
    assert listed.count("单元格为空，按“其他”导入。") == kept
    assert "另有 5 条提醒" in html
    kinds = html[html.index('id="warning-kinds"') : html.index('id="import-warnings"')]
    assert f"<td>{kept + 5}</td>" in kinds


ROLL = (
    "房屋地址,专有部分面积（㎡）,业主姓名,证件号码,联系电话,共有人,交付状态,备注\n"
    "和达城1幢1单元101室,89.50,张伟,{a},13800000001,李娜,已交付,\n"
    "和达城1幢1单元102室,,某某置业有限公司,{code},,,未出售,开发商\n"
    "和达城9幢1单元101室,90,王芳,{c},,,,\n"
)


def test_the_owners_roll_preview_shows_its_rows_as_read_masked(admin_as, alice):
    data = ROLL.format(
        a=idn("330106", "19800101", 11), code=credit_code(7), c=idn("410103", "19900515", 22)
    ).encode("utf-8")
    batch = ImportBatch.objects.create(
        user=alice,
        kind=ImportBatch.Kind.OWNERS,
        filename="roll.csv",
        upload=data,
        status=ImportBatch.Status.REJECTED,
    )
    html = (
        admin_as(alice)
        .get(reverse("admin:residents_importbatch_change", args=[batch.pk]))
        .content.decode()
    )
    rows = html[
        html.index('id="preview-rows"') : html.index("</table>", html.index('id="preview-rows"'))
    ]
    assert "专有部分面积（㎡） → 专有部分面积" in rows
    assert idn("330106", "19800101", 11) not in html and "13800000001" not in html
    assert "和达城1幢1单元 101，张伟（自然人），共有人 李娜，89.50 m²，已交付" in rows
    assert "和达城1幢1单元 102，某某置业有限公司（单位），未出售" in rows
    assert rows.count("有问题，见下方列表") == 1  # 和达城9幢 does not exist
    assert "第 H 列“备注”" in html[html.index('id="ignored-columns"') :]


def test_no_preview_while_the_check_runs(admin_as, alice):
    batch = checked_batch(alice, status=ImportBatch.Status.CHECKING)
    html = (
        admin_as(alice)
        .get(reverse("admin:residents_importbatch_change", args=[batch.pk]))
        .content.decode()
    )
    assert 'id="preview-rows"' not in html


@pytest.fixture
def page():
    with chromium() as browser:
        yield browser.new_context(locale="zh-CN", accept_downloads=True).new_page()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_template_downloads_from_the_upload_page(page, live_server, alice):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/residents/importbatch/upload/")
    with page.expect_download() as download_info:
        page.click("#template-xlsx")
    path = download_info.value.path()
    assert download_info.value.suggested_filename == "register-template.xlsx"
    with open(path, "rb") as handle:
        assert xlsx_rows(handle.read())[0] == HEADERS
