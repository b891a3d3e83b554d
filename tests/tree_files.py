"""Building tree spreadsheets for tests and benchmarks."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from grids.models import Level
from grids.tree_import import TreeRow

CHINESE_HEADER = ["编码", "名称", "层级", "上级编码", "类型", "小区", "楼幢", "单元"]
LEVEL_CN = {
    Level.STREET: "街道",
    Level.COMMUNITY: "社区",
    Level.GRID: "网格",
    Level.MICRO_GRID: "微网格",
    Level.STAIRWELL: "楼道",
}
KIND_CN = {
    "residential": "住宅",
    "campus": "高校",
    "enterprise": "企业",
    "park": "园区",
    "commercial": "商务楼宇",
    "market": "市场",
}


def as_cells(row: TreeRow) -> list[str]:
    return [
        row.code,
        row.name,
        LEVEL_CN[Level(row.level)],
        row.parent_code,
        KIND_CN[row.kind],
        row.compound,
        row.building,
        row.unit,
    ]


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", title: str | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if title:
        writer.writerow([title])
    writer.writerow(CHINESE_HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[str]], *, title: str | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(CHINESE_HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
