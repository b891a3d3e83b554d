"""Loading a whole street from a spreadsheet, all or nothing, in one pass.

One-by-one MPTT inserts rewrite lft/rght for every node and take tens of
seconds for a street; here the merged tree (what the database has plus what
the file adds) is numbered in memory and written with a few bulk queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from common.tabular import Column, Columns, Problem, Table, check_lengths, max_length, read_table
from grids.locking import lock_forest, lock_trees
from grids.models import CODE_LENGTHS, Kind, Level, Node, code_rule_errors

TREE_COLUMNS = Columns(
    [
        Column("code", "编码", ("code",)),
        Column("name", "名称", ("name",)),
        Column("level", "层级", ("level",)),
        Column("parent_code", "上级编码", ("parent_code",)),
        Column("kind", "类型", ("kind",)),
        Column("compound", "小区", ("compound",)),
        Column("building", "楼幢", ("building",)),
        Column("unit", "单元", ("unit",)),
    ],
    required=("code", "name", "level", "parent_code"),
)
COLUMN_LABELS = TREE_COLUMNS.labels
# The text cells a node keeps as written, and the longest each field holds.
TEXT_LENGTHS = {f: max_length(Node, f) for f in ("name", "compound", "building", "unit")}

LEVEL_WORDS = {
    "street": Level.STREET,
    "街道": Level.STREET,
    "community": Level.COMMUNITY,
    "社区": Level.COMMUNITY,
    "grid": Level.GRID,
    "网格": Level.GRID,
    "micro_grid": Level.MICRO_GRID,
    "micro-grid": Level.MICRO_GRID,
    "微网格": Level.MICRO_GRID,
    "stairwell": Level.STAIRWELL,
    "楼道": Level.STAIRWELL,
}
KIND_WORDS = {
    "": Kind.RESIDENTIAL,
    "residential": Kind.RESIDENTIAL,
    "住宅": Kind.RESIDENTIAL,
    "campus": Kind.CAMPUS,
    "高校": Kind.CAMPUS,
    "enterprise": Kind.ENTERPRISE,
    "企业": Kind.ENTERPRISE,
    "park": Kind.PARK,
    "园区": Kind.PARK,
    "commercial": Kind.COMMERCIAL,
    "商务楼宇": Kind.COMMERCIAL,
    "market": Kind.MARKET,
    "市场": Kind.MARKET,
}
# The fields an import may change on an existing node.
DATA_FIELDS = ("name", "kind", "compound", "building", "unit")
TREE_FIELDS = ("lft", "rght", "level")


class TreeImportFailed(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class TreeRow:
    line: int
    code: str
    name: str
    level: int
    parent_code: str
    kind: str
    compound: str
    building: str
    unit: str


@dataclass
class TreeImportResult:
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    street_code: str = ""


@dataclass
class _Slot:
    """A node of the merged tree: an existing Node or one about to be created."""

    node: Node
    is_new: bool
    children: list[_Slot] = field(default_factory=list)


def _problem(line: int, column: str, code: str, message: str) -> Problem:
    return Problem(line=line, column=COLUMN_LABELS[column], code=code, message=message)


def parse_rows(table: Table) -> tuple[list[TreeRow], list[Problem]]:
    """Turn spreadsheet rows into typed rows; report what cannot be typed."""
    rows: list[TreeRow] = []
    problems: list[Problem] = []
    for line, cells in table.rows:
        level = LEVEL_WORDS.get(cells.get("level", "").strip().lower())
        kind = KIND_WORDS.get(cells.get("kind", "").strip().lower())
        bad = False
        if level is None:
            problems.append(
                _problem(
                    line,
                    "level",
                    "bad_level",
                    _("Unknown level “%(value)s”; use 街道/社区/网格/微网格/楼道.")
                    % {"value": cells.get("level", "")},
                )
            )
            bad = True
        if kind is None:
            problems.append(
                _problem(
                    line,
                    "kind",
                    "bad_kind",
                    _("Unknown grid kind “%(value)s”; use 住宅/高校/企业/园区/商务楼宇/市场.")
                    % {"value": cells.get("kind", "")},
                )
            )
            bad = True
        if not cells.get("name"):
            problems.append(_problem(line, "name", "empty_name", _("The name is empty.")))
            bad = True
        if not cells.get("code"):
            problems.append(_problem(line, "code", "empty_code", _("The code is empty.")))
            bad = True
        before = len(problems)
        check_lengths(line, cells, TEXT_LENGTHS, lambda *p: problems.append(_problem(*p)))
        if bad or len(problems) != before:
            continue
        assert level is not None and kind is not None
        rows.append(
            TreeRow(
                line=line,
                code=cells["code"],
                name=cells["name"],
                level=int(level),
                parent_code=cells.get("parent_code", ""),
                kind=str(kind),
                compound=cells.get("compound", ""),
                building=cells.get("building", ""),
                unit=cells.get("unit", ""),
            )
        )
    return rows, problems


def _street_code_of(rows: list[TreeRow]) -> str | None:
    streets = {row.code[: CODE_LENGTHS[Level.STREET]] for row in rows}
    return streets.pop() if len(streets) == 1 else None


def _effective_compounds(rows: list[TreeRow], existing: dict[str, Node]) -> dict[str, str]:
    """Each file row's compound: its own, else its nearest ancestor's (from grid down)."""
    own = {code: node.compound for code, node in existing.items()}
    parent_of = {code: "" for code in existing}
    for row in rows:
        own[row.code] = row.compound
        parent_of[row.code] = row.parent_code
    resolved: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: r.level):
        if row.compound or row.level <= Level.GRID:
            resolved[row.code] = row.compound
        else:
            resolved[row.code] = resolved.get(row.parent_code, own.get(row.parent_code, ""))
    return resolved


def _validate(
    rows: list[TreeRow],
    existing: dict[str, Node],
    taken_elsewhere: set[str],
    compounds: dict[str, str],
) -> list[Problem]:
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    levels = {code: node.level for code, node in existing.items()}
    for row in rows:
        levels.setdefault(row.code, row.level)
    file_codes = {row.code for row in rows}
    # Stairwells already in the database keep their address; the file may not reuse it.
    addresses: dict[tuple[str, str, str], int | str] = {
        (node.compound, node.building, node.unit): node.code
        for code, node in existing.items()
        if node.level == Level.STAIRWELL and code not in file_codes
    }
    for row in rows:
        if row.code in first_line:
            problems.append(
                _problem(
                    row.line,
                    "code",
                    "duplicate_code",
                    _("Code %(code)s already appears on line %(line)d.")
                    % {"code": row.code, "line": first_line[row.code]},
                )
            )
            continue
        first_line[row.code] = row.line
        if row.code in taken_elsewhere:
            problems.append(
                _problem(
                    row.line,
                    "code",
                    "code_in_use",
                    _("Code %(code)s belongs to another street.") % {"code": row.code},
                )
            )
        if row.level == Level.STREET:
            if row.parent_code:
                problems.append(
                    _problem(
                        row.line,
                        "parent_code",
                        "street_has_parent",
                        _("A street has no parent; leave the parent code empty."),
                    )
                )
        elif row.parent_code not in levels:
            problems.append(
                _problem(
                    row.line,
                    "parent_code",
                    "unknown_parent",
                    _("Parent %(code)s is neither in the file nor in the database.")
                    % {"code": row.parent_code or "∅"},
                )
            )
        elif levels[row.parent_code] != row.level - 1:
            problems.append(
                _problem(
                    row.line,
                    "level",
                    "skipped_level",
                    _("A %(level)s cannot hang under a %(parent_level)s.")
                    % {
                        "level": Level(row.level).label,
                        "parent_level": Level(levels[row.parent_code]).label,
                    },
                )
            )
        for message in code_rule_errors(
            code=row.code, level=row.level, parent_code=row.parent_code or None
        ):
            problems.append(_problem(row.line, "code", "bad_code", message))
        current = existing.get(row.code)
        if current is not None and current.level != row.level:
            problems.append(
                _problem(
                    row.line,
                    "level",
                    "level_changed",
                    _("Code %(code)s is a %(level)s in the database; an import cannot move it.")
                    % {"code": row.code, "level": current.level_label},
                )
            )
        if row.level == Level.STAIRWELL:
            if not (row.building and row.unit):
                problems.append(
                    _problem(
                        row.line,
                        "building",
                        "stairwell_address",
                        _("A stairwell needs its building and unit."),
                    )
                )
            else:
                address = (compounds[row.code], row.building, row.unit)
                taken_by = addresses.get(address)
                if isinstance(taken_by, int):
                    problems.append(
                        _problem(
                            row.line,
                            "unit",
                            "duplicate_address",
                            _("%(address)s already appears on line %(line)d.")
                            % {"address": "".join(address), "line": taken_by},
                        )
                    )
                elif taken_by is not None:
                    problems.append(
                        _problem(
                            row.line,
                            "unit",
                            "duplicate_address",
                            _("%(address)s is already stairwell %(code)s.")
                            % {"address": "".join(address), "code": taken_by},
                        )
                    )
                addresses[address] = row.line
        elif row.building or row.unit:
            problems.append(
                _problem(
                    row.line,
                    "building",
                    "not_stairwell",
                    _("Only stairwells have a building and a unit."),
                )
            )
        if row.compound and row.level < Level.GRID:
            problems.append(
                _problem(
                    row.line,
                    "compound",
                    "compound_level",
                    _("Only grids, micro-grids and stairwells name a compound."),
                )
            )
    return problems


def _number(slot: _Slot, counter: int, level: int) -> int:
    """Assign lft/rght/level depth-first, children ordered by code."""
    stack: list[tuple[_Slot, int, bool]] = [(slot, level, False)]
    while stack:
        current, depth, closing = stack.pop()
        if closing:
            current.node.rght = counter
            counter += 1
            continue
        current.node.lft = counter
        current.node.level = depth
        counter += 1
        stack.append((current, depth, True))
        for child in sorted(current.children, key=lambda s: s.node.code, reverse=True):
            stack.append((child, depth + 1, False))
    return counter


def import_tree(*, data: bytes, filename: str, dry_run: bool = False) -> TreeImportResult:
    """Load or update one street from a file; on any problem write nothing."""
    table = read_table(data, filename, columns=TREE_COLUMNS)
    rows, problems = parse_rows(table)
    return load_street(rows=rows, problems=problems, file_rows=len(table.rows), dry_run=dry_run)


@transaction.atomic
def load_street(
    *,
    rows: list[TreeRow],
    problems: list[Problem] | None = None,
    file_rows: int | None = None,
    dry_run: bool = False,
) -> TreeImportResult:
    """Validate `rows` against the database under the tree lock, then write them in bulk."""
    problems = list(problems or [])
    result = TreeImportResult(rows=len(rows) if file_rows is None else file_rows)
    if not rows:
        raise TreeImportFailed(problems or [Problem(0, "", "no_rows", _("The file has no rows."))])
    street_code = _street_code_of(rows)
    if street_code is None:
        raise TreeImportFailed(
            [*problems, Problem(0, "编码", "many_streets", _("A file may hold only one street."))]
        )
    result.street_code = street_code
    root = Node.objects.filter(code=street_code, level=Level.STREET).first()
    if root is None:
        lock_forest()
        existing: dict[str, Node] = {}
    else:
        lock_trees([root.tree_id])
        existing = {n.code: n for n in Node.objects.filter(tree_id=root.tree_id)}
    file_codes = [row.code for row in rows]
    taken = Node.objects.filter(code__in=file_codes)
    if root is not None:
        taken = taken.exclude(tree_id=root.tree_id)
    compounds = _effective_compounds(rows, existing)
    problems += _validate(rows, existing, set(taken.values_list("code", flat=True)), compounds)
    if root is None and not any(r.level == Level.STREET for r in rows):
        problems.append(
            Problem(
                0,
                "编码",
                "no_street",
                _("Street %(code)s is neither in the file nor in the database.")
                % {"code": street_code},
            )
        )
    if problems:
        raise TreeImportFailed(sorted(problems, key=lambda p: (p.line, p.column)))

    slots: dict[str, _Slot] = {code: _Slot(node, is_new=False) for code, node in existing.items()}
    by_id = {node.pk: code for code, node in existing.items()}
    before = {
        code: tuple(getattr(node, f) for f in DATA_FIELDS + TREE_FIELDS)
        for code, node in existing.items()
    }
    for row in rows:
        values = {f: getattr(row, f) for f in DATA_FIELDS}
        values["compound"] = compounds[row.code]
        slot = slots.get(row.code)
        if slot is None:
            slots[row.code] = _Slot(Node(code=row.code, **values), is_new=True)
        else:
            for name, value in values.items():
                setattr(slot.node, name, value)
    parent_code_of = {row.code: row.parent_code for row in rows}
    for code, node in existing.items():
        parent_code_of.setdefault(code, by_id.get(node.parent_id, ""))
    for code, slot in slots.items():
        parent = slots.get(parent_code_of[code])
        if parent is not None:
            parent.children.append(slot)
    _number(slots[street_code], 1, 0)

    new_by_level: dict[int, list[_Slot]] = defaultdict(list)
    changed: list[Node] = []
    for code, slot in slots.items():
        if slot.is_new:
            new_by_level[slot.node.level].append(slot)
        elif tuple(getattr(slot.node, f) for f in DATA_FIELDS + TREE_FIELDS) != before[code]:
            changed.append(slot.node)
    data_changed = sum(
        1
        for node in changed
        if tuple(getattr(node, f) for f in DATA_FIELDS) != before[node.code][: len(DATA_FIELDS)]
    )
    result.created = sum(len(v) for v in new_by_level.values())
    result.updated = data_changed
    result.unchanged = len(rows) - result.created - data_changed
    if dry_run:
        transaction.set_rollback(True)
        return result

    tree_id = root.tree_id if root is not None else _next_tree_id()
    for level in sorted(new_by_level):
        batch = []
        for slot in new_by_level[level]:
            node = slot.node
            node.tree_id = tree_id
            parent_code = parent_code_of[node.code]
            node.parent = slots[parent_code].node if parent_code else None
            batch.append(node)
        Node.objects.bulk_create(batch, batch_size=2000)
    if changed:
        Node.objects.bulk_update(changed, list(DATA_FIELDS + TREE_FIELDS), batch_size=1000)
    return result


def _next_tree_id() -> int:
    return (Node.objects.aggregate(m=Max("tree_id"))["m"] or 0) + 1
