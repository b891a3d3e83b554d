from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from grids.integrity import check_trees
from grids.models import Level, Node


class Command(BaseCommand):
    help = "Verify lft/rght/level, the level rules and the code rules of every tree."

    def handle(self, *args: Any, **options: Any) -> None:
        trees, faults = check_trees()
        for fault in faults:
            self.stderr.write(str(fault))
        if faults:
            raise CommandError(_("%(n)d problem(s) found.") % {"n": len(faults)}, returncode=1)
        counts = {
            Level(level).label: Node.objects.filter(level=level).count() for level in Level.values
        }
        summary = ", ".join(f"{label} {n}" for label, n in counts.items())
        self.stdout.write(
            _("%(trees)d tree(s) OK: %(summary)s") % {"trees": trees, "summary": summary}
        )
