"""Writes to the roster: households, persons, life events, visits, import undo."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Node, Staff
from residents import idnumbers
from residents.models import (
    Household,
    ImportBatch,
    LifeEvent,
    Person,
    Visit,
)


@transaction.atomic
def create_household(
    *,
    stairwell: Node,
    room: str,
    number: str = "",
    housing_status: str = "owner_occupied",
    area: Decimal | None = None,
    owner: str = "",
) -> Household:
    household = Household(
        stairwell=stairwell,
        room=room,
        number=number,
        housing_status=housing_status,
        area=area,
        owner=owner,
    )
    household.set_ancestors()
    household.full_clean()
    household.save()
    return household


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


@transaction.atomic
def record_life_event(
    *,
    household: Household,
    kind: str,
    occurred_on: datetime.date,
    person: Person | None = None,
    notes: str = "",
) -> LifeEvent:
    event = LifeEvent(
        household=household, kind=kind, occurred_on=occurred_on, person=person, notes=notes
    )
    event.full_clean()
    event.save()
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
def undo_import(*, batch: ImportBatch) -> None:
    """Put back what an applied batch changed, from the history rows it stamped."""
    claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.APPLIED).update(
        status=ImportBatch.Status.UNDONE, undone_at=timezone.now()
    )
    if not claimed:
        raise ValidationError(_("Only an applied import can be undone, and only once."))
    reason = batch.history_reason
    for model in (Person, Household):
        history = model.history.model
        stamped = history.objects.filter(history_change_reason=reason)
        created = list(stamped.filter(history_type="+").values_list("id", flat=True))
        updated = stamped.filter(history_type="~")
        for record in updated.iterator():
            previous = (
                history.objects.filter(id=record.id, history_date__lt=record.history_date)
                .order_by("-history_date", "-history_id")
                .first()
            )
            if previous is not None:
                restored = previous.instance
                restored.save()
        model.objects.filter(pk__in=created).delete()
    batch.refresh_from_db()
