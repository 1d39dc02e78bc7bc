"""Purchasing feeds the buyers' queue: overdue receipts, unconfirmed orders, supplier delays.

Overdue receipts and unconfirmed orders are the open purchasing exceptions
(:mod:`crossdock.purchasing.services.exceptions` decides them; the queue refresh runs
its refresh first), so an item closes when the purchasing exception does. Supplier
delays are read from the order lines themselves.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db.models import F

from crossdock.insight.queues.registry import HIGH, MEDIUM, Wanted, source
from crossdock.insight.queues.sources.common import (
    free_stock,
    lane_days,
    link,
    severity_of,
    start_of,
    suggested_transfer,
    text,
    transfer_offer,
)
from crossdock.insight.queues.thresholds import threshold

QUEUE = "purchasing"
READS = "purchasing.view_purchaseorder"
OPEN_ORDER_STATES = ("approved", "sent", "confirmed", "partial")


def _exceptions(kinds: list[str], company_ids: frozenset[int]) -> list[Any]:
    from crossdock.purchasing.models import PurchaseException

    return list(
        PurchaseException.objects.filter(
            closed_at__isnull=True, kind__in=kinds, company_id__in=company_ids
        )
        .order_by("pk")
        .values(
            "pk",
            "kind",
            "company_id",
            "order_id",
            "order__reference",
            "order__supplier__code",
            "order__supplier__name",
            "order__supplier__email",
            "order__warehouse_id",
            "order__warehouse__name",
            "order__buyer_id",
            "order__sent_at",
            "order__approved_at",
            "line_id",
            "line__product_id",
            "line__product__sku",
            "line__quantity",
            "line__received_quantity",
            "line__expected_date",
            "line__confirmed_date",
            "days",
            "severity",
            "missing_quantity",
            "message",
        )
    )


def _exception_item(
    row: dict[str, Any], key: str, order_url: Callable[[Any], str], **fields: Any
) -> Wanted:
    """An item from a purchasing exception: its order, warehouse, buyer, severity, message."""
    return Wanted(
        key=key,
        company_id=row["company_id"],
        warehouse_id=row["order__warehouse_id"],
        owner_id=row["order__buyer_id"],
        severity=row["severity"],
        title=row["message"],
        document_label=row["order__reference"],
        document_url=order_url(row["order_id"]),
        **fields,
    )


@source(
    "overdue_receipt",
    queue=QUEUE,
    label="Overdue receipts",
    owner_role="buyer",
    reads=READS,
)
def overdue_receipts(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """An order line due before today with all or part of it not received (a late or short
    purchasing exception). Closes when the goods arrive or the order is cancelled or closed.
    Suggests a transfer from the company's warehouse with the most free stock."""
    rows = _exceptions(["late", "short"], company_ids)
    stock = free_stock((r["company_id"], r["line__product_id"]) for r in rows)
    lanes = lane_days()
    order_url = link("purchasing:order_detail")
    for row in rows:
        missing = row["missing_quantity"]
        due = row["line__confirmed_date"] or row["line__expected_date"]
        offer = transfer_offer(
            stock,
            lanes,
            today,
            company_id=row["company_id"],
            product_id=row["line__product_id"],
            destination_id=row["order__warehouse_id"],
            missing=missing,
        )
        sku = row["line__product__sku"]
        yield _exception_item(
            row,
            f"po-line:{row['line_id']}",
            order_url,
            since=start_of(due),
            context={
                "supplier": f"{row['order__supplier__code']} {row['order__supplier__name']}",
                "product": sku,
                "ordered": text(row["line__quantity"]),
                "received": text(row["line__received_quantity"]),
                "missing": text(missing),
                "due": due.isoformat(),
                "days_late": row["days"],
                "short": row["kind"] == "short",
                "warehouse": row["order__warehouse__name"],
            },
            **suggested_transfer(offer, sku, row["order__warehouse__name"]),
        )


