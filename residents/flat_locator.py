"""Where a row of an imported list is: its flat, by address or by stairwell code + room.

Shared by the register and the owners' roll. Only the importer's stairwells
are known, so a row naming a flat outside the jurisdiction reads as unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from common.tabular import Problem, Report, max_length, too_long
from grids.jurisdiction import Scope
from grids.models import Level, Node
from grids.personal_data import shown_cell
from residents import addresses, bulk
from residents.import_engine import Memo
from residents.models import Delivery, FlatUse, HousingStatus
from residents.models import Flat as FlatModel

Flat = tuple[int, str]  # (stairwell id, room)

ROOM_LENGTH = max_length(FlatModel, "room")


class FlatLocator:
    """(stairwell id, room) of rows, from the columns address, or stairwell_code and room."""

    def __init__(self, scope: Scope, problem: Report) -> None:
        stairwells = list(
            Node.objects.filter(scope.q(), level=Level.STAIRWELL).values_list(
                "pk", "code", "compound", "building", "unit"
            )
        )
        self.directory = addresses.StairwellDirectory(
            [(pk, compound, building, unit) for pk, _code, compound, building, unit in stairwells]
        )
        self.by_code = {code: pk for pk, code, *_place in stairwells}
        # The stairwells of the importer's jurisdiction: every flat the import
        # may read or write is in one of them.
        self.stairwells = frozenset(self.by_code.values())
        self.problem = problem
        self.locations = Memo(self._resolve)

    def locate(self, line: int, cells: dict[str, str]) -> tuple[int, str] | None:
        code = cells.get("stairwell_code", "")
        if code:
            pk = self.by_code.get(code)
            room = cells.get("room", "")
            if pk is None:
                self.problem(
                    line,
                    "stairwell_code",
                    "unknown_stairwell",
                    _("No stairwell %(code)s in your jurisdiction.") % {"code": shown_cell(code)},
                )
                return None
            if not room:
                self.problem(line, "room", "empty_room", _("The room is empty."))
                return None
            if too_long(line, "room", room, ROOM_LENGTH, self.problem):
                return None
            return pk, room
        text = cells.get("address", "")
        if not text:
            self.problem(line, "address", "empty_address", _("The address is empty."))
            return None
        location = self.locations[text]
        if isinstance(location, addresses.AddressError):
            self.problem(line, "address", location.code, str(location))
            return None
        if len(location[1]) > ROOM_LENGTH:
            self.problem(
                line,
                "address",
                "room_too_long",
                _("The room of the address is longer than the %(n)d characters a room holds.")
                % {"n": ROOM_LENGTH},
            )
            return None
        return location

    def _resolve(self, text: str) -> tuple[int, str] | addresses.AddressError:
        """(stairwell id, room) for an address, or the error to report on every line with it."""
        parsed = addresses.parse(text)
        if parsed is None:
            return addresses.AddressError(
                "bad_address",
                _("Cannot read “%(text)s” as compound, building, unit and room.")
                % {"text": shown_cell(text)},
            )
        try:
            return self.directory.resolve(parsed), parsed.room
        except addresses.AddressError as error:
            return error


def agreed_flat_values(
    rows: Iterable[Any],
    columns: Iterable[str],
    labels: Mapping[str, str],
    problems: list[Problem],
) -> tuple[dict[Flat, dict[str, Any]], set[Flat]]:
    """Each undisputed flat's values of `columns` as its rows give them (None: no row does).

    A flat's area (or status, or delivery) is the flat's, whichever of its
    rows gives it: two rows (`.flat`, `.line`, and an attribute per column,
    None where the cell is empty) that give one flat different values are an
    error naming both lines, and the flat is disputed.
    """
    given: dict[Flat, dict[str, tuple[Any, int]]] = {}
    disputed: set[Flat] = set()
    columns = tuple(columns)
    for row in rows:
        said = given.setdefault(row.flat, {})
        for column in columns:
            value = getattr(row, column)
            if value is None:
                continue
            first = said.setdefault(column, (value, row.line))
            if first[0] != value:
                disputed.add(row.flat)
                problems.append(
                    Problem(
                        row.line,
                        labels[column],
                        "flat_disagrees",
                        _(
                            "Line %(line)d gives this flat %(column)s “%(first)s”; this "
                            "line gives “%(value)s”. A flat has one %(column)s, whichever "
                            "line gives it."
                        )
                        % {
                            "line": first[1],
                            "column": labels[column],
                            "first": _shown(first[0]),
                            "value": _shown(value),
                        },
                    )
                )
    return {
        flat: {column: said[column][0] if column in said else None for column in columns}
        for flat, said in given.items()
        if flat not in disputed
    }, disputed


def _shown(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(getattr(value, "label", value))


def insert_flats(
    new: list[tuple[Flat, dict[str, Any]]], ancestors: dict[int, dict[str, int]]
) -> list[int]:
    """Insert flats an import found new — (flat, its column values) — with their ancestors.

    A column an import does not give takes the flat's default: residential,
    owner-occupied, no area, delivered. Returns the new ids, in order.
    """
    defaults = {
        "use": FlatUse.RESIDENTIAL,
        "housing_status": HousingStatus.OWNER_OCCUPIED,
        "area": None,
        "owner": "",
        "delivery": Delivery.DELIVERED,
    }
    ids = bulk.allocate_ids(FlatModel, len(new))
    rows = []
    for pk, ((stairwell, room), values) in zip(ids, new, strict=True):
        place = ancestors[stairwell]
        rows.append(
            (
                pk,
                stairwell,
                place.get("street_id"),
                place.get("community_id"),
                place.get("grid_id"),
                place.get("micro_grid_id"),
                room,
                *(defaults[c] if values.get(c) is None else values[c] for c in defaults),
            )
        )
    columns = ("id", "stairwell_id", *(f"{a}_id" for a in _ANCESTORS), "room", *defaults)
    bulk.insert_rows(FlatModel, columns, rows)
    return list(ids)


_ANCESTORS = ("street", "community", "grid", "micro_grid")
