"""Unified social credit codes (GB 32100): published codes pass, every single typo
and swap of neighbours is caught, and messages are Chinese."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from residents import credit_codes
from residents.credit_codes import ALPHABET, InvalidCreditCode

# Published on business licences (the standard's own example and two companies).
PUBLISHED = ["91350100M000100Y43", "91110000802100433B", "91440300708461136T"]

symbols = st.sampled_from(ALPHABET)


@st.composite
def valid_codes(draw) -> str:
    authority = draw(st.sampled_from("123456789ABCDEFGNY"))
    kind = draw(symbols)
    division = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=6, max_size=6)))
    org = "".join(
        draw(
            st.lists(
                st.sampled_from(ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWY"), min_size=8, max_size=8
            )
        )
    )
    first17 = authority + kind + division + org + credit_codes.org_check_character(org)
    return first17 + credit_codes.check_character(first17)


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_pass(code):
    assert credit_codes.parse(code) == code


def test_spaces_full_width_and_lowercase_are_read():
    assert credit_codes.parse(" ９１３５０１００m０００１００y４３ ") == "91350100M000100Y43"


@given(valid_codes())
def test_every_well_formed_code_passes(code):
    assert credit_codes.parse(code) == code


@given(valid_codes(), st.integers(min_value=0, max_value=17), symbols)
def test_any_single_wrong_character_is_refused(code, position, symbol):
    if code[position] == symbol:
        return
    typo = code[:position] + symbol + code[position + 1 :]
    with pytest.raises(InvalidCreditCode):
        credit_codes.parse(typo)


@given(valid_codes(), st.integers(min_value=0, max_value=16))
def test_any_swap_of_neighbours_is_refused(code, position):
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2 :]
    with pytest.raises(InvalidCreditCode):
        credit_codes.parse(swapped)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("9135010", "credit_length"),
        ("91350100M000100I43", "credit_characters"),
        ("91350100M000100Y44", "credit_check"),
    ],
)
def test_each_refusal_says_why_in_chinese(text, code):
    with translation.override("zh-hans"), pytest.raises(InvalidCreditCode) as refused:
        credit_codes.parse(text)
    assert refused.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(refused.value))
