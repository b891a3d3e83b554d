"""A matter's photos and PDFs: added through the API and the admin by staff over the
matter (all or none, the type read from the bytes), served to staff who see the matter,
and — a milestone's photos of a published matter only — to anyone, without the
uploader's file name."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from deliberation.models import MatterFile
from tests.matter_data import build_roll, compound_grid
from tests.task_data import png
from tests.test_public_pages import published

URL = "/api/v1/matters/"


@pytest.fixture
def grid(community_a):
    grid = compound_grid(community_a)
    build_roll(grid)
    return grid


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_files_through_the_api_all_or_none(api_as, alice, bob, grid, settings, tmp_path):
    matter = published(alice, grid)
    milestone = matter.milestones.get()
    record = matter.records.order_by("pk").first()
    client = api_as(alice)
    bad = client.post(
        f"{URL}{matter.pk}/files/",
        {"files": [upload("张伟家.png", png()), upload("setup.png", b"MZ\x90\x00" * 10)]},
        format="multipart",
    )
    assert bad.status_code == 400 and "setup.png" in str(bad.data)
    assert MatterFile.objects.count() == 0
    photo = client.post(
        f"{URL}{matter.pk}/files/",
        {"files": [upload("张伟家.png", png())], "milestone": milestone.pk},
        format="multipart",
    )
    assert photo.status_code == 201, photo.data
    minutes = client.post(
        f"{URL}{matter.pk}/files/",
        {"files": [upload("会议纪要.pdf", b"%PDF-1.4 ...")], "record": record.pk},
        format="multipart",
    )
    assert minutes.status_code == 201
    listed = client.get(f"{URL}{matter.pk}/files/").data
    assert [f["name"] for f in listed] == ["张伟家.png", "会议纪要.pdf"]
    other = api_as(bob)
    assert other.get(f"{URL}{matter.pk}/files/").status_code == 404
    assert (
        other.post(
            f"{URL}{matter.pk}/files/", {"files": [upload("a.png", png())]}, format="multipart"
        ).status_code
        == 404
    )
    wrong = client.post(
        f"{URL}{matter.pk}/files/",
        {"files": [upload("a.png", png())], "milestone": 999999},
        format="multipart",
    )
    assert wrong.status_code == 400 and MatterFile.objects.count() == 2


def test_who_sees_which_file(admin_as, alice, bob, grid):
    matter = published(alice, grid)
    milestone = matter.milestones.get()
    client = admin_as(alice)
    sent = client.post(
        f"/admin/deliberation/matter/{matter.pk}/files/",
        {"files": [upload("张伟家.png", png(4, 4))], "milestone": str(milestone.pk)},
        follow=True,
    )
    assert [str(m) for m in sent.context["messages"]] == ["已上传 1 个文件。"]
    client.post(
        f"/admin/deliberation/matter/{matter.pk}/files/",
        {"files": [upload("纪要.pdf", b"%PDF-1.4")]},
    )
    photo, pdf = MatterFile.objects.order_by("pk")
    assert client.get(f"/admin/deliberation/matter/files/{pdf.pk}/").status_code == 200
    assert admin_as(bob).get(f"/admin/deliberation/matter/files/{photo.pk}/").status_code == 404
    anonymous = Client()
    shown = anonymous.get(f"/public/photos/{photo.pk}/")
    assert shown.status_code == 200 and shown["Cache-Control"].startswith("public")
    assert "张伟" not in shown["Content-Disposition"]
    assert anonymous.get(f"/public/photos/{pdf.pk}/").status_code == 404
    page = anonymous.get(f"/public/matters/{matter.pk}/").content.decode()
    assert f"/public/photos/{photo.pk}/" in page and "张伟家" not in page


def test_an_unpublished_matters_photo_is_not_public(api_as, alice, grid):
    from deliberation import implementation, services
    from tests.matter_data import at_assembly

    matter = at_assembly(alice, grid, item=None)
    matter = services.advance(
        user=alice, matter=matter, outcome="passed", held_on=matter.created_at.date()
    )
    milestone = implementation.add_milestone(
        user=alice, matter=matter, title="施工", planned_on=matter.created_at.date()
    )
    response = api_as(alice).post(
        f"{URL}{matter.pk}/files/",
        {"files": [upload("a.png", png())], "milestone": milestone.pk},
        format="multipart",
    )
    assert response.status_code == 201
    assert Client().get(f"/public/photos/{response.data[0]['id']}/").status_code == 404
