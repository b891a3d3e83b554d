"""Valid ID numbers for tests."""

from residents.idnumbers import check_character


def idn(region: str, birth: str, seq: int) -> str:
    """An 18-digit number for `birth` (YYYYMMDD); odd `seq` is a man, even a woman."""
    first17 = f"{region}{birth}{seq % 1000:03d}"
    return first17 + check_character(first17)
