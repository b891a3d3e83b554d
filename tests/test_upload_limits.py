"""Uploads are refused by their size before they are read into memory.

A 300 MB upload raised a worker's memory by 184 MB before the size check. Now a
request announcing more than the file limit plus the multipart envelope is a
413 before any of its body is read, and an upload under that allowance whose
files pass the limit is stopped while it streams (common.uploads); files above
FILE_UPLOAD_MAX_MEMORY_SIZE stream to a temporary file under FILE_UPLOAD_TEMP_DIR.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from common.uploads import UploadTooLarge
from residents.models import ImportBatch
from tests.test_register_import import GOOD, register

API = "/api/v1/imports/"
ADMIN = reverse("admin:residents_importbatch_upload")
LIMIT = 200_000


@pytest.fixture
def limits(settings, tmp_path):
    settings.MAX_IMPORT_FILE_BYTES = LIMIT
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000  # so a larger file is spooled to disk
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    return tmp_path


@pytest.fixture
def client_of(street):
    def login(user) -> Client:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        return client

    return login


def a_file(size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("登记表.csv", b"x" * size)


class Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body was read")

    def readline(self, size: int | None = -1) -> bytes:
        raise AssertionError("the body was read")


@pytest.mark.parametrize("url", [API, ADMIN])
def test_a_request_too_long_is_refused_by_its_content_length_unread(client_of, alice, limits, url):
    response = client_of(alice).generic(
        "POST",
        url,
        b"",
        content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(300 * 1024 * 1024),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413
    assert not ImportBatch.objects.exists()


def test_an_api_upload_over_the_allowance_is_a_413_in_json(client_of, alice, limits):
    response = client_of(alice).post(API, {"file": a_file(LIMIT + 70 * 1024)})
    assert response.status_code == 413
    assert "MB" in response.json()["detail"] and "拆成" in response.json()["detail"]
    assert not ImportBatch.objects.exists()


def test_an_admin_upload_over_the_allowance_is_a_413_page(client_of, alice, limits):
    response = client_of(alice).post(ADMIN, {"file": a_file(LIMIT + 70 * 1024)})
    assert response.status_code == 413
    page = response.content.decode()
    assert "请求过大" in page and "拆成" in page and "微网格治理平台" in page
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("url", [API, ADMIN])
def test_an_upload_over_the_limit_but_under_the_allowance_is_stopped_while_it_streams(
    client_of, alice, limits, url
):
    file = a_file(LIMIT + 1)
    body = encode_multipart(BOUNDARY, {"file": file})
    assert len(body) < LIMIT + 64 * 1024  # the Content-Length passes
    file.seek(0)
    response = client_of(alice).post(url, {"file": file})
    assert response.status_code == 413
    text = response.json()["detail"] if url == API else response.content.decode()
    assert "拆成" in text
    assert not ImportBatch.objects.exists()
    assert list(limits.iterdir()) == []  # the spooled part was deleted


def test_a_file_over_the_limit_in_a_body_drf_parses_is_a_413(client_of, alice, limits, roster):
    """PATCH is parsed by DRF in the view, not by Django: the same handler and answer."""
    from residents.models import Household

    household = Household.objects.get(number="A1")
    body = encode_multipart(BOUNDARY, {"room": "102", "file": a_file(LIMIT + 1)})
    response = client_of(alice).patch(
        f"/api/v1/households/{household.pk}/", body, content_type=MULTIPART_CONTENT
    )
    assert response.status_code == 413 and "拆成" in response.json()["detail"]
    assert Household.objects.get(pk=household.pk).room == household.room
    assert list(limits.iterdir()) == []


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_the_handler_stops_reading_at_the_limit_whatever_the_announced_length(rf, limits):
    """As with a body whose length was not announced (chunked, or an ASGI server's spool)."""
    body = encode_multipart(BOUNDARY, {"file": a_file(5 * 1024 * 1024)})
    stream = CountingStream(body)
    request = rf.post(API)
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    with pytest.raises(UploadTooLarge):
        MultiPartParser(meta, stream, request.upload_handlers).parse()
    assert stream.bytes_read < LIMIT + 256 * 1024  # not the 5 MB
    assert list(limits.iterdir()) == []


def test_an_upload_under_the_limit_streams_to_disk_and_is_accepted(
    client_of, alice, limits, settings
):
    data = register(GOOD)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100  # this register is spooled to a temporary file
    response = client_of(alice).post(API, {"file": SimpleUploadedFile("登记表.csv", data)})
    assert response.status_code == 202, response.content
    assert bytes(ImportBatch.objects.get().upload) == data
    admin = client_of(alice).post(ADMIN, {"file": SimpleUploadedFile("登记表.csv", data)})
    assert admin.status_code == 302
    assert ImportBatch.objects.count() == 2


def test_a_json_body_over_the_memory_limit_is_a_413(client_of, alice, settings, street):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"notes": "走" * 10_000})
    response = client_of(alice).post("/api/v1/visits/", body, content_type="application/json")
    assert response.status_code == 413 and "KB" in response.json()["detail"]


def test_a_form_over_the_memory_limit_is_a_413_page(client_of, alice, settings, street):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = client_of(alice).post(reverse("admin:residents_visit_add"), {"notes": "走" * 10_000})
    assert response.status_code == 413 and "KB" in response.content.decode()
