"""Resident identity numbers (GB 11643-1999, 公民身份号码).

18 characters: a 6-digit region code, the 8-digit birth date, a 3-digit
sequence whose last digit is odd for men and even for women, and a check
character by ISO 7064 MOD 11-2 (0-9 or X). Legacy 15-digit numbers have a
2-digit year and no check character; they convert to 18 by inserting "19".
"""

from __future__ import annotations

import datetime
import functools
import re
from operator import mul
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_FULL_WIDTH = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX")
_SHAPE_18 = re.compile(r"^[1-9][0-9]{16}[0-9X]$")
_SHAPE_15 = re.compile(r"^[1-9][0-9]{14}$")

MALE = "M"
FEMALE = "F"


class InvalidIDNumber(ValueError):
    """`code` is a stable identifier for reports; str() is the user's message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class IDNumber(NamedTuple):
    number: str
    birth_date: datetime.date
    sex: str  # MALE or FEMALE
    region: str  # the 6-digit administrative division code


_CLEAN = re.compile(r"^[0-9]{17}[0-9X]$")


def normalise(raw: str) -> str:
    """Trim, drop inner spaces, fold full-width digits and a lowercase x."""
    if _CLEAN.match(raw):
        return raw
    return re.sub(r"\s+", "", raw.translate(_FULL_WIDTH)).upper()


_DIGIT_OFFSET = ord("0") * sum(WEIGHTS)


def check_character(first17: str) -> str:
    # Weighted sum over the ASCII codes, less the weighted '0's: a C-level loop,
    # since a street's register checks 150,000 numbers.
    total = sum(map(mul, first17.encode("ascii"), WEIGHTS)) - _DIGIT_OFFSET
    return CHECK_CHARS[total % 11]


def upgrade_15(number15: str) -> str:
    """A legacy 15-digit number as 18 digits (all were issued to people born 19xx)."""
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_character(first17)


@functools.lru_cache(maxsize=1 << 16)
def _calendar_date(digits: str) -> datetime.date | None:
    # Cached: a register repeats a few tens of thousands of birth dates.
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _birth_date(digits: str) -> datetime.date:
    birth = _calendar_date(digits)
    if birth is None:
        raise InvalidIDNumber(
            "id_birth_date", str(_("The birth date in the ID number does not exist."))
        )
    return birth


def parse(raw: str, *, today: datetime.date | None = None) -> IDNumber:
    """Validate and decode an ID number; raise InvalidIDNumber with a Chinese message."""
    number = normalise(raw)
    if _SHAPE_15.match(number):
        _birth_date("19" + number[6:12])
        number = upgrade_15(number)
    elif len(number) not in (15, 18):
        raise InvalidIDNumber(
            "id_length",
            str(_("An ID number has 18 characters (or 15 for old ones); this one has %(n)d."))
            % {"n": len(number)},
        )
    elif not _SHAPE_18.match(number):
        raise InvalidIDNumber(
            "id_characters", str(_("An ID number is digits only, with X allowed last."))
        )
    elif check_character(number[:17]) != number[17]:
        raise InvalidIDNumber(
            "id_check", str(_("The check character of the ID number is wrong (typo?)."))
        )
    birth = _birth_date(number[6:14])
    if birth > (today or datetime.date.today()) or birth.year < 1880:
        raise InvalidIDNumber(
            "id_birth_date", str(_("The birth date in the ID number is impossible."))
        )
    return IDNumber(
        number=number,
        birth_date=birth,
        sex=MALE if int(number[16]) % 2 else FEMALE,
        region=number[:6],
    )


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except InvalidIDNumber:
        return False
    return True
