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


def _mask_run(match: re.Match[str]) -> str:
    digits = re.sub(r"[\s-]", "", match.group())
    if len(digits) in (15, 18):
        return mask_id_number(digits)
    if len(digits) < 7 or len(digits) > 18:
        # Room numbers and dates are shorter; node codes (20 digits) are longer.
        return match.group()
    return mask_phone(digits)


def mask_in_text(text: str) -> str:
    """Free text (a cell quoted in an error message) with every phone- or ID-like run masked."""
    return _LONG_DIGITS.sub(_mask_run, text)
