"""An uploaded register is refused by its size before a byte of it is read (issue 8, item 9)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from residents import services
from residents.models import ImportBatch
from tests.test_register_import import GOOD, register


class Unreadable(SimpleUploadedFile):
    def read(self, *args, **kwargs):
        raise AssertionError("read before its size was checked")


def test_the_size_is_checked_before_reading(settings):
    settings.MAX_IMPORT_FILE_BYTES = 100
    with pytest.raises(ValidationError, match="MB"):
        services.read_upload(upload=Unreadable("big.csv", b"x" * 101))
    assert services.read_upload(upload=SimpleUploadedFile("ok.csv", b"x" * 100)) == b"x" * 100


def test_the_admin_refuses_a_large_file_in_chinese(admin_as, alice, street, settings):
    settings.MAX_IMPORT_FILE_BYTES = 100
    response = admin_as(alice).post(
        reverse("admin:residents_importbatch_upload"),
        {"file": SimpleUploadedFile("a.csv", register(GOOD))},
    )
    # Refused by the request's size (413) or by the form; in Chinese either way.
    assert response.status_code in (200, 413) and "上限" in response.content.decode()
    assert not ImportBatch.objects.exists()
