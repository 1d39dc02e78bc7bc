"""Valuation layers for done moves: FIFO, average and standard cost, exact to the cent.

Stock enters a company's valuation when it moves from a location that is not
the company's stock (a supplier, a customer returning goods, inventory loss,
another company) into one that is, and leaves it the other way. Moves between
a company's own locations and warehouses (transit included) keep their cost
and create no layer.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from crossdock.core import events
from crossdock.core.fields import MONEY_SCALE, PRICE_SCALE, shifted
from crossdock.inventory.events import StockValued
from crossdock.inventory.models import CostPool, StockMove, ValuationLayer
from crossdock.masterdata.models import CostingMethod, Location, LocationKind, Product

NOT_STOCK = {LocationKind.SUPPLIER, LocationKind.CUSTOMER, LocationKind.INVENTORY_LOSS}
MONEY = Decimal(1).scaleb(-MONEY_SCALE)
PRICE = Decimal(1).scaleb(-PRICE_SCALE)


def money(value: Decimal) -> Decimal:
    return value.quantize(MONEY, rounding=ROUND_HALF_EVEN)


def is_valued(location: Location, company_id: int) -> bool:
    return location.company_id == company_id and location.kind not in NOT_STOCK


@dataclass(frozen=True)
class Flow:
    move: StockMove
    quantity: Decimal
    incoming: bool


def flows_of(
    moves: Iterable[tuple[StockMove, Decimal]], locations: dict[int, Location]
) -> list[Flow]:
    result = []
    for move, quantity in moves:
        source = is_valued(locations[move.source_id], move.company_id)
        destination = is_valued(locations[move.destination_id], move.company_id)
        if source != destination:
            result.append(Flow(move, quantity, incoming=destination))
    return result


def record_layers(flows: list[Flow], when: datetime.datetime) -> list[ValuationLayer]:
    """Create the layers for ``flows`` (already under the transaction's locks)."""
    if not flows:
        return []
    products = Product.objects.in_bulk({f.move.product_id for f in flows})
    layers = []
    for flow in sorted(flows, key=lambda f: (not f.incoming, f.move.pk)):
        product = products[flow.move.product_id]
        method = product.costing_method
        if flow.incoming:
            layers.append(_incoming(flow, product, method, when))
        else:
            layers.append(_outgoing(flow, product, method, when))
    events.publish(
        StockValued(tuple(layer.pk for layer in layers), company_id=flows[0].move.company_id)
    )
    return layers


def _incoming(flow: Flow, product: Product, method: str, when: datetime.datetime) -> ValuationLayer:
    if method == CostingMethod.STANDARD or flow.move.unit_cost is None:
        unit_cost = product.standard_cost
    else:
        unit_cost = flow.move.unit_cost
    value = money(flow.quantity * unit_cost)
    if method == CostingMethod.AVERAGE:
        pool = _pool(flow.move.company_id, product.pk)
        CostPool.objects.filter(pk=pool.pk).update(
            quantity=shifted(CostPool, "quantity", flow.quantity),
            value=shifted(CostPool, "value", value),
        )
    return ValuationLayer.objects.create(
        company_id=flow.move.company_id,
        product=product,
        move=flow.move,
        recorded_at=when,
        quantity=flow.quantity,
        unit_cost=unit_cost.quantize(PRICE),
        value=value,
        remaining_quantity=flow.quantity if method == CostingMethod.FIFO else 0,
        remaining_value=value if method == CostingMethod.FIFO else 0,
        description=flow.move.origin,
    )


def _pool(company_id: int, product_id: int) -> CostPool:
    CostPool.objects.bulk_create(
        [CostPool(company_id=company_id, product_id=product_id)], ignore_conflicts=True
    )
    return CostPool.objects.select_for_update().get(company_id=company_id, product_id=product_id)


def _outgoing(flow: Flow, product: Product, method: str, when: datetime.datetime) -> ValuationLayer:
    quantity = flow.quantity
    if method == CostingMethod.STANDARD:
        value = money(quantity * product.standard_cost)
    elif method == CostingMethod.AVERAGE:
        pool = _pool(flow.move.company_id, product.pk)
        if pool.quantity <= 0:
            value = money(quantity * product.standard_cost)
        elif quantity >= pool.quantity:
            value = (
                pool.value
                if quantity == pool.quantity
                else money(pool.value + (quantity - pool.quantity) * pool.value / pool.quantity)
            )
        else:
            value = money(pool.value * quantity / pool.quantity)
        CostPool.objects.filter(pk=pool.pk).update(
            quantity=shifted(CostPool, "quantity", -quantity),
            value=shifted(CostPool, "value", -value),
        )
    else:
        value = _consume_fifo(flow.move.company_id, product, quantity)
    unit_cost = (value / quantity).quantize(PRICE) if quantity else Decimal(0)
    return ValuationLayer.objects.create(
        company_id=flow.move.company_id,
        product=product,
        move=flow.move,
        recorded_at=when,
        quantity=-quantity,
        unit_cost=unit_cost,
        value=-value,
        description=flow.move.origin,
    )


def _consume_fifo(company_id: int, product: Product, quantity: Decimal) -> Decimal:
    """Take ``quantity`` from the oldest layers with stock left; return the value taken."""
    left = quantity
    value = Decimal(0)
    open_layers = (
        ValuationLayer.objects.select_for_update()
        .filter(company_id=company_id, product=product, remaining_quantity__gt=0)
        .order_by("recorded_at", "pk")
    )
    changed = []
    for layer in open_layers:
        if left <= 0:
            break
        take = min(left, layer.remaining_quantity)
        if take == layer.remaining_quantity:
            taken_value = layer.remaining_value
        else:
            taken_value = money(layer.remaining_value * take / layer.remaining_quantity)
        layer.remaining_quantity -= take
        layer.remaining_value -= taken_value
        value += taken_value
        left -= take
        changed.append(layer)
    ValuationLayer.objects.bulk_update(changed, ["remaining_quantity", "remaining_value"])
    if left > 0:  # more out than was valued in (negative stock allowed): at standard cost
        value += money(left * product.standard_cost)
    return value
