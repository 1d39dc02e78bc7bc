"""Vendor scorecards: how each supplier delivered, billed and priced over a period.

Design overview
---------------
:func:`scorecards` reads, in a handful of set queries, the receipt moves linked
to order lines, the order lines due in the period, the bill matches and the
posted bill lines of the period, and computes per supplier:

* **on-time delivery** — receipt lines done on or before the promised date
  (the supplier's confirmed date, else the order's expected date);
* **in full** — order lines due in the period whose promised quantity had
  arrived by their due date;
* **lead time** — mean and standard deviation in days from order date to
  receipt, beside the catalogue's promised lead time;
* **quality rejection rate** — rejected over inspected quantity, from the
  sources registered with :func:`register_rejection_source` (the quality
  app registers its inspections; purchasing never imports it); ``None``
  without inspections;
* **first-time match rate** — bills whose first three-way match was *matched*;
* **price variance** — billed value against the contract (catalogue) price of
  the same quantities, in percent (positive: billed above contract).

A composite **score** (0–100) weighs on-time 35, in-full 25, first-time match
20, lead-time reliability 10, price 10 and quality (1 − rejection rate) 15; a
missing component's weight is spread over the others. The **risk class**
follows the score: 85 and above *low*, 70 and above *medium*, below *high*.
:func:`apply_risk_classes` writes the classes back to the suppliers (audited),
so supplier choice and approval policies (``supplier_risk``) use them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q

from crossdock.accounting.models import InvoiceLine
from crossdock.accounting.models.invoices import InvoiceKind, InvoiceState
from crossdock.core.context import Actor
from crossdock.core.records import update_record
from crossdock.masterdata.models import Partner
from crossdock.purchasing.models import (
    BillMatch,
    MatchStatus,
    PurchaseOrderLine,
    PurchaseReceiptLine,
)
from crossdock.purchasing.services.catalogue import catalogue_price

ZERO = Decimal(0)
HUNDRED = Decimal(100)
RATE = Decimal("0.0001")
WEIGHTS = {
    "on_time": 35,
    "in_full": 25,
    "match": 20,
    "lead_time": 10,
    "price": 10,
    "quality": 15,
}

RejectionSource = Callable[
    [int, "set[int] | None", datetime.date, datetime.date], dict[int, tuple[Decimal, Decimal]]
]
_rejection_sources: list[RejectionSource] = []


def register_rejection_source(source: RejectionSource) -> None:
    """Add a source of quality figures: ``source(company_id, supplier_ids, start, end)``
    returns ``{supplier_id: (rejected, inspected)}`` quantities for the period (all suppliers
    when ``supplier_ids`` is None). A higher app registers it, so purchasing never imports it."""
    if source not in _rejection_sources:
        _rejection_sources.append(source)


def _rejections(
    company_id: int, suppliers: set[int] | None, start: Any, end: Any
) -> dict[int, tuple[Decimal, Decimal]]:
    totals: dict[int, tuple[Decimal, Decimal]] = {}
    for source in _rejection_sources:
        for supplier_id, (rejected, inspected) in source(company_id, suppliers, start, end).items():
            before = totals.get(supplier_id, (ZERO, ZERO))
            totals[supplier_id] = (before[0] + rejected, before[1] + inspected)
    return totals


@dataclass
class Scorecard:
    """One supplier's figures for one period (rates are fractions between 0 and 1)."""

    supplier_id: int
    supplier_code: str
    supplier_name: str
    start: datetime.date
    end: datetime.date
    receipt_lines: int = 0
    on_time_rate: Decimal | None = None
    lines_due: int = 0
    in_full_rate: Decimal | None = None
    lead_time_mean_days: Decimal | None = None
    lead_time_std_days: Decimal | None = None
    promised_lead_time_days: Decimal | None = None
    rejection_rate: Decimal | None = None
    bills: int = 0
    first_time_match_rate: Decimal | None = None
    price_variance_percent: Decimal | None = None
    score: Decimal | None = None
    risk_class: str = ""
    notes: list[str] = field(default_factory=list)


