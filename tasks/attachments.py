"""Photos and PDFs on a task: what is accepted, and storing them.

A file's type is sniffed from its first bytes, never taken from its name or the
browser's Content-Type: a renamed program is refused, a photo whose name lost
its extension is accepted. Only JPEG, PNG and WebP photos and PDFs are kept;
each is stored under MEDIA_ROOT with a random name and served only through
tasks.views.attachment, to users who may see the task. Who may add files is
tasks.services' to say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from tasks.models import Attachment, Task, TaskEvent

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


@dataclass(frozen=True)
class Checked:
    upload: UploadedFile
    content_type: str
    extension: str


def check(files: Sequence[UploadedFile], *, already: int = 0) -> list[Checked]:
    """The files, each a photo or PDF within the size limit; else a ValidationError
    naming every file refused and why (nothing is stored)."""
    per_upload = int(settings.TASK_ATTACHMENTS_PER_UPLOAD)
    per_task = int(settings.TASK_ATTACHMENTS_PER_TASK)
    if len(files) > per_upload:
        raise ValidationError({"files": _("At most %(n)d files at a time.") % {"n": per_upload}})
    if already + len(files) > per_task:
        raise ValidationError({"files": _("A task holds at most %(n)d files.") % {"n": per_task}})
    limit = int(settings.TASK_ATTACHMENT_MAX_BYTES)
    checked, problems = [], []
    for upload in files:
        name = upload.name or ""
        if (upload.size or 0) > limit:
            problems.append(
                _("“%(name)s” is larger than %(mb)d MB.")
                % {"name": name, "mb": limit // (1024 * 1024)}
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


def store(
    *, task: Task, user: Any, checked: Sequence[Checked], event: TaskEvent | None = None
) -> list[Attachment]:
    """Write the files and their rows; a file written before a failure is removed."""
    saved: list[Attachment] = []
    try:
        for item in checked:
            attachment = Attachment(
                task=task,
                event=event,
                name=(item.upload.name or "")[-200:],
                content_type=item.content_type,
                size=item.upload.size or 0,
                uploaded_by=user,
            )
            attachment.file.save(f"upload.{item.extension}", item.upload, save=False)
            saved.append(attachment)
            attachment.save()
    except BaseException:
        for attachment in saved:
            attachment.file.delete(save=False)
        raise
    return saved
