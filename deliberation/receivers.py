from typing import Any

from django.dispatch import receiver

from grids.models import Node
from grids.signals import demo_street_seeded


@receiver(demo_street_seeded)
def seed_demo_matters(sender: Any, street: Node, scale: str, **kwargs: Any) -> None:
    from deliberation.demo import seed_matters

    seed_matters(street=street)
