"""The owners' assembly rule (deliberation/tally.py) against an independent formula in
integers — cross-multiplied, no division, no Fraction — on random electorates, and the
worked boundary examples: exactly 2/3, exactly 3/4, exactly half."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils.translation import gettext
from hypothesis import given
from hypothesis import strategies as st

from deliberation.tally import Counts, Tally, fraction_text

SPECIAL = (6, 7, 8)


def law(item: int, total: tuple[int, int], votes: list[tuple[int, str]]) -> tuple[bool, bool]:
    """(quorum met, passed) by the words of art. 278 and art. 1259, areas in cents."""
    area, heads = total
    taking_part = [(a, c) for a, c in votes if c is not None]
    part_area, part_heads = sum(a for a, _c in taking_part), len(taking_part)
    yes_area = sum(a for a, c in taking_part if c == "yes")
    yes_heads = sum(1 for _a, c in taking_part if c == "yes")
    # 三分之二以上: at least two thirds, the bound included.
    quorum = area > 0 and heads > 0 and 3 * part_area >= 2 * area and 3 * part_heads >= 2 * heads
    if item in SPECIAL:  # 四分之三以上
        consent = (
            part_area > 0 and 4 * yes_area >= 3 * part_area and 4 * yes_heads >= 3 * part_heads
        )
    else:  # 过半数: strictly more than half
        consent = 2 * yes_area > part_area and 2 * yes_heads > part_heads
    return quorum, quorum and consent


def tally(item: int, votes: list[tuple[int, str | None]]) -> Tally:
    def counts(choice: str | None) -> Counts:
        chosen = [a for a, c in votes if c == choice]
        return Counts(sum((Decimal(a) / 100 for a in chosen), Decimal(0)), len(chosen))

    total = Counts(sum((Decimal(a) / 100 for a, _c in votes), Decimal(0)), len(votes))
    return Tally(
        item=item, total=total, yes=counts("yes"), no=counts("no"), abstain=counts("abstain")
    )


voters = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=30_000),  # cents: up to 300 m² a head
        st.sampled_from(["yes", "no", "abstain", None]),
    ),
    max_size=40,
)


@given(item=st.integers(1, 9), votes=voters)
def test_the_rule_agrees_with_the_law(item, votes):
    total = (sum(a for a, _c in votes), len(votes))
    decided = tally(item, votes)
    assert (decided.quorum_met, decided.passed) == law(item, total, votes)


@given(item=st.integers(1, 9), votes=voters)
def test_the_sentences_show_the_numbers_that_decided(item, votes):
    decided = tally(item, votes)
    for comparison in (*decided.quorum, *decided.consent):
        sentence = comparison.sentence()
        assert f"{comparison.part} / {comparison.whole}" in sentence
        assert fraction_text(comparison.share) in sentence
        assert sentence.endswith("：" + (gettext("met") if comparison.met else gettext("not met")))


def heads(*spec: tuple[int, str | None, int]) -> list[tuple[int, str | None]]:
    """`count` heads of `area` cents each with `choice`."""
    return [(area, choice) for area, choice, count in spec for _ in range(count)]


@pytest.mark.parametrize(
    ("item", "votes", "quorum", "passed"),
    [
        # Exactly 2/3 of area and heads take part (6 of 9, 600 of 900 m²), all for.
        (3, heads((10_000, "yes", 6), (10_000, None, 3)), True, True),
        # One head fewer than 2/3: no quorum, whatever the consent.
        (3, heads((10_000, "yes", 5), (10_000, None, 4)), False, False),
        # 2/3 of the heads but one cent less than 2/3 of the area.
        (3, heads((10_000, "yes", 5), (9_999, "yes", 1), (10_000, None, 3)), False, False),
        # A general item at exactly half of both: 过半数 is strictly more — fails.
        (4, heads((10_000, "yes", 3), (10_000, "no", 3)), True, False),
        # Half the heads and more than half the area is still not more than half of both.
        (4, heads((20_000, "yes", 3), (10_000, "no", 3)), True, False),
        # One head more than half, with more than half the area: passes.
        (4, heads((10_000, "yes", 4), (10_000, "no", 3)), True, True),
        # Abstaining is taking part: it makes the quorum and counts against the consent.
        (4, heads((10_000, "yes", 3), (10_000, "abstain", 3)), True, False),
        # A special item at exactly 3/4 of both: 以上 includes the bound — passes.
        (6, heads((10_000, "yes", 6), (10_000, "no", 2)), True, True),
        (7, heads((10_000, "yes", 6), (10_000, "abstain", 2)), True, True),
        # Just below 3/4 of the area (one cent): fails.
        (8, heads((10_000, "yes", 5), (9_999, "yes", 1), (10_000, "no", 2)), True, False),
        # The same numbers are more than half: a general item passes with them.
        (9, heads((10_000, "yes", 5), (9_999, "yes", 1), (10_000, "no", 2)), True, True),
        # Nobody took part, or nobody to count.
        (5, heads((10_000, None, 3)), False, False),
        (5, [], False, False),
    ],
)
def test_the_worked_boundaries(item, votes, quorum, passed):
    decided = tally(item, votes)
    assert (decided.quorum_met, decided.passed) == (quorum, passed)
    assert law(item, (sum(a for a, _c in votes), len(votes)), votes) == (quorum, passed)


def test_the_ratios_are_exact_fractions():
    decided = tally(6, heads((10_000, "yes", 6), (10_000, "no", 2), (10_000, None, 1)))
    area, people = decided.quorum
    assert (fraction_text(area.share), fraction_text(people.share)) == ("8/9", "8/9")
    assert fraction_text(decided.consent[0].share) == "3/4"
    assert decided.consent[0].threshold.sign == "≥"
    assert tally(3, []).quorum[0].share == 0
