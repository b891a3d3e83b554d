"""Exports of the household and person lists: written at once when small, else by a worker.

One path writes the rows (`write_rows`), for both: the list's export resource
(masks decided by the user's permission, formula-like cells made inert by
SafeResource) over the list's own queryset. A job keeps only what was asked —
the list, its query string, the columns, the format — and reads the list again
when it runs, for the user as they are then: their jurisdiction, their
permission to see personal data, and only the filters the change list itself
accepts. The file is audited when it is downloaded, as a synchronous export is
when it is answered, and deleted after KEPT_FOR.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from import_export.admin import ExportMixin
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from grids import personal_data
from grids.models import AccessLog
from residents.models import ExportJob

logger = logging.getLogger(__name__)

# Up to this many rows an export is written within the request: under a second
# in either format (a whole street's persons took 21 s as CSV, 45 s as XLSX).
SYNCHRONOUS_ROWS = 2_000
# Rows between two progress reports: a few a second, each one small UPDATE.
PROGRESS_EVERY = 500
# The file holds ID numbers and phones as the user may see them: kept a day.
KEPT_FOR = datetime.timedelta(hours=24)
# A job queued or running this long with no progress lost its worker (or its message).
STALLED_AFTER = datetime.timedelta(minutes=30)

CONTENT_TYPES = {
    ExportJob.Format.CSV: "text/csv; charset=utf-8",
    ExportJob.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportRefused(Exception):
    """The list cannot be exported for this user as they are now; the message says why."""


@dataclass(frozen=True)
class Written:
    content: bytes
    ids: list[int]


class _CsvSheet:
    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.buffer.write("\ufeff")  # so Excel reads UTF-8
        self.writer = csv.writer(self.buffer)

    def append(self, row: Iterable[Any]) -> None:
        self.writer.writerow(row)

    def close(self) -> bytes:
        return self.buffer.getvalue().encode("utf-8")


class _XlsxSheet:
    """openpyxl's write-only mode: rows go out as they come instead of a workbook in memory."""

    def __init__(self) -> None:
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet()

    def append(self, row: Iterable[Any]) -> None:
        # Control characters make openpyxl refuse the whole file; tablib put "-" for them too.
        self.sheet.append(
            [ILLEGAL_CHARACTERS_RE.sub("-", v) if isinstance(v, str) else v for v in row]
        )

    def close(self) -> bytes:
        buffer = io.BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()


def write_rows(
    *,
    resource: Any,
    queryset: QuerySet[Any],
    columns: list[str],
    file_format: str,
    progress: Callable[[int], None] | None = None,
) -> Written:
    """The file of `queryset` as `resource` exports it: its headers, then a row per record.

    `columns` are the resource's field names the user chose (none: all);
    anything else in it is ignored, so a stored list cannot name a field the
    resource does not declare.
    """
    selected = [c for c in columns if c in resource.fields] or None
    xlsx = file_format == ExportJob.Format.XLSX
    sheet = _XlsxSheet() if xlsx else _CsvSheet()
    sheet.append(resource.get_export_headers(selected_fields=selected))
    ids: list[int] = []
    for record in resource.iter_queryset(queryset):
        # Numbers and dates stay numbers and dates in a spreadsheet, text in a CSV.
        sheet.append(
            resource.export_resource(record, selected_fields=selected, force_native_type=xlsx)
        )
        ids.append(record.pk)
        if progress is not None and len(ids) % PROGRESS_EVERY == 0:
            progress(len(ids))
    return Written(sheet.close(), ids)


def _audit(*, user: Any, model: type[Model], masked: bool, ids: Iterable[int]) -> None:
    what = str(model._meta.verbose_name_plural) + (str(_(" (masked)")) if masked else "")
    personal_data.log_access(user=user, action=AccessLog.Action.EXPORT, what=what, ids=ids)


