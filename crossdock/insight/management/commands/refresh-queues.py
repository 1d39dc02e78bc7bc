"""``crossdock refresh-queues``: enqueue (or run now) the exception-queue refresh."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from crossdock.core.errors import DomainError
from crossdock.insight.queues.services import refresh_queues
from crossdock.insight.tasks import refresh_exception_queues


class Command(BaseCommand):
    help = "Open, refresh and close exception-queue items; --now runs it here."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--kind", action="append", help="only this kind (repeatable)")
        parser.add_argument("--now", action="store_true", help="run in this process")

    def handle(self, *args: Any, **options: Any) -> None:
        kinds = options["kind"] or None
        if not options["now"]:
            handle = refresh_exception_queues.enqueue(kinds)
            self.stdout.write(f"enqueued exception-queue refresh ({handle.id})")
            return
        try:
            result = refresh_queues(kinds=kinds)
        except DomainError as error:
            raise CommandError(error.message) from error
        for kind, done in sorted(result.kinds.items()):
            self.stdout.write(
                f"{kind}: {done.opened} opened, {done.refreshed} still open, {done.closed} closed"
            )
        self.stdout.write(
            f"total: {result.opened} opened, {result.refreshed} still open, {result.closed} closed"
        )
