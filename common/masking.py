"""Masking personal data for display: ID numbers, phone numbers, and digits in free text.

What a masked form keeps is chosen with what else the same user sees beside
it (grids/personal_data.py says what that is): a user without the permission
sees a person's sex and birth year next to the masked ID number, so the mask
keeps only the six region digits. The hidden part then still has about
182,500 candidates (365 days × 500 sequence numbers of that sex; the check
character is hidden too). Keeping the last four, as many systems do, would
leave about 330 once the birth year is known.
"""

import re

# Region code (where the number was issued); everything after it is hidden.
ID_KEPT_DIGITS = 6
# Runs of this many digits or more in free text may be an ID number or phone.
_LONG_DIGITS = re.compile(r"\d[\d\s-]{5,}[\dXx]")
# A micro-grid's code has 17 digits, a stairwell's 20 (grids.models.CODE_LENGTHS): never
# an ID number, whose 18th character is a check character and 15-digit legacy
# form has no 17-digit twin.
NODE_CODE_LENGTHS = frozenset({17, 20})


def mask_id_number(number: str) -> str:
    """330106198503021234 -> 330106************ (the issuing region kept)."""
    if not number:
        return ""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:ID_KEPT_DIGITS] + "*" * (len(number) - ID_KEPT_DIGITS)


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678 (10,000 candidates); short numbers keep only their last two."""
    if not phone:
        return ""
    if len(phone) >= 11:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


def mask_name(name: str) -> str:
    """张伟 -> 张*, 欧阳娜娜 -> 欧***: the surname's first character kept, for lists of
    everyone (an electorate) where the full name beside the flats would identify them."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def _mask_run(match: re.Match[str]) -> str:
    run = match.group()
    digits = re.sub(r"[\s-]", "", run)
    if len(digits) < 7:
        return run  # room numbers, years, counts
    if digits.isdigit() and len(digits) in NODE_CODE_LENGTHS:
        return run  # a grid's or stairwell's code, not a person's number
    if len(digits) >= 15:
        return mask_id_number(digits)
    return mask_phone(digits)


def mask_in_text(text: str) -> str:
    """Free text (a cell quoted in an error message) with every phone- or ID-like run masked."""
    return _LONG_DIGITS.sub(_mask_run, text)
