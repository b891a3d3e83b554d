"""A matter's photos and PDFs: added by staff who may change the matter, to the matter,
one of its live deliberation records, or one of its milestones (the implementation's
photos, the only ones the public pages show once the resolution is published)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from common import files
from deliberation import access, selectors
from deliberation.models import Action, Matter, MatterFile, Milestone


@transaction.atomic
def add_files(
    *,
    user: Any,
    matter: Matter,
    uploads: Sequence[UploadedFile],
    milestone: int | None = None,
    record: int | None = None,
) -> list[MatterFile]:
    """All or none: a refused file refuses the upload, and nothing is stored."""
    matter = access.locked(user, access.CHANGE, matter)
    if not uploads:
        raise ValidationError({"files": _("Choose at least one photo or PDF.")})
    if milestone is not None and not Milestone.objects.filter(pk=milestone, matter=matter).exists():
        raise ValidationError({"milestone": _("Not a milestone of this matter.")})
    live = {r.pk for r in selectors.live_records(matter).values()}
    if record is not None and record not in live:
        raise ValidationError({"record": _("Not a deliberation of this matter.")})
    checked = files.check(
        uploads,
        already=matter.files.count(),
        per_upload=int(settings.MATTER_FILES_PER_UPLOAD),
        per_object=int(settings.MATTER_FILES_PER_MATTER),
        max_bytes=int(settings.TASK_ATTACHMENT_MAX_BYTES),
        too_many=_("A matter holds at most %(n)d files."),
    )
    rows = [
        MatterFile(
            matter=matter,
            milestone_id=milestone,
            record_id=record,
            name=(item.upload.name or "")[-200:],
            content_type=item.content_type,
            size=item.upload.size or 0,
            uploaded_by=user,
        )
        for item in checked
    ]
    saved = files.save_all(rows, checked)
    access.log(matter, user=user, action=Action.FILES, note="、".join(f.name for f in saved))
    return saved
