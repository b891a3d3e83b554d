import re

from hypothesis import given
from hypothesis import strategies as st

from grids.models import CODE_LENGTHS, Level, code_rule_errors

digits = st.text(alphabet="0123456789", min_size=1, max_size=3)


@given(st.lists(st.text(alphabet="0123456789", min_size=3, max_size=3), min_size=5, max_size=5))
def test_a_code_built_from_its_parent_passes_at_every_level(parts):
    street = "330106" + parts[0]
    codes = [street, street + parts[1], street + parts[1] + parts[2]]
    codes.append(codes[-1] + parts[3][:2])
    codes.append(codes[-1] + parts[4])
    parent = None
    for level, code in enumerate(codes):
        assert code_rule_errors(code=code, level=level, parent_code=parent) == []
        parent = code


@given(
    st.integers(min_value=0, max_value=4), st.text(alphabet="0123456789", min_size=1, max_size=25)
)
def test_a_code_of_the_wrong_length_fails(level, code):
    errors = code_rule_errors(code=code, level=level, parent_code=None)
    assert (errors == []) == (len(code) == CODE_LENGTHS[level])


@given(st.text(min_size=9, max_size=9).filter(lambda s: not re.fullmatch(r"[0-9]+", s)))
def test_a_code_with_anything_but_digits_fails(code):
    assert code_rule_errors(code=code, level=Level.STREET, parent_code=None)


def test_a_code_must_begin_with_its_parents():
    errors = code_rule_errors(code="330106005001", level=Level.COMMUNITY, parent_code="330106004")
    assert len(errors) == 1
