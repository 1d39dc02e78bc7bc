"""``crossdock escalate``: enqueue (or run now) the SLA escalation of approval steps."""

from typing import Any

from django.core.management.base import BaseCommand

from crossdock.approvals.services import escalate_overdue
from crossdock.approvals.tasks import escalate_overdue_steps


class Command(BaseCommand):
    help = "Escalate approval steps past their SLA (--now runs it here instead of the worker)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--now", action="store_true", help="run in this process")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            self.stdout.write(f"escalated {escalate_overdue()} step(s)")
        else:
            result = escalate_overdue_steps.enqueue()
            self.stdout.write(f"enqueued escalation task {result.id}")
