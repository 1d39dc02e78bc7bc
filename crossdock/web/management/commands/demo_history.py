"""``crossdock demo-history [--lines N] [--seed S]``: add two years of order history to the demo.

Run after ``crossdock demo`` (seed or small scale). Writes about ``--lines`` sales order lines
(default 1,000,000, the seed scale) in orders of about ten lines with their deliveries,
invoices and payments, and the purchase orders, receipts and bills that supplied them,
set-based (:mod:`crossdock.web.history`). The same seed on the same demo gives the same
history. ``crossdock audit`` passes afterwards.
"""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from crossdock.web.history import DEFAULT_LINES, HistoryError, build_history


class Command(BaseCommand):
    help = "Add two years of sales and purchase history to the demo group (set-based)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--lines", type=int, default=DEFAULT_LINES)
        parser.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = build_history(options["lines"], options["seed"])
        except HistoryError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        sales, purchases = result.sales, result.purchases
        self.stdout.write(
            f"{sales.lines} sales order lines in {sales.orders} orders "
            f"({sales.cancelled_orders} cancelled, {sales.backorders} backorders), "
            f"{sales.deliveries} deliveries, {sales.invoices} invoices, {sales.payments} "
            f"payments, {sales.returns} returns; {purchases.lines} purchase order lines in "
            f"{purchases.orders} orders, {purchases.bills} bills; {result.journal_entries} "
            f"journal entries ({result.journal_lines} lines) in {result.seconds} s."
        )
