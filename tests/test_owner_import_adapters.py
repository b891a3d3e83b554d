"""The owners' roll through the admin and the API: upload → check → preview → confirm → undo."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from residents import services
from residents.models import ImportBatch, Owner
from tests.test_owner_import import GOOD, OUTSIDER, roll


def test_the_admin_uploads_checks_and_confirms_a_roll(admin_as, alice, roster):
    """The jobs are run here in turn (tests/test_import_jobs.py runs them on a real worker)."""
    client = admin_as(alice)
    page = client.get(reverse("admin:residents_importbatch_upload"))
    assert "业主名册" in page.content.decode()
    response = client.post(
        reverse("admin:residents_importbatch_upload"),
        {"kind": "owners", "file": SimpleUploadedFile("名册.csv", roll(*GOOD))},
    )
    batch = ImportBatch.objects.get(kind=ImportBatch.Kind.OWNERS)
    assert response.status_code == 302 and batch.kind == ImportBatch.Kind.OWNERS
    services.check_import(batch=batch)
    html = client.get(reverse("admin:residents_importbatch_change", args=[batch.pk])).content
    assert "待新建业主" in html.decode() and not Owner.objects.exists()
    services.confirm_import(batch=batch, user=alice)
    services.apply_import(batch=ImportBatch.objects.get(pk=batch.pk))
    assert Owner.objects.count() == 4
    services.undo_import(batch=ImportBatch.objects.get(pk=batch.pk), user=alice)
    assert not Owner.objects.exists()


def test_the_api_has_owner_imports_apart_from_register_imports(api_as, alice, bob, roster):
    api = api_as(alice)
    response = api.post(
        "/api/v1/owner-imports/",
        {"file": SimpleUploadedFile("名册.csv", roll(*GOOD))},
        format="multipart",
    )
    assert response.status_code == 202
    batch = ImportBatch.objects.get(pk=response.json()["id"])
    assert batch.kind == ImportBatch.Kind.OWNERS
    assert [b["id"] for b in api.get("/api/v1/owner-imports/").json()["results"]] == [batch.pk]
    assert batch.pk not in [b["id"] for b in api.get("/api/v1/imports/").json()["results"]]
    # bob (community B) does not see alice's roll, which is all community A.
    services.check_import(batch=ImportBatch.objects.get(pk=batch.pk))
    assert api_as(bob).get(f"/api/v1/owner-imports/{batch.pk}/").status_code == 404
    assert OUTSIDER not in api.get(f"/api/v1/owner-imports/{batch.pk}/errors/").content.decode()
