"""Planning feeds the planners' queue: stockout risk, excess stock and dead stock.

The items are the open planning exceptions of those kinds: the replenishment run raises
them and closes them when a later run finds the cause gone, so a queue item closes with
its planning exception.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.urls import reverse

from crossdock.insight.queues.registry import Wanted, source
from crossdock.insight.queues.sources.common import (
    free_stock,
    lane_days,
    suggested_transfer,
    text,
    transfer_offer,
)

QUEUE = "planning"
READS = "planning.view_planningexception"


def _exceptions(kind: str, company_ids: frozenset[int]) -> list[Any]:
    from crossdock.planning.models import PlanningException

    return list(
        PlanningException.objects.filter(
            closed_at__isnull=True, kind=kind, company_id__in=company_ids
        )
        .order_by("pk")
        .values(
            "pk",
            "company_id",
            "product_id",
            "product__sku",
            "product__name",
            "warehouse_id",
            "warehouse__name",
            "severity",
            "message",
            "suggested_action",
            "opened_at",
        )
    )


def _levels(rows: list[dict]) -> dict[tuple[int, int], tuple[Decimal, Decimal, int | None]]:
    """(product, warehouse) → (reorder point, order-up-to level, lead time) of the plan."""
    from crossdock.planning.models import PlanningItem

    if not rows:
        return {}
    found = PlanningItem.objects.filter(
        product_id__in={r["product_id"] for r in rows},
        warehouse_id__in={r["warehouse_id"] for r in rows if r["warehouse_id"]},
    ).values_list("product_id", "warehouse_id", "reorder_point", "order_up_to", "lead_time_days")
    return {(p, w): (rop, up_to, lead) for p, w, rop, up_to, lead in found}


def _item_url(product_id: int, warehouse_id: int | None) -> str:
    if warehouse_id is None:
        return reverse("planning:exceptions")
    return reverse("planning:item", args=[product_id, warehouse_id])


def _wanted(row: dict, context: dict, **extra: object) -> Wanted:
    place = row["warehouse__name"] or "all warehouses"
    return Wanted(
        key=f"{row['product_id']}@{row['warehouse_id'] or '-'}",
        company_id=row["company_id"],
        warehouse_id=row["warehouse_id"],
        severity=row["severity"],
        since=row["opened_at"],
        title=f"{row['product__sku']} at {place}: {row['message']}"[:300],
        document_label=f"{row['product__sku']} at {place}"[:120],
        document_url=_item_url(row["product_id"], row["warehouse_id"]),
        context={
            "product": row["product__sku"],
            "product_name": row["product__name"],
            "warehouse": row["warehouse__name"],
            "planner_advice": row["suggested_action"],
            **context,
        },
        **extra,  # type: ignore[arg-type]
    )


@source(
    "stockout_risk",
    queue=QUEUE,
    label="Stockout risk",
    owner_role="planner",
    reads=READS,
)
def stockout_risk(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """Projected stock below the demand expected over the lead time (the replenishment run's
    stockout-risk exception). Closes when a run finds enough stock or supply. Suggests a
    transfer up to the order-up-to level from the warehouse with the most free stock."""
    rows = _exceptions("stockout_risk", company_ids)
    levels = _levels(rows)
    stock = free_stock((r["company_id"], r["product_id"]) for r in rows)
    lanes = lane_days()
    for row in rows:
        reorder_point, up_to, lead = levels.get(
            (row["product_id"], row["warehouse_id"]), (Decimal(0), Decimal(0), None)
        )
        here = next(
            (
                s.free
                for s in stock.get((row["company_id"], row["product_id"]), [])
                if s.warehouse_id == row["warehouse_id"]
            ),
            Decimal(0),
        )
        missing = max(up_to, reorder_point) - here
        offer = transfer_offer(
            stock,
            lanes,
            today,
            company_id=row["company_id"],
            product_id=row["product_id"],
            destination_id=row["warehouse_id"],
            missing=missing,
        )
        context = {
            "free_here": text(here),
            "reorder_point": text(reorder_point),
            "order_up_to": text(up_to),
            "lead_time_days": lead,
        }
        yield _wanted(
            row, context, **suggested_transfer(offer, row["product__sku"], row["warehouse__name"])
        )


@source(
    "excess_stock",
    queue=QUEUE,
    label="Excess stock",
    owner_role="planner",
    reads=READS,
)
def excess_stock(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """Projected stock above the company's excess cover (months of demand) and the
    order-up-to level (the run's excess exception). Closes when a run finds it gone."""
    for row in _exceptions("excess", company_ids):
        yield _wanted(row, {})


@source(
    "dead_stock",
    queue=QUEUE,
    label="Dead stock",
    owner_role="planner",
    reads=READS,
)
def dead_stock(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """Stock on hand with no demand for the company's dead-stock days (the run's dead-stock
    exception). Closes when a run sees demand again or no stock left."""
    for row in _exceptions("dead_stock", company_ids):
        yield _wanted(row, {})
