"""Intercompany purchase orders: the buying side of a sale between two group companies.

Design overview
---------------
When a company of the group confirms a sales order to a sister company, sales calls
:func:`create_mirrored_order` in the same transaction: the buying company gets a purchase
order from the selling company's partner in its books, with the sales order's products,
quantities, prices and currency, ``intercompany_origin`` = the sales order's reference, and
already *confirmed* with the promised dates.

Why it skips the buyer's purchase-order approval: approval policies exist to control
commitments to outside suppliers. An intercompany order commits no money outside the group;
the commitment was made — prices, margin floors and quantities checked and approved where
needed — on the sales order the selling company confirmed for it, and its goods are already
reserved and about to be dispatched. Approving it again in the buyer could only leave the
two companies' books disagreeing about an order the group has made; whoever wants to stop
it cancels the sales order, which cancels this order too.

Afterwards nothing on the order is typed by hand:

* **Receiving.** The selling company's dispatch arrives at the order's warehouse as a
  transit arrival carrying the sales order's reference; confirming it
  (:func:`~crossdock.inventory.services.confirm_arrival`) publishes
  ``inventory.transfer.done``, and :func:`arrival_done` links each arrived move to its order
  line (:class:`~crossdock.purchasing.models.PurchaseReceiptLine`) and raises the received
  quantities, exactly like a receipt from a supplier.
* **Billing.** The selling company's invoice is mirrored as a posted vendor bill here
  (:mod:`crossdock.accounting.services.invoice_sources`); its lines name the dispatch moves.
  :func:`bill_posted` matches it to the order (a ``matched``
  :class:`~crossdock.purchasing.models.BillMatch`) and :func:`refresh_billed` keeps the
  billed quantities equal to the posted mirrored bills less their credit notes.
* **Changing.** Revising, cancelling, receiving by hand or billing an intercompany order
  is refused (:func:`refuse_manual`): it follows its sales order.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, refuse_if
from crossdock.core.events import DomainEvent
from crossdock.core.inputs import refuse
from crossdock.masterdata.models import Currency, Partner, Product, Warehouse
from crossdock.purchasing.models import (
    BillMatch,
    MatchStatus,
    OrderState,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceiptLine,
)
from crossdock.purchasing.services.orders import (
    _changed,
    _reference,
    lock_order,
    order_picture,
    refresh_progress,
)

ZERO = Decimal(0)
CANCELLABLE = (OrderState.APPROVED, OrderState.SENT, OrderState.CONFIRMED)


@dataclass(frozen=True)
class MirrorLine:
    """One sales order line as the buyer orders it (price in the sales order's currency)."""

    sequence: int
    product_id: int
    quantity: Decimal
    unit_price: Decimal
    promised_on: datetime.date
    description: str = ""


@dataclass(frozen=True)
class MirrorDraft:
    origin: str  # the sales order's reference
    supplier_id: int  # the selling company's partner in the buyer's books
    warehouse_id: int  # where the buyer receives
    currency_id: int
    lines: Sequence[MirrorLine]
    note: str = ""


def create_mirrored_order(actor: Actor, draft: MirrorDraft) -> PurchaseOrder:
    """Write the buyer's confirmed purchase order mirroring a sales order; see the module doc."""
    from crossdock.accounting.services.rates import company_rate

    problems: dict[str, list[str]] = {}
    warehouse = (
        Warehouse.objects.select_related("company__base_currency")
        .filter(pk=draft.warehouse_id, active=True)
        .first()
    )
    supplier = Partner.objects.filter(pk=draft.supplier_id, active=True).first()
    currency = Currency.objects.filter(pk=draft.currency_id).first()
    if warehouse is None:
        problems["warehouse"] = ["Unknown or inactive warehouse."]
    if supplier is None or supplier.group_company_id is None:
        problems["supplier"] = ["Not an active partner standing for a group company."]
    elif warehouse is not None and supplier.company_id != warehouse.company_id:
        problems["supplier"] = [f"{supplier.code} belongs to another company."]
    if currency is None:
        problems["currency"] = ["Unknown currency."]
    if not draft.lines:
        problems["lines"] = ["Order at least one product."]
    if (
        PurchaseOrder.objects.filter(intercompany_origin=draft.origin)
        .exclude(state=OrderState.CANCELLED)
        .exists()
    ):
        problems["origin"] = [f"{draft.origin} is already mirrored by a purchase order."]
    refuse_if(problems)
    assert warehouse is not None
    assert supplier is not None
    assert currency is not None
    company = warehouse.company
    today = timezone.localdate()
    rate = company_rate(company, currency, today)
    products = Product.objects.in_bulk({line.product_id for line in draft.lines})
    expected = max(line.promised_on for line in draft.lines)
    lines = [
        PurchaseOrderLine(
            sequence=line.sequence,
            product_id=line.product_id,
            description=(line.description or products[line.product_id].name)[:200],
            quantity=line.quantity,
            unit_price=line.unit_price,
            off_contract=False,
            expected_date=line.promised_on,
            confirmed_quantity=line.quantity,
            confirmed_date=line.promised_on,
        )
        for line in draft.lines
    ]
    amount = currency.round(sum((ln.quantity * ln.unit_price for ln in lines), ZERO))
    now = timezone.now()
    with transaction.atomic():
        order = PurchaseOrder(
            company=company,
            reference=_reference(company),
            supplier=supplier,
            warehouse=warehouse,
            currency=currency,
            rate=rate,
            state=OrderState.CONFIRMED,
            order_date=today,
            expected_date=max(expected, today),
            amount=amount,
            amount_company=company.base_currency.round(amount * rate),
            note=(draft.note or f"Intercompany: mirrors {draft.origin}")[:200],
            intercompany_origin=draft.origin,
            approved_at=now,
            sent_at=now,
            confirmed_at=now,
        )
        order.save()
        for line in lines:
            line.order = order
        PurchaseOrderLine.objects.bulk_create(lines)
        _changed(actor, order, "create", None, order_picture(order))
        _changed(actor, order, "confirm", None, {"state": order.state, "by": "intercompany"})
        return order


def cancel_mirrored_order(actor: Actor, order_id: Any, reason: str) -> PurchaseOrder:
    """Cancel the mirrored order of a sales order cancelled before anything shipped."""
    order = lock_order(order_id)
    if order.state == OrderState.CANCELLED:
        return order
    if order.state not in CANCELLABLE or order.lines.filter(received_quantity__gt=0).exists():
        raise refuse(
            "state",
            f"{order.reference} is {order.get_state_display().lower()}; it cannot be cancelled "
            "any more.",
            ConflictError,
        )
    before = audit.snapshot(order)
    order.state = OrderState.CANCELLED
    order.save(update_fields=["state", "updated_at"])
    _changed(actor, order, "cancel", before, {**audit.snapshot(order), "reason": reason})
    return order


def reduce_mirrored_order(actor: Actor, order_id: Any, shipped: dict[int, Decimal]) -> None:
    """The sales order was cancelled after part of it shipped: the order keeps only what
    ships (``shipped``: quantity per line sequence); lines with nothing shipped go."""
    order = lock_order(order_id)
    if order.state == OrderState.CANCELLED:
        return
    before = order_picture(order)
    lines = list(order.lines.select_for_update(of=("self",)).order_by("sequence", "pk"))
    kept = []
    for line in lines:
        quantity = shipped.get(line.sequence, ZERO)
        if quantity <= 0 and line.received_quantity == 0:
            line.delete()
            continue
        line.quantity = max(quantity, line.received_quantity)
        line.confirmed_quantity = line.quantity
        kept.append(line)
    PurchaseOrderLine.objects.bulk_update(kept, ["quantity", "confirmed_quantity"])
    order.amount = order.currency.round(sum((x.quantity * x.unit_price for x in kept), ZERO))
    order.amount_company = order.company.base_currency.round(order.amount * order.rate)
    order.save(update_fields=["amount", "amount_company", "updated_at"])
    refresh_progress(order)
    _changed(actor, order, "revise", before, order_picture(order))


def refuse_manual(order: PurchaseOrder, action: str) -> None:
    """An intercompany order follows its sales order: refuse changing it by hand."""
    if not order.intercompany_origin:
        return
    how = {
        "cancel": "cancel that sales order and this order is cancelled with it",
        "revise": "change that sales order instead",
        "receive": "confirm the arrival of the selling company's dispatch instead",
        "bill": "it is billed by the mirror of the selling company's invoice",
    }[action]
    raise refuse(
        "intercompany_origin",
        f"{order.reference} mirrors the sales order {order.intercompany_origin} of "
        f"{order.supplier}; {how}.",
        ConflictError,
    )


# -- receiving the dispatch ------------------------------------------------------------------


def arrival_done(event: DomainEvent) -> None:
    """A transit arrival was confirmed: receive it on the intercompany order it carries."""
    from crossdock.inventory.models import MoveState, StockMove, Transfer, TransferKind

    if getattr(event, "change", "") != "done":
        return
    transfer_id: Any = getattr(event, "transfer_id", None)
    found = (
        Transfer.objects.filter(pk=transfer_id, kind=TransferKind.TRANSIT_IN)
        .values_list("pk", "company_id", "origin", "reference")
        .first()
    )
    if found is None or not found[2]:
        return
    _pk, company_id, origin, reference = found
    order_id = (
        PurchaseOrder.objects.filter(company_id=company_id, intercompany_origin=origin)
        .exclude(state=OrderState.CANCELLED)
        .values_list("pk", flat=True)
        .first()
    )
    if order_id is None:
        return
    order = lock_order(order_id)
    moves = list(
        StockMove.objects.filter(
            transfer_id=transfer_id, state=MoveState.DONE, purchase_line_link__isnull=True
        ).order_by("pk")
    )
    lines = list(order.lines.select_for_update(of=("self",)).order_by("sequence", "pk"))
    by_product: dict[int, list[PurchaseOrderLine]] = defaultdict(list)
    for line in lines:
        by_product[line.product_id].append(line)
    links = []
    for move in moves:
        candidates = by_product.get(move.product_id)
        if not candidates:
            continue
        line = next((x for x in candidates if x.received_quantity < x.quantity), candidates[-1])
        line.received_quantity += move.quantity
        links.append(PurchaseReceiptLine(line=line, move=move, quantity=move.quantity))
    if not links:
        return
    PurchaseReceiptLine.objects.bulk_create(links)
    PurchaseOrderLine.objects.bulk_update(lines, ["received_quantity"])
    before = audit.snapshot(order)
    refresh_progress(order)
    _changed(
        Actor.system(f"arrival {reference}"),
        order,
        "receive",
        before,
        {
            **audit.snapshot(order),
            "receipt": reference,
            "received": {str(link.line.pk): str(link.quantity) for link in links},
        },
    )


# -- billing by the mirrored invoice ---------------------------------------------------------


def orders_billed_by(invoice_id: Any, company_id: int) -> list[int]:
    """The intercompany orders of ``company_id`` whose dispatch moves the bill's lines name."""
    from crossdock.accounting.models import InvoiceLine

    origins = set(
        InvoiceLine.objects.filter(invoice_id=invoice_id, stock_move__isnull=False)
        .values_list("stock_move__transfer__origin", flat=True)
        .distinct()
    )
    origins.discard("")
    if not origins:
        return []
    return list(
        PurchaseOrder.objects.filter(company_id=company_id, intercompany_origin__in=origins)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def refresh_billed(order: PurchaseOrder) -> None:
    """Billed quantities of an intercompany order = its posted mirrored bills less credits."""
    from crossdock.accounting.models import InvoiceLine
    from crossdock.accounting.models.invoices import InvoiceKind, InvoiceState

    totals: dict[int, Decimal] = defaultdict(Decimal)
    for product_id, kind, quantity in InvoiceLine.objects.filter(
        invoice__company_id=order.company_id,
        invoice__state=InvoiceState.POSTED,
        invoice__kind__in=[InvoiceKind.VENDOR_BILL, InvoiceKind.VENDOR_CREDIT],
        stock_move__transfer__origin=order.intercompany_origin,
    ).values_list("product_id", "invoice__kind", "quantity"):
        totals[product_id] += quantity if kind == InvoiceKind.VENDOR_BILL else -quantity
    lines = list(order.lines.order_by("sequence", "pk"))
    same: dict[int, list[PurchaseOrderLine]] = defaultdict(list)
    for line in lines:
        same[line.product_id].append(line)
    for product_id, group in same.items():
        left = totals.get(product_id, ZERO)
        for index, line in enumerate(group):
            take = left if index == len(group) - 1 else min(left, line.quantity)
            line.billed_quantity = max(take, ZERO)
            left -= line.billed_quantity
    PurchaseOrderLine.objects.bulk_update(lines, ["billed_quantity"])
    refresh_progress(order)


def bill_posted(actor: Actor, invoice: Any, order_ids: list[int]) -> None:
    """A mirrored bill was posted or cancelled: match it to its order, refresh the billing."""
    for order_id in sorted(order_ids):
        order = lock_order(order_id)
        refresh_billed(order)
        if invoice.state != "posted" or BillMatch.objects.filter(invoice=invoice).exists():
            continue
        match = BillMatch.objects.create(
            company_id=invoice.company_id,
            invoice=invoice,
            order=order,
            status=MatchStatus.MATCHED,
            first_status=MatchStatus.MATCHED,
            reason=f"Intercompany: mirrors {order.intercompany_origin}",
            lines=[
                {
                    "bill_line": line.pk,
                    "product": line.product.sku if line.product else None,
                    "billed": str(line.quantity),
                    "bill_price": str(line.unit_price),
                    "order": order.reference,
                    "issues": [],
                }
                for line in invoice.lines.select_related("product").order_by("sequence", "pk")
            ],
        )
        audit.record(
            actor, audit.Change("purchasing.bill.match", match, None, audit.snapshot(match))
        )


__all__ = [
    "MirrorDraft",
    "MirrorLine",
    "arrival_done",
    "bill_posted",
    "cancel_mirrored_order",
    "create_mirrored_order",
    "orders_billed_by",
    "reduce_mirrored_order",
    "refresh_billed",
    "refuse_manual",
]
