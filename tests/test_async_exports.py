"""Large exports of the household and person lists run as a job: progress, then a download.

The job reads the list again for the user as they are when it runs, masks by
their permission then, neutralises formulas, and its file is the requesting
user's alone; every download is audited and the file expires.
"""

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from grids import services as grid_services
from grids.models import AccessLog, Assignment, Role
from residents import exports, jobs
from residents.models import ExportJob, Person
from tests.support import chromium, wait_until
from tests.test_browser_csp import Visitor

PERSON_FIELDS = ["name", "id_number", "phone", "address"]


@pytest.fixture
def always_a_job(monkeypatch):
    """Every export with a row in it goes to a worker (the roster is a few rows)."""
    monkeypatch.setattr(exports, "SYNCHRONOUS_ROWS", 0)


def ask(client, *, model: str = "person", file_format: str = "0", query: str = ""):
    fields = PERSON_FIELDS if model == "person" else ["address", "number", "community"]
    chosen = {f"{model}resource_{f}": "on" for f in fields}
    url = reverse(f"admin:residents_{model}_export") + (f"?{query}" if query else "")
    return client.post(url, {"resource": "0", "format": file_format, **chosen})


def asked(response) -> ExportJob:
    assert response.status_code == 302, response.content[:300]
    job = ExportJob.objects.get()
    assert response["Location"] == reverse(
        f"admin:{job.source.replace('.', '_')}_export_status", args=[job.pk]
    )
    return job


def url(job: ExportJob, step: str) -> str:
    return reverse(f"admin:{job.source.replace('.', '_')}_export_{step}", args=[job.pk])


def run(job: ExportJob) -> ExportJob:
    """What the worker does with the job's message."""
    exports.run_export(job=ExportJob.objects.get(pk=job.pk))
    return ExportJob.objects.get(pk=job.pk)


def downloaded(client, job: ExportJob) -> str:
    response = client.get(url(job, "download"))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Disposition"].startswith('attachment; filename="Person-')
    return response.content.decode("utf-8-sig")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_large_export_runs_on_a_worker_with_progress_and_a_download(
    worker, admin_as, alice, roster, always_a_job
):
    client = admin_as(alice)
    job = asked(ask(client))
    status = client.get(url(job, "status"))
    assert status.status_code == 200
    assert reverse("admin:residents_person_export_progress", args=[job.pk]) in (
        status.content.decode()
    )

    def finished() -> bool:
        return client.get(url(job, "progress")).json()["state"] == "done"

    wait_until(finished, "the export to be written", seconds=30)
    progress = client.get(url(job, "progress")).json()
    assert progress == {
        "state": "done",
        "label": "已完成，可下载",
        "percent": 100,
        "rows_done": 4,
        "rows_total": 4,
    }
    page = client.get(url(job, "status")).content.decode()
    assert url(job, "download") in page and "已完成，可下载" in page
    assert not AccessLog.objects.filter(action="export").exists()  # written, not yet seen
    body = downloaded(client, job)
    assert roster[0][3] in body and "13800000001" in body  # alice may see them in full
    assert "赵强" not in body
    log = AccessLog.objects.get(action="export")
    assert log.user == alice and log.count == 4 and "脱敏" not in log.what


def test_the_export_is_masked_for_a_user_without_the_permission(
    admin_as, frank, alice, roster, always_a_job
):
    client = admin_as(frank)
    job = run(asked(ask(client)))
    assert job.state == ExportJob.State.DONE and job.masked
    body = downloaded(client, job)
    assert roster[0][3] not in body and "13800000001" not in body
    assert roster[0][3][:6] + "*" * 12 in body and "138****0001" in body
    assert "（脱敏）" in AccessLog.objects.get(action="export").what


def test_the_permission_is_read_when_the_job_runs(admin_as, frank, roster, always_a_job):
    """Masked by the user's permission as it is when the file is written, not when asked."""
    from django.contrib.auth.models import Permission

    client = admin_as(frank)
    job = asked(ask(client))
    frank.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    assert roster[0][3] in downloaded(client, run(job))
    # A file written in full is refused once the permission is gone again.
    frank.user_permissions.clear()
    response = admin_as(frank).get(url(job, "download"))
    assert response.status_code == 403