@source(
    "unconfirmed_po",
    queue=QUEUE,
    label="Unconfirmed purchase orders",
    owner_role="buyer",
    reads=READS,
)
def unconfirmed_orders(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """An order sent (or approved) longer ago than the company's confirmation reminder days
    that the supplier has not confirmed. Closes when it is confirmed or cancelled; suggests
    re-sending it to the supplier."""
    order_url = link("purchasing:order_detail")
    for row in _exceptions(["unconfirmed"], company_ids):
        sent = row["order__sent_at"] or row["order__approved_at"]
        supplier = row["order__supplier__name"]
        email = row["order__supplier__email"]
        yield _exception_item(
            row,
            f"po:{row['order_id']}",
            order_url,
            since=sent,
            context={
                "supplier": f"{row['order__supplier__code']} {supplier}",
                "supplier_email": email,
                "days_unconfirmed": row["days"],
                "sent_at": sent.isoformat() if sent else None,
            },
            action="resend_order" if email else "",
            action_label=f"Re-send {row['order__reference']} to {supplier} ({email})"
            if email
            else "",
            action_params={"purchase_exception": row["pk"]} if email else {},
        )


@source(
    "supplier_delay",
    queue=QUEUE,
    label="Supplier delays",
    owner_role="buyer",
    reads=READS,
)
def supplier_delays(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """An open order line the supplier confirmed for later than requested (by at least
    ``supplier_delay_days``) that is not due yet — once due it is an overdue receipt.
    Closes when it is received, re-dated or cancelled. Suggests a transfer that arrives
    before the confirmed date when another warehouse has the stock.

    Also a supplier whose on-time delivery rate (the scorecards' figure) over the last
    ``on_time_window_days`` fell by more than ``on_time_drop_points`` against the period
    before, with at least ``on_time_min_lines`` receipt lines in each. Closes when the rate
    recovers."""
    yield from _delayed_lines(today, company_ids)
    yield from _falling_on_time(today, company_ids)


def _delayed_lines(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    from crossdock.purchasing.models import PurchaseOrderLine

    rows: list[Any] = list(
        PurchaseOrderLine.objects.filter(
            order__company_id__in=company_ids,
            order__state__in=OPEN_ORDER_STATES,
            received_quantity__lt=F("quantity"),
            confirmed_date__gte=today,
            confirmed_date__gt=F("expected_date"),
        )
        .order_by("pk")
        .values(
            "pk",
            "order_id",
            "order__company_id",
            "order__reference",
            "order__supplier__code",
            "order__supplier__name",
            "order__warehouse_id",
            "order__warehouse__name",
            "order__buyer_id",
            "order__confirmed_at",
            "product_id",
            "product__sku",
            "quantity",
            "confirmed_quantity",
            "received_quantity",
            "expected_date",
            "confirmed_date",
        )
    )
    rows = [
        r
        for r in rows
        if (r["confirmed_date"] - r["expected_date"]).days
        >= threshold("supplier_delay_days", r["order__company_id"])
    ]
    stock = free_stock((r["order__company_id"], r["product_id"]) for r in rows)
    lanes = lane_days()
    order_url = link("purchasing:order_detail")
    for row in rows:
        delay = (row["confirmed_date"] - row["expected_date"]).days
        promised = row["confirmed_quantity"]
        missing = (promised if promised is not None else row["quantity"]) - row["received_quantity"]
        offer = transfer_offer(
            stock,
            lanes,
            today,
            company_id=row["order__company_id"],
            product_id=row["product_id"],
            destination_id=row["order__warehouse_id"],
            missing=missing,
        )
        if offer is not None and offer.arrives_on >= row["confirmed_date"]:
            offer = None  # the supplier is as quick
        sku = row["product__sku"]
        yield Wanted(
            key=f"po-line:{row['pk']}",
            company_id=row["order__company_id"],
            warehouse_id=row["order__warehouse_id"],
            owner_id=row["order__buyer_id"],
            severity=severity_of(delay, row["order__company_id"]),
            since=row["order__confirmed_at"] or start_of(row["expected_date"]),
            title=(
                f"{row['order__reference']}: {row['order__supplier__name']} confirmed "
                f"{text(missing)} of {sku} for {row['confirmed_date']}, {delay} days after "
                f"the requested {row['expected_date']}."
            ),
            document_label=row["order__reference"],
            document_url=order_url(row["order_id"]),
            context={
                "supplier": f"{row['order__supplier__code']} {row['order__supplier__name']}",
                "product": sku,
                "missing": text(missing),
                "requested": row["expected_date"].isoformat(),
                "confirmed": row["confirmed_date"].isoformat(),
                "delay_days": delay,
                "warehouse": row["order__warehouse__name"],
            },
            **suggested_transfer(offer, sku, row["order__warehouse__name"]),
        )


def _percent(good: int, total: int) -> Decimal:
    return (Decimal(100) * good / total).quantize(Decimal("0.1"))


def _windows(today: datetime.date, days: int) -> tuple[datetime.date, ...]:
    """The start of the last ``days`` days to today, and the period of as many days before."""
    start = today - datetime.timedelta(days=days - 1)
    return start, start - datetime.timedelta(days=days), start - datetime.timedelta(days=1)


def _falling_on_time(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    from crossdock.masterdata.models import Partner
    from crossdock.purchasing.scorecards import receipt_timeliness

    windows = {
        company: _windows(today, threshold("on_time_window_days", company))
        for company in sorted(company_ids)
        if threshold("on_time_window_days", company) > 0
    }
    if not windows:
        return
    # (company, supplier) → [on time, lines] in the window and in the period before
    counts: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    earliest = min(before_start for _, before_start, _ in windows.values())
    for receipt in receipt_timeliness(windows, earliest, today):
        start, before_start, _ = windows[receipt.company_id]
        slot = 0 if receipt.day >= start else 2 if receipt.day >= before_start else None
        if slot is not None:
            found = counts[(receipt.company_id, receipt.supplier_id)]
            found[slot] += receipt.on_time
            found[slot + 1] += 1
    falls: list[tuple[int, int, tuple[int, int], tuple[int, int]]] = []
    for (company, supplier), (good, total, good_before, total_before) in sorted(counts.items()):
        drop = threshold("on_time_drop_points", company)
        minimum = max(threshold("on_time_min_lines", company), 1)
        if min(total, total_before) < minimum:
            continue
        # more than ``drop`` points, compared exactly: 100·(b/B − a/A) > drop
        if 100 * (good_before * total - good * total_before) > drop * total * total_before:
            falls.append((company, supplier, (good, total), (good_before, total_before)))
    names = dict(Partner.objects.filter(pk__in={f[1] for f in falls}).values_list("pk", "name"))
    card_url = link("purchasing:scorecard_detail")
    for company, supplier, (good, total), (good_before, total_before) in falls:
        days = threshold("on_time_window_days", company)
        drop = threshold("on_time_drop_points", company)
        start, before_start, before_end = windows[company]
        rate, rate_before = _percent(good, total), _percent(good_before, total_before)
        fell = rate_before - rate
        yield Wanted(
            key=f"on-time:{supplier}",
            company_id=company,
            severity=HIGH if fell > 2 * drop else MEDIUM,
            since=start_of(start),
            title=(
                f"{names.get(supplier, supplier)} delivered {text(rate)} % on time over the "
                f"last {days} days, down {text(fell)} points from {text(rate_before)} %."
            ),
            document_label=f"Scorecard of {names.get(supplier, supplier)}"[:120],
            document_url=card_url(supplier),
            context={
                "supplier": names.get(supplier),
                "on_time_rate": text(rate),
                "on_time_lines": good,
                "receipt_lines": total,
                "previous_on_time_rate": text(rate_before),
                "previous_on_time_lines": good_before,
                "previous_receipt_lines": total_before,
                "period": f"{start.isoformat()}..{today.isoformat()}",
                "previous_period": f"{before_start.isoformat()}..{before_end.isoformat()}",
                "drop_points": text(fell),
            },
        )
