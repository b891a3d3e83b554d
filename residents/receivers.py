from typing import Any

from django.dispatch import receiver

from grids.models import Node
from grids.signals import demo_street_seeded, subtree_moved
from residents.models import ANCESTOR_FIELDS, Flat, Household


@receiver(subtree_moved)
def households_follow_their_stairwell(sender: Any, node: Node, **kwargs: Any) -> None:
    """A moved node's flats and households take its new ancestors (one UPDATE each)."""
    for model in (Flat, Household):
        model.objects.filter(**{ANCESTOR_FIELDS[node.level]: node}).update(
            **{ANCESTOR_FIELDS[a.level]: a for a in node.get_ancestors()}
        )


@receiver(demo_street_seeded)
def seed_demo_roster(sender: Any, street: Node, scale: str, **kwargs: Any) -> None:
    from residents.demo import seed_roster

    seed_roster(street=street, scale=scale)
