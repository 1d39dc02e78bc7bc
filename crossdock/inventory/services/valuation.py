"""Valuation layers for done moves: FIFO, average and standard cost, exact to the cent.

Stock enters a company's valuation when it moves from a location that is not
the company's stock (a supplier, a customer returning goods, inventory loss,
another company) into one that is, and leaves it the other way. Moves between
a company's own locations and warehouses (transit included) keep their cost
and create no layer. A move between two companies of the group (an
inter-company dispatch) leaves the sender's valuation at its cost and enters
the receiver's at the move's ``unit_cost`` (the transfer price).

A return (a move with ``returned_move``) is valued in reverse at the original
cost: a returned delivery comes back in at the cost it left with (the return
move carries it as ``unit_cost``); a receipt sent back to the supplier leaves
first from the layer that receipt created (FIFO), or at the receipt's cost
under average costing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from crossdock.core import events
from crossdock.core.bulk import insert_values, update_rows, update_values
from crossdock.core.fields import MONEY_SCALE, PRICE_SCALE
from crossdock.inventory.events import StockValued
from crossdock.inventory.models import CostPool, StockMove, ValuationLayer
from crossdock.masterdata.models import CostingMethod, Location, LocationKind, Product

NOT_STOCK = {
    LocationKind.SUPPLIER,
    LocationKind.CUSTOMER,
    LocationKind.INVENTORY_LOSS,
    LocationKind.SCRAP,
}
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
    company_id: int  # whose valuation the stock enters or leaves


def flows_of(
    moves: Iterable[tuple[StockMove, Decimal]], locations: dict[int, Location]
) -> list[Flow]:
    """The valuation flows of done moves: one per company whose stock the move enters or leaves.

    Locations of one company give at most one flow; a move between two
    companies gives two (out of the sender's stock, into the receiver's).
    """
    result = []
    for move, quantity in moves:
        source, destination = locations[move.source_id], locations[move.destination_id]
        for company_id in sorted({source.company_id, destination.company_id}):
            from_stock = is_valued(source, company_id)
            into_stock = is_valued(destination, company_id)
            if from_stock != into_stock:
                result.append(Flow(move, quantity, incoming=into_stock, company_id=company_id))
    return result


_LAYER_FIELDS = (
    "company", "product", "move", "recorded_at", "quantity", "unit_cost", "value",
    "remaining_quantity", "remaining_value", "description",
)  # fmt: skip


_LAYER_COLUMNS = tuple(
    f"{name}_id" if name in ("company", "product", "move") else name for name in _LAYER_FIELDS
)


@dataclass(slots=True)
class _Layer:
    pk: int | None
    company_id: int
    product_id: int
    move_id: int | None
    recorded_at: datetime.datetime
    quantity: Decimal
    unit_cost: Decimal
    value: Decimal
    remaining_quantity: Decimal
    remaining_value: Decimal
    description: str

    def values(self) -> tuple[object, ...]:
        return (
            self.company_id, self.product_id, self.move_id, self.recorded_at, self.quantity,
            self.unit_cost, self.value, self.remaining_quantity, self.remaining_value,
            self.description,
        )  # fmt: skip


def record_layers(
    flows: list[Flow], when: datetime.datetime, products: dict[int, Product] | None = None
) -> int:
    """Record the layers for ``flows`` (under the transaction's locks), set-based; return count.

    FIFO layers and average-cost pools of every product involved are read and
    locked once, consumed in memory in move order, and written back in batches.
    """
    if not flows:
        return 0
    if products is None:
        products = Product.objects.in_bulk({f.move.product_id for f in flows})
    book = _Book(flows, products)
    layers = [
        book.incoming(flow, when) if flow.incoming else book.outgoing(flow, when)
        for flow in sorted(flows, key=lambda f: (not f.incoming, f.move.pk, f.company_id))
    ]
    insert_values(ValuationLayer, _LAYER_FIELDS, [layer.values() for layer in layers])
    book.save()
    for company_id in sorted({f.company_id for f in flows}):
        moves = tuple(sorted({f.move.pk for f in flows if f.company_id == company_id}))
        events.publish(StockValued(moves, company_id=company_id))
    return len(layers)


def _lock_open_layers(companies: set[int], products: list[int]) -> list[_Layer]:
    """FIFO layers with stock left, found through the partial index, locked in key order."""
    pks: list[int] = []
    for company in sorted(companies):
        for start in range(0, len(products), 500):
            pks.extend(
                ValuationLayer.objects.filter(
                    company_id=company,
                    product_id__in=products[start : start + 500],
                    remaining_quantity__gt=0,
                )
                .order_by()
                .values_list("pk", flat=True)
            )
    pks.sort()
    layers: list[_Layer] = []
    for start in range(0, len(pks), 500):
        layers.extend(
            _Layer(*row)
            for row in ValuationLayer.objects.select_for_update()
            .filter(pk__in=pks[start : start + 500])
            .order_by("pk")
            .values_list("pk", *_LAYER_COLUMNS)
        )
    return layers


class _Book:
    """The open FIFO layers and average-cost pools of the products being valued."""

    def __init__(self, flows: list[Flow], products: dict[int, Product]) -> None:
        self.products = products
        keys = {(f.company_id, f.move.product_id) for f in flows}
        companies = {c for c, _ in keys}
        ids = {p for _, p in keys}
        fifo = sorted(p for p in ids if products[p].costing_method == CostingMethod.FIFO)
        average = {p for p in ids if products[p].costing_method == CostingMethod.AVERAGE}
        self.open_layers: dict[tuple[int, int], list[_Layer]] = {}
        for layer in sorted(
            _lock_open_layers(companies, fifo), key=lambda x: (x.recorded_at, x.pk)
        ):
            self.open_layers.setdefault((layer.company_id, layer.product_id), []).append(layer)
        self.changed_layers: dict[int, _Layer] = {}
        CostPool.objects.bulk_create(
            [CostPool(company_id=c, product_id=p) for c, p in keys if p in average],
            ignore_conflicts=True,
        )
        self.pools = {
            (pool.company_id, pool.product_id): pool
            for pool in CostPool.objects.select_for_update()
            .filter(company_id__in=companies, product_id__in=average)
            .order_by("pk")
        }

    def incoming(self, flow: Flow, when: datetime.datetime) -> _Layer:
        product = self.products[flow.move.product_id]
        method = product.costing_method
        if method == CostingMethod.STANDARD or flow.move.unit_cost is None:
            unit_cost = product.standard_cost
        else:
            unit_cost = flow.move.unit_cost
        value = money(flow.quantity * unit_cost)
        key = (flow.company_id, product.pk)
        if method == CostingMethod.AVERAGE:
            pool = self.pools[key]
            pool.quantity += flow.quantity
            pool.value += value
        fifo = method == CostingMethod.FIFO
        layer = _Layer(
            None,
            flow.company_id,
            product.pk,
            flow.move.pk,
            when,
            flow.quantity,
            unit_cost.quantize(PRICE),
            value,
            flow.quantity if fifo else Decimal(0),
            value if fifo else Decimal(0),
            flow.move.origin,
        )
        if fifo:
            self.open_layers.setdefault(key, []).append(layer)
        return layer

    def outgoing(self, flow: Flow, when: datetime.datetime) -> _Layer:
        product = self.products[flow.move.product_id]
        quantity = flow.quantity
        key = (flow.company_id, product.pk)
        returned = flow.move.returned_move_id
        if product.costing_method == CostingMethod.STANDARD:
            value = money(quantity * product.standard_cost)
        elif product.costing_method == CostingMethod.AVERAGE:
            at_cost = flow.move.unit_cost if returned else None
            value = self._take_average(key, quantity, product, at_cost)
        else:
            value = self._take_fifo(key, quantity, product, returned)
        unit_cost = (value / quantity).quantize(PRICE) if quantity else Decimal(0)
        return _Layer(
            None, flow.company_id, product.pk, flow.move.pk, when, -quantity, unit_cost,
            -value, Decimal(0), Decimal(0), flow.move.origin,
        )  # fmt: skip

    def _take_average(
        self,
        key: tuple[int, int],
        quantity: Decimal,
        product: Product,
        at_cost: Decimal | None = None,
    ) -> Decimal:
        pool = self.pools[key]
        if pool.quantity <= 0:
            value = money(quantity * (product.standard_cost if at_cost is None else at_cost))
        elif quantity >= pool.quantity:
            value = pool.value  # the last units take exactly what is left
        elif at_cost is not None:
            value = money(quantity * at_cost)  # a receipt sent back leaves at its own cost
        else:
            value = money(pool.value * quantity / pool.quantity)
        pool.quantity -= quantity
        pool.value -= value
        return value

    def _take_fifo(
        self,
        key: tuple[int, int],
        quantity: Decimal,
        product: Product,
        first_move: int | None = None,
    ) -> Decimal:
        """Consume the oldest layers (a return: the returned receipt's own layer first)."""
        left = quantity
        value = Decimal(0)
        layers = self.open_layers.get(key, [])
        if first_move is not None:
            layers = sorted(layers, key=lambda layer: layer.move_id != first_move)
        for layer in layers:
            if left <= 0:
                break
            if layer.remaining_quantity <= 0:
                continue
            take = min(left, layer.remaining_quantity)
            if take == layer.remaining_quantity:
                taken_value = layer.remaining_value
            else:
                taken_value = money(layer.remaining_value * take / layer.remaining_quantity)
            layer.remaining_quantity -= take
            layer.remaining_value -= taken_value
            value += taken_value
            left -= take
            if layer.pk is not None:
                self.changed_layers[layer.pk] = layer
        if left > 0:  # more out than was valued in (negative stock allowed): at standard cost
            value += money(left * product.standard_cost)
        return value

    def save(self) -> None:
        update_values(
            ValuationLayer,
            ["remaining_quantity", "remaining_value"],
            [(x.remaining_quantity, x.remaining_value, x.pk) for x in self.changed_layers.values()],
        )
        update_rows(CostPool, ["quantity", "value"], self.pools.values())
