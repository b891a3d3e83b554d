"""Photos and PDFs attached to anything (a task, a matter): what is accepted, and serving.

A file's type is sniffed from its first bytes, never taken from its name or the
browser's Content-Type: a renamed program is refused, a photo whose name lost
its extension is accepted. Only JPEG, PNG and WebP photos and PDFs are kept,
each stored under MEDIA_ROOT with a random name and served only through a view
that checks who may see it (serve() below). Who may add files is each app's
services' to say; the limits are each app's settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# (content type, extension, the bytes it starts with at the given offset)
SIGNATURES: tuple[tuple[str, str, int, bytes], ...] = (
    ("image/jpeg", "jpg", 0, b"\xff\xd8\xff"),
    ("image/png", "png", 0, b"\x89PNG\r\n\x1a\n"),
    ("image/webp", "webp", 8, b"WEBP"),
    ("application/pdf", "pdf", 0, b"%PDF-"),
)


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a file from its first 16 bytes, or None."""
    for content_type, extension, offset, magic in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if content_type == "image/webp" and not head.startswith(b"RIFF"):
                continue
            return content_type, extension
    return None


class StoredFile(models.Model):
    """What every stored photo or PDF row keeps beside its `file` (each model declares its
    own, with its own path): the uploader's file name, the sniffed type, the size."""

    name = models.CharField(gettext_lazy("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(gettext_lazy("size"))
    uploaded_at = models.DateTimeField(gettext_lazy("uploaded at"), auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


@dataclass(frozen=True)
class Checked:
    upload: UploadedFile
    content_type: str
    extension: str


def check(
    files: Sequence[UploadedFile],
    *,
    already: int,
    per_upload: int,
    per_object: int,
    max_bytes: int,
    too_many: str,
) -> list[Checked]:
    """The files, each a photo or PDF within the size limit; else a ValidationError
    naming every file refused and why (nothing is stored). `too_many` says how many
    the object holds at most (with %(n)d)."""
    if len(files) > per_upload:
        raise ValidationError({"files": _("At most %(n)d files at a time.") % {"n": per_upload}})
    if already + len(files) > per_object:
        raise ValidationError({"files": too_many % {"n": per_object}})
    checked, problems = [], []
    for upload in files:
        name = upload.name or ""
        if (upload.size or 0) > max_bytes:
            problems.append(
                _("“%(name)s” is larger than %(mb)d MB.")
                % {"name": name, "mb": max_bytes // (1024 * 1024)}
            )
            continue
        upload.seek(0)
        kind = sniff(upload.read(16))
        upload.seek(0)
        if kind is None:
            problems.append(
                _("“%(name)s” is not a photo (JPEG, PNG, WebP) or a PDF.") % {"name": name}
            )
            continue
        checked.append(Checked(upload, *kind))
    if problems:
        raise ValidationError({"files": problems})
    return checked


def save_all(rows: Sequence[Any], checked: Sequence[Checked]) -> list[Any]:
    """Write each row's file (`rows[i].file` from `checked[i]`) and the row; a file written
    before a failure is removed."""
    saved: list[Any] = []
    try:
        for row, item in zip(rows, checked, strict=True):
            row.file.save(f"upload.{item.extension}", item.upload, save=False)
            saved.append(row)
            row.save()
    except BaseException:
        for row in saved:
            row.file.delete(save=False)
        raise
    return saved


def serve(found: Any, *, public: bool = False) -> FileResponse:
    """A stored photo or PDF (`file`, `name`, `content_type`, `is_image`): a photo shown, a
    PDF downloaded (a browser's PDF viewer would not run under the sandbox below).
    Private files are kept by no shared cache; a published photo may be, and goes out
    without the uploader's file name (a phone's, or a resident's name in it)."""
    try:
        handle = found.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    response = FileResponse(
        handle,
        content_type=found.content_type,
        filename=found.name,
        as_attachment=not found.is_image,
    )
    response["Cache-Control"] = "public, max-age=86400" if public else "private, max-age=3600"
    # A PDF's scripts run in no origin of ours.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response
