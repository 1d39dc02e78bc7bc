"""``crossdock scheduler``: enqueue the periodic tasks when they are due (next to the workers)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from crossdock.core import schedule


class Command(BaseCommand):
    help = "Enqueue periodic tasks (nightly replenishment, KPI snapshot, queue refreshes) on time."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue what is due, then stop")
        parser.add_argument("--list", action="store_true", help="show the schedule and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        autodiscover_modules("tasks")
        if options["list"]:
            self._list()
            return
        while True:
            for run in schedule.enqueue_due():
                self.stdout.write(
                    f"enqueued {run.name} due {timezone.localtime(run.due_at):%Y-%m-%d %H:%M}"
                    f" as task {run.task_id}"
                )
            if options["once"]:
                return
            time.sleep(max(1.0, schedule.seconds_until_next()))

    def _list(self) -> None:
        now = timezone.now()
        for entry in sorted(schedule.SCHEDULE.values(), key=lambda item: item.name):
            due = schedule.next_due(entry, now)
            when = f"{timezone.localtime(due):%Y-%m-%d %H:%M}" if due else "switched off"
            self.stdout.write(
                f"{entry.name:40} {entry.effective_cron or '-':15} next {when}  {entry.description}"
            )
