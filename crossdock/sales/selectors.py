"""Read-only questions about sales orders: availability per line, credit exposure, deliveries.

Design overview
---------------
:func:`order_availability` answers "can we ship this order, from where and
when?" for every line at once: one :func:`crossdock.inventory.selectors.availability`
pass over the order's products in every active warehouse of the company, then
per line the available-to-promise in each warehouse, the first day the line's
open quantity can be promised there, and the line's margin. The quantity an
order has already reserved is part of ``reserved`` in its warehouse, so the
figures are what is free for *other* orders.

:func:`exposure_breakdown` is :func:`crossdock.sales.services.credit.exposure_of`
(open receivables + open orders against the limit, and days overdue) with the
customer's orders held for credit, oldest first.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from crossdock.inventory.selectors import availability
from crossdock.masterdata.models import Partner, Warehouse
from crossdock.sales.models import SalesOrder, SalesOrderLine, SalesOrderState
from crossdock.sales.services.credit import Exposure, exposure_of

ZERO = Decimal(0)


@dataclass(frozen=True)
class WarehouseAvailability:
    warehouse_id: int
    warehouse_code: str
    on_hand: Decimal
    reserved: Decimal
    available_now: Decimal
    earliest_date: datetime.date | None  # first day the line's open quantity can be promised


@dataclass(frozen=True)
class LineAvailability:
    line: SalesOrderLine
    margin_percent: Decimal | None
    warehouses: list[WarehouseAvailability]


def order_availability(order: SalesOrder) -> list[LineAvailability]:
    """Per line of the order: ATP in each active warehouse of its company, and its margin."""
    lines = list(
        SalesOrderLine.objects.filter(order=order)
        .select_related("product", "warehouse")
        .order_by("sequence", "pk")
    )
    for line in lines:
        line.order = order  # margin_percent reads the order's rate
    warehouses = list(
        Warehouse.objects.filter(company_id=order.company_id, active=True).order_by(
            "-is_central", "code", "pk"
        )
    )
    atp = (
        availability({ln.product_id for ln in lines}, warehouse_ids=[w.pk for w in warehouses])
        if lines
        else {}
    )
    result = []
    for line in lines:
        wanted = line.open_quantity or line.quantity
        rows = []
        for warehouse in warehouses:
            found = atp.get((line.product_id, warehouse.code))
            if found is None:
                rows.append(
                    WarehouseAvailability(warehouse.pk, warehouse.code, ZERO, ZERO, ZERO, None)
                )
                continue
            rows.append(
                WarehouseAvailability(
                    warehouse.pk,
                    warehouse.code,
                    found.on_hand,
                    found.reserved,
                    found.available_now,
                    found.earliest_date(wanted),
                )
            )
        result.append(LineAvailability(line, line.margin_percent, rows))
    return result


@dataclass(frozen=True)
class ExposureBreakdown:
    customer: Partner
    exposure: Exposure
    held_orders: list[SalesOrder]

    @property
    def available_credit(self) -> Decimal:
        return self.exposure.limit - self.exposure.total


def exposure_breakdown(customer: Partner, on: datetime.date | None = None) -> ExposureBreakdown:
    """The customer's credit exposure (company currency) and its orders held for credit."""
    held = list(
        SalesOrder.objects.filter(customer=customer, state=SalesOrderState.CREDIT_HOLD)
        .select_related("currency")
        .order_by("pk")
    )
    return ExposureBreakdown(customer, exposure_of(customer, on), held)


def deliveries_of(order: SalesOrder) -> list[tuple[int, str, str, str]]:
    """The order's delivery transfers (id, reference, kind, state), oldest first — of the
    order's company only (an intercompany order's arrival belongs to the buyer)."""
    from crossdock.inventory.models import Transfer

    return list(
        Transfer.objects.filter(origin=order.reference, company_id=order.company_id)
        .order_by("pk")
        .values_list("pk", "reference", "kind", "state")
    )
