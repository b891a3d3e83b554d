"""The homes the transfer tests move a person between, built through the services.

赵强 is registered in community B (bob's); alice (community A) has an empty
household for him, and one where 张伟 is the head.
"""

from __future__ import annotations

from dataclasses import dataclass

from grids.models import Level, Node
from residents import services
from residents.models import Household, Person
from tests.conftest import first_under
from tests.support import idn

ZHAO_ID = idn("330106", "19750303", 43)
ZHANG_ID = idn("330106", "19800101", 11)


@dataclass(frozen=True)
class Homes:
    zhao: Person
    zhao_home: Household  # community B
    empty_home: Household  # community A, nobody in it yet
    zhang: Person  # community A, head of a_home
    a_home: Household


def make_homes(community_a: Node, community_b: Node) -> Homes:
    b_stairwell = first_under(community_b, Level.STAIRWELL)
    zhao_home = services.create_household(stairwell=b_stairwell, room="602", number="B甲1")
    zhao = services.add_person(
        household=zhao_home, name="赵强", id_number=ZHAO_ID, relation="head", phone="13700000004"
    )
    a_stairwell = first_under(community_a, Level.STAIRWELL)
    a_home = services.create_household(stairwell=a_stairwell, room="101", number="A1")
    zhang = services.add_person(household=a_home, name="张伟", id_number=ZHANG_ID, relation="head")
    empty_home = services.create_household(stairwell=a_stairwell, room="302", number="A9")
    return Homes(zhao=zhao, zhao_home=zhao_home, empty_home=empty_home, zhang=zhang, a_home=a_home)


def zhao_secrets(homes: Homes) -> tuple[str, ...]:
    """What alice's side may not learn of 赵强's record before she has him."""
    stairwell = homes.zhao_home.stairwell
    return (
        stairwell.compound,
        homes.zhao_home.community.name,
        homes.zhao_home.number,
        "602",
        homes.zhao.phone,
        "bob",
    )
