"""Transfer requests (迁入申请): how a person registered in another community moves here.

A worker names the ID number and name of someone registered in a household
outside their jurisdiction and the household of theirs the person moves into.
The jurisdiction holding the person accepts (the person moves, keeping their
history) or declines; the requester may withdraw while it waits. Someone whose
jurisdiction holds both households (a street official) moves the person at
once, recorded as an accepted request.

The requester learns that the person is registered elsewhere and, in time,
the answer: never where they live or anything else the record holds
(TransferRequest.REQUESTER_SEES). Who may do what is decided here, by the
permissions on TransferRequest and the jurisdiction (grids.jurisdiction).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.jurisdiction import scope_for
from residents import idnumbers, selectors, services
from residents.history import TRANSFER_REASON
from residents.models import (
    ANCESTOR_FIELDS,
    OPEN_TRANSFER_MESSAGE,
    Household,
    LifeEventKind,
    Person,
    Relation,
    TransferRequest,
    TransferRequestEvent,
)

Status = TransferRequest.Status


class TransferRefused(ValidationError):
    """A request refused before anything is written. `code` says why, for callers such as
    the register import: "invalid_id_number", "unknown_id_number", "name_mismatch",
    "in_jurisdiction", "open_request" or "household_has_head". The message, keyed by the
    field it is about (or by none), is the user's, and says nothing of the person."""

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        error = ValidationError(message, code=code)
        super().__init__({field: error} if field else error)
        self.code = code


# Who may: one rule per side, each a permission and a household in the jurisdiction.


