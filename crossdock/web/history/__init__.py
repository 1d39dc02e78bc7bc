"""Two years of order history for the demo group: ``crossdock demo-history``.

Design overview
---------------
``crossdock demo`` builds master data, stock, a few documents in every state and two years
of *imported* daily demand (:mod:`crossdock.planning.demo`). This package adds the
documents behind that demand, set-based: about a million sales order lines with their
deliveries, stock valuation, invoices, payments, backorders, cancellations and return
authorizations (:mod:`.sales`), and the purchase orders, receipts, vendor bills, three-way
matches and payments that supplied them (:mod:`.purchasing`). Everything is computed with
NumPy first and written with one prepared ``INSERT`` per table (:mod:`.tables`,
:mod:`.books`); no service is called per document, no audit-trail entry or event is written.

The ledgers stay exact, so ``crossdock audit`` passes afterwards:

* every delivery is a done move with its done move line, a negative valuation layer and a
  stock-valuation entry (stock credited, cost of goods sold debited);
* every receipt happens before the deliveries it supplies and is valued at exactly what
  they take out, so quants and stock value end where they started, and never go negative;
* every entry balances (checked before writing; the database triggers check again);
* open items, invoices and payments agree (each paid invoice has one payment in full);
* each sales line ships on a day of its product's imported demand at its warehouse, so the
  demand history and the deliveries agree (imported days are left as they are).

Simplified: one currency per company (the company's, rate 1), no taxes, one-step
receipts and deliveries between the warehouse's stock location and the partner
locations (no picking, putaway or lots: lot- and serial-tracked products are left out),
returns authorized but not yet received, no approval requests for the history's orders.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction

from crossdock.accounting.models import (
    Allocation,
    Installment,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Payment,
)
from crossdock.accounting.services.ledger import ensure_periods
from crossdock.inventory.models import MoveLine, StockMove, Transfer, ValuationLayer
from crossdock.purchasing.models import (
    BillMatch,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceiptLine,
)
from crossdock.sales.models import SalesOrder, SalesOrderLine
from crossdock.sales.models.returns import ReturnAuthorization, ReturnLine
from crossdock.web.history import tables
from crossdock.web.history.books import Books
from crossdock.web.history.context import load_context
from crossdock.web.history.purchasing import PurchaseCounts, build_purchases
from crossdock.web.history.sales import SalesCounts, build_sales

DEFAULT_LINES = 1_000_000
WRITTEN = (
    SalesOrder, SalesOrderLine, Transfer, StockMove, MoveLine, ValuationLayer, JournalEntry,
    JournalLine, Invoice, InvoiceLine, Installment, Payment, Allocation, PurchaseOrder,
    PurchaseOrderLine, PurchaseReceiptLine, BillMatch, ReturnAuthorization, ReturnLine,
)  # fmt: skip


class HistoryError(Exception):
    """The database cannot take the history (no demo, or history already there)."""


@dataclass(frozen=True)
class HistoryResult:
    sales: SalesCounts
    purchases: PurchaseCounts
    journal_entries: int
    journal_lines: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_history(
    lines: int = DEFAULT_LINES, seed: int = 2024, today: datetime.date | None = None
) -> HistoryResult:
    """Write ``lines`` sales order lines of history, and all that follows from them, at once."""
    started = time.perf_counter()
    if lines < 1:
        raise HistoryError("--lines must be at least 1.")
    if SalesOrder.objects.filter(reference__contains="/H").exists():
        raise HistoryError("The database already holds the order history.")
    with transaction.atomic():
        ctx = load_context(today or datetime.date.today(), seed)
        if not len(ctx.demand.day):
            raise HistoryError(
                "No imported demand history to build orders from: load `crossdock demo` first."
            )
        books = Books()
        sales, shipped = build_sales(ctx, books, lines)
        purchases = build_purchases(ctx, books, shipped)
        for company_id in sorted(set(ctx.company_code)):
            first = int(min(ctx.demand.day.min(), ctx.today - 800))
            ensure_periods(
                company_id,
                [
                    datetime.date(1970, 1, 1) + datetime.timedelta(days=d)
                    for d in (first, ctx.today)
                ],
            )
        entries, journal_lines = books.write()
        tables.reset_sequences(*WRITTEN)
    return HistoryResult(
        sales, purchases, entries, journal_lines, round(time.perf_counter() - started, 1)
    )
