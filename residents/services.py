"""Writes to the roster: households, persons, life events, visits, import undo."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from common.tabular import FileRejected, Problem
from grids.jurisdiction import Scope, scope_for
from grids.models import Node, Staff
from residents import idnumbers, import_engine
from residents.import_definitions import definition_of
from residents.models import (
    Flat,
    Household,
    ImportBatch,
    ImportBatchEvent,
    LifeEvent,
    LifeEventKind,
    Person,
    Visit,
)

FLAT_EDITABLE = frozenset({"use", "housing_status", "area", "owner"})


def _flat_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - FLAT_EDITABLE
    if unknown:
        raise TypeError(f"not editable through update_flat: {sorted(unknown)}")
    return fields


def _new_flat(*, stairwell: Node, room: str, **fields: Any) -> Flat:
    flat = Flat(stairwell=stairwell, room=room, **_flat_fields(fields))
    flat.set_ancestors()
    flat.full_clean()
    flat.save()
    return flat


def flat_at(*, stairwell: Node, room: str) -> Flat:
    """The flat at a stairwell's room, created (empty) when there is none yet."""
    flat = Flat.objects.filter(stairwell=stairwell, room=room).first()
    return flat if flat is not None else _new_flat(stairwell=stairwell, room=room)


@transaction.atomic
def update_flat(*, flat: Flat, **fields: Any) -> Flat:
    """Edit a flat's own fields; saved (with a history row) only when one of them changes.

    The household forms and the API send the flat's fields with every edit of a
    household, which would otherwise leave an empty entry in the flat's history.
    Compared with the stored row: an admin form has already set its values on `flat`.
    """
    stored = Flat.objects.filter(pk=flat.pk).values(*_flat_fields(fields)).first()
    for name, value in fields.items():
        setattr(flat, name, value)
    flat.full_clean()
    if stored is None or any(getattr(flat, name) != value for name, value in stored.items()):
        flat.save()
    return flat


@transaction.atomic
def create_household(
    *, stairwell: Node, room: str, number: str = "", **flat_fields: Any
) -> Household:
    """A household in the flat at `room` (the flat is created when new).

    `flat_fields` (housing status, area, …) are written to the flat.
    """
    flat = Flat.objects.filter(stairwell=stairwell, room=room).first()
    if flat is None:
        # One history row for the new flat, with its values.
        flat = _new_flat(stairwell=stairwell, room=room, **flat_fields)
    elif flat_fields:
        update_flat(flat=flat, **flat_fields)
    household = Household(number=number)
    household.move_into(flat)
    household.full_clean()
    household.save()
    return household


HOUSEHOLD_EDITABLE = frozenset({"room", "number", "kind"})
# The person fields a user edits (besides the ID number and tags), in form order.
PERSON_EDITABLE = (
    "household",
    "name",
    "phone",
    "relation",
    "ethnicity",
    "registered_address",
    "residence_type",
    "political_status",
    "party_kind",
    "moved_in_on",
    "moved_out_on",
    "deceased_on",
)


@transaction.atomic
def update_household(*, household: Household, **fields: Any) -> Household:
    """Edit a household; a new room moves it into the flat at that room of its stairwell.

    The flat's own fields (housing status, area, …) are edited through update_flat.
    """
    flat_fields = {name: fields.pop(name) for name in FLAT_EDITABLE & set(fields)}
    unknown = set(fields) - HOUSEHOLD_EDITABLE
    if unknown:
        raise TypeError(f"not editable through update_household: {sorted(unknown)}")
    room = fields.pop("room", household.room)
    for name, value in fields.items():
        setattr(household, name, value)
    if room != household.room:
        household.move_into(flat_at(stairwell=household.stairwell, room=room))
    if flat_fields:
        update_flat(flat=household.flat, **flat_fields)
    household.full_clean()
    household.save()
    return household


