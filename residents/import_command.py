"""The import commands' shared body: one per kind of list (import_register, import_owners)."""

import json
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from common.commands import read_file
from common.tabular import FileRejected
from residents import services
from residents.import_definitions import definition_of
from residents.import_engine import ImportRejected, ImportResult


class ImportCommand(BaseCommand):
    """`manage.py import_<kind> FILE [--dry-run] [--skip-invalid] [--json] [--user NAME]`."""

    kind: str

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count; write nothing."
        )
        parser.add_argument(
            "--skip-invalid", action="store_true", help="Write the good rows, report the rest."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--user", help="Import as this user, within their jurisdiction.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(_("No user %(name)s.") % {"name": options["user"]})
        try:
            services.require_import_permission(user)
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        try:
            result = services.import_now(
                data=read_file(path),
                filename=path.name,
                user=user,
                dry_run=options["dry_run"],
                skip_invalid=options["skip_invalid"],
                kind=self.kind,
            )
        except ImportRejected as rejected:
            result = rejected.result
        except FileRejected as error:
            result = definition_of(self.kind).result_class()
            result.set_problems([error.as_problem()])
        self._report(result, as_json=options["json"])
        if result.errors:
            message = (
                _("Good rows were written; %(n)d problem(s) skipped.")
                if result.written
                else _("Nothing was written: %(n)d problem(s).")
            )
            raise CommandError(message % {"n": result.error_total}, returncode=1)

    def _report(self, result: ImportResult, *, as_json: bool) -> None:
        if as_json:
            summary = result.as_dict()
            summary.pop("written")
            summary.pop("batch")
            self.stdout.write(json.dumps(summary, ensure_ascii=False, default=str))
            return
        for problem in result.errors:
            self.stderr.write(
                _("line %(line)s, column %(column)s: %(message)s") % problem.as_dict()
            )
        self.stdout.write(definition_of(self.kind).describe(result))
        sys.stdout.flush()
