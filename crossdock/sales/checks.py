"""``crossdock audit`` checks of sales' caches."""

from __future__ import annotations

from crossdock.sales.models import SalesOrder
from crossdock.sales.services.progress import expected_progress, uninvoiced_value


def progress() -> list[str]:
    """Each order line's shipped and invoiced quantities equal its moves and posted invoices,
    and each order's uninvoiced value (its part of the credit exposure) equals its lines'."""
    problems = []
    orders = SalesOrder.objects.exclude(state__in=["quotation", "to_approve", "credit_hold"])
    for order in orders.select_related("company__base_currency").order_by("pk").iterator():
        lines = list(order.lines.all())
        if order.uninvoiced_company != uninvoiced_value(order, lines):
            problems.append(
                f"sales order {order.reference}: uninvoiced {order.uninvoiced_company} but its "
                f"lines say {uninvoiced_value(order, lines)}"
            )
        shipped, invoiced = expected_progress(order)
        for line in lines:
            if line.shipped_quantity != shipped[line.pk]:
                problems.append(
                    f"sales order {order.reference} line {line.pk}: shipped "
                    f"{line.shipped_quantity} but deliveries say {shipped[line.pk]}"
                )
            if line.invoiced_quantity != invoiced[line.pk]:
                problems.append(
                    f"sales order {order.reference} line {line.pk}: invoiced "
                    f"{line.invoiced_quantity} but posted invoices say {invoiced[line.pk]}"
                )
    return problems
