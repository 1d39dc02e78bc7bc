"""The warehouse feeds its queue: shipments blocked for want of stock, count variances."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Abs

from crossdock.insight.queues.registry import MEDIUM, Wanted, source
from crossdock.insight.queues.sources.common import (
    ZERO,
    TransferOffer,
    document_item,
    free_stock,
    lane_days,
    link,
    severity_of,
    start_of,
    suggested_transfer,
    text,
    transfer_offer,
)
from crossdock.insight.queues.thresholds import loosest, threshold

QUEUE = "warehouse"
SHIPPING_KINDS = ("delivery", "transit_out")
WAITING = ("confirmed", "partial")


@source(
    "blocked_shipment",
    queue=QUEUE,
    label="Blocked shipments",
    owner_role="warehouse-manager",
    reads="inventory.view_transfer",
)
def blocked_shipments(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """A delivery or inter-warehouse dispatch due ``blocked_shipment_days`` days ago or
    earlier that still waits for stock (not fully reserved), so it cannot be picked and
    shipped. Closes when its stock is reserved, it ships or it is cancelled. Suggests a
    transfer of the first missing product from the company's warehouse with the most free
    stock of it, arriving after the lane's lead time."""
    from crossdock.inventory.models import Transfer

    def cutoff(days: int) -> datetime.datetime:
        return start_of(today - datetime.timedelta(days=days - 1))

    rows: list[Any] = list(
        Transfer.objects.filter(
            company_id__in=company_ids,
            kind__in=SHIPPING_KINDS,
            state__in=WAITING,
            scheduled_at__lt=cutoff(loosest("blocked_shipment_days", company_ids)),
        )
        .order_by("pk")
        .values(
            "pk",
            "company_id",
            "warehouse_id",
            "warehouse__name",
            "reference",
            "kind",
            "state",
            "origin",
            "partner__name",
            "scheduled_at",
            "promised_on",
        )
    )
    rows = [
        r
        for r in rows
        if r["scheduled_at"] < cutoff(threshold("blocked_shipment_days", r["company_id"]))
    ]
    waiting = _waiting_moves([r["pk"] for r in rows])
    stock = free_stock(
        (row["company_id"], move["product_id"])
        for row in rows
        for move in waiting.get(row["pk"], [])
    )
    lanes = lane_days()
    transfer_url = link("inventory:transfer_detail")
    for row in rows:
        due = row["promised_on"] or row["scheduled_at"].date()
        late = max((today - due).days, 0)
        moves = waiting.get(row["pk"], [])
        skus = [move["product__sku"] for move in moves]
        offer, sku = _first_offer(row, moves, stock, lanes, today)
        who = row["partner__name"] or row["origin"] or row["warehouse__name"]
        yield document_item(
            row,
            "transfer",
            transfer_url,
            severity=max(severity_of(late, row["company_id"]), MEDIUM),
            since=row["scheduled_at"],
            title=(
                f"{row['reference']} for {who} cannot ship: {len(skus)} line(s) wait for "
                f"stock ({', '.join(skus[:3])}{'…' if len(skus) > 3 else ''})."
            ),
            context={
                "kind": row["kind"],
                "state": row["state"],
                "origin": row["origin"],
                "partner": row["partner__name"],
                "warehouse": row["warehouse__name"],
                "due": due.isoformat(),
                "days_late": late,
                "waiting_products": skus[:20],
            },
            **suggested_transfer(offer, sku, row["warehouse__name"]),
        )


def _waiting_moves(transfer_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Transfer → its moves still waiting for stock, with the quantity not yet reserved."""
    from crossdock.inventory.models import StockMove

    waiting: dict[int, list[dict[str, Any]]] = defaultdict(list)
    moves: Iterable[Any] = (
        StockMove.objects.filter(transfer_id__in=transfer_ids, state__in=WAITING)
        .order_by("transfer_id", "product__sku", "pk")
        .values("transfer_id", "product_id", "product__sku", "quantity")
        .annotate(reserved=Sum("lines__quantity", filter=Q(lines__done=False)))
    )
    for move in moves:
        move["missing"] = move["quantity"] - (move["reserved"] or ZERO)
        waiting[move["transfer_id"]].append(move)
    return waiting


def _first_offer(
    row: dict[str, Any],
    moves: list[dict[str, Any]],
    stock: Any,
    lanes: dict[tuple[int, int], int],
    today: datetime.date,
) -> tuple[TransferOffer | None, str]:
    """The transfer that covers the first waiting product another warehouse can cover."""
    for move in moves:
        offer = transfer_offer(
            stock,
            lanes,
            today,
            company_id=row["company_id"],
            product_id=move["product_id"],
            destination_id=row["warehouse_id"],
            missing=Decimal(move["missing"]),
        )
        if offer is not None:
            return offer, move["product__sku"]
    return None, ""


@source(
    "cycle_count_variance",
    queue=QUEUE,
    label="Cycle-count variances",
    owner_role="warehouse-manager",
    reads="inventory.view_countsheet",
)
def count_variances(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """A submitted cycle count whose differences wait for their stock adjustment to be
    approved. Closes when the adjustment is done (the sheet is done) or it is cancelled."""
    from crossdock.inventory.models import CountSheet

    rows = (
        CountSheet.objects.filter(company_id__in=company_ids, state="submitted")
        .order_by("pk")
        .annotate(
            differing=Count(
                "lines", filter=~Q(lines__difference=0) & Q(lines__difference__isnull=False)
            ),
            net=Sum("lines__difference"),
            gross=Sum(Abs("lines__difference")),
        )
        .values(
            "pk",
            "company_id",
            "warehouse_id",
            "warehouse__name",
            "reference",
            "submitted_at",
            "adjustment_id",
            "created_by_id",
            "differing",
            "net",
            "gross",
        )
    )
    sheet_url = link("inventory:count_detail")
    for row in rows:
        since = row["submitted_at"]
        days = (today - since.date()).days if since else 0
        yield document_item(
            row,
            "count",
            sheet_url,
            severity=severity_of(days, row["company_id"]),
            since=since,
            title=(
                f"Count {row['reference']} at {row['warehouse__name']}: {row['differing']} "
                f"line(s) differ (net {text(row['net'])}); the adjustment waits for approval."
            ),
            context={
                "warehouse": row["warehouse__name"],
                "lines_differing": row["differing"],
                "net_difference": text(row["net"]),
                "gross_difference": text(row["gross"]),
                "adjustment": row["adjustment_id"],
                "days_waiting": days,
            },
        )
