"""Photos and PDFs on a task: the type sniffed from the bytes (a renamed program is
refused, with nothing written), the size and count limits, stored under MEDIA_ROOT with
a random name, served only to users who may see the task (404 to bob's community),
through the phone's handling, the admin's report and the API; the pages' queries
do not grow with the files."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from common import files
from tasks import services
from tasks.models import Attachment, Task
from tests.task_data import category, png, report
from tests.test_phone_pages import dispatched, phone

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56


@pytest.fixture
def _media(_own_media):
    return _own_media


def stored_files(media) -> list[str]:
    return sorted(p.name for p in media.rglob("*") if p.is_file()) if media.exists() else []


def arrived(alice, people, places) -> Task:
    task = dispatched(alice, places)
    for action in ("acknowledge", "arrive"):
        task = services.act(user=people["stella"], task=task, action=action)
    return task


@given(st.sampled_from(files.SIGNATURES), st.binary(max_size=24))
def test_a_known_signature_is_its_type_whatever_follows(signature, tail):
    content_type, extension, offset, magic = signature
    head = (b"RIFF\x00\x00\x00\x00" if offset else b"") + magic + tail
    assert files.sniff(head[:16]) == (content_type, extension)


@given(st.binary(max_size=16))
def test_bytes_without_a_signature_are_nothing(head):
    known = any(
        head[offset : offset + len(magic)] == magic for _, _, offset, magic in files.SIGNATURES
    )
    if not known:
        assert files.sniff(head) is None


@pytest.mark.django_db
def test_stella_handles_with_a_photo_that_only_her_community_sees(
    alice, bob, charlie, people, places, _media
):
    task = arrived(alice, people, places)
    client = phone(people["stella"])
    photo = SimpleUploadedFile("IMG_0001.JPG", png(), content_type="image/jpeg")
    response = client.post(
        f"/m/tasks/{task.pk}/handle/", {"note": "已清运", "photos": [photo]}, follow=True
    )
    assert response.status_code == 200
    [file] = Attachment.objects.filter(task=task)
    # The sniffed type, not the name's or the browser's; a random name on disk.
    assert file.content_type == "image/png" and file.name == "IMG_0001.JPG"
    assert file.event is not None and file.event.action == "handle"
    [on_disk] = stored_files(_media)
    assert on_disk.endswith(".png") and "IMG_0001" not in on_disk
    page = client.get(f"/m/tasks/{task.pk}/").content.decode()
    assert f"/m/files/{file.pk}/" in page
    for user in (people["stella"], alice, charlie):
        served = phone(user).get(f"/m/files/{file.pk}/")
        assert served.status_code == 200 and served["Content-Type"] == "image/png"
        assert b"".join(served.streaming_content) == png()
        assert served["Cache-Control"].startswith("private")
    assert phone(bob).get(f"/m/files/{file.pk}/").status_code == 404
    assert Client().get(f"/m/files/{file.pk}/").status_code == 302  # to the login
    detail = phone(alice).get(f"/admin/tasks/task/{task.pk}/change/").content.decode()
    assert f'href="/m/files/{file.pk}/"' in detail


@pytest.mark.django_db
def test_a_renamed_program_is_refused_and_nothing_is_written(alice, people, places, _media):
    task = arrived(alice, people, places)
    program = SimpleUploadedFile("现场照片.jpg", PROGRAM, content_type="image/jpeg")
    response = phone(people["stella"]).post(
        f"/m/tasks/{task.pk}/handle/", {"note": "已清运", "photos": [program]}, follow=True
    )
    assert "“现场照片.jpg”不是照片（JPEG、PNG、WebP）或 PDF" in response.content.decode()
    assert Task.objects.get(pk=task.pk).status == "arrived"
    assert not Attachment.objects.exists() and stored_files(_media) == []


@pytest.mark.django_db
def test_too_large_and_too_many_are_refused(alice, people, places, settings, _media):
    task = arrived(alice, people, places)
    settings.TASK_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.png", png() + b"\x00" * (1024 * 1024), content_type="image/png")
    with pytest.raises(services.ValidationError) as refused:
        services.add_attachments(user=people["stella"], task=task, files=[big])
    assert "大于 1 MB" in refused.value.messages[0]
    many = [SimpleUploadedFile(f"{n}.png", png()) for n in range(7)]
    with pytest.raises(services.ValidationError) as refused:
        services.add_attachments(user=people["stella"], task=task, files=many)
    assert "一次最多 6 个文件" in refused.value.messages[0]
    assert not Attachment.objects.exists() and stored_files(_media) == []


@pytest.mark.django_db
def test_the_api_adds_and_lists_files_within_the_jurisdiction(alice, bob, people, places):
    task = arrived(alice, people, places)
    client = phone(people["stella"])
    url = f"/api/v1/tasks/{task.pk}/attachments/"
    pdf = SimpleUploadedFile("整改通知.pdf", PDF, content_type="application/pdf")
    added = client.post(url, {"files": [pdf]})
    assert added.status_code == 201, added.content
    [row] = added.json()
    assert row["content_type"] == "application/pdf" and row["url"] == f"/m/files/{row['id']}/"
    assert [r["id"] for r in client.get(url).json()] == [row["id"]]
    served = client.get(row["url"])
    assert (
        served["Content-Type"] == "application/pdf"
        and "sandbox" in served["Content-Security-Policy"]
    )
    assert phone(bob).get(url).status_code == 404
    assert phone(bob).post(url, {"files": [SimpleUploadedFile("a.png", png())]}).status_code == 404
    empty = client.post(url, {})
    assert empty.status_code == 400 and "请至少选择" in empty.json()["files"][0]
    # An action takes files too: the handling's photo, in one request.
    handled = client.post(
        f"/api/v1/tasks/{task.pk}/handle/",
        {"note": "已清运", "files": [SimpleUploadedFile("after.png", png())]},
    )
    assert handled.status_code == 200 and handled.json()["status"] == "handled"
    assert Attachment.objects.filter(task=task, event__action="handle").count() == 1


@pytest.mark.django_db
def test_a_closed_task_takes_no_more_files(alice, people, places):
    task = arrived(alice, people, places)
    task = services.act(user=people["stella"], task=task, action="handle", note="已清运")
    task = services.act(user=alice, task=task, action="verify", passed=True)
    response = phone(alice).post(
        f"/api/v1/tasks/{task.pk}/attachments/", {"files": [SimpleUploadedFile("a.png", png())]}
    )
    assert response.status_code == 403 and not Attachment.objects.exists()


@pytest.mark.django_db
def test_the_admin_report_form_takes_photos(alice, places):
    photo = SimpleUploadedFile("垃圾.png", png(), content_type="image/png")
    response = phone(alice).post(
        "/admin/tasks/task/add/",
        {
            "title": "楼道口堆放垃圾",
            "category": category().pk,
            "node": places.stairwell.pk,
            "source": "patrol",
            "files": [photo],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    task = Task.objects.get()
    assert [f.name for f in task.attachments.all()] == ["垃圾.png"]
    assert task.attachments.get().event.action == "report"


@pytest.mark.django_db
def test_the_pages_take_the_same_queries_for_one_file_and_six(alice, people, places):
    task = report(alice, places.stairwell, files=[SimpleUploadedFile("1.png", png())])
    pages = [f"/m/tasks/{task.pk}/", f"/admin/tasks/task/{task.pk}/change/"]
    client = phone(alice)

    def counts() -> list[int]:
        found = []
        for page in pages:
            client.get(page)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(page).status_code == 200
            found.append(len(queries))
        return found

    one = counts()
    services.add_attachments(
        user=alice, task=task, files=[SimpleUploadedFile(f"{n}.png", png()) for n in range(5)]
    )
    assert counts() == one
