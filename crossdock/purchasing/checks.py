"""``crossdock audit`` checks of purchasing's caches."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from crossdock.purchasing.models import PurchaseOrderLine, PurchaseReceiptLine


def received_match() -> list[str]:
    """Each order line's received quantity equals the done receipt moves linked to it."""
    linked: dict[int, Decimal] = {
        row["line_id"]: row["total"]
        for row in PurchaseReceiptLine.objects.filter(move__state="done")
        .order_by()
        .values("line_id")
        .annotate(total=Sum("move__quantity"))
    }
    problems = []
    for line_id, reference, cached in PurchaseOrderLine.objects.values_list(
        "pk", "order__reference", "received_quantity"
    ).order_by("pk"):
        actual = linked.get(line_id, Decimal(0))
        if actual != cached:
            problems.append(
                f"purchase order {reference} line {line_id}: received {cached} but "
                f"receipt moves say {actual}"
            )
    return problems
