"""Stock KPIs: turnover, days inventory outstanding, aged inventory, stockouts."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from crossdock.insight.registry import Direction, Key, Part, Scope, Unit, kpi
from crossdock.insight.slicing import grouped, midnight, on_days
from crossdock.inventory.models import Quant, ValuationLayer
from crossdock.masterdata.models import LocationKind
from crossdock.masterdata.models.organisation import INTERNAL_KINDS, SELLABLE_KINDS

AGED_AFTER_DAYS = 90
TWO = Decimal(2)
LAYER_PATHS = {"company": "company_id", "category": "product__category_id"}
QUANT_PATHS = {
    "company": "location__company_id",
    "warehouse": "location__warehouse_id",
    "region": "location__warehouse__region",
    "category": "product__category_id",
}
VALUE = ("inventory.valuationlayer",)
STOCK = ("inventory.quant",)


def _cost_of_goods_sold(scope: Scope) -> dict[Key, Decimal]:
    """Value of stock delivered to customers (less returns from them) in the range."""
    customer = LocationKind.CUSTOMER
    layers: QuerySet[ValuationLayer] = ValuationLayer.objects.filter(
        Q(move__destination__kind=customer) | Q(move__source__kind=customer),
        on_days("recorded_at", scope.start, scope.end),
    )
    totals: dict[Key, Decimal] = defaultdict(Decimal)
    for key, row in grouped(layers, scope, LAYER_PATHS, v=Sum("value")):
        totals[key] -= Decimal(row["v"] or 0)
    return totals


def _average_stock(scope: Scope) -> dict[Key, Decimal]:
    """(Stock value at the start of the first day + at the end of the last) ÷ 2, per key.

    Stock value at an instant is Σ layer values recorded before it; both sums come from
    one pass over the layers recorded before the end.
    """
    totals: dict[Key, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    layers = ValuationLayer.objects.filter(on_days("recorded_at", None, scope.end))
    opening = Q(recorded_at__lt=midnight(scope.start))
    for key, row in grouped(
        layers, scope, LAYER_PATHS, o=Sum("value", filter=opening), c=Sum("value")
    ):
        totals[key][0] += Decimal(row["o"] or 0)
        totals[key][1] += Decimal(row["c"] or 0)
    return {key: (start + end) / TWO for key, (start, end) in totals.items()}


@kpi(
    "inventory_turnover",
    "Inventory turnover",
    unit=Unit.RATIO,
    direction=Direction.HIGHER,
    dimensions=("company", "category", "family"),
    requires=VALUE,
    snapshot_days=30,
)
def inventory_turnover(scope: Scope) -> dict[Key, Part]:
    """Cost of goods sold in the range ÷ average stock value (not annualised).

    Cost of goods sold: the value of the valuation layers of moves into customer
    locations less those of returns from them, recorded in the range. Average stock
    value: (stock value at the start of the first day + at the end of the last) ÷ 2,
    stock value being Σ valuation layer values up to that instant.
    """
    cogs = _cost_of_goods_sold(scope)
    average = _average_stock(scope)
    return {
        key: Part(cogs.get(key, Decimal(0)), average.get(key, Decimal(0)))
        for key in set(cogs) | set(average)
    }


@kpi(
    "days_inventory_outstanding",
    "Days inventory outstanding",
    unit=Unit.DAYS,
    direction=Direction.LOWER,
    dimensions=("company", "category", "family"),
    requires=VALUE,
    snapshot_days=30,
)
def days_inventory_outstanding(scope: Scope) -> dict[Key, Part]:
    """Average stock value × days in the range ÷ cost of goods sold in the range.

    The same cost of goods sold and average stock value as inventory turnover: how many
    days the average stock would last at the range's rate of sales.
    """
    cogs = _cost_of_goods_sold(scope)
    average = _average_stock(scope)
    days = Decimal(scope.days)
    return {
        key: Part(average.get(key, Decimal(0)) * days, cogs.get(key, Decimal(0)))
        for key in set(cogs) | set(average)
    }


@kpi(
    "aged_inventory",
    "Aged inventory",
    unit=Unit.PERCENT,
    direction=Direction.LOWER,
    dimensions=("company", "warehouse", "region", "category", "family"),
    requires=STOCK,
    point_in_time=True,
)
def aged_inventory(scope: Scope) -> dict[Key, Part]:
    """Quantity on hand that arrived more than 90 days ago ÷ quantity on hand × 100.

    Stock on hand now in the warehouses' internal locations (quants with a positive
    quantity), aged by the quant's arrival date; quantities in base units. A figure of
    the present: the date range does not apply.
    """
    today = scope.today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=AGED_AFTER_DAYS)
    quants = Quant.objects.filter(location__kind__in=sorted(INTERNAL_KINDS), quantity__gt=0)
    parts: dict[Key, Part] = defaultdict(Part)
    for key, row in grouped(
        quants,
        scope,
        QUANT_PATHS,
        n=Sum("quantity", filter=Q(in_date__lt=midnight(cutoff))),
        d=Sum("quantity"),
    ):
        parts[key].add(Decimal(row["n"] or 0), Decimal(row["d"] or 0))
    return dict(parts)


@kpi(
    "stockout_rate",
    "Stockout rate",
    unit=Unit.PERCENT,
    direction=Direction.LOWER,
    dimensions=("company", "warehouse", "region", "category", "family"),
    requires=STOCK,
    point_in_time=True,
)
def stockout_rate(scope: Scope) -> dict[Key, Part]:
    """Stocked products out of stock ÷ stocked products × 100, per warehouse.

    A stocked product of a warehouse is one with a stock record (quant) in its sellable
    locations (reserve, picking); it is out of stock when nothing is on hand there. A
    figure of the present: the date range does not apply.
    """
    quants = Quant.objects.filter(location__kind__in=sorted(SELLABLE_KINDS))
    parts: dict[Key, Part] = defaultdict(Part)
    for key, row in grouped(
        quants,
        scope,
        QUANT_PATHS,
        per=("product_id", "location__warehouse_id"),
        on_hand=Sum("quantity"),
    ):
        parts[key].add(Decimal(1 if (row["on_hand"] or 0) <= 0 else 0), Decimal(1))
    return dict(parts)
