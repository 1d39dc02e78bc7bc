"""``crossdock replenish``: enqueue (or run now) the replenishment run of every company."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from crossdock.masterdata.models import Company
from crossdock.planning.services.run import run_replenishment
from crossdock.planning.tasks import run_company_replenishment, run_nightly_replenishment


class Command(BaseCommand):
    help = (
        "Plan replenishment for every active company, or one (--company CODE); --reuse keeps "
        "the fitted forecasts; --now runs it here instead of the worker."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--company", help="the company's code (all active ones by default)")
        parser.add_argument("--reuse", action="store_true", help="reuse the stored forecasts")
        parser.add_argument("--now", action="store_true", help="run in this process")

    def handle(self, *args: Any, **options: Any) -> None:
        companies = Company.objects.filter(active=True).order_by("pk")
        if options["company"]:
            companies = companies.filter(code=options["company"])
            if not companies.exists():
                raise CommandError(f"No active company with code {options['company']}.")
        reuse = bool(options["reuse"])
        if options["now"]:
            for company in companies:
                run = run_replenishment(company, reuse_forecasts=reuse)
                self.stdout.write(
                    f"{company.code}: run {run.pk} {run.state} in {run.seconds} s, "
                    f"{run.suggestions_count} suggestions, {run.exceptions_count} exceptions"
                    + (f" — {run.error}" if run.error else "")
                )
        elif options["company"]:
            for company in companies:
                handle = run_company_replenishment.enqueue(company.pk, reuse)
                self.stdout.write(f"enqueued replenishment of {company.code}: {handle.id}")
        else:
            every = run_nightly_replenishment.enqueue(reuse)
            self.stdout.write(f"enqueued replenishment of every company: {every.id}")
