"""Shipping an order's reserved stock and invoicing what was shipped, by company policy.

:func:`ship_sales_order` processes the order's open deliveries to the
customer for what is reserved on them (the rest stays on a backorder); a
customer who wants complete shipments gets nothing until every line is
reserved in full. Multi-step warehouses pick and pack on their own
documents first; this ships what reached the last step. An order to a sister
company ships its dispatches to that company's warehouse (without a carrier
record: the group moves its own goods).

:func:`invoice_sales_orders` drafts and posts customer invoices at the order's
prices for shipped quantities not yet invoiced: one invoice per delivery,
one per order once it is fully shipped (the company's ``invoice_policy``),
or — ``consolidate=True`` — one per customer for everything of theirs
shipped up to a date. Every invoice line names its delivery move, so a move
is never invoiced twice, and an order with nothing left to invoice is refused.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError
from crossdock.core.inputs import refuse
from crossdock.sales.models import InvoicePolicy, SalesOrder, SalesOrderLine, SalesOrderState
from crossdock.sales.models.orders import SHIPPABLE_STATES
from crossdock.sales.services.orders import changed, in_state, visible_order
from crossdock.sales.services.pricing import settings_of
from crossdock.sales.services.progress import refresh_progress

ZERO = Decimal(0)


def open_deliveries(order: SalesOrder) -> list[Any]:
    """The order's open transfers whose next stop is the customer."""
    from crossdock.inventory.models import Transfer, TransferKind
    from crossdock.inventory.models.stock import OPEN_STATES

    kinds = [TransferKind.DELIVERY]
    if order.mirrored_purchase_order_id is not None:  # to a sister company: its dispatches
        kinds.append(TransferKind.TRANSIT_OUT)
    return list(
        Transfer.objects.filter(
            origin=order.reference, kind__in=kinds, state__in=OPEN_STATES
        ).order_by("pk")
    )


def _reserved(transfer_ids: list[int]) -> dict[int, dict[int, tuple[Decimal, Decimal]]]:
    """Per transfer, per open move: (quantity, reserved) — two queries for all transfers."""
    from crossdock.inventory.models import MoveLine, MoveState, StockMove

    moves = list(
        StockMove.objects.filter(transfer_id__in=transfer_ids)
        .exclude(state__in=[MoveState.DONE, MoveState.CANCELLED])
        .values_list("pk", "transfer_id", "quantity")
    )
    reserved = dict(
        MoveLine.objects.filter(move_id__in=[pk for pk, _, _ in moves], done=False)
        .values_list("move_id")
        .annotate(total=Sum("quantity"))
    )
    result: dict[int, dict[int, tuple[Decimal, Decimal]]] = defaultdict(dict)
    for pk, transfer_id, quantity in moves:
        result[transfer_id][pk] = (quantity, reserved.get(pk, ZERO))
    return result


def ship_sales_order(
    actor: Actor, order_id: Any, *, carrier: str = "", tracking_number: str = ""
) -> list[Any]:
    """Ship what is reserved on the order's deliveries; returns the transfers shipped.

    With a carrier, each delivery's shipment is recorded with it and the tracking
    number (suffixed ``-1``, ``-2``… when the order ships from several warehouses) and
    the customer is notified (``inventory.shipment.shipped``).
    """
    from crossdock.inventory.models import TransferKind
    from crossdock.inventory.services.shipping import ship
    from crossdock.inventory.services.validation import DoneLine, validate_transfer

    with transaction.atomic():
        order = visible_order(actor, order_id, "view")  # the warehouse ships; see validate_transfer
        in_state(order, *SHIPPABLE_STATES)
        deliveries = open_deliveries(order)
        per_transfer = _reserved([t.pk for t in deliveries])
        moves = [item for group in per_transfer.values() for item in group.values()]
        if order.ship_complete and any(r < q for q, r in moves):
            raise refuse(
                "ship_complete",
                f"{order.customer.code} takes complete shipments only and not every line of "
                f"{order.reference} is reserved.",
                ConflictError,
            )
        if not any(r > 0 for _, r in moves):
            raise refuse(
                "lines", f"Nothing of {order.reference} is reserved to ship.", ConflictError
            )
        shipped = []
        serving = [
            (t, [DoneLine(pk, r) for pk, (_, r) in sorted(per_transfer[t.pk].items()) if r > 0])
            for t in deliveries
        ]
        serving = [(t, done) for t, done in serving if done]
        for index, (transfer, done) in enumerate(serving, start=1):
            if carrier and transfer.kind == TransferKind.DELIVERY:
                number = tracking_number if len(serving) == 1 else f"{tracking_number}-{index}"
                ship(actor, transfer.pk, carrier, number, done=done)
                transfer.refresh_from_db()
                shipped.append(transfer)
            else:
                shipped.append(validate_transfer(actor, transfer.pk, done))
        return shipped


# -- invoicing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shipped:
    move_id: int
    transfer_id: int
    product_id: int
    quantity: Decimal
    order_id: int


def _uninvoiced_moves(orders: Sequence[SalesOrder], up_to: datetime.date | None) -> list[_Shipped]:
    """Done customer-bound moves of the orders with no invoice line (draft or posted) on them."""
    from crossdock.accounting.models import InvoiceLine
    from crossdock.accounting.models.invoices import InvoiceKind, InvoiceState
    from crossdock.inventory.models import MoveState, StockMove
    from crossdock.sales.services.progress import shipped_to_customer

    by_reference = {order.reference: order.pk for order in orders}
    moves = StockMove.objects.filter(
        shipped_to_customer(), transfer__origin__in=list(by_reference), state=MoveState.DONE
    )
    if up_to is not None:
        moves = moves.filter(done_at__date__lte=up_to)
    rows = list(
        moves.order_by("pk").values_list(
            "pk", "transfer_id", "product_id", "quantity", "transfer__origin"
        )
    )
    invoiced = set(
        InvoiceLine.objects.filter(
            stock_move_id__in=[row[0] for row in rows],
            invoice__kind=InvoiceKind.CUSTOMER_INVOICE,
        )
        .exclude(invoice__state=InvoiceState.CANCELLED)
        .values_list("stock_move_id", flat=True)
    )
    return [
        _Shipped(pk, transfer, product, quantity, by_reference[origin])
        for pk, transfer, product, quantity, origin in rows
        if pk not in invoiced
    ]


