"""``crossdock purchasing-exceptions``: enqueue (or run now) the refresh of the buyers' queue."""

from typing import Any

from django.core.management.base import BaseCommand

from crossdock.purchasing.services.exceptions import refresh_exceptions
from crossdock.purchasing.tasks import refresh_purchase_exceptions


class Command(BaseCommand):
    help = "Open and close purchasing exceptions (--now runs it here instead of the worker)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--now", action="store_true", help="run in this process")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            result = refresh_exceptions()
            self.stdout.write(
                f"opened {result.opened}, closed {result.closed}, open {result.still_open}"
            )
        else:
            result_handle = refresh_purchase_exceptions.enqueue()
            self.stdout.write(f"enqueued purchasing exceptions refresh {result_handle.id}")
