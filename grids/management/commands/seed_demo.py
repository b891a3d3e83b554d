from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from grids import demo
from grids.models import Node


class Command(BaseCommand):
    help = "Build the deterministic demo street with staff for every role and demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(demo.SCALES), default="tiny")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only when the database has no street; print the demo logins either way.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        has_tree = Node.objects.exists()
        if has_tree and not options["if_empty"]:
            raise CommandError(
                _("The database already holds a street; demo data goes only into an empty one.")
            )
        if has_tree:
            logins = demo.existing_logins()
        else:
            self.stdout.write(_("Building the demo street (about a minute for the full street)…"))
            self.stdout.flush()
            logins = demo.seed(options["scale"])
            counts = {level: Node.objects.filter(level=level).count() for level in range(5)}
            self.stdout.write(
                _("Seeded: %(c)d communities, %(g)d grids, %(m)d micro-grids, %(s)d stairwells.")
                % {"c": counts[1], "g": counts[2], "m": counts[3], "s": counts[4]}
            )
        if logins:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Demo logins (password: %(pw)s):") % {"pw": demo.DEMO_PASSWORD}
                )
            )
            superuser = _("superuser")
            self.stdout.write(f"  {'admin':<12} {superuser}")
            for login in logins:
                self.stdout.write(f"  {login.username:<12} {login.role} · {login.node_name}")
