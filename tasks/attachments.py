"""Photos and PDFs on a task: the task's limits on common/files.py, and storing them.

Each is served only through tasks.views.attachment, to users who may see the
task. Who may add files is tasks.services' to say.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from common import files
from tasks.models import Attachment, Task, TaskEvent


def check(uploads: Sequence[UploadedFile], *, already: int = 0) -> list[files.Checked]:
    """The files within a task's limits; else a ValidationError naming each refused."""
    return files.check(
        uploads,
        already=already,
        per_upload=int(settings.TASK_ATTACHMENTS_PER_UPLOAD),
        per_object=int(settings.TASK_ATTACHMENTS_PER_TASK),
        max_bytes=int(settings.TASK_ATTACHMENT_MAX_BYTES),
        too_many=_("A task holds at most %(n)d files."),
    )


def store(
    *, task: Task, user: Any, checked: Sequence[files.Checked], event: TaskEvent | None = None
) -> list[Attachment]:
    """Write the files and their rows; a file written before a failure is removed."""
    rows = [
        Attachment(
            task=task,
            event=event,
            name=(item.upload.name or "")[-200:],
            content_type=item.content_type,
            size=item.upload.size or 0,
            uploaded_by=user,
        )
        for item in checked
    ]
    return files.save_all(rows, checked)
