"""Unified social credit codes (GB 32100-2015, 统一社会信用代码) of organisations.

18 characters over 31 symbols (digits and capitals without I, O, S, V, Z): the
registration authority (1), the organisation type (1), the 6-digit
administrative division, the 9-character organisation code of GB 11714 (with
its own check character, 0-9 or X), and a check character by MOD 31 with the
weights 3^i. An owner that is a company (a developer holding unsold flats) is
identified by it, as a natural person is by the ID number (residents/idnumbers.py).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# GB 11714: the organisation code's eight characters (digits and A-Z as 10-35).
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_SHAPE = re.compile(r"^[1-9A-GNY][0-9A-HJ-NP-RTUW-Y][0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$")
# Full-width forms (０-９, Ａ-Ｙ) sit 0xFEE0 above ASCII.
_FULL_WIDTH = str.maketrans({chr(ord(c) + 0xFEE0): c for c in ALPHABET})


class InvalidCreditCode(ValueError):
    """`code` is a stable identifier for reports; str() is the user's message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def normalise(raw: str) -> str:
    return re.sub(r"\s+", "", raw.translate(_FULL_WIDTH)).upper()


def check_character(first17: str) -> str:
    remainder = 31 - sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True)) % 31
    return ALPHABET[remainder % 31]


def org_check_character(first8: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True))
    remainder = 11 - total % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def parse(raw: str) -> str:
    """The code, normalised; raise InvalidCreditCode with a Chinese message."""
    code = normalise(raw)
    if len(code) != 18:
        raise InvalidCreditCode(
            "credit_length",
            str(_("A unified social credit code has 18 characters; this one has %(n)d."))
            % {"n": len(code)},
        )
    if not _SHAPE.match(code):
        raise InvalidCreditCode(
            "credit_characters",
            str(_("A unified social credit code uses digits and capitals but I, O, S, V, Z.")),
        )
    if check_character(code[:17]) != code[17]:
        raise InvalidCreditCode(
            "credit_check",
            str(_("The check character of the unified social credit code is wrong (typo?).")),
        )
    if org_check_character(code[8:16]) != code[16]:
        raise InvalidCreditCode(
            "credit_org_check",
            str(_("The organisation code inside the unified social credit code is wrong (typo?).")),
        )
    return code
