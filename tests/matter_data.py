"""The compound and the matters of the deliberation tests, built through the services.

A grid of community A (和达城) with flats on the owners' roll: 张伟 owns three flats
in two stairwells (one head, areas summed), 张伟 and 李娜 co-own one (another head),
the developer holds two unsold flats (one head together), one flat has an area and
no owner (a head of its own), and five more owners hold a flat each.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from deliberation import services
from deliberation.models import STAGES, Matter
from grids.models import Level, Node
from residents import owners
from residents.models import Delivery, OwnerKind
from tests.support import credit_code, idn
from tests.test_owners import a_flat, stairwells_of

ZHANG = idn("330106", "19800101", 11)
LI = idn("330106", "19820202", 12)

# (stairwell index, room, area, owners) — owners by key below; "dev" an unsold flat.
FLATS = [
    (0, "101", "90.00", ["zhang"]),
    (0, "102", "60.00", ["zhang"]),
    (1, "101", "50.00", ["zhang"]),
    (0, "201", "120.00", ["zhang", "li"]),
    (0, "301", "80.00", "dev"),
    (1, "301", "80.00", "dev"),
    (1, "401", "70.00", []),
    *[(1, f"50{n}", "100.00", [f"o{n}"]) for n in range(1, 6)],
]
TOTAL_AREA = Decimal("1050.00")
TOTAL_HEADS = 1 + 1 + 1 + 1 + 5  # 张伟, 张伟+李娜, the developer, the ownerless flat, o1–o5
TOTAL_FLATS = len(FLATS)


def compound_grid(community: Node) -> Node:
    stairwell = community.get_descendants().filter(level=Level.STAIRWELL).order_by("lft")[0]
    return stairwell.get_ancestors().get(level=Level.GRID)


def build_roll(grid: Node) -> None:
    stairwells = stairwells_of(grid)
    people = {
        "zhang": owners.create_owner(name="张伟", certificate=ZHANG),
        "li": owners.create_owner(name="李娜", certificate=LI),
        **{
            f"o{n}": owners.create_owner(
                name=f"业主{n}号", certificate=idn("330106", "19900101", n)
            )
            for n in range(1, 6)
        },
    }
    developer = owners.create_owner(
        name="和达置业有限公司", kind=OwnerKind.ORGANISATION, certificate=credit_code(1)
    )
    roll = {}
    for index, room, area, who in FLATS:
        unsold = who == "dev"
        flat = a_flat(
            stairwells[index % len(stairwells)],
            room,
            area=Decimal(area),
            delivery=Delivery.UNSOLD if unsold else "",
        )
        roll[flat.pk] = [developer.pk] if unsold else [people[k].pk for k in who]
    owners.set_owners(owners_by_flat=roll)


def at_assembly(user, node: Node, *, item: int | None = 4) -> Matter:
    """A matter through the first four deliberations, waiting for the owners' assembly."""
    matter = services.create_matter(user=user, title="选聘物业服务企业", node=node, item=item)
    for _stage in STAGES[:-1]:
        matter = services.advance(
            user=user, matter=matter, outcome="passed", held_on=datetime.date(2026, 11, 2)
        )
    return matter
