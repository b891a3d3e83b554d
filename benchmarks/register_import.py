"""A street's register: our import vs a plain COPY of the same file, in one run.

Generates a register of 150,000 persons in 60,000 households for the demo
street (4,664 stairwells) as a GB18030 CSV with a title row, then in a scratch
database:

  baseline: COPY of the file's bytes below its title and header lines into
            a staging table of text columns; the server decodes GB18030 and
            parses the CSV;
  ours:     `manage.py import_register FILE --json` on the same file:
            decoding, header detection, ID validation, address resolution,
            grouping, comparison with the database, COPY of households,
            persons and their history rows.

The import runs as `manage.py import_register` in a child process against
the scratch database, so its time and peak memory are what a user gets
(Django start-up included); PostgreSQL only. Then the same file is imported
again the same way, which must change nothing, and the first import is
undone (in this process, as the admin's undo button does). Prints rows/s for
each, both imports' peak resident memory and the undo's time against the
import's.

The baseline that counts is the write floor: the rows the import wrote
(flats, households, persons and their history rows), COPYed in binary into fresh
tables with the same indexes and committed, without foreign-key checks and
with no Python in the loop. No importer that keeps these tables can beat it;
ratio_vs_floor = floor seconds ÷ import seconds (target ≥ 0.33, issue 9 §3).
ratio_vs_copy (against the text COPY into an unindexed table) is printed for
comparison with earlier runs only: no importer can approach it.

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/microgrid \\
      .venv/bin/python benchmarks/register_import.py [--persons 150000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from benchmarks.scratch import scratch_database  # noqa: E402
from grids.demo import DEMO_STREET_CODE, SCALES, tree_rows  # noqa: E402
from grids.models import Node  # noqa: E402
from grids.tree_import import load_street  # noqa: E402
from residents.demo import HEADER, csv_file, register_rows, street_stairwells  # noqa: E402
from residents.demo_owners import OWNER_HEADER, owner_rows  # noqa: E402
from residents.models import ImportBatch, Person  # noqa: E402
from residents.services import undo_import  # noqa: E402


def copy_baseline(data: bytes, rows: int) -> float:
    """COPY the file itself (below its title and header lines); the server parses the CSV."""
    body = data.split(b"\n", 2)[2]
    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE register_staging ({columns})")
        start = time.perf_counter()
        with cursor.copy(
            "COPY register_staging FROM STDIN WITH (FORMAT csv, ENCODING 'GB18030')"
        ) as copy:
            for offset in range(0, len(body), 1 << 20):
                copy.write(body[offset : offset + (1 << 20)])
        elapsed = time.perf_counter() - start
        cursor.execute("SELECT count(*) FROM register_staging")
        assert cursor.fetchone()[0] == rows
        cursor.execute("DROP TABLE register_staging")
    return elapsed


REGISTER_TABLES = (
    "residents_household",
    "residents_person",
    "residents_flat",
    "residents_historicalhousehold",
    "residents_historicalperson",
    "residents_historicalflat",
)
# What the owners' roll writes: its owners and their titles (its few new flats aside).
ROLL_TABLES = (
    "residents_owner",
    "residents_ownership",
    "residents_historicalowner",
    "residents_historicalownership",
)


def write_floor(tables: tuple[str, ...]) -> float:
    """Seconds to COPY the imported rows into same-shaped, same-indexed tables and commit."""
    dumps = {}
    with connection.cursor() as cursor:
        for table in tables:
            with cursor.copy(f"COPY (SELECT * FROM {table}) TO STDOUT (FORMAT BINARY)") as copy:
                dumps[table] = b"".join(bytes(chunk) for chunk in copy)
            cursor.execute(f"CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL)")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, data in dumps.items():
            with cursor.copy(f"COPY floor_{table} FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(data)
    elapsed = time.perf_counter() - start
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE floor_{table}")
    return elapsed


def import_in_a_child(path: str, command: str = "import_register") -> tuple[float, float, dict]:
    """Run `manage.py <command>` on the file in a fresh process, as a user would.

    Returns its wall time (Django start-up included), its own peak resident
    memory in MB, and its JSON report.
    """
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "manage.py", command, path, "--json"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    report = child.stdout.read()
    # wait4 gives this child's own peak; RUSAGE_CHILDREN would be the largest of all children.
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, report
    return elapsed, usage.ru_maxrss / 1024, json.loads(report)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=150_000)
    args = parser.parse_args()
    with scratch_database():
        load_street(rows=tree_rows(SCALES["street"]))
        stairwells = street_stairwells(Node.objects.get(code=DEMO_STREET_CODE))
        register = list(register_rows(stairwells, persons=args.persons))
        rows = len(register)
        data = csv_file(
            HEADER, register, title="白杨街道实有人口登记表（2026年11月）", encoding="gb18030"
        )
        roll_rows = list(owner_rows(register, stairwells))
        roll = csv_file(OWNER_HEADER, roll_rows, title="白杨街道业主名册", encoding="gb18030")
        copy_seconds = copy_baseline(data, rows)
        with tempfile.NamedTemporaryFile(suffix=".csv") as file:
            file.write(data)
            file.flush()
            ours, peak_mb, result = import_in_a_child(file.name)
            assert not result["errors"], result["errors"][:5]
            floor_seconds = write_floor(REGISTER_TABLES)
            reimport, reimport_peak_mb, again = import_in_a_child(file.name)
        assert again["unchanged"] == rows and again["persons_created"] == 0
        with tempfile.NamedTemporaryFile(suffix=".csv") as file:
            file.write(roll)
            file.flush()
            roll_seconds, roll_peak_mb, roll_result = import_in_a_child(file.name, "import_owners")
            assert not roll_result["errors"], roll_result["errors"][:5]
            roll_floor = write_floor(ROLL_TABLES)
            roll_again, _peak, roll_same = import_in_a_child(file.name, "import_owners")
        assert roll_same["unchanged"] == len(roll_rows) and roll_same["owners_created"] == 0
        applied = ImportBatch.objects.filter(status=ImportBatch.Status.APPLIED)
        start = time.perf_counter()
        undo_import(batch=applied.filter(kind=ImportBatch.Kind.OWNERS).earliest("pk"))
        roll_undo = time.perf_counter() - start
        start = time.perf_counter()
        undo_import(batch=applied.filter(kind=ImportBatch.Kind.REGISTER).earliest("pk"))
        undo_seconds = time.perf_counter() - start
        assert not Person.objects.exists()
        copy_rate, our_rate = rows / copy_seconds, rows / ours
        print(f"database={connection.vendor} rows={rows} households={result['households_created']}")
        print(f"flats={result['flats_created']}")
        print(f"copy_rows_per_s={copy_rate:.0f}")
        print(f"import_rows_per_s={our_rate:.0f} import_seconds={ours:.2f}")
        print(f"reimport_unchanged_seconds={reimport:.2f}")
        print(f"peak_rss_mb={peak_mb:.0f} reimport_peak_rss_mb={reimport_peak_mb:.0f}")
        print(f"undo_seconds={undo_seconds:.2f} undo_vs_import={undo_seconds / ours:.2f}")
        print(f"write_floor_seconds={floor_seconds:.2f}")
        print(f"ratio_vs_floor={floor_seconds / ours:.2f}")
        print(f"ratio_vs_copy={our_rate / copy_rate:.2f}")
        print(f"floor_ratio_vs_copy={copy_seconds / floor_seconds:.2f}")
        print(
            f"roll_rows={len(roll_rows)} roll_owners={roll_result['owners_created']} "
            f"roll_ownerships={roll_result['ownerships_created']}"
        )
        print(f"roll_import_seconds={roll_seconds:.2f} roll_peak_rss_mb={roll_peak_mb:.0f}")
        print(f"roll_reimport_unchanged_seconds={roll_again:.2f} roll_undo_seconds={roll_undo:.2f}")
        print(f"roll_write_floor_seconds={roll_floor:.2f}")
        print(f"roll_ratio_vs_floor={roll_floor / roll_seconds:.2f}")


if __name__ == "__main__":
    main()
