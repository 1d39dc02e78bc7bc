"""``crossdock kpi-snapshot``: enqueue (or run now) the nightly KPI snapshot of a day."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from crossdock.insight.services.snapshots import take_snapshot
from crossdock.insight.tasks import take_kpi_snapshot


class Command(BaseCommand):
    help = "Snapshot every KPI for a day (default yesterday); --now runs it here."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--day", help="the day to snapshot, YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--now", action="store_true", help="run in this process")

    def handle(self, *args: Any, **options: Any) -> None:
        text = options["day"]
        try:
            day = (
                datetime.date.fromisoformat(text)
                if text
                else timezone.localdate() - datetime.timedelta(days=1)
            )
        except ValueError as error:
            raise CommandError(f"--day: {text!r} is not a date (YYYY-MM-DD).") from error
        if day > timezone.localdate():
            raise CommandError(f"--day: {day} is in the future.")
        if options["now"]:
            result = take_snapshot(day)
            self.stdout.write(
                f"{result.day}: {result.rows} figures of {result.kpis} KPIs "
                f"({result.replaced} replaced)"
            )
        else:
            handle = take_kpi_snapshot.enqueue(day.isoformat())
            self.stdout.write(f"enqueued KPI snapshot of {day} ({handle.id})")
