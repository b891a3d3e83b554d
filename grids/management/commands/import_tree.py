import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from common.commands import read_file
from common.tabular import FileRejected
from grids.tree_import import TreeImportFailed, import_tree


class Command(BaseCommand):
    help = "Load or update a whole street from CSV (UTF-8, UTF-8 BOM, GB18030) or XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        data = read_file(path)
        errors: list[dict[str, object]] = []
        summary: dict[str, object] = {}
        try:
            result = import_tree(data=data, filename=path.name, dry_run=options["dry_run"])
            summary = {
                "street": result.street_code,
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            }
        except FileRejected as error:
            errors = [error.as_problem().as_dict()]
        except TreeImportFailed as failure:
            errors = [p.as_dict() for p in failure.problems]
        if options["json"]:
            self.stdout.write(json.dumps({**summary, "errors": errors}, ensure_ascii=False))
        elif errors:
            for e in errors:
                self.stderr.write(_("line %(line)s, column %(column)s: %(message)s") % e)
        else:
            self.stdout.write(
                _(
                    "Street %(street)s: %(rows)d rows, %(created)d created, "
                    "%(updated)d updated, %(unchanged)d unchanged."
                )
                % summary
            )
        if errors:
            raise CommandError(
                _("Nothing was written: %(n)d problem(s).") % {"n": len(errors)}, returncode=1
            )
