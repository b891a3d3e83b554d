"""Reading a street's register from XLSX: what finding its merged cells costs.

A register merges a household's 户号, 户别 or address over its members' lines;
common.tabular reads them on every line of the merge by scanning the sheet's
XML for its merged ranges once more. The baseline, measured in the same run,
is openpyxl's read-only reading of the same sheet alone (the rows as cell
text, as the import reads them, without the scan); the ratio is baseline
seconds ÷ ours (1.0: the scan costs nothing).

  .venv/bin/python benchmarks/xlsx_read.py [--rows 150000] [--merged 0.3]

--merged is the share of households (of three lines) whose 户号 is merged.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from openpyxl import Workbook  # noqa: E402

from common import tabular  # noqa: E402
from residents.demo import HEADER  # noqa: E402

EXAMPLE = ["", "张三", "男", "汉族", "330106198001010011", "1980-01-01", "户主"]
EXAMPLE += ["和达城1幢1单元101室", "13800000000", "群众", "户籍", "自住", "89.5"]


def sheet(rows: int, merged: float) -> bytes:
    workbook = Workbook(write_only=True)  # a street's sheet in memory otherwise takes gigabytes
    ws = workbook.create_sheet()
    ws.append(HEADER)
    every = max(1, round(1 / merged)) if merged else 0
    for i in range(rows):
        household, member = divmod(i, 3)
        is_merged = every and household % every == 0
        ws.append([f"H{household}" if member == 0 or not is_merged else "", *EXAMPLE[1:]])
        if is_merged and member == 2:
            ws.merged_cells.add(f"A{i}:A{i + 2}")  # the household's three lines (header: line 1)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def seconds(data: bytes) -> float:
    started = time.perf_counter()
    for _row in tabular.iter_raw_rows(data, "register.xlsx"):
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--merged", type=float, default=0.3)
    args = parser.parse_args()
    data = sheet(args.rows, args.merged)
    ranges = tabular._merged_ranges
    ours = min(seconds(data) for _ in range(3))
    tabular._merged_ranges = lambda workbook, sheet: []  # the baseline: no scan
    try:
        baseline = min(seconds(data) for _ in range(3))
    finally:
        tabular._merged_ranges = ranges
    print(f"rows={args.rows} bytes={len(data)} merged_share={args.merged}")
    print(f"baseline_seconds={baseline:.2f} ours_seconds={ours:.2f}")
    print(f"rows_per_s={args.rows / ours:.0f} ratio_vs_baseline={baseline / ours:.3f}")


if __name__ == "__main__":
    main()
