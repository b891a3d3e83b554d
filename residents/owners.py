"""The owners' roll (业主名册): owners, their titles to flats, who sees them, the electorate.

An owner is one row however many flats they hold, and is told apart across
flats by its id, never by name. The certificate is the key the roll's import
finds an owner by: a natural person's ID number (GB 11643, stored in its
18-character form) or an organisation's unified social credit code (GB 32100).

Writes are keyword-only and atomic and validate through full_clean; they do
not check the jurisdiction, which their callers read through the selectors
here. `set_owners` takes many flats at once, for the import.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from grids.jurisdiction import Scope, scope_for
from grids.models import Node
from residents import bulk, credit_codes, idnumbers, selectors
from residents import electorate as rule
from residents.models import ANCESTOR_FIELDS, Delivery, Flat, Owner, OwnerKind, Ownership

OWNER_EDITABLE = frozenset({"kind", "name", "certificate", "phone", "person"})


def normalised_certificate(*, kind: str, certificate: str | None) -> str | None:
    """The certificate as stored, or None when blank; a ValidationError (Chinese) when wrong.

    A natural person's is an ID number (a legacy 15-digit one becomes 18), an
    organisation's a unified social credit code; full-width characters and
    spaces are folded either way. No query: the import checks every row with it.
    """
    raw = (certificate or "").strip()
    if not raw:
        return None
    try:
        if kind == OwnerKind.ORGANISATION:
            return credit_codes.parse(raw)
        return idnumbers.parse(raw).number
    except (idnumbers.InvalidIDNumber, credit_codes.InvalidCreditCode) as error:
        raise ValidationError({"certificate": str(error)}) from error


def owners_by_certificate(certificates: Iterable[str]) -> dict[str, Owner]:
    """The owners holding these normalised certificates, by certificate, in the whole roll.

    Not scoped: the roll's import uses it to find an owner already known from
    another community's flats, so that one person stays one owner. What it
    finds must not be shown to a user who may not see that owner.
    """
    found: dict[str, Owner] = {}
    for chunk in bulk.in_chunks(list(set(certificates)), 900):
        found.update(Owner.objects.in_bulk(chunk, field_name="certificate"))
    return found


def _saved(owner: Owner) -> Owner:
    owner.full_clean()
    owner.save()
    return owner


@transaction.atomic
def create_owner(
    *,
    name: str,
    kind: str = OwnerKind.PERSON,
    certificate: str | None = None,
    phone: str = "",
    person: Any = None,
) -> Owner:
    return _saved(
        Owner(
            kind=kind,
            name=name.strip(),
            certificate=normalised_certificate(kind=kind, certificate=certificate),
            phone=phone.strip(),
            person=person,
        )
    )


@transaction.atomic
def update_owner(*, owner: Owner, **fields: Any) -> Owner:
    """Edit an owner; the certificate is checked again against the (new) kind."""
    unknown = set(fields) - OWNER_EDITABLE
    if unknown:
        raise TypeError(f"not editable through update_owner: {sorted(unknown)}")
    certificate = fields.pop("certificate", owner.certificate)
    for name, value in fields.items():
        setattr(owner, name, value.strip() if isinstance(value, str) else value)
    owner.certificate = normalised_certificate(kind=owner.kind, certificate=certificate)
    return _saved(owner)


@transaction.atomic
def set_delivery(*, flat: Flat, delivery: str) -> Flat:
    """Mark whether the developer still holds the flat (unsold, or sold and not delivered),
    as the owners' roll says; the flats' own pages show it read-only."""
    flat.delivery = delivery
    flat.full_clean()
    flat.save()
    return flat


@dataclass(frozen=True)
class OwnershipChanges:
    added: int
    removed: int


@transaction.atomic
def set_owners(
    *, owners_by_flat: Mapping[int, Collection[int]], user: Any = None, reason: str = ""
) -> OwnershipChanges:
    """Make each listed flat's owners exactly the given ones (flat id -> owner ids).

    Co-owners are several owners of one flat; an empty collection leaves the
    flat with no owner on the roll; flats not listed are left alone, and a
    title already held is left as it is, so running it twice changes nothing.
    Written in bulk, with a history row per title added or removed stamped
    with `user` and `reason` (an import's ImportBatch.history_reason): bulk
    writes bypass simple-history's signals, which take the request's user. A
    fixed number of statements (per 900 flats on SQLite), none per title.
    """
    held: dict[int, dict[int, int]] = defaultdict(dict)  # flat -> owner -> ownership id
    columns = ["id", "flat_id", "owner_id"]
    for pk, flat_id, owner_id in bulk.select_in(Ownership, columns, "flat_id", [*owners_by_flat]):
        held[flat_id][owner_id] = pk
    added = [
        Ownership(flat_id=flat_id, owner_id=owner_id)
        for flat_id, owners in owners_by_flat.items()
        for owner_id in set(owners) - set(held[flat_id])
    ]
    dropped = [
        pk
        for flat_id, owners in owners_by_flat.items()
        for owner_id, pk in held[flat_id].items()
        if owner_id not in owners
    ]
    now, user_id = timezone.now(), (user.pk if user is not None else None)

    def snapshot(ids: list[int], kind: str) -> None:
        bulk.snapshot_history(
            Ownership, ids, history_type=kind, history_date=now, reason=reason, user_id=user_id
        )

    snapshot(dropped, "-")
    bulk.delete_rows(Ownership, dropped)
    Ownership.objects.bulk_create(added)
    snapshot([o.pk for o in added], "+")
    return OwnershipChanges(added=len(added), removed=len(dropped))


def set_flat_owners(*, flat: Flat, owners: Iterable[Owner], user: Any = None) -> OwnershipChanges:
    """Give one flat its owners (one, or co-owners), replacing those it had."""
    return set_owners(owners_by_flat={flat.pk: {o.pk for o in owners}}, user=user)


@transaction.atomic
def remove_ownership(*, ownership: Ownership) -> None:
    ownership.delete()


# Reads.
def _flats_in(scope: Scope, prefix: str = "") -> Q:
    return scope.q_by_columns(ANCESTOR_FIELDS, prefix)


def owning(flats: Q) -> Q:
    """Owners holding a title that matches `flats` (a filter on Ownership, such as
    Q(flat__community_id=…)), each once however many such flats they own."""
    return Q(pk__in=Ownership.objects.filter(flats).values("owner_id"))


def visible_owners(user: Any) -> QuerySet[Owner]:
    """Owners of a flat in the user's jurisdiction, each once.

    An owner of flats in two communities is seen by both; an owner of no flat
    by a superuser only.
    """
    scope = scope_for(user)
    if scope.everything:
        return Owner.objects.all()
    return Owner.objects.filter(owning(_flats_in(scope, "flat__")))


def owner_search(term: str) -> Q:
    """A full ID number or credit code finds exactly that owner; anything else searches names.

    Only a whole, valid number matches a certificate: a list that shows them
    masked must not answer for a guessed part of one.
    """
    term = term.strip()
    if idnumbers.is_valid(term):
        return Q(certificate=idnumbers.parse(term).number)
    try:
        return Q(certificate=credit_codes.parse(term))
    except credit_codes.InvalidCreditCode:
        return Q(name__icontains=term)


def attach_flats(owners: Iterable[Owner], user: Any) -> list[Owner]:
    """Set `shown_flats` on a page of owners: their flats inside the user's jurisdiction,
    in tree order, in one query for the page (an owner's flats elsewhere stay unseen)."""
    owners = list(owners)
    titles = (
        Ownership.objects.filter(_flats_in(scope_for(user), "flat__"))
        .filter(owner_id__in=[o.pk for o in owners])
        .select_related("flat__stairwell")
        .order_by("flat__stairwell__tree_id", "flat__stairwell__lft", "flat__room")
    )
    flats: dict[int, list[Flat]] = defaultdict(list)
    for title in titles:
        flats[title.owner_id].append(title.flat)
    for owner in owners:
        owner.shown_flats = flats[owner.pk]  # type: ignore[attr-defined]
    return owners


# The kinds of voter, as residents.electorate.voter names them.
VOTER_KINDS = ("owners", "developer", "flat")


@dataclass(frozen=True)
class SubtreeElectorate:
    """A subtree's electorate (flats, area, heads; shares as Fraction), and how the heads
    came about: per kind of voter, the heads and the flats they hold.

    heads["owners"]: an owner, or co-owners together, once however many flats;
    heads["developer"]: 1 for all the developer's unsold or undelivered flats;
    heads["flat"]: flats with no owner on the roll, one head each.
    """

    count: rule.Electorate
    heads: dict[str, int]
    flats: dict[str, int]


def electorate(user_or_scope: Any, node: Node | None = None) -> SubtreeElectorate:
    """Who votes on a matter of `node`'s subtree (Civil Code art. 278), in one query.

    Every exclusive part (专有部分) counts, whatever its use — homes, shops,
    offices, garages — once the roll knows it: a flat with an area, an owner,
    or held by the developer (Flat.delivery other than delivered). A room the
    housing records say nothing of (a flat created for a household's
    registration) is left out rather than counted as a head of its own with
    no area. A flat with no area on record counts with an area of 0. Heads
    follow residents/electorate.py, owners told apart by their Owner id.
    Only the flats inside the scope count: pass a node in it, or no node for
    the whole scope (a community worker's community).
    """
    holdings = _holdings(user_or_scope, node)
    cast_by = {h.flat: rule.voter(h) for h in holdings}
    heads = Counter(voter[0] for voter in set(cast_by.values()))
    held = Counter(voter[0] for voter in cast_by.values())
    return SubtreeElectorate(
        count=rule.count(holdings),
        heads={kind: heads[kind] for kind in VOTER_KINDS},
        flats={kind: held[kind] for kind in VOTER_KINDS},
    )


def _holdings(user_or_scope: Any, node: Node | None) -> list[rule.Holding]:
    """The flats that count under `node` (electorate() says which), in one query."""
    scope = user_or_scope if isinstance(user_or_scope, Scope) else scope_for(user_or_scope)
    flats: dict[int, tuple[Decimal | None, bool, set[str]]] = {}
    subtree = Q() if node is None else selectors.under(node)
    rows = Flat.objects.filter(subtree, _flats_in(scope)).values_list(
        "pk", "area", "delivery", "ownerships__owner_id"
    )
    for pk, area, delivery, owner_id in rows:
        _area, _developer, owners = flats.setdefault(
            pk, (area, delivery != Delivery.DELIVERED, set())
        )
        if owner_id is not None:
            owners.add(str(owner_id))
    return [
        rule.Holding(pk, area or Decimal(0), frozenset(owners), developer)
        for pk, (area, developer, owners) in flats.items()
        if area is not None or developer or owners
    ]


@dataclass(frozen=True)
class Voter:
    """One head of the electorate as a vote freezes it: its kind (VOTER_KINDS), its owners
    ({"name", "certificate", "personal"}, none for the developer or an ownerless flat),
    its flats' addresses in tree order, and their area summed."""

    kind: str
    owners: tuple[dict[str, Any], ...]
    flats: tuple[str, ...]
    area: Decimal


def voters(user_or_scope: Any, node: Node) -> list[Voter]:
    """The heads of `node`'s electorate one by one, as electorate() counts them (the same
    holdings, the same rule), in the tree order of their first flat; three queries."""
    holdings = _holdings(user_or_scope, node)
    by_voter: dict[tuple[str, ...], list[rule.Holding]] = defaultdict(list)
    for holding in holdings:
        by_voter[rule.voter(holding)].append(holding)
    flats = Flat.objects.filter(pk__in=[h.flat for h in holdings]).select_related("stairwell")
    order = {
        flat.pk: (i, str(flat))
        for i, flat in enumerate(
            flats.order_by("stairwell__tree_id", "stairwell__lft", "room", "pk")
        )
    }
    owner_ids = {int(i) for key in by_voter if key[0] == "owners" for i in key[1:]}
    named = {
        o.pk: {
            "name": o.name,
            "certificate": o.certificate or "",
            "personal": o.kind == OwnerKind.PERSON,
        }
        for o in Owner.objects.filter(pk__in=owner_ids)
    }
    result = []
    for key, held in by_voter.items():
        held.sort(key=lambda h: order[h.flat][0])
        owners = tuple(named[int(i)] for i in key[1:]) if key[0] == "owners" else ()
        voter = Voter(
            kind=key[0],
            owners=owners,
            flats=tuple(order[h.flat][1] for h in held),
            area=sum((h.area for h in held), Decimal(0)),
        )
        result.append((order[held[0].flat][0], voter))
    return [voter for _first, voter in sorted(result, key=lambda pair: pair[0])]
