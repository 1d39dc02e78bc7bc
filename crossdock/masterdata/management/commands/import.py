"""``crossdock import <slug> <file> [--dry-run]``: load products, partners or locations from a file.

The file is CSV (UTF-8, ``,`` or ``;`` separated) or XLSX; see
:mod:`crossdock.masterdata.imports` for the columns and rules. Every row is
checked first; any bad row means nothing is written, and each is listed with
its row number. ``--user`` acts as that user, with their roles and companies;
without it the import runs as a system actor with the operator's authority.
"""

import getpass
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from crossdock.core.context import Actor, reset_request_id, set_request_id
from crossdock.core.errors import DomainError
from crossdock.core.models import User
from crossdock.masterdata.imports import describe, error_lines, run_import
from crossdock.masterdata.registry import BY_SLUG


class Command(BaseCommand):
    help = "Import products, partners or locations from a CSV or XLSX file (all rows or none)."

    def add_arguments(self, parser: Any) -> None:
        slugs = sorted(slug for slug, rt in BY_SLUG.items() if rt.importable)
        parser.add_argument("slug", choices=slugs, help="the record type to import")
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file")
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument("--user", help="act as this user (their permissions and companies)")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        record_type = BY_SLUG[options["slug"]]
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        actor = self._actor(options.get("user"))
        token = set_request_id()
        try:
            result = run_import(actor, record_type, path.name, content, options["dry_run"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        finally:
            reset_request_id(token)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        else:
            self.stdout.write(describe(result))
            for line in error_lines(result.errors):
                self.stdout.write(f"  {line}")
        if not result.ok:
            raise CommandError(f"{len(result.errors)} problem(s); nothing was imported")

    def _actor(self, username: str | None) -> Actor:
        if not username:
            return Actor.system(f"import by {getpass.getuser()}")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        return Actor.of(user)
