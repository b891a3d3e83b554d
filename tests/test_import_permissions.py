"""Who may import, in the admin as in the API and the command (issue 8, item 2).

gina leads the stairwell alice's file lands in: she sees the roster there
but may not read the batch's report nor confirm or undo it. charlie, the
street official, may follow every import of the street but write none.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from grids.models import Level, Node, Role
from residents import services
from residents.models import ImportBatch, Person
from tests.conftest import make_user
from tests.test_register_import import GOOD, register


def url(name: str, batch: ImportBatch) -> str:
    return reverse(f"admin:residents_importbatch_{name}", args=[batch.pk])


@pytest.fixture
def checked(alice) -> ImportBatch:
    """alice's register of one household, 和达城1幢1单元101室, checked and waiting."""
    batch = services.start_import(user=alice, data=register(GOOD[:3]), filename="a.csv")
    services.check_import(batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKED
    return batch


@pytest.fixture
def gina(street):
    stairwell = Node.objects.get(level=Level.STAIRWELL, compound="和达城", building="1", unit="1")
    return make_user("gina", stairwell, Role.STAIRWELL_LEADER)


def test_a_stairwell_leader_cannot_open_or_act_on_a_batch(admin_as, gina, checked):
    client = admin_as(gina)
    for name in ("change", "progress", "errors"):
        assert client.get(url(name, checked)).status_code == 403, name
    assert client.post(url("confirm", checked)).status_code == 403
    assert ImportBatch.objects.get(pk=checked.pk).status == ImportBatch.Status.CHECKED
    assert client.get(reverse("admin:residents_importbatch_upload")).status_code == 403


def test_a_stairwell_leader_cannot_undo_an_applied_batch(admin_as, alice, gina, checked):
    services.confirm_import(batch=checked, user=alice)
    services.apply_import(batch=ImportBatch.objects.get(pk=checked.pk))
    assert admin_as(gina).post(url("undo", checked)).status_code == 403
    assert ImportBatch.objects.get(pk=checked.pk).status == ImportBatch.Status.APPLIED
    assert Person.objects.count() == 3


def test_the_street_official_follows_but_does_not_write(admin_as, api_as, charlie, checked):
    client = admin_as(charlie)
    page = client.get(url("change", checked))
    assert page.status_code == 200
    assert 'id="confirm-form"' not in page.content.decode()
    assert client.post(url("confirm", checked)).status_code == 403
    assert ImportBatch.objects.get(pk=checked.pk).status == ImportBatch.Status.CHECKED
    assert client.get(reverse("admin:residents_importbatch_upload")).status_code == 403
    api = api_as(charlie)
    assert api.get(f"/api/v1/imports/{checked.pk}/").status_code == 200
    assert api.post(f"/api/v1/imports/{checked.pk}/confirm/", {}, format="json").status_code == 403
    upload = api.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("c.csv", register(GOOD))},
        format="multipart",
    )
    assert upload.status_code == 403
    assert ImportBatch.objects.count() == 1


def test_the_workers_own_page_offers_confirm(admin_as, alice, checked):
    assert 'id="confirm-form"' in admin_as(alice).get(url("change", checked)).content.decode()


def test_the_command_refuses_a_user_who_may_not_import(charlie, street, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(register(GOOD))
    with pytest.raises(CommandError, match="权限"):
        call_command("import_register", str(path), "--user", "charlie")
    assert not Person.objects.exists() and not ImportBatch.objects.exists()
