"""What became of an order: shipped and invoiced quantities per line, and its state.

The order's delivery transfers carry its reference as ``origin`` (backorders
and later steps of a multi-step delivery inherit it), so what was shipped is
the done moves into a customer location of the transfers with that origin
(for an order to a sister company: its dispatches into that company's locations),
and what was invoiced is the posted customer-invoice lines on those moves
(less posted credit notes on them). Quantities are summed per product and
handed to the order's lines of that product in sequence order.
:func:`refresh_progress` recomputes both caches and the state; it runs when
a delivery is done or an invoice is posted or cancelled, and ``crossdock
audit`` compares the caches with a fresh computation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, Sum

from crossdock.core.events import DomainEvent
from crossdock.sales.models import SalesOrder, SalesOrderLine, SalesOrderState

ZERO = Decimal(0)
PROGRESSING = (
    SalesOrderState.CONFIRMED,
    SalesOrderState.PARTIAL,
    SalesOrderState.SHIPPED,
    SalesOrderState.INVOICED,
)


def shipped_to_customer() -> Q:
    """Done moves that left the company for the customer: a delivery to a customer location,
    or a dispatch into a sister company's location (an intercompany order)."""
    from crossdock.inventory.models import TransferKind
    from crossdock.masterdata.models import LocationKind

    return Q(destination__kind=LocationKind.CUSTOMER) | (
        Q(transfer__kind=TransferKind.TRANSIT_OUT) & ~Q(destination__company_id=F("company_id"))
    )


Totals = dict[str, dict[int, Decimal]]  # order reference → product id → quantity