def _rate(good: int, total: int) -> Decimal | None:
    return (Decimal(good) / Decimal(total)).quantize(RATE) if total else None


def _day(value: Any) -> datetime.date:
    from django.utils import timezone

    return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()


def _receipts(
    company_id: int, suppliers: set[int] | None, start: Any, end: Any
) -> list[dict[str, Any]]:
    rows = PurchaseReceiptLine.objects.filter(
        line__order__company_id=company_id, move__state="done"
    )
    if suppliers is not None:
        rows = rows.filter(line__order__supplier_id__in=suppliers)
    found: list[dict[str, Any]] = [
        dict(row)
        for row in rows.filter(move__done_at__date__gte=start, move__done_at__date__lte=end).values(
            "line_id",
            "quantity",
            "move__done_at",
            "line__confirmed_date",
            "line__expected_date",
            "line__order__order_date",
            "line__order__supplier_id",
            "line__offer__lead_time_days",
        )
    ]
    return found


def _on_time(row: Any) -> bool:
    """A receipt line done on or before the promised date (confirmed, else expected)."""
    return _day(row["move__done_at"]) <= (row["line__confirmed_date"] or row["line__expected_date"])


@dataclass(frozen=True)
class ReceiptTimeliness:
    """One receipt line done: whose, which day, and whether by the promised date."""

    company_id: int
    supplier_id: int
    day: datetime.date
    on_time: bool


def receipt_timeliness(
    company_ids: Iterable[int], start: datetime.date, end: datetime.date
) -> list[ReceiptTimeliness]:
    """Every receipt line of the companies done in ``[start, end]`` with the scorecards'
    on-time verdict — one query over a range of ``done_at`` (no per-row date cast), for
    whoever compares periods without the rest of the scorecard."""
    from django.utils import timezone

    def midnight(day: datetime.date) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    rows = (
        PurchaseReceiptLine.objects.filter(
            line__order__company_id__in=list(company_ids),
            move__state="done",
            move__done_at__gte=midnight(start),
            move__done_at__lt=midnight(end + datetime.timedelta(days=1)),
        )
        .order_by()
        .values(
            "move__done_at",
            "line__confirmed_date",
            "line__expected_date",
            "line__order__company_id",
            "line__order__supplier_id",
        )
    )
    return [
        ReceiptTimeliness(
            row["line__order__company_id"],
            row["line__order__supplier_id"],
            _day(row["move__done_at"]),
            _on_time(row),
        )
        for row in rows
    ]


def _in_full(
    company_id: int, suppliers: set[int] | None, start: Any, end: Any
) -> dict[int, list[bool]]:
    """Per supplier: for each line due in the period, whether it arrived in full by its due date."""
    due = Q(confirmed_date__isnull=False, confirmed_date__gte=start, confirmed_date__lte=end) | Q(
        confirmed_date__isnull=True, expected_date__gte=start, expected_date__lte=end
    )
    lines = PurchaseOrderLine.objects.filter(due, order__company_id=company_id).exclude(
        order__state__in=["draft", "to_approve", "cancelled"]
    )
    if suppliers is not None:
        lines = lines.filter(order__supplier_id__in=suppliers)
    facts = list(
        lines.values("pk", "quantity", "confirmed_quantity", "confirmed_date", "expected_date",
                     "order__supplier_id")
    )  # fmt: skip
    arrived: dict[int, list[tuple[datetime.date, Decimal]]] = defaultdict(list)
    for row in PurchaseReceiptLine.objects.filter(
        line_id__in=[f["pk"] for f in facts], move__state="done"
    ).values("line_id", "quantity", "move__done_at"):
        arrived[row["line_id"]].append((_day(row["move__done_at"]), row["quantity"]))
    result: dict[int, list[bool]] = defaultdict(list)
    for fact in facts:
        promised_on = fact["confirmed_date"] or fact["expected_date"]
        promised = (
            fact["confirmed_quantity"]
            if fact["confirmed_quantity"] is not None
            else fact["quantity"]
        )
        by_then = sum((q for day, q in arrived[fact["pk"]] if day <= promised_on), ZERO)
        result[fact["order__supplier_id"]].append(by_then >= promised)
    return result


