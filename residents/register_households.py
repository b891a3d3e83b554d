"""The register's rows as households of flats, matched with the households on record.

The part of the register import (register_import.py) between checking rows
and writing them: rows into households by 户号 (or flat), each flat's values
agreed by its rows, each household found among those on record in its flat,
and the households the database would refuse, or that name someone outside
the importer's jurisdiction, left out and reported.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from common.tabular import Problem
from grids.jurisdiction import Scope
from grids.models import Node
from residents import bulk
from residents.flat_locator import agreed_flat_values
from residents.import_engine import smallest_area, stairwell_ancestors
from residents.models import Household, HouseholdKind, ImportBatch, Person, Relation
from residents.register_rows import (
    COLUMN_LABELS,
    DEFAULTS,
    FLAT_COLUMNS,
    HOUSEHOLD_COLUMNS,
    PERSON_COLUMNS,
    PERSON_SOURCE,
    PersonRow,
)

NUMBER = HOUSEHOLD_COLUMNS.index("number")
KIND = HOUSEHOLD_COLUMNS.index("kind")


@dataclass
class HouseholdGroup:
    key: object  # the household's key in the file (PersonRow.household)
    flat: tuple[int, str]  # (stairwell id, room)
    rows: list[PersonRow]
    # None for a collective household (集体户) that names no head
    head: PersonRow | None

    @property
    def lead(self) -> PersonRow:
        """The row speaking for the household (its number, its line): the head's, or the first."""
        return self.head or self.rows[0]

    @property
    def kind(self) -> str:
        return self.rows[0].household_kind


def group_rows(
    rows: list[PersonRow], problems: list[Problem], *, relations_given: bool = True
) -> list[HouseholdGroup]:
    """Rows into households by 户号 (or flat and 户主姓名); a family household needs one head.

    A collective household (集体户: a dormitory) has at most one: the forms ask
    its members no relation to a head.
    """
    by_key: dict[object, list[PersonRow]] = {}
    for row in rows:
        by_key.setdefault(row.household, []).append(row)
    groups: list[HouseholdGroup] = []
    for key, members in by_key.items():
        problem = _household_problem(members, relations_given)
        if problem is not None:
            problems.append(problem)
            continue
        heads = [r for r in members if r.relation == Relation.HEAD]
        groups.append(
            HouseholdGroup(
                key=key, flat=members[0].flat, rows=members, head=heads[0] if heads else None
            )
        )
    return groups


def _household_problem(members: list[PersonRow], relations_given: bool) -> Problem | None:
    """What keeps the rows of one household from being one (the first thing found)."""
    first = members[0]
    lines = "、".join(str(r.line) for r in members[:10])
    if len({r.flat for r in members}) > 1:
        return Problem(
            first.line,
            COLUMN_LABELS["address"],
            "household_addresses",
            _("Household %(number)s lives at more than one address (lines %(lines)s).")
            % {"number": first.number, "lines": lines},
        )
    if len({r.household_kind for r in members}) > 1:
        return Problem(
            first.line,
            COLUMN_LABELS["household_kind"],
            "household_kinds",
            _("The rows of one household give different household kinds (lines %(lines)s).")
            % {"lines": lines},
        )
    heads = [r for r in members if r.relation == Relation.HEAD]
    # Without a 户别 column a household without a head may be a 集体户 on record, and
    # without a 与户主关系 column the head is the one on record: settle_heads decides
    # once the households on record are known.
    if len(heads) > 1 or (
        not heads and relations_given and first.household_kind == HouseholdKind.FAMILY
    ):
        return _heads_problem(members)
    named = next(
        (r for r in members if heads and r.head_name and r.head_name != heads[0].name), None
    )
    if named is not None:
        # Names are not quoted: the lines say where to look.
        return Problem(
            named.line,
            COLUMN_LABELS["head_name"],
            "head_name_mismatch",
            _(
                "The head's name (户主姓名) is not the name of the household's head "
                "on line %(line)d."
            )
            % {"line": heads[0].line},
        )
    return None


def _heads_problem(members: list[PersonRow]) -> Problem:
    heads = sum(r.relation == Relation.HEAD for r in members)
    return Problem(
        members[0].line,
        COLUMN_LABELS["relation"],
        "household_heads",
        _("A household has exactly one head (户主); this one has %(n)d (lines %(lines)s).")
        % {"n": heads, "lines": "、".join(str(r.line) for r in members[:10])},
    )