@transaction.atomic
def update_person(
    *, person: Person, id_number: str | None = None, tags: Any = None, **fields: Any
) -> Person:
    """Edit a person; a new ID number re-derives sex and birth date."""
    unknown = set(fields) - set(PERSON_EDITABLE)
    if unknown:
        raise TypeError(f"not editable through update_person: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(person, name, value)
    if id_number is not None and id_number != person.id_number:
        try:
            decoded = idnumbers.parse(id_number)
        except idnumbers.InvalidIDNumber as error:
            raise ValidationError({"id_number": str(error)}) from error
        person.id_number, person.sex, person.birth_date = (
            decoded.number,
            decoded.sex,
            decoded.birth_date,
        )
    person.full_clean()
    person.save()
    if tags is not None:
        person.tags.set(tags)
    return person


@transaction.atomic
def add_person(*, household: Household, name: str, id_number: str, **fields: Any) -> Person:
    try:
        decoded = idnumbers.parse(id_number)
    except idnumbers.InvalidIDNumber as error:
        raise ValidationError({"id_number": str(error)}) from error
    for given, derived, label in (
        (fields.pop("sex", None), decoded.sex, "sex"),
        (fields.pop("birth_date", None), decoded.birth_date, "birth_date"),
    ):
        if given not in (None, "", derived):
            raise ValidationError({label: _("Does not agree with the ID number.")})
    tags = fields.pop("tags", ())
    person = Person(
        household=household,
        name=name,
        id_number=decoded.number,
        sex=decoded.sex,
        birth_date=decoded.birth_date,
        **fields,
    )
    person.full_clean()
    person.save()
    if tags:
        person.tags.set(tags)
    return person


# The person's date each kind of life event sets.
PERSON_DATE_OF_EVENT: dict[str, str] = {
    LifeEventKind.DEATH: "deceased_on",
    LifeEventKind.MOVE_OUT: "moved_out_on",
    LifeEventKind.MOVE_IN: "moved_in_on",
}


@transaction.atomic
def record_life_event(
    *,
    household: Household,
    kind: str,
    occurred_on: datetime.date,
    person: Person | None = None,
    notes: str = "",
) -> LifeEvent:
    """Record a 喜事丧事 or move; a death or moving out also dates the person's record."""
    event = LifeEvent(
        household=household, kind=kind, occurred_on=occurred_on, person=person, notes=notes
    )
    event.full_clean()
    if person is not None and person.household_id != household.pk:
        raise ValidationError({"person": _("The person does not live in this household.")})
    event.save()
    dated_field = PERSON_DATE_OF_EVENT.get(kind)
    if person is not None and dated_field and getattr(person, dated_field) is None:
        dates: dict[str, Any] = {dated_field: occurred_on}
        update_person(person=person, **dates)
    return event


@transaction.atomic
def record_visit(
    *, household: Household, visitor: Staff, visited_on: datetime.date, notes: str
) -> Visit:
    visit = Visit(household=household, visitor=visitor, visited_on=visited_on, notes=notes)
    visit.full_clean()
    visit.save()
    return visit


@transaction.atomic
def restore_person(*, record: Any) -> Person:
    """Bring back a deleted person from their last history row."""
    person = record.instance
    if Person.objects.filter(pk=person.pk).exists():
        raise ValidationError(_("This record has already been restored."))
    if not Household.objects.filter(pk=person.household_id).exists():
        raise ValidationError(_("Restore the person's household first."))
    if person.id_number and Person.objects.filter(id_number=person.id_number).exists():
        raise ValidationError(_("Someone with this ID number has been registered since."))
    person.full_clean(validate_unique=False)
    person.save(force_insert=True)
    return person


@transaction.atomic
def restore_household(*, record: Any) -> Household:
    """Bring back a deleted household from its last history row."""
    household = record.instance
    if Household.objects.filter(pk=household.pk).exists():
        raise ValidationError(_("This record has already been restored."))
    # Its flat may have been emptied and removed since, or the tree moved.
    household.move_into(flat_at(stairwell=household.stairwell, room=household.room))
    household.full_clean(validate_unique=False)
    household.save(force_insert=True)
    return household


def _transition(
    batch: ImportBatch,
    to: str,
    *,
    user: Any = None,
    note: str = "",
    only_if: Q | None = None,
    **fields: Any,
) -> ImportBatch:
    """Move a batch along its pipeline, claimed with UPDATE … WHERE status = old.

    Two workers (or a double click) can never both take the same step;
    `only_if` narrows the claim further.
    """
    old = batch.status
    if to not in ImportBatch.PIPELINE[old]:
        raise ValidationError(
            _("An import that is “%(old)s” cannot become “%(new)s”.")
            % {"old": ImportBatch.Status(old).label, "new": ImportBatch.Status(to).label}
        )
    fields["touched_at"] = timezone.now()
    claimed = ImportBatch.objects.filter(only_if or Q(), pk=batch.pk, status=old).update(
        status=to, **fields
    )
    if not claimed:
        raise ValidationError(_("This import was changed meanwhile; reload the page."))
    ImportBatchEvent.objects.create(
        batch=batch, from_status=old, to_status=to, user=_login(user), note=note
    )
    batch.status = to
    for name, value in fields.items():
        setattr(batch, name, value)
    return batch


def _login(user: Any) -> Any:
    return user if user is not None and user.is_authenticated else None


def require_import_permission(user: Any) -> None:
    """Who may write the roster through an import: upload, confirm, undo — admin, API, command.

    A user without it (a stairwell leader, a street official, who may only
    view the roster) is refused; no user at all is the command line's operator.
    """
    if user is not None and not user.has_perm(ImportBatch.IMPORT_PERMISSION):
        raise PermissionDenied(_("You may not import registers."))


def _scope_of(batch: ImportBatch) -> Scope:
    # Command-line imports have no user and see the whole database.
    return Scope(everything=True) if batch.user is None else scope_for(batch.user)


def _progress_of(batch: ImportBatch) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        ImportBatch.objects.filter(pk=batch.pk).update(
            rows_done=done, rows_total=total, touched_at=timezone.now()
        )

    return report


def _store(
    batch: ImportBatch, result: import_engine.ImportResult, status: str, **fields: Any
) -> None:
    summary = result.as_dict()
    errors = summary.pop("errors")
    _transition(
        batch,
        status,
        summary=summary,
        errors=errors,
        error_count=result.error_total,
        rows_total=result.rows,
        rows_done=result.rows,
        area_id=result.area_id,
        **fields,
    )


def _applied(batch: ImportBatch) -> Callable[[import_engine.ImportResult], None]:
    """Mark the batch applied inside the write's transaction.

    Should the batch have been failed meanwhile as stalled, the claim fails
    (ValidationError) and the rows go back with it: a batch is never written
    without being applied, nor applied without being written.
    """

    def store(result: import_engine.ImportResult) -> None:
        _store(batch, result, ImportBatch.Status.APPLIED, applied_at=timezone.now())

    return store


def fail_stalled_imports(*, now: datetime.datetime | None = None) -> int:
    """Fail the imports whose worker died while checking or writing; returns how many.

    A worker reports progress at least every few seconds while it checks, and
    writes in one transaction, so nothing was written by a stalled batch.
    """
    now = now or timezone.now()
    stalled = Q(
        touched_at__lt=now - datetime.timedelta(minutes=settings.IMPORT_STALLED_AFTER_MINUTES)
    )
    problem = Problem(
        0,
        "",
        "stalled",
        _(
            "The import stopped without finishing (its worker was interrupted); nothing "
            "was written. Upload the file again."
        ),
    )
    failed = 0
    for batch in ImportBatch.objects.filter(
        stalled, status__in=(ImportBatch.Status.CHECKING, ImportBatch.Status.APPLYING)
    ).only("pk", "status"):
        try:
            _transition(
                batch,
                ImportBatch.Status.FAILED,
                note=problem.message,
                only_if=stalled,
                errors=[problem.as_dict()],
                error_count=1,
            )
        except ValidationError:
            continue  # it moved on meanwhile: not stalled after all
        failed += 1
    return failed


def _fail(batch: ImportBatch, error: FileRejected) -> None:
    _transition(
        batch,
        ImportBatch.Status.FAILED,
        errors=[error.as_problem().as_dict()],
        error_count=1,
        note=str(error),
    )


def _too_large() -> ValidationError:
    return ValidationError(
        _("The file is larger than the limit of %(mb)d MB.")
        % {"mb": settings.MAX_IMPORT_FILE_BYTES // (1024 * 1024)}
    )


def read_upload(*, upload: UploadedFile) -> bytes:
    """An uploaded register's bytes, refused by its size before any of it is read."""
    if upload.size is not None and upload.size > settings.MAX_IMPORT_FILE_BYTES:
        raise _too_large()
    return upload.read()


@transaction.atomic
def start_import(
    *,
    user: Any,
    data: bytes,
    filename: str,
    skip_invalid: bool = False,
    kind: str = ImportBatch.Kind.REGISTER,
) -> ImportBatch:
    """Record an uploaded register and queue its check (the upload → preview step)."""
    require_import_permission(user)
    if len(data) > settings.MAX_IMPORT_FILE_BYTES:
        raise _too_large()
    batch = ImportBatch(
        user=_login(user),
        filename=filename[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        upload=data,
        skip_invalid=skip_invalid,
        kind=kind,
    )
    batch.full_clean(exclude=["upload"])
    batch.save()
    ImportBatchEvent.objects.create(
        batch=batch, from_status="", to_status=batch.status, user=_login(user)
    )
    from residents import jobs

    transaction.on_commit(lambda: jobs.check_import.delay(batch.pk))
    return batch


def check_import(*, batch: ImportBatch) -> ImportBatch:
    """Check every row and count what would change; the preview shows the result."""
    _transition(batch, ImportBatch.Status.CHECKING)
    try:
        result = import_engine.run(
            definition_of(batch.kind),
            data=bytes(batch.upload),
            batch=batch,
            scope=_scope_of(batch),
            dry_run=True,
            progress=_progress_of(batch),
        )
    except FileRejected as error:
        _fail(batch, error)
        return batch
    status = ImportBatch.Status.REJECTED if result.errors else ImportBatch.Status.CHECKED
    _store(batch, result, status)
    return batch


def _upload_deleted() -> FileRejected:
    return FileRejected(
        _(
            "The uploaded file was deleted after %(days)d days, as registers hold personal "
            "data; upload it again."
        )
        % {"days": settings.IMPORT_UPLOAD_RETENTION_DAYS}
    )


def delete_expired_uploads(*, now: datetime.datetime | None = None) -> int:
    """Delete the uploaded files older than the retention period; returns how many.

    The batches keep their record (who, when, file name and SHA-256, counts,
    errors). Files a job may still read are left alone.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.IMPORT_UPLOAD_RETENTION_DAYS)
    return (
        ImportBatch.objects.filter(created_at__lt=cutoff, upload_deleted_at__isnull=True)
        .exclude(status__in=ImportBatch.WORKING)
        .update(upload=b"", upload_deleted_at=now)
    )


@transaction.atomic
def confirm_import(*, batch: ImportBatch, user: Any, skip_invalid: bool = False) -> ImportBatch:
    """The user confirms the preview; the batch is written by a worker."""
    require_import_permission(user)
    if batch.upload_deleted_at is not None:
        raise ValidationError(str(_upload_deleted()))
    if batch.status == ImportBatch.Status.REJECTED and not skip_invalid:
        raise ValidationError(
            _("The file has errors: fix them and upload it again, or choose to skip the bad rows.")
        )
    _transition(
        batch, ImportBatch.Status.QUEUED, user=user, skip_invalid=skip_invalid or batch.skip_invalid
    )
    from residents import jobs

    transaction.on_commit(lambda: jobs.apply_import.delay(batch.pk))
    return batch


def apply_import(*, batch: ImportBatch) -> ImportBatch:
    """Check again (the database may have changed since the preview) and write."""
    _transition(batch, ImportBatch.Status.APPLYING, rows_done=0)
    if batch.upload_deleted_at is not None:
        # Deleted between the confirmation and this job.
        _fail(batch, _upload_deleted())
        return batch
    try:
        result = import_engine.run(
            definition_of(batch.kind),
            data=bytes(batch.upload),
            batch=batch,
            scope=_scope_of(batch),
            progress=_progress_of(batch),
            before_commit=_applied(batch),
        )
    except FileRejected as error:
        _fail(batch, error)
        return batch
    if not result.written:
        _store(batch, result, ImportBatch.Status.REJECTED)
    return batch


def import_now(
    *,
    data: bytes,
    filename: str,
    user: Any = None,
    scope: Scope | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    kind: str = ImportBatch.Kind.REGISTER,
) -> import_engine.ImportResult:
    """Check and write a file of `kind` in one pass (the commands and the API's synchronous path).

    A dry run records nothing. Otherwise the batch is recorded either way;
    ImportRejected (nothing written) when rows are bad and skip_invalid is
    off, or when the write took so long that it was failed as stalled;
    FileRejected when the file cannot be read at all; PermissionDenied for a user
    who may not import.
    """
    require_import_permission(user)
    batch = ImportBatch(
        user=_login(user),
        filename=filename[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        skip_invalid=skip_invalid,
        status=ImportBatch.Status.CHECKING,
        kind=kind,
    )
    definition = definition_of(kind)
    scope = scope if scope is not None else _scope_of(batch)
    if dry_run:
        return import_engine.run(definition, data=data, batch=batch, scope=scope, dry_run=True)
    batch.save()
    ImportBatchEvent.objects.create(
        batch=batch, from_status="", to_status=batch.status, user=batch.user
    )
    try:
        result = import_engine.run(
            definition, data=data, batch=batch, scope=scope, before_commit=_applied(batch)
        )
    except FileRejected as error:
        _fail(batch, error)
        raise
    except ValidationError:
        # The write outlived IMPORT_STALLED_AFTER_MINUTES and was failed as
        # stalled: its rows were rolled back and the batch says why.
        batch.refresh_from_db()
        if batch.status != ImportBatch.Status.FAILED:
            raise
        raise import_engine.ImportRejected(
            definition.result_class(
                errors=[Problem(**problem) for problem in batch.errors], batch_id=batch.pk
            )
        ) from None
    if result.written:
        return result
    _store(batch, result, ImportBatch.Status.REJECTED)
    raise import_engine.ImportRejected(result)


@transaction.atomic
def undo_import(*, batch: ImportBatch, user: Any = None) -> None:
    """Put back what an applied batch changed, from the history rows it stamped.

    Refused (ValidationError, nothing changed) while anything the batch wrote
    has been changed or added to since.
    """
    require_import_permission(user)
    _transition(batch, ImportBatch.Status.UNDONE, user=user)
    login = _login(user)
    import_engine.undo(
        definition_of(batch.kind), batch=batch, user_id=login.pk if login is not None else None
    )
