"""Order-to-cash KPIs: fill rates, backorders, order-to-ship time, returns."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from crossdock.insight.registry import Direction, Key, Part, Scope, Unit, kpi
from crossdock.insight.slicing import grouped, keyed_rows, on_days, ratio, single
from crossdock.inventory.models import MoveState, StockMove, Transfer, TransferKind
from crossdock.masterdata.models import LocationKind
from crossdock.sales.models import SalesOrder, SalesOrderLine, SalesOrderState
from crossdock.sales.models.returns import ReturnLine, ReturnState

# Orders that have shipped something: the population of fill and backorder rates.
SHIPPING_STATES = (SalesOrderState.PARTIAL, SalesOrderState.SHIPPED, SalesOrderState.INVOICED)
ORDER_PATHS = {
    "company": "company_id",
    "warehouse": "warehouse_id",
    "region": "warehouse__region",
    "customer_tier": "customer__customer_tier",
}
LINE_PATHS = {
    "company": "order__company_id",
    "warehouse": "warehouse_id",
    "region": "warehouse__region",
    "customer_tier": "order__customer__customer_tier",
    "category": "product__category_id",
}
ORDER_DIMENSIONS = ("company", "warehouse", "region", "customer_tier")
LINE_DIMENSIONS = (*ORDER_DIMENSIONS, "category", "family")
ORDERS = ("sales.salesorder",)


def _orders(scope: Scope) -> QuerySet[SalesOrder]:
    return SalesOrder.objects.filter(
        state__in=SHIPPING_STATES, order_date__gte=scope.start, order_date__lte=scope.end
    )


@kpi(
    "order_fill_rate",
    "Order fill rate",
    unit=Unit.PERCENT,
    direction=Direction.HIGHER,
    dimensions=ORDER_DIMENSIONS,
    requires=ORDERS,
)
def order_fill_rate(scope: Scope) -> dict[Key, Part]:
    """Orders shipped in full ÷ orders that shipped anything × 100.

    Orders dated in the range (order date) that are partially shipped, shipped or
    invoiced; *in full* means every line's shipped quantity reached its ordered quantity.
    """
    short = SalesOrderLine.objects.filter(order=OuterRef("pk"), shipped_quantity__lt=F("quantity"))
    orders = _orders(scope)
    return ratio(
        grouped(orders.filter(~Exists(short)), scope, ORDER_PATHS, n=Count("pk")),
        grouped(orders, scope, ORDER_PATHS, d=Count("pk")),
    )


@kpi(
    "line_fill_rate",
    "Line fill rate",
    unit=Unit.PERCENT,
    direction=Direction.HIGHER,
    dimensions=LINE_DIMENSIONS,
    requires=ORDERS,
)
def line_fill_rate(scope: Scope) -> dict[Key, Part]:
    """Order lines shipped in full ÷ order lines × 100.

    Lines of the orders dated in the range that shipped anything (partially shipped,
    shipped, invoiced); a line is filled when its shipped quantity reached its quantity.
    Sliced by the warehouse each line ships from.
    """
    lines = SalesOrderLine.objects.filter(
        order__state__in=SHIPPING_STATES,
        order__order_date__gte=scope.start,
        order__order_date__lte=scope.end,
    )
    return single(
        grouped(
            lines,
            scope,
            LINE_PATHS,
            n=Count("pk", filter=Q(shipped_quantity__gte=F("quantity"))),
            d=Count("pk"),
        )
    )


@kpi(
    "backorder_rate",
    "Backorder rate",
    unit=Unit.PERCENT,
    direction=Direction.LOWER,
    dimensions=ORDER_DIMENSIONS,
    requires=ORDERS,
)
def backorder_rate(scope: Scope) -> dict[Key, Part]:
    """Orders with a backorder ÷ orders that shipped anything × 100.

    Orders dated in the range (partially shipped, shipped or invoiced) for which a
    delivery left something behind on a backorder (a delivery transfer of the order
    whose ``backorder_of`` is set).
    """
    backorders = Transfer.objects.filter(
        kind=TransferKind.DELIVERY, origin=OuterRef("reference"), backorder_of__isnull=False
    )
    orders = _orders(scope)
    return ratio(
        grouped(orders.filter(Exists(backorders)), scope, ORDER_PATHS, n=Count("pk")),
        grouped(orders, scope, ORDER_PATHS, d=Count("pk")),
    )


@kpi(
    "order_to_ship_cycle_time",
    "Order-to-ship cycle time",
    unit=Unit.DAYS,
    direction=Direction.LOWER,
    dimensions=ORDER_DIMENSIONS,
    requires=ORDERS,
)
def order_to_ship_cycle_time(scope: Scope) -> dict[Key, Part]:
    """Σ (day of the last shipment − order date) ÷ orders shipped complete, in days.

    Orders shipped or invoiced whose last delivery to the customer was done in the
    range; the last shipment is the latest done delivery transfer of the order into
    the customer's location.
    """
    last = (
        Transfer.objects.filter(
            kind=TransferKind.DELIVERY,
            origin=OuterRef("reference"),
            state=MoveState.DONE,
            destination__kind=LocationKind.CUSTOMER,
        )
        .order_by()
        .values("origin")
        .annotate(at=Max("done_at"))
        .values("at")
    )
    orders = (
        SalesOrder.objects.filter(
            state__in=(SalesOrderState.SHIPPED, SalesOrderState.INVOICED),
        )
        .annotate(shipped_at=Subquery(last))
        .filter(on_days("shipped_at", scope.start, scope.end))
    )
    parts: dict[Key, Part] = defaultdict(Part)
    for key, row in keyed_rows(
        orders, scope, ORDER_PATHS, ordered=F("order_date"), shipped=F("shipped_at")
    ):
        days = (timezone.localdate(row["shipped"]) - row["ordered"]).days
        parts[key].add(Decimal(days), Decimal(1))
    return dict(parts)


RETURNED_STATES = (
    ReturnState.AUTHORIZED,
    ReturnState.RECEIVING,
    ReturnState.RECEIVED,
    ReturnState.CLOSED,
)
RETURN_PATHS = {
    "company": "rma__company_id",
    "warehouse": "delivered_move__transfer__warehouse_id",
    "region": "delivered_move__transfer__warehouse__region",
    "customer_tier": "rma__customer__customer_tier",
    "category": "product__category_id",
}
SHIPPED_PATHS = {
    "company": "company_id",
    "warehouse": "transfer__warehouse_id",
    "region": "transfer__warehouse__region",
    "customer_tier": "transfer__partner__customer_tier",
    "category": "product__category_id",
}


@kpi(
    "returns_rate",
    "Returns rate",
    unit=Unit.PERCENT,
    direction=Direction.LOWER,
    dimensions=LINE_DIMENSIONS,
    requires=("sales.returnauthorization", "inventory.transfer"),
)
def returns_rate(scope: Scope) -> dict[Key, Part]:
    """Quantity authorized for return ÷ quantity delivered to customers × 100.

    Numerator: return lines of RMAs authorized in the range (authorized, receiving,
    received or closed). Denominator: done delivery moves into a customer location in
    the range. Quantities in each product's base unit.
    """
    returned = ReturnLine.objects.filter(
        on_days("rma__authorized_at", scope.start, scope.end),
        rma__state__in=RETURNED_STATES,
    )
    shipped = StockMove.objects.filter(
        on_days("done_at", scope.start, scope.end),
        state=MoveState.DONE,
        transfer__kind=TransferKind.DELIVERY,
        destination__kind=LocationKind.CUSTOMER,
    )
    return ratio(
        grouped(returned, scope, RETURN_PATHS, n=Sum("quantity")),
        grouped(shipped, scope, SHIPPED_PATHS, d=Sum("quantity")),
    )
