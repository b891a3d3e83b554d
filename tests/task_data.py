"""The people and places of the task tests, built through the services.

alice is a community worker of community A (a dispatcher); stella leads a
stairwell team there, frank the micro-grid above it, gina the grid above that;
bob works in community B; charlie is the street official.
"""

from __future__ import annotations

from dataclasses import dataclass

from grids.models import Level, Node, Role
from tasks import services
from tasks.models import Category, Source, Task
from tests.conftest import make_user


@dataclass(frozen=True)
class Places:
    stairwell: Node
    micro_grid: Node
    grid: Node
    community: Node
    street: Node


def places_in(community: Node) -> Places:
    stairwell = (
        community.get_descendants().filter(level=Level.STAIRWELL).order_by("tree_id", "lft")[0]
    )
    up = {n.level: n for n in stairwell.get_ancestors()}
    return Places(
        stairwell, up[Level.MICRO_GRID], up[Level.GRID], up[Level.COMMUNITY], up[Level.STREET]
    )


def team(places: Places) -> dict[str, object]:
    """The stairwell leader and the micro-grid and grid leaders above it."""
    return {
        "stella": make_user("stella", places.stairwell, Role.STAIRWELL_LEADER),
        "frank": make_user("frank", places.micro_grid, Role.MICRO_GRID_LEADER),
        "gina": make_user("gina", places.grid, Role.GRID_LEADER),
    }


def category(code: str = "exposed_garbage") -> Category:
    return Category.objects.get(code=code)


def report(user, node: Node, code: str = "exposed_garbage", **fields) -> Task:
    given = {"title": "楼道口堆放垃圾", "source": Source.PATROL, **fields}
    return services.create_task(user=user, category=category(code), node=node, **given)


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG (grey pixels) that a browser shows: the photo of the phone tests."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