def _invoice_lines(
    shipped: list[_Shipped], lines_of: dict[int, list[SalesOrderLine]], tax_id: int | None
) -> list[Any]:
    """Invoice lines at the order's prices: each move's quantity split over its product's lines."""
    from crossdock.accounting.services.invoicing import InvoiceLineInput

    left: dict[int, Decimal] = {}
    result = []
    for item in shipped:
        candidates = [ln for ln in lines_of[item.order_id] if ln.product_id == item.product_id]
        rest = item.quantity
        for index, line in enumerate(candidates):
            room = line.shipped_quantity - line.invoiced_quantity - left.get(line.pk, ZERO)
            take = rest if index == len(candidates) - 1 else min(rest, max(room, ZERO))
            if take <= 0:
                continue
            left[line.pk] = left.get(line.pk, ZERO) + take
            rest -= take
            result.append(
                InvoiceLineInput(
                    description=f"{line.order.reference} {line.product.sku} {line.description}"[
                        :200
                    ],
                    quantity=take,
                    unit_price=line.list_price,
                    discount_percent=line.discount_percent,
                    product_id=line.product_id,
                    tax_id=tax_id,
                    stock_move_id=item.move_id,
                )
                if line.list_price and line.discount_percent
                else InvoiceLineInput(
                    description=f"{line.order.reference} {line.product.sku} {line.description}"[
                        :200
                    ],
                    quantity=take,
                    unit_price=line.unit_price,
                    product_id=line.product_id,
                    tax_id=tax_id,
                    stock_move_id=item.move_id,
                )
            )
            if rest <= 0:
                break
    return result


def invoice_sales_orders(
    actor: Actor,
    order_ids: Iterable[Any],
    *,
    consolidate: bool = False,
    up_to: datetime.date | None = None,
    date: datetime.date | None = None,
    post: bool = True,
) -> list[Any]:
    """Invoice what the orders shipped and was not invoiced yet; see the module doc."""
    from crossdock.accounting.models.invoices import InvoiceKind, TaxUse
    from crossdock.accounting.services.invoice_sources import default_tax
    from crossdock.accounting.services.invoicing import InvoiceInput, create_invoice, post_invoice

    ids = sorted({int(pk) for pk in order_ids if str(pk).isdigit()})
    if not ids:
        raise refuse("orders", "Name at least one order.")
    with transaction.atomic():
        orders = [visible_order(actor, pk, "change") for pk in ids]
        for order in orders:
            if order.state not in (*SHIPPABLE_STATES, SalesOrderState.SHIPPED):
                raise refuse(
                    "orders",
                    f"{order.reference} is {order.get_state_display().lower()}; "
                    "nothing to invoice.",
                    ConflictError,
                )
        shipped = _uninvoiced_moves(orders, up_to)
        by_id = {o.pk: o for o in orders}
        policy = {o.pk: settings_of(o.company_id).invoice_policy for o in orders}
        groups: dict[tuple[Any, ...], list[_Shipped]] = defaultdict(list)
        for item in shipped:
            order = by_id[item.order_id]
            if consolidate:
                key: tuple[Any, ...] = ("customer", order.customer_id, order.currency_id)
            elif policy[order.pk] == InvoicePolicy.PER_ORDER:
                if order.state != SalesOrderState.SHIPPED:
                    continue
                key = ("order", order.pk)
            else:
                key = ("delivery", item.transfer_id)
            groups[key].append(item)
        if not groups:
            names = ", ".join(o.reference for o in orders)
            raise refuse("orders", f"{names}: nothing shipped is left to invoice.", ConflictError)
        lines_of: dict[int, list[SalesOrderLine]] = defaultdict(list)
        for line in (
            SalesOrderLine.objects.filter(order_id__in=ids)
            .select_related("order", "product")
            .order_by("order_id", "sequence", "pk")
        ):
            lines_of[line.order_id].append(line)
        invoices = []
        on = date or timezone.localdate()
        for key, items in sorted(groups.items(), key=lambda kv: str(kv[0])):
            order = by_id[items[0].order_id]
            tax = default_tax(order.company_id, TaxUse.SALE)
            references = sorted({by_id[i.order_id].reference for i in items})
            invoice = create_invoice(
                actor,
                InvoiceInput(
                    company_id=order.company_id,
                    kind=InvoiceKind.CUSTOMER_INVOICE,
                    partner_id=order.customer_id,
                    currency_id=order.currency_id,
                    date=on,
                    lines=_invoice_lines(items, lines_of, tax.pk if tax else None),
                    partner_reference=order.customer_reference[:60],
                    memo=("Orders " if len(references) > 1 else "Order ")
                    + ", ".join(references)[:180],
                    source_transfer_id=key[1] if key[0] == "delivery" else None,
                ),
            )
            if post:
                invoice = post_invoice(actor, invoice.pk)
            invoices.append(invoice)
        for order in orders:
            changed(actor, order, "invoice", None, {"invoices": [i.pk for i in invoices]})
        return invoices


__all__ = ["DomainError", "invoice_sales_orders", "refresh_progress", "ship_sales_order"]
