"""Purchasing queries: settings with their defaults, expected receipts, the AP match queue,
the buyers' exception queue and the periods of the vendor scorecards."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, QuerySet

from crossdock.purchasing.models import (
    BillMatch,
    PurchaseException,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceiptLine,
    PurchasingSettings,
)
from crossdock.purchasing.models.matching import EXCEPTION_STATUSES
from crossdock.purchasing.models.orders import RECEIVABLE_STATES
from crossdock.purchasing.scorecards import Scorecard, scorecards


def settings_for(company_id: int) -> PurchasingSettings:
    """The company's purchasing settings, or the defaults when none were saved."""
    found = PurchasingSettings.objects.filter(company_id=company_id).first()
    return found or PurchasingSettings(company_id=company_id)


@dataclass(frozen=True)
class ExpectedReceipt:
    """An order line still awaited: what, how many, when (confirmed date first)."""

    line: PurchaseOrderLine
    open_quantity: Decimal
    due: datetime.date
    late_days: int


def expected_receipts(
    orders: QuerySet[PurchaseOrder], *, today: datetime.date, until: datetime.date | None = None
) -> list[ExpectedReceipt]:
    """Open lines of receivable orders (already scoped by the caller), by due date."""
    lines = (
        PurchaseOrderLine.objects.filter(
            order__in=orders.filter(state__in=RECEIVABLE_STATES),
            received_quantity__lt=F("quantity"),
        )
        .select_related("order__supplier", "order__warehouse", "product")
        .order_by("expected_date", "order_id", "sequence")
    )
    found = []
    for line in lines:
        due = line.confirmed_date or line.expected_date
        if until is not None and due > until:
            continue
        found.append(
            ExpectedReceipt(
                line, line.quantity - line.received_quantity, due, max((today - due).days, 0)
            )
        )
    found.sort(key=lambda r: (r.due, r.line.order_id, r.line.sequence))
    return found


def match_queue(matches: QuerySet[BillMatch]) -> QuerySet[BillMatch]:
    """The AP exception queue: bills whose match needs someone, oldest first."""
    return (
        matches.filter(status__in=EXCEPTION_STATUSES, invoice__state="draft")
        .select_related("invoice__partner", "order")
        .order_by("checked_at")
    )


# -- the buyers' exception queue -----------------------------------------------------------------


def exception_queue(
    items: QuerySet[PurchaseException], *, closed: bool = False
) -> QuerySet[PurchaseException]:
    """Open (or closed) exceptions, already scoped by the caller, with what a row shows."""
    return items.filter(closed_at__isnull=not closed).select_related(
        "order__supplier", "line__product", "owner"
    )


# -- vendor scorecards --------------------------------------------------------------------------

SCORECARD_DAYS = 90
MAX_PERIOD_DAYS = 3 * 366
MAX_TREND_MONTHS = 36


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last 90 days up to and including ``today``."""
    return today - datetime.timedelta(days=SCORECARD_DAYS - 1), today


def last_months(today: datetime.date, months: int) -> list[tuple[datetime.date, datetime.date]]:
    """The ``months`` calendar months ending with the one of ``today``, oldest first."""
    periods = []
    year, month = today.year, today.month
    for _ in range(months):
        start = datetime.date(year, month, 1)
        following = datetime.date(year + month // 12, month % 12 + 1, 1)
        periods.append((start, following - datetime.timedelta(days=1)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return periods[::-1]


def supplier_trend(
    company_id: int, supplier_id: int, *, today: datetime.date, months: int = 12
) -> list[Scorecard]:
    """One scorecard of the supplier per calendar month, oldest first (empty months too)."""
    return [
        scorecards(company_id, start, end, supplier_ids={supplier_id})[0]
        for start, end in last_months(today, months)
    ]


@dataclass(frozen=True)
class LandedLine:
    """One order line's landed costs: expected on what was received, and actually posted."""

    line: PurchaseOrderLine
    estimated: Decimal  # company currency, on the received quantity (on the order until then)
    actual: Decimal  # company currency: posted landed costs allocated to its receipt moves


@dataclass(frozen=True)
class LandedCosts:
    lines: list[LandedLine]
    estimated: Decimal
    actual: Decimal


def landed_costs(order: PurchaseOrder) -> LandedCosts:
    """Estimated landed costs (from the catalogue at order time) beside the actual ones
    posted on the order's receipts — in the company's currency, per line and in total."""
    from django.db.models import Sum

    from crossdock.accounting.models import LandedCostLine

    lines = list(order.lines.select_related("product").order_by("sequence", "pk"))
    links = dict(
        PurchaseReceiptLine.objects.filter(line__order=order).values_list("move_id", "line_id")
    )
    actual: dict[int, Decimal] = {}
    for move_id, allocated in (
        LandedCostLine.objects.filter(move_id__in=list(links), landed_cost__state="posted")
        .order_by()
        .values("move_id")
        .annotate(total=Sum("allocated"))
        .values_list("move_id", "total")
    ):
        line_id = links[move_id]
        actual[line_id] = actual.get(line_id, Decimal(0)) + allocated
    base = order.company.base_currency
    rows = []
    for line in lines:
        quantity = line.received_quantity or line.quantity
        estimate = base.round(quantity * line.estimated_landed_cost * order.rate)
        rows.append(LandedLine(line, estimate, base.round(actual.get(line.pk, Decimal(0)))))
    return LandedCosts(
        rows,
        sum((r.estimated for r in rows), Decimal(0)),
        sum((r.actual for r in rows), Decimal(0)),
    )
