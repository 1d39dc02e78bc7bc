"""``crossdock audit`` checks of sales' caches."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from crossdock.sales.models import SalesOrder, SalesOrderLine
from crossdock.sales.services.progress import (
    invoiced_by_order,
    shipped_by_order,
    spread_progress,
    uninvoiced_value,
)

BATCH = 2000
Quantities = dict[int, Decimal]  # product id → quantity
UNCHECKED_STATES = ["quotation", "to_approve", "credit_hold"]


def _batches() -> Iterator[list[SalesOrder]]:
    """The orders to check, a batch at a time in primary-key order."""
    orders = (
        SalesOrder.objects.exclude(state__in=UNCHECKED_STATES)
        .select_related("company__base_currency")
        .order_by("pk")
    )
    after = 0
    while batch := list(orders.filter(pk__gt=after)[:BATCH]):
        yield batch
        after = batch[-1].pk


def _order_problems(
    order: SalesOrder, lines: list[SalesOrderLine], shipped: Quantities, invoiced: Quantities
) -> Iterator[str]:
    expected = uninvoiced_value(order, lines)
    if order.uninvoiced_company != expected:
        yield (
            f"sales order {order.reference}: uninvoiced {order.uninvoiced_company} but its "
            f"lines say {expected}"
        )
    # The expected quantities are spread over copies: the lines keep their cached values.
    shipped_per_line, invoiced_per_line = spread_progress(
        [copy.copy(line) for line in lines], shipped, invoiced
    )
    for line in lines:
        if line.shipped_quantity != shipped_per_line[line.pk]:
            yield (
                f"sales order {order.reference} line {line.pk}: shipped "
                f"{line.shipped_quantity} but deliveries say {shipped_per_line[line.pk]}"
            )
        if line.invoiced_quantity != invoiced_per_line[line.pk]:
            yield (
                f"sales order {order.reference} line {line.pk}: invoiced "
                f"{line.invoiced_quantity} but posted invoices say {invoiced_per_line[line.pk]}"
            )


def progress() -> list[str]:
    """Each order line's shipped and invoiced quantities equal its moves and posted invoices,
    and each order's uninvoiced value (its part of the credit exposure) equals its lines'.

    Set-based: per batch of orders, one query each for their lines, what was shipped and
    what was invoiced (grouped by order and product), then the same spread over lines as
    :func:`~crossdock.sales.services.progress.refresh_progress`.
    """
    problems: list[str] = []
    for orders in _batches():
        references = [order.reference for order in orders]
        lines: dict[int, list[SalesOrderLine]] = defaultdict(list)
        for line in SalesOrderLine.objects.filter(order__in=orders).order_by(
            "order_id", "sequence", "pk"
        ):
            lines[line.order_id].append(line)
        shipped = shipped_by_order(references)
        invoiced = invoiced_by_order(references)
        for order in orders:
            problems.extend(
                _order_problems(
                    order,
                    lines[order.pk],
                    shipped.get(order.reference, {}),
                    invoiced.get(order.reference, {}),
                )
            )
    return problems
