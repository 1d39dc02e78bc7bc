"""Who gets scarce stock: reservation of orders' deliveries by priority, and reallocation.

Orders' delivery moves carry the customer's priority (its tier) and the
promise date; :func:`crossdock.inventory.services.reservation.reserve_moves`
serves moves by priority, then promise date, then age. Two moments use it:

- **supply arrives** (:func:`allocate_arrivals`, on every done receipt,
  arrival, return or adjustment): the orders waiting in that warehouse for
  the products that came in are reserved, most important first;
- **reallocation** (:func:`reallocate`, on demand for one product in one
  warehouse): reservations of orders not yet picked are released and the
  stock is handed out again in priority order, so a strategic customer's new
  order can take stock reserved for an occasional customer's older one.

:func:`allocation_of` explains the result: each waiting or reserved order
line with its priority, promise date, what it wants and what it holds.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.permissions import require
from crossdock.inventory.models import MoveLine, MoveState, StockMove, Transfer, TransferKind
from crossdock.masterdata.models import Product, Warehouse

ZERO = Decimal(0)
WAITING = (MoveState.CONFIRMED, MoveState.PARTIAL)
HOLDING = (MoveState.CONFIRMED, MoveState.PARTIAL, MoveState.ASSIGNED)
SUPPLY_KINDS = (
    TransferKind.RECEIPT,
    TransferKind.TRANSIT_IN,
    TransferKind.RETURN,
    TransferKind.ADJUSTMENT,
    TransferKind.INTERNAL,
)


def _order_moves(warehouse_id: int, product_ids: Any, states: tuple[str, ...]) -> Any:
    """Open moves of orders' first delivery step out of the warehouse's stock."""
    return StockMove.objects.filter(
        product_id__in=product_ids,
        state__in=states,
        transfer__warehouse_id=warehouse_id,
        transfer__origin__startswith="SO/",
        transfer__previous_step__isnull=True,
    )


def allocate_arrivals(transfer_id: int) -> int:
    """Reserve orders waiting for what a done supply transfer brought in; returns moves served."""
    from crossdock.inventory.services.reservation import reserve_moves

    found = (
        Transfer.objects.filter(pk=transfer_id, kind__in=SUPPLY_KINDS)
        .values_list("warehouse_id", "reference")
        .first()
    )
    if found is None:
        return 0
    warehouse_id, reference = found
    products = set(
        StockMove.objects.filter(transfer_id=transfer_id, state=MoveState.DONE).values_list(
            "product_id", flat=True
        )
    )
    waiting = list(_order_moves(warehouse_id, products, WAITING).values_list("pk", flat=True))
    if not waiting:
        return 0
    result = reserve_moves(Actor.system(f"supply {reference} arrived"), waiting)
    return result.assigned + result.partial


def reallocate(actor: Actor, warehouse_id: Any, product_id: Any) -> int:
    """Hand a product's stock in a warehouse out again to orders by priority; see module doc."""
    from crossdock.inventory.services.reservation import release_lines, reserve_moves

    with transaction.atomic():
        warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
        product = Product.objects.filter(pk=product_id).first()
        if warehouse is None or product is None:
            from crossdock.core.errors import DomainError

            field = "warehouse" if warehouse is None else "product"
            raise DomainError(f"{field}: unknown {field}.", fields={field: ["Unknown."]})
        sample = Transfer(company=warehouse.company, warehouse=warehouse)
        require(actor, sample, "change")
        moves = list(
            _order_moves(warehouse.pk, [product.pk], HOLDING)
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        ids = [m.pk for m in moves]
        release_lines(list(MoveLine.objects.filter(move_id__in=ids, done=False)))
        StockMove.objects.filter(pk__in=ids).update(state=MoveState.CONFIRMED)
        result = reserve_moves(actor, ids)
        audit.record(
            actor,
            audit.Change(
                "sales.reallocate",
                warehouse,
                None,
                {"product": product.sku, "moves": len(ids), "served": result.assigned},
            ),
        )
        return result.assigned + result.partial


@dataclass(frozen=True)
class Allocation:
    order_reference: str
    customer: str
    priority: int
    promised_on: datetime.date | None
    created: datetime.datetime
    wanted: Decimal
    reserved: Decimal

    @property
    def short(self) -> Decimal:
        return self.wanted - self.reserved


def allocation_of(warehouse_id: int, product_id: int) -> list[Allocation]:
    """The orders competing for a product in a warehouse, in the order they are served."""
    moves = list(
        _order_moves(warehouse_id, [product_id], HOLDING)
        .order_by("priority", "promised_on", "pk")
        .values_list(
            "pk",
            "transfer__origin",
            "transfer__partner__name",
            "priority",
            "promised_on",
            "transfer__created_at",
            "quantity",
        )
    )
    reserved = dict(
        MoveLine.objects.filter(move_id__in=[m[0] for m in moves], done=False)
        .values_list("move_id")
        .annotate(total=Sum("quantity"))
    )
    return [
        Allocation(origin, customer or "", priority, promised, created, quantity,
                   reserved.get(pk, ZERO))
        for pk, origin, customer, priority, promised, created, quantity in moves
    ]  # fmt: skip
