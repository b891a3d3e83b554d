"""Resolving addresses as registers write them to stairwells.

"和达城3幢2单元501室", "浙江省杭州市白杨街道和达城三栋二单元501", "和达城3号楼2单元501",
"和达城3栋-2-501", "和达城 ３# 2-501": compound + building (幢/栋/号楼/座/#) + unit
(单元, or the middle of a-b-c) + room. The compound is found as the longest
known compound name inside the text before the building number, so any
province/city/street prefix is ignored.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

_FULL_WIDTH = str.maketrans("０１２３４５６７８９－＃　（）", "0123456789-# ()")
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+(?=\s*(?:幢|栋|号楼|座|号|单元))")
_BUILDING_MARK = r"(?:幢|栋|号楼|号|座|#|楼)"
_PATTERNS = [
    # 3幢2单元501室 / 3栋-2-501 / 3号楼2单元501
    re.compile(
        rf"^(?P<prefix>.*?)(?P<building>\d+)\s*{_BUILDING_MARK}\s*-?\s*"
        r"(?:(?P<unit>\d+)\s*(?:单元|-)\s*)?-?\s*(?P<room>[A-Za-z]?\d+[A-Za-z]?)\s*(?:室|号|房)?$"
    ),
    # 3-2-501
    re.compile(
        r"^(?P<prefix>.*?)(?P<building>\d+)\s*-\s*(?P<unit>\d+)\s*-\s*(?P<room>[A-Za-z]?\d+[A-Za-z]?)\s*(?:室)?$"
    ),
]


def chinese_to_int(text: str) -> int:
    """'三' -> 3, '十二' -> 12, '二十' -> 20, '二十三' -> 23, '一〇一' -> 101."""
    if "十" not in text:
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    tens, _sep, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def normalise(text: str) -> str:
    text = text.translate(_FULL_WIDTH).strip()
    return _CN_NUMBER.sub(lambda m: str(chinese_to_int(m.group(0))), text)


@dataclass(frozen=True)
class ParsedAddress:
    prefix: str  # everything before the building: compound and any region prefix
    building: str
    unit: str  # "" when the address names none
    room: str


def parse(text: str) -> ParsedAddress | None:
    clean = normalise(text)
    for pattern in _PATTERNS:
        match = pattern.match(clean)
        if match:
            return ParsedAddress(
                prefix=match["prefix"].strip(),
                building=str(int(match["building"])),
                unit=str(int(match["unit"])) if match["unit"] else "",
                room=match["room"].upper(),
            )
    return None


class AddressError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class StairwellDirectory:
    """(compound, building, unit) -> stairwell id, for a set of stairwells."""

    def __init__(self, stairwells: list[tuple[int, str, str, str]]) -> None:
        # rows of (id, compound, building, unit)
        self.by_address: dict[tuple[str, str, str], int] = {}
        self.units: dict[tuple[str, str], list[str]] = {}
        for pk, compound, building, unit in stairwells:
            self.by_address[(compound, building, unit)] = pk
            self.units.setdefault((compound, building), []).append(unit)
        self.compounds = sorted({c for c, _b in self.units if c}, key=len, reverse=True)
        self.buildings: dict[str, list[str]] = {}
        for compound, building in self.units:
            self.buildings.setdefault(compound, []).append(building)
        self._compound_of_prefix: dict[str, str | None] = {}

    def compound_in(self, prefix: str) -> str | None:
        if prefix not in self._compound_of_prefix:
            self._compound_of_prefix[prefix] = next(
                (c for c in self.compounds if c in prefix), None
            )
        return self._compound_of_prefix[prefix]

    def resolve(self, address: ParsedAddress) -> int:
        compound = self.compound_in(address.prefix)
        if compound is None:
            nearest = difflib.get_close_matches(address.prefix, self.compounds, n=1, cutoff=0.3)
            hint = (
                (_("nearest: %(name)s") % {"name": nearest[0]})
                if nearest
                else _("no similar compound")
            )
            raise AddressError(
                "unknown_compound",
                _("Unknown compound “%(text)s” (%(hint)s).")
                % {"text": address.prefix, "hint": hint},
            )
        if (compound, address.building) not in self.units:
            buildings = self.buildings.get(compound, [])
            nearest_building = min(
                buildings, key=lambda b: abs(int(b) - int(address.building)), default=""
            )
            raise AddressError(
                "unknown_building",
                _("%(compound)s has no building %(building)s (nearest: %(nearest)s).")
                % {"compound": compound, "building": address.building, "nearest": nearest_building},
            )
        units = self.units[(compound, address.building)]
        unit = address.unit
        if not unit and len(units) == 1:
            unit = units[0]
        pk = self.by_address.get((compound, address.building, unit))
        if pk is None:
            raise AddressError(
                "unknown_unit",
                _("Building %(building)s of %(compound)s has no unit %(unit)s (it has: %(units)s).")
                % {
                    "compound": compound,
                    "building": address.building,
                    "unit": unit or "?",
                    "units": "、".join(sorted(units, key=lambda u: (len(u), u))),
                },
            )
        return pk