def _price_variance(
    company_id: int, suppliers: set[int] | None, start: Any, end: Any
) -> dict[int, tuple[Decimal, Decimal]]:
    """Per supplier: (billed value, contract value) of posted bill lines dated in the period."""
    bill_lines = InvoiceLine.objects.filter(
        invoice__company_id=company_id,
        invoice__kind=InvoiceKind.VENDOR_BILL,
        invoice__state=InvoiceState.POSTED,
        invoice__date__gte=start,
        invoice__date__lte=end,
        stock_move__isnull=False,
    )
    if suppliers is not None:
        bill_lines = bill_lines.filter(invoice__partner_id__in=suppliers)
    rows = list(
        bill_lines.values(
            "stock_move_id", "quantity", "unit_price", "discount_percent", "invoice__currency_id"
        )
    )
    links = {
        link.move_id: link.line
        for link in PurchaseReceiptLine.objects.filter(
            move_id__in=[r["stock_move_id"] for r in rows]
        )
        .select_related("line__order", "line__offer")
        .prefetch_related("line__offer__breaks")
    }
    totals: dict[int, tuple[Decimal, Decimal]] = {}
    for row in rows:
        line = links.get(row["stock_move_id"])
        if line is None or line.order.currency_id != row["invoice__currency_id"]:
            continue
        reference = line.unit_price
        offer = line.offer
        if offer is not None and offer.on_contract and offer.currency_id == line.order.currency_id:
            reference = catalogue_price(offer.breaks.all(), line.quantity) or line.unit_price
        billed = row["quantity"] * row["unit_price"] * (1 - row["discount_percent"] / HUNDRED)
        before = totals.get(line.order.supplier_id, (ZERO, ZERO))
        totals[line.order.supplier_id] = (
            before[0] + billed,
            before[1] + row["quantity"] * reference,
        )
    return totals


def _first_matches(
    company_id: int, suppliers: set[int] | None, start: Any, end: Any
) -> dict[int, list[bool]]:
    matches = BillMatch.objects.filter(
        company_id=company_id, invoice__date__gte=start, invoice__date__lte=end
    )
    if suppliers is not None:
        matches = matches.filter(invoice__partner_id__in=suppliers)
    result: dict[int, list[bool]] = defaultdict(list)
    for supplier_id, first in matches.values_list("invoice__partner_id", "first_status"):
        result[supplier_id].append(first == MatchStatus.MATCHED)
    return result


def _score(card: Scorecard) -> None:
    parts: dict[str, Decimal] = {}
    if card.on_time_rate is not None:
        parts["on_time"] = card.on_time_rate
    if card.in_full_rate is not None:
        parts["in_full"] = card.in_full_rate
    if card.first_time_match_rate is not None:
        parts["match"] = card.first_time_match_rate
    if card.lead_time_mean_days and card.lead_time_std_days is not None:
        spread = card.lead_time_std_days / card.lead_time_mean_days
        parts["lead_time"] = max(ZERO, 1 - min(spread, Decimal(1)))
    if card.rejection_rate is not None:
        parts["quality"] = 1 - card.rejection_rate
    if card.price_variance_percent is not None:
        over = max(card.price_variance_percent, ZERO)
        parts["price"] = max(ZERO, 1 - min(over / 10, Decimal(1)))  # 10 % over contract → 0
    if not parts:
        return
    weight = sum(WEIGHTS[name] for name in parts)
    card.score = (
        sum(WEIGHTS[name] * value for name, value in parts.items()) * HUNDRED / weight
    ).quantize(Decimal("0.1"))
    card.risk_class = "low" if card.score >= 85 else "medium" if card.score >= 70 else "high"


