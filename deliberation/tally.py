"""The owners' assembly's decision rule (Civil Code art. 278; art. 1259), over exact numbers.

Two totals count: the exclusive area and the owners as heads
(residents/electorate.py says who is a head). A decision needs a quorum —
owners taking part who hold two thirds or more (三分之二以上) of the total area
AND are two thirds or more of the heads — and then the consent of the
participating owners: three quarters or more (四分之三以上) of their area and of
their heads for items (六) raising the maintenance fund, (七) rebuilding and
(八) changing the use of common parts or running business on them; more than
half (过半数, strictly) of both for every other item. "以上" includes the bound,
"过半数" does not (art. 1259). Abstaining is taking part.

Areas are Decimal and shares Fraction: a share exactly at a bound is decided by
the bound's own rule, never by a rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

SPECIAL_ITEMS = frozenset({6, 7, 8})


@dataclass(frozen=True)
class Threshold:
    bound: Fraction
    # 以上 (the bound itself passes) or 过半数 (strictly more).
    inclusive: bool

    def met(self, share: Fraction) -> bool:
        return share >= self.bound if self.inclusive else share > self.bound

    @property
    def sign(self) -> str:
        return "≥" if self.inclusive else ">"


QUORUM = Threshold(Fraction(2, 3), inclusive=True)
SPECIAL = Threshold(Fraction(3, 4), inclusive=True)
GENERAL = Threshold(Fraction(1, 2), inclusive=False)


def threshold_for(item: int) -> Threshold:
    return SPECIAL if item in SPECIAL_ITEMS else GENERAL


@dataclass(frozen=True)
class Counts:
    area: Decimal = Decimal(0)
    heads: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.area + other.area, self.heads + other.heads)


@dataclass(frozen=True)
class Comparison:
    """One test of the rule: part / whole against a threshold."""

    label: str
    part: Decimal | int
    whole: Decimal | int
    threshold: Threshold

    @property
    def share(self) -> Fraction:
        return Fraction(self.part) / Fraction(self.whole) if self.whole else Fraction(0)

    @property
    def met(self) -> bool:
        return bool(self.whole) and self.threshold.met(self.share)

    def sentence(self) -> str:
        """E.g. 参与表决的专有部分面积 1200.00 / 1800.00 = 2/3 ≥ 2/3：满足."""
        verdict = _("met") if self.met else _("not met")
        return (
            f"{self.label} {self.part} / {self.whole} = {fraction_text(self.share)}"
            f" {self.threshold.sign} {fraction_text(self.threshold.bound)}：{verdict}"
        )


def fraction_text(value: Fraction) -> str:
    """Always numerator/denominator ("1/1", "67/100"), so a reader never parses two forms."""
    return f"{value.numerator}/{value.denominator}"


@dataclass(frozen=True)
class Tally:
    item: int
    total: Counts
    yes: Counts
    no: Counts
    abstain: Counts

    @property
    def participating(self) -> Counts:
        return self.yes + self.no + self.abstain

    @property
    def quorum(self) -> tuple[Comparison, Comparison]:
        taking_part = self.participating
        return (
            Comparison(
                _("Exclusive area of the owners taking part"),
                taking_part.area,
                self.total.area,
                QUORUM,
            ),
            Comparison(_("Owners taking part"), taking_part.heads, self.total.heads, QUORUM),
        )

    @property
    def consent(self) -> tuple[Comparison, Comparison]:
        rule = threshold_for(self.item)
        taking_part = self.participating
        return (
            Comparison(
                _("Exclusive area of the owners consenting"),
                self.yes.area,
                taking_part.area,
                rule,
            ),
            Comparison(_("Owners consenting"), self.yes.heads, taking_part.heads, rule),
        )

    @property
    def quorum_met(self) -> bool:
        return all(c.met for c in self.quorum)

    @property
    def passed(self) -> bool:
        return self.quorum_met and all(c.met for c in self.consent)