def is_small(queryset: QuerySet[Any]) -> bool:
    """Small enough to write within the request (counting no further than the limit)."""
    return queryset[: SYNCHRONOUS_ROWS + 1].count() <= SYNCHRONOUS_ROWS


def export_now(
    *, user: Any, resource: Any, queryset: QuerySet[Any], columns: list[str], file_format: str
) -> Written:
    """A small export, written and audited within the request."""
    written = write_rows(
        resource=resource, queryset=queryset, columns=columns, file_format=file_format
    )
    _audit(user=user, model=queryset.model, masked=not personal_data.may_see(user), ids=written.ids)
    return written


def source_of(model: type[Model]) -> str:
    return ExportJob.Source(model._meta.label_lower)


def jobs_of(*, user: Any, model: type[Model]) -> QuerySet[ExportJob]:
    """The user's own exports of one list; the file and its record list are left unread."""
    return ExportJob.objects.filter(user_id=user.pk, source=source_of(model)).defer(
        "content", "object_ids"
    )


@transaction.atomic
def start_export(
    *, user: Any, model: type[Model], query: str, columns: list[str], file_format: str
) -> ExportJob:
    """Record what the user asked and queue the job that writes it."""
    job = ExportJob(
        user=user,
        source=source_of(model),
        query=query,
        columns=columns,
        file_format=file_format,
        language=translation.get_language() or "",
    )
    job.full_clean(exclude=["content"])
    job.save()
    from residents import jobs

    transaction.on_commit(lambda: jobs.run_export.delay(job.pk))
    return job


def _transition(job: ExportJob, to: str, **fields: Any) -> ExportJob:
    """Move a job along its pipeline, claimed with UPDATE … WHERE state = old.

    Two deliveries of one job (or a job and the sweeper) never both take a step.
    """
    old = job.state
    if to not in ExportJob.PIPELINE[old]:
        raise ValidationError(
            _("An export that is “%(old)s” cannot become “%(new)s”.")
            % {"old": ExportJob.State(old).label, "new": ExportJob.State(to).label}
        )
    fields["touched_at"] = timezone.now()
    if not ExportJob.objects.filter(pk=job.pk, state=old).update(state=to, **fields):
        raise ValidationError(_("This export was changed meanwhile; reload the page."))
    job.state = to
    for name, value in fields.items():
        setattr(job, name, value)
    return job


def _fail(job: ExportJob, message: str) -> ExportJob:
    return _transition(job, ExportJob.State.FAILED, error=message, finished_at=timezone.now())


def _changelist_request(job: ExportJob, user: Any, model: type[Model]) -> HttpRequest:
    """A GET of the list with the stored query string, as the user would send it now."""
    request = HttpRequest()
    request.method = "GET"
    request.path = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    request.GET = QueryDict(job.query)
    request.user = user
    return request


def _list_for(job: ExportJob) -> tuple[Any, Any, QuerySet[Any]]:
    """The user (read afresh), the list's resource and its queryset for the job's query.

    The queryset is the change list's own, built by the list's admin for that
    user: their jurisdiction today (none if they lost their assignments), and
    the filters and search that list accepts — the query string is trusted no
    further than the list itself would trust it.
    """
    model = apps.get_model(job.source)
    model_admin = admin.site.get_model_admin(model)
    user = get_user_model().objects.filter(pk=job.user_id, is_active=True, is_staff=True).first()
    if user is None or not isinstance(model_admin, ExportMixin):
        raise ExportRefused(_("Your account may no longer export this list."))
    request = _changelist_request(job, user, model)
    if not (
        model_admin.has_view_permission(request) and model_admin.has_export_permission(request)
    ):
        raise ExportRefused(_("Your account may no longer export this list."))
    try:
        queryset = model_admin.get_export_queryset(request)
    except (IncorrectLookupParameters, SuspiciousOperation) as error:
        raise ExportRefused(
            _("The list's filters or search are not accepted; export again from the list.")
        ) from error
    # Each roster list has one export resource; the export form offers no other.
    resource_class = model_admin.get_export_resource_classes(request)[0]
    return user, resource_class(**model_admin.get_export_resource_kwargs(request)), queryset