def scorecards(
    company_id: int,
    start: datetime.date,
    end: datetime.date,
    *,
    supplier_ids: set[int] | None = None,
) -> list[Scorecard]:
    """The scorecard of every supplier with activity in ``[start, end]`` (or of the given ones)."""
    receipts = _receipts(company_id, supplier_ids, start, end)
    in_full = _in_full(company_id, supplier_ids, start, end)
    prices = _price_variance(company_id, supplier_ids, start, end)
    matches = _first_matches(company_id, supplier_ids, start, end)
    rejections = _rejections(company_id, supplier_ids, start, end)
    by_supplier: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in receipts:
        by_supplier[row["line__order__supplier_id"]].append(row)
    active = set(by_supplier) | set(in_full) | set(prices) | set(matches) | set(rejections)
    if supplier_ids is not None:
        active |= supplier_ids
    partners = Partner.objects.in_bulk(active)
    cards = []
    for supplier_id in sorted(active, key=lambda pk: partners[pk].code if pk in partners else ""):
        partner = partners.get(supplier_id)
        if partner is None:
            continue
        card = Scorecard(supplier_id, partner.code, partner.name, start, end)
        rows = by_supplier.get(supplier_id, [])
        card.receipt_lines = len(rows)
        on_time = 0
        lead_times: list[Decimal] = []
        promised: list[Decimal] = []
        for row in rows:
            done = _day(row["move__done_at"])
            on_time += _on_time(row)
            lead_times.append(Decimal((done - row["line__order__order_date"]).days))
            if row["line__offer__lead_time_days"] is not None:
                promised.append(Decimal(row["line__offer__lead_time_days"]))
        card.on_time_rate = _rate(on_time, len(rows))
        if lead_times:
            mean = sum(lead_times, ZERO) / len(lead_times)
            variance = sum(((t - mean) ** 2 for t in lead_times), ZERO) / len(lead_times)
            card.lead_time_mean_days = mean.quantize(Decimal("0.1"))
            card.lead_time_std_days = variance.sqrt().quantize(Decimal("0.1"))
        if promised:
            card.promised_lead_time_days = (sum(promised, ZERO) / len(promised)).quantize(
                Decimal("0.1")
            )
        due = in_full.get(supplier_id, [])
        card.lines_due = len(due)
        card.in_full_rate = _rate(sum(due), len(due))
        first = matches.get(supplier_id, [])
        card.bills = len(first)
        card.first_time_match_rate = _rate(sum(first), len(first))
        billed, contract = prices.get(supplier_id, (ZERO, ZERO))
        if contract:
            card.price_variance_percent = ((billed - contract) * HUNDRED / contract).quantize(
                Decimal("0.01")
            )
        rejected, inspected = rejections.get(supplier_id, (ZERO, ZERO))
        if inspected:
            card.rejection_rate = (rejected / inspected).quantize(RATE)
        else:
            card.notes.append("No quality inspections in the period.")
        _score(card)
        cards.append(card)
    return cards


def apply_risk_classes(
    actor: Actor, company_id: int, start: datetime.date, end: datetime.date
) -> list[tuple[str, str, str]]:
    """Write each scored supplier's risk class; return (supplier, old, new) for each change."""
    from django.db import transaction

    changes = []
    with transaction.atomic():
        for card in scorecards(company_id, start, end):
            if not card.risk_class:
                continue
            partner = Partner.objects.get(pk=card.supplier_id)
            if partner.supplier_risk_class == card.risk_class or not partner.is_supplier:
                continue
            update_record(actor, Partner, partner.pk, {"supplier_risk_class": card.risk_class})
            changes.append((partner.code, partner.supplier_risk_class, card.risk_class))
    return changes