def _relation_needed(members: list[PersonRow]) -> Problem:
    return Problem(
        members[0].line,
        COLUMN_LABELS["relation"],
        "relation_needed",
        _(
            "The file has no 与户主关系 column, so who heads this household is not known "
            "(lines %(lines)s). Add the column (户主 for the head) to import a new household "
            "of several people or a person moving in."
        )
        % {"lines": "、".join(str(r.line) for r in members[:10])},
    )


def flat_values(
    groups: list[HouseholdGroup], problems: list[Problem]
) -> tuple[list[HouseholdGroup], dict[tuple[int, str], tuple[Any, ...]]]:
    """The groups whose flats the rows agree on, and each flat's FLAT_COLUMNS values.

    A flat's area or status is the flat's, whichever household's row gives it
    (flat_locator.agreed_flat_values); every household of a disputed flat is
    left out. A value no row gives is the column's default (or no area).
    """
    given, disputed = agreed_flat_values(
        [row for group in groups for row in group.rows], FLAT_COLUMNS, COLUMN_LABELS, problems
    )
    defaults = {"housing_status": DEFAULTS["housing_status"], "area": None}
    values = {
        flat: tuple(
            defaults[column] if said.get(column) is None else said[column]
            for column in FLAT_COLUMNS
        )
        for flat, said in given.items()
    }
    return [g for g in groups if g.flat not in disputed], values


