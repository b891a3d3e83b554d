"""Reads of the roster, every one scoped by the user's jurisdiction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import CharField, Count, F, Q, QuerySet, Value
from django.utils import timezone

from grids.jurisdiction import scope_for
from grids.models import Level, Node
from grids.search import stairwells_shown_as
from residents import addresses, idnumbers
from residents.models import (
    ANCESTOR_FIELDS,
    Flat,
    Household,
    HousingStatus,
    ImportBatch,
    LifeEvent,
    Person,
    PoliticalStatus,
    ResidenceType,
    Visit,
)


def visible_flats(user: Any) -> QuerySet[Flat]:
    return Flat.objects.filter(
        scope_for(user).q_by_columns(ANCESTOR_FIELDS, tree_path="stairwell__")
    )


def visible_households(user: Any) -> QuerySet[Household]:
    return Household.objects.filter(
        scope_for(user).q_by_columns(ANCESTOR_FIELDS, tree_path="stairwell__")
    )


def visible_persons(user: Any) -> QuerySet[Person]:
    return Person.objects.filter(
        scope_for(user).q_by_columns(ANCESTOR_FIELDS, "household__", tree_path="stairwell__")
    )


def visible_life_events(user: Any) -> QuerySet[LifeEvent]:
    return LifeEvent.objects.filter(scope_for(user).q_by_columns(ANCESTOR_FIELDS, "household__"))


def visible_visits(user: Any) -> QuerySet[Visit]:
    return Visit.objects.filter(scope_for(user).q_by_columns(ANCESTOR_FIELDS, "household__"))


def visible_batches(user: Any) -> QuerySet[ImportBatch]:
    """The imports a user started, and those whose households all lie in their jurisdiction.

    None at all for a user without the permission to view imports: a batch's
    preview and report tell what the register holds.
    """
    if not user.has_perm("residents.view_importbatch"):
        return ImportBatch.objects.none()
    scope = scope_for(user)
    if scope.everything:
        return ImportBatch.objects.all()
    return ImportBatch.objects.filter(Q(user=user) | scope.q(prefix="area__"))


def under(node: Node, prefix: str = "") -> Q:
    """Rows in `node`'s subtree, by the ancestor column of its level (one indexed equality)."""
    return Q(**{f"{prefix}{ANCESTOR_FIELDS[node.level]}_id": node.pk})


def person_search(term: str) -> Q:
    """A full ID number or phone finds exactly that person; anything else searches names."""
    term = term.strip()
    if idnumbers.is_valid(term):
        return Q(id_number=idnumbers.parse(term).number)
    digits = term.replace("-", "").replace(" ", "")
    if digits.isdigit() and len(digits) >= 7:
        return Q(phone=digits)
    return Q(name__icontains=term)


def address_search(term: str) -> Q:
    """Rows placed at a stairwell's room (flats, households) by room or address.

    The address is matched as the lists show it (和达城1幢1单元101, or the
    stairwell alone) and as registers write it (和达城1-1-101): the import's
    own address reading, so what imports is what a search finds.
    """
    term = term.strip()
    found = Q(room=term) | Q(stairwell__in=stairwells_shown_as(term, whole=True))
    parsed = addresses.parse(term)
    if parsed is not None:
        stairwells = (
            Node.objects.filter(level=Level.STAIRWELL, building=parsed.building)
            .exclude(compound="")
            .alias(typed=Value(parsed.prefix, output_field=CharField()))
            .filter(typed__contains=F("compound"))
        )
        if parsed.unit:
            stairwells = stairwells.filter(unit=parsed.unit)
        found |= Q(room=parsed.room, stairwell__in=stairwells)
    return found


def household_search(term: str) -> Q:
    """Households by room, 户号, address, or any member (name, full ID number, phone)."""
    term = term.strip()
    members = Person.objects.filter(person_search(term)).values("household_id")
    return Q(number=term) | Q(pk__in=members) | address_search(term)


def living_here(prefix: str = "") -> Q:
    """Persons (reached through `prefix`, e.g. "members__") neither moved out nor deceased."""
    return Q(**{f"{prefix}moved_out_on__isnull": True, f"{prefix}deceased_on__isnull": True})


