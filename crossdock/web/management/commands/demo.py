"""``crossdock demo --scale small|seed``: load the demo group into an empty database.

One step per module, in dependency order: master data (companies, warehouses,
catalogue, partners, users), approval policies with a filled inbox, then stock,
open warehouse work and governed stock adjustments, then the books: invoices,
bills, payments, a landed cost and a payment run waiting for approval; then
purchasing: a supplier catalogue and orders in every stage; last sales: a margin
floor and customer orders quoted, confirmed, shipped and invoiced, and on credit
hold; then planning: settings, transfer lanes and two years of daily demand,
classified. ``small`` (a few seconds; ``make run`` and the tests use it) builds the whole
structure with 200 SKUs, 20 suppliers and 50 customers; ``seed`` builds the seed
scale of DESIGN.md (25,000 SKUs, 300 suppliers, 2,000 customers). The command prints how to sign
in: every demo user has the password ``crossdock-demo`` — for local
demonstrations only.
"""

import contextlib
import json
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from crossdock.accounting.demo import load_accounting_demo
from crossdock.accounting.models import Invoice, JournalLine
from crossdock.accounting.services.ledger import ensure_all_ledgers
from crossdock.approvals.demo import load_approvals_demo
from crossdock.approvals.models import ApprovalPolicy, ApprovalRequest
from crossdock.core.context import reset_request_id, set_request_id
from crossdock.inventory.demo import (
    load_adjustments_demo,
    load_counts_demo,
    load_inventory_demo,
)
from crossdock.masterdata.demo import (
    DEMO_PASSWORD,
    DEMO_URL,
    SCALES,
    DemoDataExistsError,
    DemoResult,
    load_demo,
)
from crossdock.planning.demo import load_planning_demo
from crossdock.purchasing.demo import load_purchasing_demo
from crossdock.sales.demo import load_sales_demo
from crossdock.service.demo import load_service_demo


class Command(BaseCommand):
    help = (
        "Load demo data: a distribution group with its catalogue, partners and users, "
        "approval policies, stock and open warehouse work."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and say so) when the database already holds data",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        token = set_request_id()
        try:
            # Notifications e-mailed while loading go to stderr with the console backend,
            # so stdout carries only the report (and stays valid JSON with --json).
            with contextlib.redirect_stdout(sys.stderr):
                result = load_everything(options["scale"], options["seed"])
        except DemoDataExistsError as exc:
            if options["if_empty"]:
                self.stdout.write("The database already holds data; the demo was not loaded again.")
                self.stdout.write(f"Sign in at {DEMO_URL} (demo users' password: {DEMO_PASSWORD}).")
                return
            raise CommandError(exc.message) from exc
        finally:
            reset_request_id(token)
        if options["json"]:
            self.stdout.write(json.dumps(result.__dict__, indent=2))
            return
        self._report(result)

    def _report(self, result: DemoResult) -> None:
        counts = ", ".join(
            f"{count:,} {name.replace('_', ' ')}" for name, count in result.counts.items()
        )
        self.stdout.write(f"Demo data ({result.scale}) loaded in {result.seconds:.1f} s: {counts}.")
        self.stdout.write("")
        self.stdout.write(f"Sign in at {result.url}")
        width = max(len(username) for username, _ in result.logins)
        for username, role in result.logins:
            self.stdout.write(f"  {username.ljust(width)}  {role}")
        self.stdout.write(f"Password for every demo user: {result.password}")
        self.stdout.write(
            self.style.WARNING("Demo logins only: never load the demo into a real database.")
        )


def load_everything(scale: str, seed: int) -> DemoResult:
    """Master data first (it refuses a non-empty database), then each module's demo on top."""
    started = time.perf_counter()
    result = load_demo(scale, seed=seed)
    load_approvals_demo()
    ensure_all_ledgers()  # every company has its chart before stock is valued and posted
    stock = load_inventory_demo(scale, seed=seed)
    adjustments = load_adjustments_demo()
    cycle_counts = load_counts_demo()
    books = load_accounting_demo()
    buying = load_purchasing_demo()
    selling = load_sales_demo()
    servicing = load_service_demo()
    planning = load_planning_demo(scale, seed)
    result.counts.update(
        approval_policies=ApprovalPolicy.objects.filter(status="active").count(),
        pending_approvals=ApprovalRequest.objects.filter(status="pending").count(),
        **{k: v for k, v in stock.items() if k != "seconds"},
        stock_adjustments=adjustments.get("adjustments", 0),
        count_sheets=cycle_counts.get("count_sheets", 0),
        invoices_and_bills=Invoice.objects.count(),
        **{k: v for k, v in books.items() if k in ("payments", "payment_runs", "landed_costs")},
        **buying,
        **selling,
        **servicing,
        **{k: v for k, v in planning.items() if not k.endswith("_seconds")},
        journal_lines=JournalLine.objects.count(),
    )
    result.seconds = round(time.perf_counter() - started, 3)
    return result
