from typing import Any

from django.dispatch import receiver

from grids.models import Node
from grids.signals import demo_street_seeded


@receiver(demo_street_seeded)
def seed_demo_projects(sender: Any, street: Node, scale: str, **kwargs: Any) -> None:
    from microprojects.demo import seed_projects

    seed_projects(street=street)
