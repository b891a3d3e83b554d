"""An import's report: personal data never quoted, and bounded however bad the file.

Issue 8, items 6 and 8: the report is read by whoever may see the batch, with
or without the personal-data permission, and a 49 MB file of garbage once
stored 870,851 problems that every list of batches then dragged along.
"""

import pytest
from django.urls import reverse

from residents import import_engine, register_rows, services
from residents.import_engine import ImportRejected
from residents.models import ImportBatch
from tests.support import idn
from tests.test_register_import import GOOD, register

PHONE = "13916315342"
ID = idn("330106", "19720914", 17)


def one_bad(**cells: str) -> list[str]:
    row = GOOD[0][:]
    columns = {"sex": 2, "id_number": 4, "birth_date": 5, "phone": 8, "political": 9, "area": 12}
    for name, value in cells.items():
        row[columns[name]] = value
    return row


@pytest.mark.parametrize(
    "cells",
    [
        {"phone": f"{PHONE}/{PHONE[::-1]}"},
        {"sex": ID},
        {"political": ID},
        {"area": PHONE},
        {"birth_date": "1985-03-12"},
        {"birth_date": "1985-13-02"},
    ],
)
def test_messages_never_quote_personal_data(street, cells):
    with pytest.raises(ImportRejected) as rejected:
        services.import_now(data=register([one_bad(**cells)]), filename="x.csv")
    text = " ".join(p.message for p in rejected.value.result.errors)
    assert rejected.value.result.errors, cells
    for secret in (PHONE, PHONE[::-1], ID, "1985-03-12", "1985-13-02", "19800101", "1980-01-01"):
        assert secret not in text, text


def test_a_masked_phone_still_says_which_cell(street):
    with pytest.raises(ImportRejected) as rejected:
        services.import_now(data=register([one_bad(phone=f"{PHONE}/x")]), filename="x.csv")
    (problem,) = rejected.value.result.errors
    assert problem.column == "联系电话" and "139****5342" in problem.message


def garbage(rows: int) -> bytes:
    """A file with the right headers and nothing right under them."""
    bad = one_bad(id_number="123", phone="x")
    return register([bad] * rows)


def test_a_report_keeps_the_first_problems_and_counts_all(street, monkeypatch):
    monkeypatch.setattr(import_engine, "PROBLEMS_KEPT", 5)
    rows = [one_bad(phone="x", id_number=idn("330106", "19800101", n)) for n in (1, 3, 5)]
    rows += [one_bad(id_number="123")] * 4
    with pytest.raises(ImportRejected) as rejected:
        services.import_now(data=register(rows), filename="x.csv")
    result = rejected.value.result
    assert len(result.errors) == 5 and result.error_total == 7
    assert result.error_counts["by_code"] == {"bad_phone": 3, "id_length": 4}
    assert result.error_counts["by_column"] == {"联系电话": 3, "公民身份号码": 4}
    assert set(result.error_examples) == {"bad_phone", "id_length"}
    assert [p.line for p in result.errors] == sorted(p.line for p in result.errors)


def test_a_batch_stores_a_bounded_report(admin_as, api_as, alice, street, monkeypatch):
    monkeypatch.setattr(import_engine, "PROBLEMS_KEPT", 5)
    monkeypatch.setattr(import_engine, "GIVE_UP_AFTER_ROWS", 10_000)
    rows = [GOOD[0], GOOD[1], GOOD[2]] + [one_bad(id_number="123")] * 40
    batch = services.start_import(user=alice, data=register(rows), filename="x.csv")
    services.check_import(batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REJECTED
    assert len(batch.errors) == 5 and batch.error_count == 40
    api = api_as(alice)
    assert api.get(f"/api/v1/imports/{batch.pk}/").json()["error_count"] == 40
    assert api.get(f"/api/v1/imports/{batch.pk}/errors/").json()["count"] == 5
    client = admin_as(alice)
    page = client.get(reverse("admin:residents_importbatch_change", args=[batch.pk]))
    html = page.content.decode()
    assert 'id="more-errors"' in html and "35" in html and 'id="problem-kinds"' in html
    report = client.get(reverse("admin:residents_importbatch_errors", args=[batch.pk]))
    lines = report.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + 5 + 1 and "35" in lines[-1]


def test_a_file_that_is_no_register_stops_early(alice, street, monkeypatch):
    monkeypatch.setattr(import_engine, "GIVE_UP_AFTER_ROWS", 50)
    checked = []
    original = register_rows.Checker._check_row

    def counting(self, *args):
        checked.append(1)
        return original(self, *args)

    monkeypatch.setattr(register_rows.Checker, "_check_row", counting)
    batch = services.start_import(user=alice, data=garbage(500), filename="x.csv")
    services.check_import(batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and batch.error_count == 1
    assert "50" in batch.errors[0]["message"] and "停止" in batch.errors[0]["message"]
    assert len(checked) == 50


def test_lists_of_batches_do_not_read_the_reports(
    api_as, admin_as, alice, street, django_assert_max_num_queries
):
    batch = services.start_import(user=alice, data=register(GOOD), filename="x.csv")
    services.check_import(batch=batch)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as listed:
        api_as(alice).get("/api/v1/imports/")
        admin_as(alice).get(reverse("admin:residents_importbatch_changelist"))
        admin_as(alice).get(reverse("admin:residents_importbatch_progress", args=[batch.pk]))
    batches = [q["sql"] for q in listed.captured_queries if "residents_importbatch" in q["sql"]]
    assert batches and not any('"errors"' in sql or '"upload"' in sql for sql in batches)
