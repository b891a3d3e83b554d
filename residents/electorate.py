"""Who votes, as the law counts them (Civil Code art. 278; 法释〔2009〕7号 第八、九条).

A decision of the owners needs shares of two totals: the exclusive area
(专有部分面积) of the flats, and the owners counted as heads (业主人数). Heads are
counted per flat — one flat, one head, however many co-owners share it — except
that one buyer of several flats counts once, and all of the developer's unsold
or sold-but-undelivered flats count once together. Areas are Decimal and shares
Fraction, so a two-thirds threshold is never missed by a rounding.

This module is the rule alone, over plain values; the selector that reads a
subtree's flats and owners hands it their rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction


@dataclass(frozen=True)
class Holding:
    """One flat as the count sees it.

    owners: the certificate numbers of its owners (one for a sole owner, several
    for co-owners; empty when the roll does not say). developer_held: unsold or
    sold but not delivered (建设单位未出售/已出售未交付).
    """

    flat: int
    area: Decimal
    owners: frozenset[str] = frozenset()
    developer_held: bool = False


@dataclass(frozen=True)
class Electorate:
    flats: int
    area: Decimal
    heads: int

    def area_share(self, area: Decimal) -> Fraction:
        return Fraction(area) / Fraction(self.area) if self.area else Fraction(0)

    def head_share(self, heads: int) -> Fraction:
        return Fraction(heads, self.heads) if self.heads else Fraction(0)


def voter(holding: Holding) -> tuple[str, ...]:
    """Who casts this flat's head: the developer, its buyer (the owners together), or,
    with no owner on record, the flat itself."""
    if holding.developer_held:
        return ("developer",)
    if holding.owners:
        return ("owners", *sorted(holding.owners))
    return ("flat", str(holding.flat))


def count(holdings: Iterable[Holding]) -> Electorate:
    flats: dict[int, Holding] = {h.flat: h for h in holdings}  # a flat listed twice counts once
    return Electorate(
        flats=len(flats),
        area=sum((h.area for h in flats.values()), Decimal(0)),
        heads=len({voter(h) for h in flats.values()}),
    )
