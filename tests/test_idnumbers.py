import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from residents import idnumbers
from residents.idnumbers import InvalidIDNumber, check_character, normalise, parse, upgrade_15

dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(1999, 12, 31))
regions = st.sampled_from(["330106", "330114", "110101", "410103", "310113"])
sequences = st.integers(min_value=0, max_value=999)


def make(region: str, birth: datetime.date, seq: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


@given(regions, dates, sequences)
def test_valid_numbers_decode(region, birth, seq):
    number = make(region, birth, seq)
    decoded = parse(number)
    assert decoded.number == number
    assert decoded.birth_date == birth
    assert decoded.sex == ("M" if seq % 2 else "F")
    assert decoded.region == region


@given(regions, dates, sequences, st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_typo_is_caught(region, birth, seq, position, delta):
    number = make(region, birth, seq)
    typo = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(InvalidIDNumber):
        parse(typo)


@given(regions, dates, sequences)
def test_legacy_15_digit_numbers_upgrade(region, birth, seq):
    old = f"{region}{birth:%y%m%d}{seq:03d}"
    assert parse(old).number == make(region, birth, seq)
    assert upgrade_15(old) == make(region, birth, seq)


@given(regions, dates, sequences)
def test_normalisation(region, birth, seq):
    number = make(region, birth, seq)
    full_width = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９ｘ"))
    spaced = f"  {number[:6]} {number[6:14]} {number[14:].lower()} "
    assert parse(full_width).number == number
    assert parse(spaced).number == number


@pytest.mark.parametrize(
    "raw,code",
    [
        ("33010619850302123", "id_length"),
        ("33010619850302123A", "id_characters"),
        ("33010619850230123" + check_character("33010619850230123"), "id_birth_date"),
        ("33010629000101123" + check_character("33010629000101123"), "id_birth_date"),
        ("330106198503021231", "id_check"),
    ],
)
def test_invalid_numbers(raw, code):
    with pytest.raises(InvalidIDNumber) as error:
        parse(raw)
    assert error.value.code == code
    assert str(error.value)


def test_known_check_characters():
    assert check_character("11010519491231002") == "X"
    assert normalise("11010519491231002x") == "11010519491231002X"
    assert idnumbers.is_valid("11010519491231002X")