class StoredHouseholds:
    """The file's households and the households on record they are (the writer's base)."""

    def __init__(
        self,
        groups: list[HouseholdGroup],
        flat_values: dict[tuple[int, str], tuple[Any, ...]],
        present: set[str],
        batch: ImportBatch,
        *,
        scope: Scope,
        stairwells: frozenset[int],
    ) -> None:
        self.groups = groups
        self.flat_values = flat_values
        self.present = present
        # The file's household key -> (household id, HOUSEHOLD_COLUMNS values) on
        # record; filled by match_stored_households.
        self.matched: dict[object, tuple[int, tuple[Any, ...]]] = {}
        # (household key, row) of the members registered elsewhere whose move
        # into the written household is asked for (drop_people_registered_elsewhere).
        self.transfers: list[tuple[object, PersonRow]] = []
        self.batch = batch
        self.scope = scope
        # The stairwells of the importer's jurisdiction: every household the
        # import may read or write lives in one of them.
        self.stairwells = stairwells
        self.now = timezone.now()
        self.kept_person_columns = frozenset(
            PERSON_COLUMNS.index(column)
            for column, source in PERSON_SOURCE.items()
            if source not in present
        )

    @functools.cached_property
    def ancestors(self) -> dict[int, dict[str, int]]:
        return stairwell_ancestors({g.flat[0] for g in self.groups})

    @property
    def area_id(self) -> int | None:
        """The smallest node holding every household of the file; None when none resolved."""
        return smallest_area(self.ancestors)

    def match_stored_households(self, problems: list[Problem]) -> None:
        """Find each file household's stored household in its flat; report the ambiguous.

        Within a flat, a file household is the stored one with its 户号, else the
        one whose head on record it lists, else — one household left on either
        side, and not both with a 户号 — that one. Any other is a new
        household of the flat (several households may share one), except one
        without a 户号 in a flat where households are left on record: the file
        must then say by the 户号 which household it is.
        """
        stored: dict[tuple[int, str], list[tuple[int, tuple[Any, ...]]]] = {}
        for pk, stairwell, room, *values in bulk.select_in(
            Household,
            ("id", "stairwell_id", "room", *HOUSEHOLD_COLUMNS),
            "stairwell_id",
            sorted({g.flat[0] for g in self.groups}),
        ):
            stored.setdefault((stairwell, room), []).append((pk, tuple(values)))
        heads = dict(
            bulk.select_in(
                Person,
                ("household_id", "id_number"),
                "household_id",
                sorted(pk for households in stored.values() for pk, _v in households),
                where={"relation": Relation.HEAD},
            )
        )
        by_flat: dict[tuple[int, str], list[HouseholdGroup]] = {}
        for group in self.groups:
            by_flat.setdefault(group.flat, []).append(group)
        ambiguous: set[object] = set()
        for flat, groups in by_flat.items():
            left = list(stored.get(flat, []))
            unmatched = []
            for group in groups:
                number = group.lead.number
                found = next((h for h in left if number and h[1][NUMBER] == number), None)
                if found is None:
                    listed = {row.id_number for row in group.rows}
                    found = next((h for h in left if heads.get(h[0]) in listed), None)
                if found is None:
                    unmatched.append(group)
                    continue
                left.remove(found)
                self.matched[group.key] = found
            if (
                len(left) == 1
                and len(unmatched) == 1
                and not (left[0][1][NUMBER] and unmatched[0].lead.number)
            ):
                self.matched[unmatched[0].key] = left[0]
            elif left:
                ambiguous.update(g.key for g in unmatched if not g.lead.number)
        for group in self.groups:
            if group.key in ambiguous:
                problems.append(
                    Problem(
                        group.lead.line,
                        COLUMN_LABELS["number"],
                        "which_household",
                        _(
                            "Several households live in this flat: give the household "
                            "number (户号) to say which one this is."
                        ),
                    )
                )
        self.groups = [g for g in self.groups if g.key not in ambiguous]

    def _outside(self, stairwell_id: int) -> bool:
        return not self.scope.everything and stairwell_id not in self.stairwells

    def settle_heads(self, problems: list[Problem]) -> None:
        """Leave out, and report, the households whose head the file leaves unknown.

        A 集体户 (by the file, or on record when the file has no 户别) needs none.
        A file without a 与户主关系 column keeps the relations on record (an update
        of phones, say): a household on record keeps its head, and a new
        household of one person not on record is headed by them. A new household
        of several, a person on record starting one, or a head on record of
        another household joining one needs that column to say who heads what.
        """
        relations_given = "relation" in self.present
        alone: list[HouseholdGroup] = []  # new households of one, to be headed by them
        kept = []
        for group in self.groups:
            found = self.matched.get(group.key)
            kind = group.kind or (found[1][KIND] if found else HouseholdKind.FAMILY)
            if group.head is not None or kind == HouseholdKind.COLLECTIVE:
                kept.append(group)
            elif relations_given:
                problems.append(_heads_problem(group.rows))
            elif found is None and len(group.rows) == 1:
                alone.append(group)
            elif found is None:
                problems.append(_relation_needed(group.rows))
            else:
                kept.append(group)
        if relations_given:
            self.groups = kept
            return
        on_record = {
            number: (household, relation)
            for number, household, relation in bulk.select_in(
                Person,
                ("id_number", "household_id", "relation"),
                "id_number",
                [row.id_number for group in [*kept, *alone] for row in group.rows],
            )
        }
        for group in alone:
            row = group.rows[0]
            if row.id_number in on_record:
                problems.append(_relation_needed(group.rows))
            else:
                row.relation = Relation.HEAD
                group.head = row
                kept.append(group)
        self.groups = []
        for group in kept:
            found = self.matched.get(group.key)
            joining = found is not None and any(
                on_record.get(row.id_number, (found[0], ""))[0] != found[0]
                and on_record[row.id_number][1] == Relation.HEAD
                for row in group.rows
            )
            if joining:
                problems.append(_relation_needed(group.rows))
            else:
                self.groups.append(group)

    def drop_people_registered_elsewhere(self, problems: list[Problem]) -> None:
        """Leave out, and report, the persons registered outside the jurisdiction.

        An import reads and writes only inside its importer's jurisdiction: a
        person of another community is moved by a transfer request (迁入申请)
        that community accepts, never by someone else's file. A member of a
        household of the file is left out of it, and once the good rows are
        written a request asks for them (self.transfers); a household headed by
        such a person is left out whole. The importer learns that the ID number
        is registered elsewhere (or with another name), not where nor anything
        else of them.
        """
        if self.scope.everything:
            return
        homes = {
            number: (household, name)
            for number, household, name in bulk.select_in(
                Person,
                ("id_number", "household_id", "name"),
                "id_number",
                [row.id_number for group in self.groups for row in group.rows],
            )
        }
        ours = {pk for pk, _values in self.matched.values()}
        elsewhere = {
            pk
            for pk, stairwell in bulk.select_in(
                Household,
                ("id", "stairwell_id"),
                "id",
                sorted({home for home, _name in homes.values()} - ours),
            )
            if self._outside(stairwell)
        }
        if not elsewhere:
            return
        kept = []
        for group in self.groups:
            foreign = [row for row in group.rows if homes.get(row.id_number, (0,))[0] in elsewhere]
            # Without its head, or (a 集体户 has none) without anyone, the household is not ours.
            written = group.head not in foreign and len(foreign) < len(group.rows)
            if group.head in foreign:
                message = _(
                    "This person is registered in a household outside your jurisdiction, "
                    "so the household they head is not imported. Their community records "
                    "the move, or someone over both communities moves them."
                )
            elif not written:
                message = _(
                    "Everyone of this household is registered in a household outside your "
                    "jurisdiction, so it is not imported. Their community records the move, "
                    "or someone over both communities moves them."
                )
            else:
                message = _(
                    "This person is registered in a household outside your jurisdiction. "
                    "When the good rows are written, a transfer request (迁入申请) asks "
                    "their community to move them into this household."
                )
                group.rows = [row for row in group.rows if row not in foreign]
                kept.append(group)
            for row in foreign:
                if homes[row.id_number][1] != row.name:
                    # A mistyped ID number is likelier than a renamed person.
                    problems.append(
                        Problem(
                            row.line,
                            COLUMN_LABELS["name"],
                            "name_mismatch",
                            _("The name is not the one registered with this ID number."),
                        )
                    )
                    continue
                if written:
                    self.transfers.append((group.key, row))
                problems.append(
                    Problem(row.line, COLUMN_LABELS["id_number"], "registered_elsewhere", message)
                )
        self.groups = kept

    def drop_conflicting_households(self, problems: list[Problem]) -> None:
        """Leave out, and report, the households the database would refuse.

        Persons and households missing from a register stay as they are, so a
        file cannot name a new head while the head on record is not among the
        rows written, nor give a household a number that a household of the
        street not in the file keeps. Leaving one household out may take the
        head of another out of the rows written, hence the repeat.
        """
        stored_heads = self._stored_heads()
        number_holders = self._number_holders()
        if not stored_heads and not number_holders:
            return
        while True:
            written_ids = {row.id_number for group in self.groups for row in group.rows}
            written_households = {
                found[0]
                for group in self.groups
                if (found := self.matched.get(group.key)) is not None
            }
            kept = []
            for group in self.groups:
                found = self.matched.get(group.key)
                pk = found[0] if found is not None else None
                stored_head = stored_heads.get(pk) if pk is not None else None
                number = group.lead.number
                street = self.ancestors[group.flat[0]].get("street_id", 0)
                holder = number_holders.get((street, number))
                if stored_head is not None and stored_head[0] not in written_ids:
                    problems.append(
                        Problem(
                            group.lead.line,
                            COLUMN_LABELS["relation"],
                            "head_not_listed",
                            _(
                                "The household's head on record, %(name)s, is not in the "
                                "file: record their moving out or death first, or list them."
                            )
                            % {"name": stored_head[1]},
                        )
                    )
                elif holder is not None and holder[0] != pk and holder[0] not in written_households:
                    problems.append(self._number_taken(group.lead.line, number, holder))
                else:
                    kept.append(group)
            if len(kept) == len(self.groups):
                return
            self.groups = kept

    def _number_taken(self, line: int, number: str, holder: tuple[int, int, str, str]) -> Problem:
        _pk, stairwell, code, room = holder
        if self._outside(stairwell):
            # Where a household outside the jurisdiction lives is not the importer's to learn.
            message = _(
                "Household number %(number)s belongs to a household outside your jurisdiction."
            ) % {"number": number}
        else:
            message = _(
                "Household number %(number)s belongs to another household of the street "
                "(stairwell %(stairwell)s, room %(room)s), which is not in the file."
            ) % {"number": number, "stairwell": code, "room": room}
        return Problem(line, COLUMN_LABELS["number"], "number_taken", message)

    def _stored_heads(self) -> dict[int, tuple[str, str]]:
        """household id -> (ID number, name) of its head on record, where the file names another."""
        # A household the file names no head of keeps the one on record.
        heads = {
            found[0]: group.head.id_number
            for group in self.groups
            if (found := self.matched.get(group.key)) is not None and group.head is not None
        }
        return {
            household: (id_number, name)
            for household, id_number, name in bulk.select_in(
                Person,
                ("household_id", "id_number", "name"),
                "household_id",
                list(heads),
                where={"relation": Relation.HEAD},
            )
            if id_number != heads[household]
        }

    def _number_holders(self) -> dict[tuple[int, str], tuple[int, int, str, str]]:
        """(street id, number) -> (household id, stairwell id, code, room) of numbers given anew."""
        if "number" not in self.present:
            return {}
        numbers = set()
        for group in self.groups:
            found = self.matched.get(group.key)
            if found is None or found[1][NUMBER] != group.lead.number:
                numbers.add(group.lead.number)
        numbers.discard("")
        holders = list(
            bulk.select_in(
                Household,
                ("street_id", "number", "id", "stairwell_id", "room"),
                "number",
                sorted(numbers),
            )
        )
        codes = dict(
            bulk.select_in(Node, ("id", "code"), "id", sorted({row[3] for row in holders}))
        )
        return {
            (street, number): (pk, stairwell, codes[stairwell], room)
            for street, number, pk, stairwell, room in holders
        }
