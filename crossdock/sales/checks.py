"""``crossdock audit`` checks of sales' caches."""

from __future__ import annotations

from crossdock.sales.models import SalesOrder
from crossdock.sales.services.progress import expected_progress


def progress() -> list[str]:
    """Each order line's shipped and invoiced quantities equal its moves and posted invoices."""
    problems = []
    orders = SalesOrder.objects.exclude(state__in=["quotation", "to_approve", "credit_hold"])
    for order in orders.order_by("pk").iterator():
        shipped, invoiced = expected_progress(order)
        for line in order.lines.all():
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
