"""The imports' header tables: every header a form writes, however decorated, names its field."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.tabular import Column, Columns, normalise_header
from grids.tree_import import TREE_COLUMNS
from residents.models import HouseholdKind, Relation, Sex
from residents.owner_import import ROLL_COLUMNS
from residents.register_columns import REGISTER_COLUMNS
from residents.values import (
    HOUSEHOLD_KIND_WORDS,
    RELATION_WORDS,
    SEX_WORDS,
    choice,
    parse_birth_month,
)

TABLES = {"register": REGISTER_COLUMNS, "owners": ROLL_COLUMNS, "tree": TREE_COLUMNS}


def written_headers(columns: Columns) -> list[tuple[str, str]]:
    """(header as the table writes it, its field), fallbacks included."""
    return [(text, field) for text, (field, _fallback) in columns.headers.items()]


ALL_HEADERS = [
    (name, text, field) for name, t in TABLES.items() for text, field in written_headers(t)
]
# Note texts as forms write them: no brackets inside, nothing NFKC makes a bracket or a space.
NOTE = st.text(
    alphabet="年月日代码必填可选详细地址平方米如男女12345abcXYZ/、，", min_size=0, max_size=12
)
PREFIX = st.one_of(
    st.just(""),
    st.builds(
        lambda letter, number, mark: f"{letter}{number}{mark}",
        st.sampled_from(["D", "R", "H", "d", "Ｒ"]),
        st.integers(1, 30).map(str),
        st.sampled_from(["", ".", "、", "．", " ", ":"]),
    ),
    st.builds(
        lambda n, mark: f"{n}{mark}",
        st.integers(1, 99).map(str),
        st.sampled_from([".", "、", "．"]),
    ),
)
BRACKETS = st.sampled_from([("（", "）"), ("(", ")"), ("【", "】"), ("[", "]")])


@given(
    header=st.sampled_from(ALL_HEADERS),
    prefix=PREFIX,
    note=NOTE,
    brackets=BRACKETS,
    before=st.booleans(),
    star=st.sampled_from(["", "*", "※"]),
    spaces=st.sampled_from(["", " ", "\u3000", "\n"]),
)
def test_every_header_decorated_as_forms_do_names_its_field(
    header, prefix, note, brackets, before, star, spaces
):
    table, text, field = header
    spaced = spaces.join(text)  # a wrapped or spaced-out cell: "公民身份\n号码"
    noted = f"{brackets[0]}{note}{brackets[1]}"
    decorated = f"{star}{prefix}{noted if before else ''}{spaced}{'' if before else noted}"
    matched = TABLES[table].match(["", decorated, "备注"])
    assert matched == {1: field}


@pytest.mark.parametrize("table", TABLES.values(), ids=TABLES.keys())
def test_no_two_fields_share_a_header(table):
    seen: dict[str, str] = {}
    for text, (field, _fallback) in table.headers.items():
        assert normalise_header(text) == text  # stored normalised: what match() looks up
        assert seen.setdefault(text, field) == field


def test_a_table_giving_one_header_two_fields_is_refused():
    with pytest.raises(ValueError, match="住址"):
        Columns(
            [
                Column("address", "住址"),
                Column("registered_address", "户籍地址", ("（户籍）住址",)),
            ],
            required=(),
        )


def test_a_fallback_is_read_only_without_a_better_header():
    columns = REGISTER_COLUMNS
    assert columns.match(["户所在地", "姓名"]) == {0: "address", 1: "name"}
    assert columns.match(["户所在地", "现住址", "姓名"]) == {1: "address", 2: "name"}


@given(
    code=st.sampled_from(sorted(c for c in RELATION_WORDS if c.isdigit())),
    mark=st.sampled_from(["", ".", "、", "-", " ", "．"]),
)
def test_a_relation_code_reads_alone_or_beside_its_word(code, mark):
    meaning = RELATION_WORDS[code]
    words = [w for w, v in RELATION_WORDS.items() if v == meaning and not w.isdigit()]
    assert choice(RELATION_WORDS, code) == meaning
    for written in words:
        assert choice(RELATION_WORDS, f"{code}{mark}{written}") == meaning
    other = next(w for w, v in RELATION_WORDS.items() if v != meaning and not w.isdigit())
    assert choice(RELATION_WORDS, f"{code}{mark}{other}") is None  # which one was meant?


def test_the_census_relation_codes():
    assert [choice(RELATION_WORDS, str(n)) for n in range(10)] == [
        Relation.HEAD,
        Relation.SPOUSE,
        Relation.CHILD,
        Relation.PARENT,
        Relation.PARENT_IN_LAW,
        Relation.GRANDPARENT,
        Relation.CHILD_IN_LAW,
        Relation.GRANDCHILD,
        Relation.SIBLING,
        Relation.OTHER,
    ]
    assert choice(SEX_WORDS, "1") == Sex.MALE and choice(SEX_WORDS, "2 女") == Sex.FEMALE
    assert choice(HOUSEHOLD_KIND_WORDS, "2.集体户") == HouseholdKind.COLLECTIVE
    assert (
        choice(RELATION_WORDS, "三女") == Relation.CHILD
        and choice(RELATION_WORDS, "儿媳") == Relation.CHILD_IN_LAW
    )


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("1982.02", {(1982, 2)}),
        ("1982-2", {(1982, 2)}),
        ("198202", {(1982, 2)}),
        ("1982年2月", {(1982, 2)}),
        ("1982/12", {(1982, 12)}),
        ("1982-02-01", {(1982, 2)}),  # Excel's date for "1982-2"
        ("1982.1", {(1982, 1), (1982, 10)}),  # Excel's number for 1982.10
        ("1982.10", {(1982, 10)}),
    ],
)
def test_a_birth_month_reads_as_the_forms_write_it(text, months):
    assert parse_birth_month(text) == months


@pytest.mark.parametrize(
    "text", ["1982.13", "1982.0", "1982-00", "八二年", "1982-02-30", "1976", "19821"]
)
def test_what_is_no_birth_month_is_refused(text):
    with pytest.raises(ValueError):
        parse_birth_month(text)


@pytest.mark.parametrize("text", ["33", "02", "11"])
def test_two_digit_codes_are_not_a_code_and_its_word(text):
    """GB/T 4761's 33 is 二女: not the census's 3 written twice."""
    assert choice(RELATION_WORDS, text) is None
    assert choice(SEX_WORDS, text) is None
