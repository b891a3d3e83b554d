"""Whole-street tree load: one-pass bulk import vs one-by-one MPTT inserts.

Builds a street of the Baiyang size (25 communities, 237 grids, 1,166
micro-grids, 4,664 stairwells: 6,093 nodes), writes it as a GB18030 CSV and
loads it both ways into a scratch database in one run:

  baseline: django-mptt inserting one node at a time (node.save() in tree
            order, inside one transaction, no validation or locking of ours);
  ours:     grids.tree_import.import_tree on the CSV file (parsing, validation
            and the tree lock included).

Run against PostgreSQL:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/microgrid \
      .venv/bin/python benchmarks/tree_import.py
Prints seconds for each and speedup_vs_one_by_one=N.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from benchmarks.scratch import scratch_database  # noqa: E402
from grids.demo import SCALES, tree_rows  # noqa: E402
from grids.integrity import check_trees  # noqa: E402
from grids.models import Node  # noqa: E402
from grids.tree_import import import_tree  # noqa: E402
from tests.tree_files import as_cells, csv_bytes  # noqa: E402


def one_by_one(street_code: str) -> float:
    rows = tree_rows(SCALES["street"], street_code=street_code)
    by_code: dict[str, Node] = {}
    start = time.perf_counter()
    with transaction.atomic():
        for row in rows:
            node = Node(
                parent=by_code.get(row.parent_code),
                code=row.code,
                name=row.name,
                kind=row.kind,
                compound=row.compound,
                building=row.building,
                unit=row.unit,
            )
            node.save()
            by_code[row.code] = node
    return time.perf_counter() - start


def bulk(street_code: str) -> tuple[float, int, float]:
    data = csv_bytes(
        [as_cells(r) for r in tree_rows(SCALES["street"], street_code=street_code)],
        encoding="gb18030",
        title="白杨街道网格划分",
    )
    start = time.perf_counter()
    result = import_tree(data=data, filename="street.csv")
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    import_tree(data=data, filename="street.csv")
    again = time.perf_counter() - start
    return elapsed, result.created, again


def main() -> None:
    with scratch_database():
        baseline = one_by_one("330106101")
        ours, created, reimport = bulk("330106102")
        _trees, faults = check_trees()
        assert not faults, faults[:5]
        print(f"database={connection.vendor} nodes={created}")
        print(f"one_by_one_seconds={baseline:.2f}")
        print(f"bulk_import_seconds={ours:.2f}")
        print(f"reimport_unchanged_seconds={reimport:.2f}")
        print(f"speedup_vs_one_by_one={baseline / ours:.1f}")


if __name__ == "__main__":
    main()
