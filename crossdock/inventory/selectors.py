"""Inventory queries: stock by location, ATP, stock valuation, lot trace, ABC classes, counts."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from crossdock.inventory.models import MoveLine, MoveState, Quant, StockMove, ValuationLayer
from crossdock.inventory.models.stock import OPEN_STATES
from crossdock.masterdata.models import LocationKind, Warehouse
from crossdock.masterdata.models.organisation import INTERNAL_KINDS, SELLABLE_KINDS

ZERO = Decimal(0)


@dataclass
class Availability:
    """Available-to-promise of one product in one warehouse (or region, or the group)."""

    product_id: int
    scope: str
    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    in_transit: Decimal = ZERO  # dispatched by another warehouse, not arrived (part of incoming)
    incoming: dict[datetime.date, Decimal] = field(default_factory=dict)
    outgoing: dict[datetime.date, Decimal] = field(default_factory=dict)

    def projection(self) -> list[tuple[datetime.date, Decimal]]:
        """Projected free stock after each day with a movement (overdue ones count today)."""
        today = timezone.now().date()
        changes: dict[datetime.date, Decimal] = {}
        for day, quantity in self.incoming.items():
            changes[max(day, today)] = changes.get(max(day, today), ZERO) + quantity
        for day, quantity in self.outgoing.items():
            changes[max(day, today)] = changes.get(max(day, today), ZERO) - quantity
        level = self.on_hand - self.reserved
        result = []
        for day in sorted({today, *changes}):
            level += changes.get(day, ZERO)
            result.append((day, level))
        return result

    @property
    def available_now(self) -> Decimal:
        return self.available_on(timezone.now().date())

    def available_on(self, day: datetime.date) -> Decimal:
        """What can be promised for ``day`` without breaking a later commitment."""
        projection = self.projection()
        from_day = [level for d, level in projection if d > day]
        up_to = [level for d, level in projection if d <= day]
        return min([up_to[-1], *from_day]) if up_to else min(from_day)

    def earliest_date(self, quantity: Decimal) -> datetime.date | None:
        """The first day ``quantity`` can be promised, or ``None`` if nothing planned covers it."""
        projection = self.projection()
        for index, (day, _) in enumerate(projection):
            if min(level for _, level in projection[index:]) >= quantity:
                return day
        return None


def _date(value: datetime.datetime | datetime.date) -> datetime.date:
    return value if not isinstance(value, datetime.datetime) else value.date()


def availability(
    product_ids: Iterable[int],
    *,
    warehouse_ids: Iterable[int] | None = None,
    group_by: str = "warehouse",
) -> dict[tuple[int, str], Availability]:
    """ATP per product and warehouse (``group_by="region"`` or ``"group"`` to aggregate)."""
    products = list(product_ids)
    warehouses = Warehouse.objects.all()
    if warehouse_ids is not None:
        warehouses = warehouses.filter(pk__in=list(warehouse_ids))
    scope_of = {}
    for pk, code, region in warehouses.values_list("pk", "code", "region"):
        if group_by == "warehouse":
            scope_of[pk] = code
        elif group_by == "region":
            scope_of[pk] = region or "—"
        else:
            scope_of[pk] = "group"
    result: dict[tuple[int, str], Availability] = {}

    def entry(product_id: int, warehouse_id: int) -> Availability:
        key = (product_id, scope_of[warehouse_id])
        if key not in result:
            result[key] = Availability(product_id, key[1])
        return result[key]

    sellable = [k.value for k in SELLABLE_KINDS]
    stock = (
        Quant.objects.filter(
            product_id__in=products,
            location__warehouse_id__in=list(scope_of),
            location__kind__in=sellable,
        )
        .values_list("product_id", "location__warehouse_id")
        .annotate(on_hand=Sum("quantity"), reserved=Sum("reserved"))
    )
    for product_id, warehouse_id, on_hand, reserved in stock:
        item = entry(product_id, warehouse_id)
        item.on_hand += on_hand
        item.reserved += reserved
    open_moves = StockMove.objects.filter(product_id__in=products, state__in=OPEN_STATES)
    # Incoming: into sellable stock from outside the warehouse (suppliers, transit), or out of
    # its input location (the last step of a multi-step receipt); the first step of a
    # multi-step receipt counts by where it ends. Quality hold never counts as coming.
    into_stock = Q(destination__kind__in=sellable) & (
        ~Q(source__warehouse_id=F("destination__warehouse_id")) | Q(source__kind=LocationKind.INPUT)
    )
    first_step = Q(
        transfer__final_destination__kind__in=sellable,
        transfer__final_destination__warehouse_id=F("destination__warehouse_id"),
    ) & ~Q(source__warehouse_id=F("destination__warehouse_id"))
    incoming = (
        open_moves.filter(destination__warehouse_id__in=list(scope_of))
        .filter(into_stock | first_step)
        .annotate(
            day=TruncDate("scheduled_at"),
            from_transit=Case(
                When(source__kind=LocationKind.TRANSIT, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .values_list("product_id", "destination__warehouse_id", "day", "from_transit")
        .annotate(total=Sum("quantity"))
    )
    for product_id, warehouse_id, day, from_transit, total in incoming:
        item = entry(product_id, warehouse_id)
        item.incoming[_date(day)] = item.incoming.get(_date(day), ZERO) + total
        if from_transit:
            item.in_transit += total
    reserved_by_move = dict(
        MoveLine.objects.filter(move__in=open_moves, done=False)
        .values_list("move_id")
        .annotate(total=Sum("quantity"))
    )
    outgoing = (
        open_moves.filter(source__warehouse_id__in=list(scope_of))
        .filter(
            ~Q(destination__warehouse_id=F("source__warehouse_id"))
            | Q(destination__warehouse__isnull=True)
            | Q(transfer__final_destination__kind=LocationKind.CUSTOMER)  # a pick for a delivery
        )
        .exclude(source__kind__in=[LocationKind.OUTPUT, LocationKind.PACKING])  # already picked
        .values_list("pk", "product_id", "source__warehouse_id", "scheduled_at", "quantity")
    )
    for move_id, product_id, warehouse_id, scheduled_at, quantity in outgoing:
        unreserved = quantity - reserved_by_move.get(move_id, ZERO)
        if unreserved > 0:
            bucket = entry(product_id, warehouse_id).outgoing
            day = _date(scheduled_at)
            bucket[day] = bucket.get(day, ZERO) + unreserved
    return result


@dataclass(frozen=True)
class ValuationRow:
    product_id: int
    quantity: Decimal
    value: Decimal


def stock_valuation(company_id: int, as_of: datetime.datetime | None = None) -> list[ValuationRow]:
    """Quantity and value per product from the valuation layers (optionally as of a past date)."""
    layers = ValuationLayer.objects.filter(company_id=company_id)
    if as_of is not None:
        layers = layers.filter(recorded_at__lte=as_of)
    rows = (
        layers.values_list("product_id")
        .annotate(quantity=Sum("quantity"), value=Sum("value"))
        .order_by("product_id")
    )
    return [ValuationRow(p, q, v) for p, q, v in rows if q or v]


def stock_by_location(product_id: int) -> list[Quant]:
    return list(
        Quant.objects.filter(product_id=product_id)
        .exclude(quantity=0, reserved=0)
        .select_related("location", "lot")
        .order_by("location__path")
    )


@dataclass(frozen=True)
class TraceStep:
    done_at: datetime.datetime | None
    reference: str
    source: str
    destination: str
    quantity: Decimal


def lot_trace(lot_id: int) -> list[TraceStep]:
    """Where a lot came from and went, document by document."""
    lines = (
        MoveLine.objects.filter(lot_id=lot_id, done=True)
        .select_related("move__transfer", "source", "destination")
        .order_by("done_at", "pk")
    )
    return [
        TraceStep(
            line.done_at,
            line.move.transfer.reference if line.move.transfer else line.move.origin,
            line.source.path,
            line.destination.path,
            line.quantity,
        )
        for line in lines
    ]


__all__ = [
    "MoveState",
    "abc_classes",
    "availability",
    "lot_trace",
    "net_moves_since",
    "stock_by_location",
    "stock_valuation",
]


# -- ABC classes and cycle counts ------------------------------------------------------------

A_SHARE = Decimal("0.80")
B_SHARE = Decimal("0.95")


def abc_classes(warehouse_id: int) -> dict[int, str]:
    """The ABC class of every product in stock in a warehouse, by its stock value there.

    Products are ranked by on-hand quantity (all internal locations) × standard
    cost, highest first; a product is A while the value ranked before it is
    below 80% of the total, B while below 95%, else C — so A holds the top 80%
    of the value, B the next 15%, C the rest. Products without value are C.
    The quantities are summed by the database (one aggregate, exact integers);
    only the ranking of one row per product runs here.

    This is a stock-value classification for choosing what to count. The
    demand-based ABC of the replenishment (planning) module will replace it
    once that module exists.
    """
    rows = (
        Quant.objects.filter(
            location__warehouse_id=warehouse_id, location__kind__in=list(INTERNAL_KINDS)
        )
        .values_list("product_id", "product__standard_cost")
        .annotate(on_hand=Sum("quantity"))
        .filter(on_hand__gt=0)
        .order_by()
    )
    values = sorted(
        ((on_hand * cost, product_id) for product_id, cost, on_hand in rows),
        key=lambda item: (-item[0], item[1]),
    )
    total = sum((value for value, _ in values), ZERO)
    classes: dict[int, str] = {}
    before = ZERO
    for value, product_id in values:
        if value <= 0 or total <= 0:
            classes[product_id] = "C"
        elif before < total * A_SHARE:
            classes[product_id] = "A"
        elif before < total * B_SHARE:
            classes[product_id] = "B"
        else:
            classes[product_id] = "C"
        before += value
    return classes


CountKey = tuple[int, int, int | None]  # product, location, lot


def net_moves_since(keys: Iterable[CountKey], since: datetime.datetime) -> dict[CountKey, Decimal]:
    """Stock moved into minus out of each product × location × lot by lines done since ``since``.

    Two aggregate queries (in, out) over the done lines, whatever the number of keys.
    """
    wanted = set(keys)
    result: dict[CountKey, Decimal] = {}
    if not wanted:
        return result
    products = sorted({key[0] for key in wanted})
    locations = sorted({key[1] for key in wanted})
    done = MoveLine.objects.filter(
        done=True, done_at__gte=since, product_id__in=products
    ).order_by()
    for side, sign in (("destination", 1), ("source", -1)):
        rows = (
            done.filter(**{f"{side}_id__in": locations})
            .values_list("product_id", f"{side}_id", "lot_id")
            .annotate(total=Sum("quantity"))
        )
        for product_id, location_id, lot_id, total in rows:
            key = (product_id, location_id, lot_id)
            if key in wanted:
                result[key] = result.get(key, ZERO) + sign * total
    return result


def layers_of_moves(move_ids: Iterable[int], company_id: int) -> QuerySet[ValuationLayer]:
    """The valuation layers of some moves in one company, looked up by move.

    The company is compared as ``company_id + 0`` so that SQLite's planner cannot
    prefer the company's date index (``layer_date_value_idx``), which walks every layer the
    company ever had (seconds at a million layers) instead of the few of these moves.
    """
    return (
        ValuationLayer.objects.filter(move_id__in=list(move_ids))
        .alias(in_company=ExpressionWrapper(F("company_id") + 0, output_field=IntegerField()))
        .filter(in_company=company_id)
    )
