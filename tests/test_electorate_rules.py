"""The owners' head count and area under Civil Code art. 278, over many cases."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from residents.electorate import Holding, count

people = st.sampled_from([f"P{i}" for i in range(8)])
areas = st.decimals(min_value=0, max_value=500, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def holdings(draw, min_size: int = 0) -> list[Holding]:
    n = draw(st.integers(min_value=min_size, max_value=25))
    return [
        Holding(
            flat=i,
            area=draw(areas),
            owners=frozenset(draw(st.lists(people, max_size=3))),
            developer_held=draw(st.booleans()),
        )
        for i in range(n)
    ]


def test_the_textbook_cases():
    flats = [
        Holding(1, Decimal("90.10"), frozenset({"A"})),
        Holding(2, Decimal("90.10"), frozenset({"A"})),  # A owns two flats: one head
        Holding(3, Decimal("120.00"), frozenset({"B", "C"})),  # co-owners: one head
        Holding(4, Decimal("88.00"), developer_held=True),
        Holding(5, Decimal("88.00"), developer_held=True),  # the developer: one head
        Holding(6, Decimal("75.55")),  # owner unknown: the flat counts
    ]
    electorate = count(flats)
    assert (electorate.flats, electorate.heads) == (6, 4)
    assert electorate.area == Decimal("551.75")
    assert electorate.head_share(3) == Fraction(3, 4)
    assert electorate.area_share(Decimal("367.83")) == Fraction(36783, 55175)


@given(holdings())
def test_heads_never_exceed_flats_and_the_area_is_exact(flats):
    electorate = count(flats)
    assert electorate.heads <= electorate.flats == len(flats)
    assert electorate.area == sum((h.area for h in flats), Decimal(0))
    assert (electorate.heads == 0) == (not flats)


@given(holdings(), st.randoms())
def test_the_order_of_the_roll_does_not_matter(flats, random):
    shuffled = list(flats)
    random.shuffle(shuffled)
    assert count(shuffled) == count(flats)


@given(holdings(min_size=1), areas)
def test_another_flat_of_a_counted_buyer_adds_area_not_a_head(flats, area):
    existing = flats[0]
    more = [*flats, Holding(len(flats), area, existing.owners, existing.developer_held)]
    if not existing.owners and not existing.developer_held:
        return  # an unknown owner's flat is its own head
    before, after = count(flats), count(more)
    assert after.heads == before.heads and after.area == before.area + area


@given(holdings(), areas, st.lists(people, min_size=1, max_size=3))
def test_a_flat_of_a_new_buyer_adds_one_head(flats, area, buyers):
    newcomer = frozenset(f"new-{p}" for p in buyers)  # nobody on the roll yet
    after = count([*flats, Holding(len(flats), area, newcomer)])
    assert after.heads == count(flats).heads + 1


@given(holdings())
def test_all_developer_flats_count_once_together(flats):
    developer = [h for h in flats if h.developer_held]
    others = [h for h in flats if not h.developer_held]
    assert count(flats).heads == count(others).heads + (1 if developer else 0)


@given(holdings(min_size=1))
def test_a_flat_listed_twice_counts_once(flats):
    assert count([*flats, flats[0]]) == count(flats)
