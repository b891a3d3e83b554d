"""Reads of the roster, every one scoped by the user's jurisdiction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.jurisdiction import scope_for
from grids.models import Node
from residents import idnumbers
from residents.models import (
    ANCESTOR_FIELDS,
    Household,
    HousingStatus,
    ImportBatch,
    LifeEvent,
    Person,
    PoliticalStatus,
    ResidenceType,
    Visit,
)


def visible_households(user: Any) -> QuerySet[Household]:
    return Household.objects.filter(scope_for(user).q_by_columns(ANCESTOR_FIELDS))


def visible_persons(user: Any) -> QuerySet[Person]:
    return Person.objects.filter(scope_for(user).q_by_columns(ANCESTOR_FIELDS, "household__"))


def visible_life_events(user: Any) -> QuerySet[LifeEvent]:
    return LifeEvent.objects.filter(scope_for(user).q_by_columns(ANCESTOR_FIELDS, "household__"))


def visible_visits(user: Any) -> QuerySet[Visit]:
    return Visit.objects.filter(scope_for(user).q_by_columns(ANCESTOR_FIELDS, "household__"))


def visible_batches(user: Any) -> QuerySet[ImportBatch]:
    """A user sees the imports they started; superusers see all."""
    if user.is_superuser:
        return ImportBatch.objects.all()
    return ImportBatch.objects.filter(user=user)


def person_search(term: str) -> Q:
    """A full ID number or phone finds exactly that person; anything else searches names."""
    term = term.strip()
    if idnumbers.is_valid(term):
        return Q(id_number=idnumbers.parse(term).number)
    digits = term.replace("-", "").replace(" ", "")
    if digits.isdigit() and len(digits) >= 7:
        return Q(phone=digits)
    return Q(name__icontains=term)


def household_search(term: str) -> Q:
    """Households by room, 户号, or any member (name, full ID number, phone)."""
    term = term.strip()
    members = Person.objects.filter(person_search(term)).values("household_id")
    return Q(number=term) | Q(room=term) | Q(pk__in=members)


# The "四掌握" lists.
def party_members(user: Any) -> QuerySet[Person]:
    return visible_persons(user).filter(
        political_status__in=[PoliticalStatus.PARTY_MEMBER, PoliticalStatus.PROBATIONARY],
        moved_out_on__isnull=True,
        deceased_on__isnull=True,
    )


def floating_population(user: Any) -> QuerySet[Person]:
    return visible_persons(user).filter(
        residence_type__in=[ResidenceType.FLOATING, ResidenceType.OVERSEAS],
        moved_out_on__isnull=True,
        deceased_on__isnull=True,
    )


def rented_households(user: Any) -> QuerySet[Household]:
    return visible_households(user).filter(housing_status=HousingStatus.RENTED)


def recent_life_events(user: Any, *, days: int = 90) -> QuerySet[LifeEvent]:
    since = timezone.localdate() - datetime.timedelta(days=days)
    return visible_life_events(user).filter(occurred_on__gte=since)


def with_member_count(households: QuerySet[Household]) -> QuerySet[Household]:
    return households.annotate(member_count=Count("members"))


@dataclass(frozen=True)
class FourList:
    key: str
    label: str
    count: int
    url: str


def four_lists(user: Any, *, community: Node | None = None) -> list[FourList]:
    """四掌握 counts for the user's jurisdiction (or one community in it), with admin links."""
    where = f"&community={community.pk}" if community else ""
    persons = reverse("admin:residents_person_changelist")
    households = reverse("admin:residents_household_changelist")
    events = reverse("admin:residents_lifeevent_changelist")
    since = (timezone.localdate() - datetime.timedelta(days=90)).isoformat()

    def narrowed(qs: QuerySet[Any], field: str) -> QuerySet[Any]:
        return qs.filter(**{field: community}) if community else qs

    return [
        FourList(
            "party_members",
            str(_("Party members")),
            narrowed(party_members(user), "household__community").count(),
            f"{persons}?political_status__exact=party_member{where}",
        ),
        FourList(
            "floating",
            str(_("Floating population")),
            narrowed(floating_population(user), "household__community").count(),
            f"{persons}?residence_type__exact=floating{where}",
        ),
        FourList(
            "rented",
            str(_("Rented flats")),
            narrowed(rented_households(user), "community").count(),
            f"{households}?housing_status__exact=rented{where}",
        ),
        FourList(
            "life_events",
            str(_("Life events in the last 90 days")),
            narrowed(recent_life_events(user), "household__community").count(),
            f"{events}?occurred_on__gte={since}{where}",
        ),
    ]