def _require(user: Any, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied(_("You may not handle transfer requests."))


def _holds(user: Any, household: Household) -> bool:
    return selectors.visible_households(user).filter(pk=household.pk).exists()


def _require_target_side(user: Any, household: Household) -> None:
    """The requester's side: may ask for people, and holds the household they move into."""
    _require(user, TransferRequest.REQUEST_PERMISSION)
    if not _holds(user, household):
        raise PermissionDenied(_("The household moved into is not in your jurisdiction."))


def _require_person_side(user: Any, person: Person) -> None:
    """The person's side: may decide, and holds the household the person is registered in."""
    _require(user, TransferRequest.DECIDE_PERMISSION)
    if not _holds(user, person.household):
        raise PermissionDenied(_("This person is not registered in your jurisdiction."))


# Reads.


def incoming_transfers(user: Any) -> QuerySet[TransferRequest]:
    """Requests for people of the user's jurisdiction: those awaiting its decision, and
    those decided about the people who lived there when asked."""
    if not user.has_perm(TransferRequest.VIEW_PERMISSION):
        return TransferRequest.objects.none()
    scope = scope_for(user)
    awaiting = Q(status=Status.PENDING) & scope.q_by_columns(ANCESTOR_FIELDS, "person__household__")
    return TransferRequest.objects.filter(awaiting | scope.q("source_stairwell__"))


def outgoing_transfers(user: Any) -> QuerySet[TransferRequest]:
    """Requests to move people into households of the user's jurisdiction.

    Show only REQUESTER_SEES of them: the person is someone else's until accepted.
    """
    if not user.has_perm(TransferRequest.VIEW_PERMISSION):
        return TransferRequest.objects.none()
    return TransferRequest.objects.filter(scope_for(user).q_by_columns(ANCESTOR_FIELDS, "target__"))


def is_incoming(user: Any, transfer: TransferRequest) -> bool:
    """Whether the user sees `transfer` from the person's side (and so sees the person)."""
    return incoming_transfers(user).filter(pk=transfer.pk).exists()


# Writes.


# Registers and people write 张 伟 for 张伟, and the dot of 阿依·买买提 in several ways.
_DOTS = str.maketrans(dict.fromkeys("•・．.", "·"))


def _same_name(given: str, registered: str) -> bool:
    def folded(name: str) -> str:
        return "".join(name.split()).translate(_DOTS)

    return folded(given) == folded(registered)


def _check_relation(relation: str, household: Household, person: Person) -> None:
    if (
        relation == Relation.HEAD
        and household.members.filter(relation=Relation.HEAD).exclude(pk=person.pk).exists()
    ):
        raise TransferRefused(
            _("This household already has a head."), code="household_has_head", field="relation"
        )


def _move(transfer: TransferRequest, user: Any) -> None:
    """The person moves into the target household, which dates their moving in; their
    history rows say who moved them and by which request, and both households' events
    (迁入, 迁出) record the move."""
    # Read again: the whole row is saved, and it may have been edited since it was loaded.
    person = transfer.person = Person.objects.get(pk=transfer.person_id)
    left = person.household
    today = timezone.localdate()
    person._history_user = user  # type: ignore[attr-defined]  # read by simple_history
    person._change_reason = f"{TRANSFER_REASON}:{transfer.pk}"  # type: ignore[attr-defined]
    services.update_person(
        person=person, household=transfer.target, relation=transfer.relation, moved_in_on=today
    )
    request = {"n": transfer.pk, "name": person.name}
    services.record_life_event(
        household=transfer.target,
        kind=LifeEventKind.MOVE_IN,
        occurred_on=today,
        person=person,
        notes=_("Moved in by transfer request #%(n)d.") % request,
    )
    # The person is no longer this household's: the event names them in its notes.
    services.record_life_event(
        household=left,
        kind=LifeEventKind.MOVE_OUT,
        occurred_on=today,
        notes=_("%(name)s moved out by transfer request #%(n)d.") % request,
    )


def _log(transfer: TransferRequest, from_status: str, user: Any) -> None:
    TransferRequestEvent.objects.create(
        transfer=transfer, from_status=from_status, to_status=transfer.status, user=user
    )


@transaction.atomic
def request_transfer(
    *,
    user: Any,
    id_number: str,
    name: str,
    household: Household,
    relation: str = Relation.OTHER,
    note: str = "",
) -> TransferRequest:
    """Ask for the person with `id_number` and `name` to move into `household`.

    `household` is in the user's jurisdiction; `relation` is the person's
    relation to its head. Returns the request: pending when the person is
    registered outside the user's jurisdiction; accepted (and the person
    moved) when the user's jurisdiction holds them in another community too.
    Raises PermissionDenied for a user who may not ask (or, over both
    households, decide) or a household outside their jurisdiction; and
    TransferRefused when the ID number is invalid or registered to no one,
    the name is not the one registered, the person is in the user's own
    community, a request for them awaits a decision, or `relation` is head
    and the household has one.
    """
    _require_target_side(user, household)
    try:
        number = idnumbers.parse(id_number).number
    except idnumbers.InvalidIDNumber as error:
        raise TransferRefused(str(error), code="invalid_id_number", field="id_number") from error
    person = Person.objects.select_related("household").filter(id_number=number).first()
    if person is None:
        raise TransferRefused(
            _("No one is registered with this ID number: add the person to the household."),
            code="unknown_id_number",
            field="id_number",
        )
    if not _same_name(name, person.name):
        raise TransferRefused(
            _("The name is not the one registered with this ID number."),
            code="name_mismatch",
            field="name",
        )
    held = _holds(user, person.household)
    if held and person.household.community_id == household.community_id:
        raise TransferRefused(
            _(
                "This person is registered in your jurisdiction: change their household on "
                "their own page."
            ),
            code="in_jurisdiction",
        )
    # Someone over both households too decides the open request rather than bypass it.
    if TransferRequest.objects.filter(person=person, status=Status.PENDING).exists():
        raise TransferRefused(str(OPEN_TRANSFER_MESSAGE), code="open_request")
    _check_relation(relation, household, person)
    if held:
        # Over both households: the user decides as well as asks.
        _require_person_side(user, person)
    transfer = TransferRequest(
        person=person,
        target=household,
        source_stairwell_id=person.household.stairwell_id,
        given_name=name.strip(),
        given_id_number=number,
        relation=relation,
        note=note,
        requested_by=user,
        status=Status.ACCEPTED if held else Status.PENDING,
        decided_by=user if held else None,
        decided_at=timezone.now() if held else None,
    )
    transfer.full_clean()
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError as error:
        # Another request for the person was saved since the check above.
        raise TransferRefused(str(OPEN_TRANSFER_MESSAGE), code="open_request") from error
    _log(transfer, "", user)
    if held:
        _move(transfer, user)
    return transfer


def _may_become(transfer: TransferRequest, to: str) -> None:
    """Refuse a step the request's status, read again, does not allow (a second click)."""
    transfer.refresh_from_db(fields=["status"])
    if to not in TransferRequest.PIPELINE[transfer.status]:
        raise ValidationError(
            _("This transfer request is “%(status)s” and can no longer change.")
            % {"status": transfer.get_status_display()}
        )


def _transition(transfer: TransferRequest, to: str, *, user: Any, **fields: Any) -> None:
    """Decide a request, claimed with UPDATE … WHERE status = old: once, however many decide."""
    old = transfer.status
    fields.update(status=to, decided_by=user, decided_at=timezone.now())
    claimed = TransferRequest.objects.filter(pk=transfer.pk, status=old).update(**fields)
    if not claimed:
        raise ValidationError(_("This transfer request was decided meanwhile; reload the page."))
    for name, value in fields.items():
        setattr(transfer, name, value)
    _log(transfer, old, user)


@transaction.atomic
def accept_transfer(*, user: Any, transfer: TransferRequest) -> TransferRequest:
    """The person's side accepts: the person moves into the target household."""
    _may_become(transfer, Status.ACCEPTED)
    _require_person_side(user, transfer.person)
    _check_relation(transfer.relation, transfer.target, transfer.person)
    _transition(transfer, Status.ACCEPTED, user=user)
    _move(transfer, user)
    return transfer


@transaction.atomic
def decline_transfer(*, user: Any, transfer: TransferRequest, reason: str) -> TransferRequest:
    """The person's side declines, saying why (the requester reads the reason)."""
    _may_become(transfer, Status.DECLINED)
    _require_person_side(user, transfer.person)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the request is declined.")})
    _transition(transfer, Status.DECLINED, user=user, decline_reason=reason.strip())
    return transfer


@transaction.atomic
def withdraw_transfer(*, user: Any, transfer: TransferRequest) -> TransferRequest:
    """The requester's side takes the request back while it waits."""
    _may_become(transfer, Status.WITHDRAWN)
    _require_target_side(user, transfer.target)
    _transition(transfer, Status.WITHDRAWN, user=user)
    return transfer