def shipped_by_order(references: Collection[str]) -> Totals:
    """Quantities shipped to the customer per order reference and product (one query)."""
    from crossdock.inventory.models import MoveState, StockMove

    rows = (
        StockMove.objects.filter(
            shipped_to_customer(), transfer__origin__in=references, state=MoveState.DONE
        )
        .values_list("transfer__origin", "product_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    result: Totals = defaultdict(dict)
    for reference, product, total in rows:
        result[reference][product] = total
    return result


def invoiced_by_order(references: Collection[str]) -> Totals:
    """Quantities on posted customer invoices less credit notes per order reference and
    product (one query)."""
    from crossdock.accounting.models import InvoiceLine
    from crossdock.accounting.models.invoices import InvoiceKind, InvoiceState

    rows = (
        InvoiceLine.objects.filter(
            stock_move__transfer__origin__in=references,
            invoice__state=InvoiceState.POSTED,
            invoice__kind__in=[InvoiceKind.CUSTOMER_INVOICE, InvoiceKind.CUSTOMER_CREDIT],
        )
        .values_list("stock_move__transfer__origin", "product_id", "invoice__kind")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    result: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for reference, product, kind, total in rows:
        result[reference][product] += total if kind == InvoiceKind.CUSTOMER_INVOICE else -total
    return {reference: dict(totals) for reference, totals in result.items()}


def shipped_by_product(reference: str) -> dict[int, Decimal]:
    return shipped_by_order([reference]).get(reference, {})


def invoiced_by_product(reference: str) -> dict[int, Decimal]:
    return invoiced_by_order([reference]).get(reference, {})


def spread(lines: list[SalesOrderLine], totals: dict[int, Decimal], cap: str) -> dict[int, Decimal]:
    """Hand each product's total to its lines in sequence order, each up to ``cap``."""
    left = dict(totals)
    result: dict[int, Decimal] = {}
    same: dict[int, list[SalesOrderLine]] = defaultdict(list)
    for line in lines:
        same[line.product_id].append(line)
    for product, group in same.items():
        for index, line in enumerate(group):
            available = left.get(product, ZERO)
            limit = getattr(line, cap) if cap != "quantity" else line.quantity
            take = available if index == len(group) - 1 else min(available, limit)
            take = max(take, ZERO)
            result[line.pk] = take
            left[product] = available - take
    return result


def spread_progress(
    lines: list[SalesOrderLine], shipped: dict[int, Decimal], invoiced: dict[int, Decimal]
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Each line's expected shipped and invoiced quantities from the order's totals per
    product; ``lines`` in sequence order (their ``shipped_quantity`` is set to the expected)."""
    shipped_per_line = spread(lines, shipped, "quantity")
    for line in lines:
        line.shipped_quantity = shipped_per_line[line.pk]
    return shipped_per_line, spread(lines, invoiced, "shipped_quantity")


def expected_progress(order: SalesOrder) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    lines = list(order.lines.order_by("sequence", "pk"))
    return spread_progress(
        lines, shipped_by_product(order.reference), invoiced_by_product(order.reference)
    )


def state_of(order: SalesOrder, lines: list[SalesOrderLine]) -> str:
    if order.state not in PROGRESSING:
        return order.state
    if all(line.open_quantity == 0 for line in lines):
        shipped_any = any(line.shipped_quantity > 0 for line in lines)
        if not shipped_any:
            return SalesOrderState.CANCELLED
        if all(line.invoiced_quantity >= line.shipped_quantity for line in lines):
            return SalesOrderState.INVOICED
        return SalesOrderState.SHIPPED
    if any(line.shipped_quantity > 0 for line in lines):
        return SalesOrderState.PARTIAL
    return SalesOrderState.CONFIRMED


def uninvoiced_value(order: SalesOrder, lines: list[SalesOrderLine]) -> Decimal:
    """What the order still adds to the customer's exposure, in company currency."""
    if order.state not in PROGRESSING:
        return ZERO
    rest = sum(
        (
            max(line.quantity - line.invoiced_quantity - line.cancelled_quantity, ZERO)
            * line.unit_price
            for line in lines
        ),
        ZERO,
    )
    return order.company.base_currency.round(rest * order.rate)


def refresh_progress(order: SalesOrder) -> None:
    """Recompute the shipped and invoiced caches of the order's lines and its state."""
    from crossdock.core.context import Actor
    from crossdock.sales.services.orders import changed

    shipped, invoiced = expected_progress(order)
    lines = list(order.lines.order_by("sequence", "pk"))
    dirty = []
    for line in lines:
        new = (shipped[line.pk], invoiced[line.pk])
        if (line.shipped_quantity, line.invoiced_quantity) != new:
            line.shipped_quantity, line.invoiced_quantity = new
            dirty.append(line)
    if dirty:
        SalesOrderLine.objects.bulk_update(dirty, ["shipped_quantity", "invoiced_quantity"])
    state = state_of(order, lines)
    before = {"state": order.state}
    order.state = state
    uninvoiced = uninvoiced_value(order, lines)
    if state != before["state"] or uninvoiced != order.uninvoiced_company:
        order.uninvoiced_company = uninvoiced
        SalesOrder.objects.filter(pk=order.pk).update(state=state, uninvoiced_company=uninvoiced)
    if state != before["state"]:
        changed(Actor.system("sales progress"), order, state, before, {"state": state})


def _orders_of(references: set[str]) -> list[SalesOrder]:
    return list(
        SalesOrder.objects.select_for_update(of=("self",))
        .select_related("company__base_currency")
        .filter(reference__in=references)
        .order_by("pk")
    )


def transfer_changed(event: DomainEvent) -> None:
    """A delivery of an order was done: refresh the order's progress. Supply that arrived
    is reserved for the orders waiting for it (:mod:`~crossdock.sales.services.allocation`)."""
    if getattr(event, "change", "") != "done":
        return
    from crossdock.inventory.models import Transfer, TransferKind
    from crossdock.sales.services.allocation import allocate_arrivals

    transfer_id: Any = getattr(event, "transfer_id", None)
    found = Transfer.objects.filter(pk=transfer_id).values_list("origin", "kind").first()
    origin, kind = found or ("", "")
    if kind == TransferKind.TRANSIT_IN or not origin or not origin.startswith("SO/"):
        # Supply. An intercompany order's arrival is the buying company's supply and ships
        # nothing for the order (its dispatch did), so the order is not touched (nor locked).
        allocate_arrivals(transfer_id)
        return
    for order in _orders_of({origin}):
        refresh_progress(order)


def invoice_changed(event: DomainEvent) -> None:
    """An invoice on an order's deliveries was posted or cancelled: refresh the order."""
    if getattr(event, "change", "") not in ("posted", "cancelled", "reversed"):
        return
    from crossdock.accounting.models import InvoiceLine

    invoice_id: Any = getattr(event, "invoice_id", None)
    from crossdock.accounting.models.invoices import RECEIVABLE_KINDS

    references = set(
        # a vendor bill may name an order's dispatch too (the buyer's mirrored bill of an
        # intercompany order); only customer documents count for the order
        InvoiceLine.objects.filter(
            invoice_id=invoice_id, invoice__kind__in=RECEIVABLE_KINDS, stock_move__isnull=False
        )
        .values_list("stock_move__transfer__origin", flat=True)
        .distinct()
    )
    references = {ref for ref in references if ref and ref.startswith("SO/")}
    for order in _orders_of(references):
        refresh_progress(order)