def test_a_community_b_export_holds_none_of_community_a(admin_as, bob, roster, always_a_job):
    client = admin_as(bob)
    job = run(asked(ask(client, model="household")))
    response = client.get(url(job, "download"))
    body = response.content.decode("utf-8-sig")
    assert "云帆城" in body and "和达城" not in body
    assert AccessLog.objects.get(action="export").count == 2


def test_nobody_else_sees_or_downloads_an_export(
    admin_as, alice, bob, charlie, roster, always_a_job
):
    job = run(asked(ask(admin_as(alice))))
    for other in (bob, charlie):  # charlie, a street official, sees all of A's rows
        client = admin_as(other)
        for step in ("status", "progress", "download"):
            assert client.get(url(job, step)).status_code == 404, (other, step)
    # Nor through the other list's addresses.
    client = admin_as(alice)
    other_list = reverse("admin:residents_household_export_download", args=[job.pk])
    assert client.get(other_list).status_code == 404
    assert not AccessLog.objects.filter(action="export").exists()


def _end_assignments(user) -> None:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Assignment.objects.filter(staff__user=user).update(started_on=yesterday)
    for assignment in Assignment.objects.filter(staff__user=user):
        grid_services.end_assignment(assignment=assignment, ended_on=yesterday)


def test_a_user_who_lost_their_assignment_gets_nothing(admin_as, alice, roster, always_a_job):
    client = admin_as(alice)
    job = asked(ask(client))
    _end_assignments(alice)  # and with it the role's permissions
    job = run(job)
    assert job.state == ExportJob.State.FAILED and bytes(job.content) == b""
    assert "您的账号已不能导出此列表" in client.get(url(job, "status")).content.decode()


def test_the_jurisdiction_is_read_when_the_job_runs(
    admin_as, alice, community_b, roster, always_a_job
):
    """Asked in community A, moved to community B before the job ran: B's rows only."""
    client = admin_as(alice)
    job = asked(ask(client))
    _end_assignments(alice)
    grid_services.assign(staff=alice.staff, node=community_b, role=Role.COMMUNITY_WORKER)
    body = downloaded(client, run(job))
    assert "赵强" in body and "钱丽" in body
    assert not any(name in body for name in ("张伟", "李娜", "王芳", "HYPERLINK"))


def test_formulas_are_neutralised_in_csv_and_xlsx(admin_as, alice, roster, always_a_job):
    client = admin_as(alice)
    csv_job = run(asked(ask(client)))
    assert "'=HYPERLINK(1)" in downloaded(client, csv_job)
    ExportJob.objects.all().delete()
    xlsx_job = run(asked(ask(client, file_format="1")))
    response = client.get(url(xlsx_job, "download"))
    assert response["Content-Type"].endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    formula = next(c for c in cells if "HYPERLINK" in str(c.value))
    assert formula.value == "'=HYPERLINK(1)" and formula.data_type == "s"
    assert not any(c.data_type == "f" for c in cells)


def test_the_jobs_filters_are_read_as_the_list_reads_them(admin_as, alice, roster, always_a_job):
    client = admin_as(alice)
    job = run(asked(ask(client, query="residence_type__exact=floating")))
    assert job.rows_total == 1 and "王芳" in downloaded(client, job)
    # A stored query the list does not accept fails the job; nothing is written.
    ExportJob.objects.filter(pk=job.pk).delete()
    job = asked(ask(client))
    ExportJob.objects.filter(pk=job.pk).update(query="phone__startswith=138")
    job = run(job)
    assert job.state == ExportJob.State.FAILED and bytes(job.content) == b""
    page = client.get(url(job, "status")).content.decode()
    assert "不被接受" in page and "失败" in page
    assert url(job, "download") not in page


def test_a_list_refusing_the_filters_refuses_the_export_at_once(admin_as, alice, roster):
    response = ask(admin_as(alice), query="phone__startswith=138")
    assert response.status_code == 400
    assert not ExportJob.objects.exists()


def test_a_failed_job_says_why_in_chinese(admin_as, alice, roster, always_a_job):
    client = admin_as(alice)
    job = asked(ask(client))
    alice.is_active = False
    alice.save()
    job = run(job)
    assert job.state == ExportJob.State.FAILED
    alice.is_active = True
    alice.save()
    page = client.get(url(job, "status")).content.decode()
    assert "您的账号已不能导出此列表" in page
    assert client.get(url(job, "progress")).json()["label"] == "失败"


