"""How large a request and an uploaded file may be, and the upload handler that holds to it.

Two limits, both from MAX_IMPORT_FILE_BYTES (the largest register or tree file
accepted):

- a request announcing more than the file limit plus UPLOAD_ENVELOPE_BYTES (the
  multipart headers and the form's other fields) is refused by its
  Content-Length before anything reads its body (common.middleware);
- the bytes of uploaded files are counted as they stream (CappedUploadHandler,
  first in FILE_UPLOAD_HANDLERS), and the upload stops at the file limit, so a
  body under the allowance, or one whose length was not announced, never
  spools more than that to disk. Files above FILE_UPLOAD_MAX_MEMORY_SIZE are
  spooled to FILE_UPLOAD_TEMP_DIR, not kept in memory.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _


def file_limit() -> int:
    """The most bytes of uploaded files one request may carry."""
    return int(settings.MAX_IMPORT_FILE_BYTES)


def request_limit() -> int:
    """The largest Content-Length accepted: the file limit and the multipart envelope."""
    return file_limit() + int(settings.UPLOAD_ENVELOPE_BYTES)


def too_large_message() -> str:
    return _(
        "The request is larger than %(mb)d MB, the largest file accepted. "
        "Split the register into smaller files and upload them one by one."
    ) % {"mb": max(1, file_limit() // (1024 * 1024))}


class UploadTooLarge(RequestDataTooBig):
    """Raised while an upload streams, once its files pass the file limit.

    A RequestDataTooBig, so that wherever it is not turned into a 413 (see
    common.middleware) Django still answers 400, never 500.
    """


class CappedUploadHandler(FileUploadHandler):
    """Counts the bytes of every uploaded file in a request and stops at the file limit.

    It passes each chunk on to the next handler (memory, then a temporary
    file) and keeps nothing itself. Past the limit it closes what the other
    handlers have written so far (a temporary file is deleted when closed) and
    raises UploadTooLarge; the rest of the body is not read.
    """

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.received = 0
        self.limit = file_limit()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self._close_other_handlers_files()
            raise UploadTooLarge(too_large_message())
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file

    def _close_other_handlers_files(self) -> None:
        for handler in getattr(self.request, "upload_handlers", []):
            file = getattr(handler, "file", None)
            if handler is not self and file is not None:
                file.close()
