"""Stock positions of a company's whole network, in four aggregate queries.

Design overview
---------------
The replenishment run needs, for every product at every warehouse of a company, what is
there and what is coming or owed:

- **on hand** and **reserved**: quants in the warehouse's sellable locations (reserve and
  picking; quality hold and damaged stock are not available);
- **open supply**: what approved, sent, confirmed or partly received purchase orders for the
  warehouse still await (ordered less received; not the mirrored purchase order of an
  intercompany sale once the seller has dispatched, whose goods are the dispatch), plus
  goods dispatched to it by another warehouse and not yet arrived (open dispatch and
  arrival moves whose destination, or final destination, is the warehouse);
- **backordered**: what confirmed or partly shipped sales orders owe from the warehouse
  past their promise date (ordered less shipped less cancelled).

``available = on hand − reserved`` and ``projected = available + open supply −
backordered``. Each figure is one ``GROUP BY product, warehouse`` query; nothing is read
row by row, so the cost does not grow with the number of documents behind a position.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce

from crossdock.core.fields import QuantityField
from crossdock.inventory.models import MoveState, Quant, StockMove, Transfer, TransferKind
from crossdock.masterdata.models import Warehouse
from crossdock.masterdata.models.organisation import SELLABLE_KINDS

ZERO = Decimal(0)
Key = tuple[int, int]  # (product_id, warehouse_id)


@dataclass
class StockPosition:
    """One product at one warehouse (quantities in the product's base unit)."""

    product_id: int
    warehouse_id: int
    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    open_supply: Decimal = ZERO
    backordered: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    @property
    def projected(self) -> Decimal:
        return self.available + self.open_supply - self.backordered


def _add(
    found: dict[Key, StockPosition], product_id: int, warehouse_id: int, field: str, value: Decimal
) -> None:
    key = (product_id, warehouse_id)
    position = found.get(key)
    if position is None:
        position = found[key] = StockPosition(product_id, warehouse_id)
    setattr(position, field, getattr(position, field) + (value or ZERO))


def stock_positions(
    company_id: int,
    *,
    as_of: datetime.date,
    warehouse_ids: list[int] | None = None,
    product_ids: list[int] | None = None,
) -> dict[Key, StockPosition]:
    """The positions of every product with stock, supply or backorders at the company's
    warehouses (or the ones given), keyed by ``(product_id, warehouse_id)``."""
    from crossdock.purchasing.models import PurchaseOrderLine
    from crossdock.purchasing.models.orders import RECEIVABLE_STATES
    from crossdock.sales.models import SalesOrderLine, SalesOrderState

    warehouses = list(
        Warehouse.objects.filter(company_id=company_id).values_list("pk", flat=True)
        if warehouse_ids is None
        else Warehouse.objects.filter(company_id=company_id, pk__in=warehouse_ids).values_list(
            "pk", flat=True
        )
    )
    products = Q() if product_ids is None else Q(product_id__in=product_ids)
    found: dict[Key, StockPosition] = {}

    stock = (
        Quant.objects.filter(products)
        .filter(
            location__warehouse_id__in=warehouses,
            location__kind__in=[k.value for k in SELLABLE_KINDS],
        )
        .values_list("product_id", "location__warehouse_id")
        .annotate(on_hand=Sum("quantity"), reserved=Sum("reserved"))
    )
    for product_id, warehouse_id, on_hand, reserved in stock:
        _add(found, product_id, warehouse_id, "on_hand", on_hand)
        _add(found, product_id, warehouse_id, "reserved", reserved)

    # An intercompany order's goods come as the seller's dispatch, counted below while in
    # transit: its mirrored purchase lines are not counted a second time.
    dispatched = Transfer.objects.filter(
        origin=OuterRef("order__intercompany_origin"),
        kind__in=[TransferKind.TRANSIT_OUT, TransferKind.TRANSIT_IN],
    )
    ordered = (
        PurchaseOrderLine.objects.filter(products)
        .filter(
            order__warehouse_id__in=warehouses,
            order__state__in=list(RECEIVABLE_STATES),
            received_quantity__lt=F("quantity"),
        )
        .exclude(~Q(order__intercompany_origin="") & Exists(dispatched))
        .values_list("product_id", "order__warehouse_id")
        .annotate(open=Sum(F("quantity") - F("received_quantity"), output_field=QuantityField()))
    )
    for product_id, warehouse_id, quantity in ordered:
        _add(found, product_id, warehouse_id, "open_supply", quantity)

    inbound = (
        StockMove.objects.filter(products)
        .filter(
            transfer__kind__in=[TransferKind.TRANSIT_OUT, TransferKind.TRANSIT_IN],
            state__in=[MoveState.CONFIRMED, MoveState.PARTIAL, MoveState.ASSIGNED],
        )
        .annotate(
            bound_for=Coalesce(
                "transfer__final_destination__warehouse_id", "destination__warehouse_id"
            )
        )
        .filter(bound_for__in=warehouses)
        .values_list("product_id", "bound_for")
        .annotate(total=Sum("quantity"))
    )
    for product_id, warehouse_id, quantity in inbound:
        _add(found, product_id, warehouse_id, "open_supply", quantity)

    owed = (
        SalesOrderLine.objects.filter(products)
        .filter(
            warehouse_id__in=warehouses,
            order__state__in=[SalesOrderState.CONFIRMED, SalesOrderState.PARTIAL],
            promise_date__lt=as_of,
        )
        .annotate(
            left=ExpressionWrapper(
                F("quantity") - F("shipped_quantity") - F("cancelled_quantity"),
                output_field=QuantityField(),
            )
        )
        .filter(left__gt=0)
        .values_list("product_id", "warehouse_id")
        .annotate(total=Sum("left", output_field=QuantityField()))
    )
    for product_id, warehouse_id, quantity in owed:
        _add(found, product_id, warehouse_id, "backordered", quantity)
    return found