def test_an_unexpected_error_fails_the_job_at_once(
    admin_as, alice, roster, always_a_job, monkeypatch
):
    client = admin_as(alice)
    job = asked(ask(client))

    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "write_rows", broken)
    assert run(job).state == ExportJob.State.FAILED
    assert "导出意外失败" in client.get(url(job, "status")).content.decode()


def test_a_stalled_job_is_failed_with_a_chinese_message(admin_as, alice, roster, always_a_job):
    client = admin_as(alice)
    job = asked(ask(client))
    assert jobs.sweep_exports() == {"failed": 0, "deleted": 0}
    later = timezone.now() + exports.STALLED_AFTER + datetime.timedelta(minutes=1)
    assert exports.fail_stalled_exports(now=later) == 1
    assert "导出未完成" in client.get(url(job, "status")).content.decode()
    # The message the stalled job had lost arrives after all: it does nothing.
    with pytest.raises(ValidationError):
        run(job)


def test_a_job_is_claimed_once_however_often_it_is_delivered(alice, roster, always_a_job):
    job = exports.start_export(user=alice, model=Person, query="", columns=[], file_format="csv")
    first, second = ExportJob.objects.get(pk=job.pk), ExportJob.objects.get(pk=job.pk)
    exports.run_export(job=first)
    with pytest.raises(ValidationError):
        exports.run_export(job=second)
    jobs.run_export(job.pk)  # the task: logs and returns
    job = ExportJob.objects.get(pk=job.pk)
    assert job.state == ExportJob.State.DONE and job.rows_total == 4


def test_files_expire_and_the_records_stay(admin_as, alice, roster, always_a_job):
    client = admin_as(alice)
    job = run(asked(ask(client)))
    assert exports.delete_expired_exports() == 0
    later = timezone.now() + exports.KEPT_FOR + datetime.timedelta(minutes=1)
    assert exports.delete_expired_exports(now=later) == 1
    job = ExportJob.objects.get(pk=job.pk)
    assert job.state == ExportJob.State.EXPIRED
    assert bytes(job.content) == b"" and job.object_ids == "" and job.rows_total == 4
    response = client.get(url(job, "download"), follow=True)
    page = response.content.decode()
    assert "已过期" in page and "没有可下载的文件" in page
    assert not AccessLog.objects.filter(action="export").exists()


def test_the_sweep_is_scheduled():
    from config.celery import app

    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "residents.jobs.sweep_exports" in schedule


def test_a_small_export_is_answered_at_once(admin_as, alice, roster):
    response = ask(admin_as(alice))
    assert response.status_code == 200 and "张伟" in response.content.decode("utf-8-sig")
    assert not ExportJob.objects.exists()
    assert AccessLog.objects.get(action="export").count == 4
    response = ask(admin_as(alice), file_format="1")
    names = [c.value for c in openpyxl.load_workbook(io.BytesIO(response.content)).active["A"]]
    assert "张伟" in names and "'=HYPERLINK(1)" in names


def test_the_status_page_costs_a_fixed_number_of_queries(
    admin_as, alice, roster, always_a_job, django_assert_num_queries
):
    client = admin_as(alice)
    job = run(asked(ask(client)))
    client.get(url(job, "status"))
    with django_assert_num_queries(7):  # 5, the wartime banner and the unread count
        client.get(url(job, "status"))
    with django_assert_num_queries(3):  # the session, the user, the job
        client.get(url(job, "progress"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_status_page_follows_the_job_in_a_browser(worker, live_server, alice, roster):
    """The polling script (a static file, under the CSP) shows the link once the file is ready."""
    # Recorded without its message, so the page is open before the worker starts.
    job = ExportJob.objects.create(user=alice, source=ExportJob.Source.PERSONS, file_format="csv")
    with chromium() as browser:
        visitor = Visitor(browser, live_server.url)
        visitor.login("alice")
        visitor.open(url(job, "status"), wait_for="#export-progress")
        assert "排队中" in visitor.page.text_content("#state-label")
        jobs.run_export.delay(job.pk)
        visitor.page.wait_for_selector("#export-download", timeout=30_000)
        visitor.collect()
        assert "已完成，可下载" in visitor.page.text_content("#state-label")
        visitor.assert_clean()