def _progress_of(job: ExportJob) -> Callable[[int], None]:
    def report(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.RUNNING).update(
            rows_done=done, touched_at=timezone.now()
        )

    return report


def run_export(*, job: ExportJob) -> ExportJob:
    """The worker's step: claim the queued job, write the file, store it (or the failure).

    A job already claimed raises ValidationError and is left to its first delivery.
    """
    _transition(job, ExportJob.State.RUNNING)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            user, resource, queryset = _list_for(job)
        except ExportRefused as error:
            return _fail(job, str(error))
        try:
            ExportJob.objects.filter(pk=job.pk).update(rows_total=queryset.count())
            written = write_rows(
                resource=resource,
                queryset=queryset,
                columns=job.columns,
                file_format=job.file_format,
                progress=_progress_of(job),
            )
        except Exception:
            # The state is what the user sees: a failure says so at once, not after
            # STALLED_AFTER; the traceback is for the log.
            logger.exception("export %s failed", job.pk)
            return _fail(
                job,
                _(
                    "The export failed unexpectedly. Try again, or ask the platform's "
                    "administrator."
                ),
            )
    now = timezone.now()
    return _transition(
        job,
        ExportJob.State.DONE,
        content=written.content,
        object_ids=",".join(str(pk) for pk in written.ids),
        rows_done=len(written.ids),
        rows_total=len(written.ids),
        masked=not personal_data.may_see(user),
        finished_at=now,
        expires_at=now + KEPT_FOR,
    )


@dataclass(frozen=True)
class Download:
    content: bytes
    filename: str
    content_type: str


def download(*, job: ExportJob, user: Any) -> Download:
    """The finished file of an export, its download audited.

    The caller has found the job among the user's own (jobs_of). A file
    written in full is refused to a user who has lost the permission to see
    personal data since.
    """
    if job.state != ExportJob.State.DONE:
        raise ValidationError(
            _("The export is “%(state)s”: there is no file to download.")
            % {"state": job.get_state_display()}
        )
    if not job.masked and not personal_data.may_see(user):
        raise PermissionDenied(
            _("This file shows personal data in full, which you may no longer see.")
        )
    model = apps.get_model(job.source)
    _audit(
        user=user,
        model=model,
        masked=job.masked,
        ids=[int(pk) for pk in job.object_ids.split(",") if pk],
    )
    day = timezone.localdate(job.finished_at or job.created_at).isoformat()
    return Download(
        content=bytes(job.content),
        filename=f"{model.__name__}-{day}.{job.file_format}",
        content_type=CONTENT_TYPES[ExportJob.Format(job.file_format)],
    )


def fail_stalled_exports(*, now: datetime.datetime | None = None) -> int:
    """Fail the jobs that have waited or run STALLED_AFTER with no progress; returns how many.

    One conditional UPDATE: a job that reported progress meanwhile no longer matches.
    """
    now = now or timezone.now()
    return ExportJob.objects.filter(
        state__in=ExportJob.WORKING, touched_at__lt=now - STALLED_AFTER
    ).update(
        state=ExportJob.State.FAILED,
        error=_(
            "The export stopped without finishing (no worker took it, or its worker was "
            "interrupted). Export again from the list."
        ),
        finished_at=now,
        touched_at=now,
    )


def delete_expired_exports(*, now: datetime.datetime | None = None) -> int:
    """Delete the files past their expiry (the jobs' records stay); returns how many."""
    now = now or timezone.now()
    return ExportJob.objects.filter(state=ExportJob.State.DONE, expires_at__lt=now).update(
        state=ExportJob.State.EXPIRED, content=b"", object_ids="", touched_at=now
    )