# The "四掌握" lists.
def party_members(user: Any) -> QuerySet[Person]:
    return visible_persons(user).filter(
        living_here(),
        political_status__in=[PoliticalStatus.PARTY_MEMBER, PoliticalStatus.PROBATIONARY],
    )


def floating_population(user: Any) -> QuerySet[Person]:
    return visible_persons(user).filter(
        living_here(),
        residence_type__in=[ResidenceType.FLOATING, ResidenceType.OVERSEAS],
    )


def rented_households(user: Any) -> QuerySet[Household]:
    return visible_households(user).filter(flat__housing_status=HousingStatus.RENTED)


RECENT_DAYS = 90


def recent_life_events(user: Any, *, days: int = RECENT_DAYS) -> QuerySet[LifeEvent]:
    since = timezone.localdate() - datetime.timedelta(days=days)
    return visible_life_events(user).filter(occurred_on__gte=since)


def attach_member_counts(page: Iterable[Household]) -> list[Household]:
    """Set member_count on a page of households, in one query for the page only.

    Annotating the whole queryset makes the database count every member of
    the street before it sorts and slices (a sort spilling to disk at street
    scale); a page needs the counts of its own rows.
    """
    page = list(page)
    counts = dict(
        Person.objects.filter(household_id__in=[h.pk for h in page])
        .values("household_id")
        .annotate(n=Count("pk"))
        .values_list("household_id", "n")
    )
    for household in page:
        household.member_count = counts.get(household.pk, 0)  # type: ignore[attr-defined]
    return page


def attach_flat_counts(page: Iterable[Flat]) -> list[Flat]:
    """Set household_ids, household_count and resident_count on a page of flats, in one
    query for the page only (see attach_member_counts).

    A flat's residents are the members of its households who still live there
    (living_here). Every household of a flat lies in the flat's stairwell, so
    whoever sees the flat sees them all.
    """
    page = list(page)
    households: dict[int, list[tuple[int, int]]] = {}
    rows = (
        Household.objects.filter(flat_id__in=[flat.pk for flat in page])
        .annotate(residents=Count("members", filter=living_here("members__")))
        .order_by("pk")
        .values_list("flat_id", "pk", "residents")
    )
    for flat_id, pk, residents in rows:
        households.setdefault(flat_id, []).append((pk, residents))
    for flat in page:
        held = households.get(flat.pk, [])
        flat.household_ids = [pk for pk, _ in held]  # type: ignore[attr-defined]
        flat.household_count = len(held)  # type: ignore[attr-defined]
        flat.resident_count = sum(n for _, n in held)  # type: ignore[attr-defined]
    return page


def flats_in_stairwell(user: Any, stairwell: Node) -> list[Flat]:
    """A stairwell's flats the user may see, by room, with their counts (two queries)."""
    return attach_flat_counts(visible_flats(user).filter(stairwell=stairwell).order_by("room"))


def four_list_counts(user: Any, *, community: Node | None = None) -> dict[str, int]:
    """四掌握 counts for the user's jurisdiction, or one community in it."""

    def narrowed(qs: QuerySet[Any], prefix: str) -> int:
        return (qs.filter(under(community, prefix)) if community else qs).count()

    return {
        "party_members": narrowed(party_members(user), "household__"),
        "floating": narrowed(floating_population(user), "household__"),
        "rented": narrowed(rented_households(user), ""),
        "life_events": narrowed(recent_life_events(user), "household__"),
    }


def deleted_persons(user: Any) -> QuerySet[Any]:
    """History rows of deleted persons whose household is in the user's jurisdiction."""
    history = Person.history.model
    households = visible_households(user).values("pk")
    return (
        history.objects.filter(history_type="-", household_id__in=households)
        .exclude(id__in=Person.objects.values("pk"))
        .select_related("history_user")  # shown on every row
        .order_by("-history_date")
    )


def deleted_households(user: Any) -> QuerySet[Any]:
    """History rows of deleted households that lay in the user's jurisdiction."""
    history = Household.history.model
    return (
        history.objects.filter(scope_for(user).q_by_columns(ANCESTOR_FIELDS), history_type="-")
        .exclude(id__in=Household.objects.values("pk"))
        .select_related("history_user")  # shown on every row
        .order_by("-history_date")
    )
