"""The demo street's owners' roll, made from its register (residents/demo.py).

Most owners live in their flat (the household's head, with the spouse as
co-owner half the time); a rented or commercial flat belongs to someone who
lives elsewhere, a few of whom own two; one compound's developer still holds
flats no register names (unsold, or sold and not yet delivered).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator

from grids.demo import GIVEN, SURNAMES
from residents import credit_codes
from residents.idnumbers import check_character

OWNER_HEADER = [
    "房屋地址",
    "专有部分面积（㎡）",
    "业主姓名",
    "证件号码",
    "联系电话",
    "共有人",
    "交付状态",
]
_NAME, _ID, _RELATION, _ADDRESS, _PHONE, _HOUSING, _AREA = 1, 4, 6, 7, 8, 11, 12
# Flats per developer stairwell that no household lives in yet.
DEVELOPER_FLATS = 2


def _outsider(rng: random.Random, used: set[str]) -> tuple[str, str]:
    """(name, ID number) of an owner who is no resident of the street."""
    while True:
        birth = datetime.date(rng.randint(1955, 1990), rng.randint(1, 12), rng.randint(1, 28))
        first17 = f"330108{birth:%Y%m%d}{rng.randrange(1000):03d}"
        number = first17 + check_character(first17)
        if number not in used:
            used.add(number)
            return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), number


def developer_code(compound: str) -> str:
    """A well-formed unified social credit code for the compound's developer."""
    # hash() varies between runs; the demo must not.
    org8 = f"{sum(map(ord, compound)) % 10**8:08d}"
    first17 = "91330106" + org8 + credit_codes.org_check_character(org8)
    return first17 + credit_codes.check_character(first17)


def owner_rows(
    register: list[list[str]], stairwells: list[tuple[str, str, str]], *, seed: int = 2027
) -> Iterator[list[str]]:
    """The roll's rows for the flats of `register` (its rows) and the developer's flats."""
    rng = random.Random(seed)
    used = {row[_ID] for row in register}
    households: dict[str, list[list[str]]] = {}
    for row in register:
        households.setdefault(row[_ADDRESS], []).append(row)
    landlord: tuple[str, str] | None = None
    top: dict[str, int] = {}
    for address, rows in households.items():
        head = next(r for r in rows if r[_RELATION] == "户主")
        stairwell, room = (
            address[: address.rindex("单元") + 2],
            address[address.rindex("单元") + 2 : -1],
        )
        top[stairwell] = max(top.get(stairwell, 0), int(room[:-2]))
        if head[_HOUSING] in ("出租", "商用"):
            # A landlord of one rented flat in ten owns the next one too.
            if landlord is None or rng.random() >= 0.1:
                landlord = _outsider(rng, used)
            name, number = landlord
            yield [address, head[_AREA], name, number, "", "", "已交付"]
            continue
        spouse = next((r[_NAME] for r in rows if r[_RELATION] == "配偶"), "")
        co_owner = spouse if rng.random() < 0.5 else ""
        yield [address, head[_AREA], head[_NAME], head[_ID], head[_PHONE], co_owner, "已交付"]
    compound = stairwells[0][0]
    code = developer_code(compound)
    for stairwell_compound, building, unit in stairwells:
        if stairwell_compound != compound:
            continue
        stairwell = f"{compound}{building}幢{unit}单元"
        floor = top.get(stairwell, 0) + 1
        for door in range(1, DEVELOPER_FLATS + 1):
            delivery = "未出售" if door == 1 else "已售未交付"
            area = f"{rng.uniform(90, 140):.2f}"
            yield [
                f"{stairwell}{floor}{door:02d}室",
                area,
                f"{compound}置业有限公司",
                code,
                "",
                "",
                delivery,
            ]
