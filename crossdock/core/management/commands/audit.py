"""``crossdock audit``: prove the caches and the audit trail agree with the documents."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from crossdock.core.checks import run_checks


class Command(BaseCommand):
    help = "Verify the audit chain and recompute every derived balance; exit 1 on any difference."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print findings as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        names, findings = run_checks()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "checks": names,
                        "findings": [{"check": f.check, "problem": f.problem} for f in findings],
                        "ok": not findings,
                    },
                    indent=2,
                )
            )
        else:
            for name in names:
                mine = [f for f in findings if f.check == name]
                status = "ok" if not mine else f"{len(mine)} problem(s)"
                self.stdout.write(f"{name}: {status}")
                for finding in mine:
                    self.stdout.write(f"  - {finding.problem}")
        if findings:
            raise CommandError(f"audit found {len(findings)} problem(s)")
