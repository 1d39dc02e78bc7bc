"""Vendor bills against purchase orders: billing what was received, and the three-way match.

Design overview
---------------
:func:`bill_purchase_order` drafts the supplier's bill for what was received
on an order and not yet billed — one bill line per receipt move, at the order
price unless the supplier's bill says otherwise — and matches it at once.

:func:`match_bill` compares each line of a draft vendor bill with the order
line and the receipts it refers to, using the company's tolerances:

* *suspected duplicate* — another bill of the supplier with the same total on
  the same date (the same bill number is refused outright by accounting);
* *not yet received* — a line for a product with no receipt behind it;
* *quantity variance* — billed (this bill and earlier posted ones) exceeds the
  received quantity by more than the quantity tolerance;
* *price variance* — the bill's unit price exceeds the order price by more than
  the price tolerance (a lower price is in the company's favour and matches);
* otherwise *matched*: the bill is posted and becomes payable.

A bill in an exception status stays a draft on payment hold in the AP
exception queue (:func:`crossdock.purchasing.selectors.match_queue`) until it
is resolved: the variance accepted through the approvals engine (document
type ``bill-variance``; whoever received the goods may not accept it —
rule ``RECEIVE-BILL``), a credit note requested from the supplier, or the
goods received, which re-runs the match. Posting a bill whose match is an
unresolved exception is refused.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from crossdock.accounting.events import InvoiceChanged
from crossdock.accounting.models import Invoice, InvoiceLine
from crossdock.accounting.models.invoices import InvoiceKind, InvoiceState, TaxUse
from crossdock.accounting.services.invoice_sources import default_tax
from crossdock.accounting.services.invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    create_invoice,
    lock_invoice,
    post_invoice,
    set_payment_hold,
)
from crossdock.core import audit, events, sod
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, NotFoundError, refuse_if
from crossdock.core.events import DomainEvent
from crossdock.core.fields import PRICE_SCALE
from crossdock.core.inputs import exact, refuse
from crossdock.core.permissions import require
from crossdock.purchasing.events import BillMatched
from crossdock.purchasing.models import (
    BillMatch,
    MatchStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceiptLine,
)
from crossdock.purchasing.selectors import settings_for
from crossdock.purchasing.services.orders import (
    _refuse_intercompany,
    _visible_order,
    lock_order,
    refresh_progress,
)

BILL_VARIANCE = "bill-variance"
HUNDRED = Decimal(100)
ZERO = Decimal(0)
PRICE = Decimal(1).scaleb(-PRICE_SCALE)


# -- drafting the bill from the order -----------------------------------------------------------


def _billed_per_move(move_ids: list[int], exclude_invoice: int | None = None) -> dict[int, Decimal]:
    lines = InvoiceLine.objects.filter(
        stock_move_id__in=move_ids, invoice__kind=InvoiceKind.VENDOR_BILL
    ).exclude(invoice__state=InvoiceState.CANCELLED)
    if exclude_invoice is not None:
        lines = lines.exclude(invoice_id=exclude_invoice)
    return {
        row["stock_move_id"]: row["total"]
        for row in lines.order_by().values("stock_move_id").annotate(total=Sum("quantity"))
    }


def bill_purchase_order(
    actor: Actor,
    order_id: Any,
    partner_reference: str,
    *,
    date: datetime.date | None = None,
    prices: dict[int, Decimal] | None = None,
) -> Invoice:
    """Draft the vendor bill for what was received and not yet billed, then match it.

    ``prices`` gives the supplier's unit price per order line where it differs from the
    order (in the order's currency).
    """
    with transaction.atomic():
        order = _visible_order(actor, order_id, "view")
        _refuse_intercompany(order, "bill")
        problems: dict[str, list[str]] = {}
        if not partner_reference.strip():
            problems["partner_reference"] = ["Give the supplier's bill number."]
        lines = {line.pk: line for line in order.lines.select_related("product")}
        checked_prices: dict[int, Decimal] = {}
        for line_id, price in (prices or {}).items():
            if line_id not in lines:
                problems[f"prices.{line_id}"] = [f"Line {line_id} is not on {order.reference}."]
                continue
            value = exact(price, PRICE_SCALE, f"prices.{line_id}", problems)
            if value is not None:
                checked_prices[line_id] = value
        refuse_if(problems)
        receipts = list(
            PurchaseReceiptLine.objects.filter(line__order=order, move__state="done")
            .select_related("move")
            .order_by("pk")
        )
        billed = _billed_per_move([r.move_id for r in receipts])
        tax = default_tax(order.company_id, TaxUse.PURCHASE)
        bill_lines = []
        for receipt in receipts:
            rest = receipt.move.quantity - billed.get(receipt.move_id, ZERO)
            if rest <= 0:
                continue
            line = lines[receipt.line_id]
            bill_lines.append(
                InvoiceLineInput(
                    description=f"{order.reference} · {line.product.sku} {line.product.name}"[:200],
                    quantity=rest,
                    unit_price=checked_prices.get(line.pk, line.unit_price),
                    product_id=line.product_id,
                    tax_id=tax.pk if tax else None,
                    stock_move_id=receipt.move_id,
                )
            )
        if not bill_lines:
            raise refuse(
                "order",
                f"Nothing received on {order.reference} is waiting to be billed.",
                ConflictError,
            )
        bill = create_invoice(
            actor,
            InvoiceInput(
                company_id=order.company_id,
                kind=InvoiceKind.VENDOR_BILL,
                partner_id=order.supplier_id,
                date=date or timezone.localdate(),
                lines=bill_lines,
                currency_id=order.currency_id,
                partner_reference=partner_reference.strip(),
                memo=f"Purchase order {order.reference}",
            ),
        )
        match_bill(actor, bill.pk)
        bill.refresh_from_db()
        return bill


# -- the three-way match ------------------------------------------------------------------------


def _order_lines_of(bill: Invoice) -> dict[int, PurchaseOrderLine]:
    """Bill line id → the order line its receipt move was received for."""
    links = {
        link.move_id: link.line
        for link in PurchaseReceiptLine.objects.filter(
            move_id__in=[item.stock_move_id for item in bill.lines.all() if item.stock_move_id]
        ).select_related("line__order", "line__product")
    }
    return {
        item.pk: links[item.stock_move_id]
        for item in bill.lines.all()
        if item.stock_move_id in links
    }


def _duplicate_of(bill: Invoice) -> Invoice | None:
    return (
        Invoice.objects.filter(
            company_id=bill.company_id,
            partner_id=bill.partner_id,
            kind=InvoiceKind.VENDOR_BILL,
            date=bill.date,
        )
        .filter(total_amount=bill.total_amount)  # type: ignore[misc]
        .exclude(state=InvoiceState.CANCELLED)
        .exclude(pk=bill.pk)
        .first()
    )


def _price_in_order_currency(bill: Invoice, line: InvoiceLine, order: PurchaseOrder) -> Decimal:
    net = line.unit_price * (1 - line.discount_percent / HUNDRED)
    if bill.currency_id == order.currency_id:
        return net
    from crossdock.accounting.services.rates import company_rate

    company = order.company
    bill_rate = company_rate(company, bill.currency, bill.date)
    return (net * bill_rate / order.rate).quantize(PRICE)


def evaluate_match(bill: Invoice) -> tuple[str, str, list[dict[str, Any]], PurchaseOrder | None]:
    """The match status of a draft bill, its reason, a result per line, and its order."""
    settings = None
    results: list[dict[str, Any]] = []
    order_lines = _order_lines_of(bill)
    bill_lines = list(bill.lines.select_related("product").order_by("sequence", "pk"))
    orders = {line.order_id: line.order for line in order_lines.values()}
    order = next(iter(orders.values()), None)
    billed_here: dict[int, Decimal] = defaultdict(Decimal)
    for line in bill_lines:
        if line.pk in order_lines:
            billed_here[order_lines[line.pk].pk] += line.quantity
    problems: dict[str, list[str]] = defaultdict(list)
    if order is not None:
        settings = settings_for(order.company_id)
    for line in bill_lines:
        po_line = order_lines.get(line.pk)
        row: dict[str, Any] = {
            "bill_line": line.pk,
            "product": line.product.sku if line.product else None,
            "billed": str(line.quantity),
            "bill_price": str(line.unit_price),
            "issues": [],
        }
        if po_line is None:
            if line.product_id is not None:
                row["issues"].append("no receipt behind this line")
                problems[MatchStatus.NOT_RECEIVED].append(
                    f"{line.product.sku if line.product else line.description}: nothing received"
                )
            results.append(row)
            continue
        assert settings is not None
        row.update(
            {
                "order": po_line.order.reference,
                "order_line": po_line.pk,
                "ordered": str(po_line.quantity),
                "received": str(po_line.received_quantity),
                "billed_before": str(po_line.billed_quantity),
                "order_price": str(po_line.unit_price),
            }
        )
        total_billed = po_line.billed_quantity + billed_here[po_line.pk]
        allowed = po_line.received_quantity * (1 + settings.quantity_tolerance_percent / HUNDRED)
        sku = po_line.product.sku
        if total_billed > allowed:
            row["issues"].append("billed more than received")
            problems[MatchStatus.QUANTITY_VARIANCE].append(
                f"{sku}: {total_billed.normalize():f} billed, "
                f"{po_line.received_quantity.normalize():f} received"
            )
        price = _price_in_order_currency(bill, line, po_line.order)
        ceiling = po_line.unit_price * (1 + settings.price_tolerance_percent / HUNDRED)
        if price > ceiling:
            row["issues"].append("price above the order price")
            problems[MatchStatus.PRICE_VARIANCE].append(
                f"{sku}: billed {price.normalize():f}, ordered at "
                f"{po_line.unit_price.normalize():f} "
                f"(tolerance {settings.price_tolerance_percent.normalize():f} %)"
            )
        results.append(row)
    duplicate = _duplicate_of(bill)
    if duplicate is not None:
        problems[MatchStatus.DUPLICATE].append(
            f"{duplicate} has the same supplier, date and total {bill.total_amount}"
        )
    if not bill_lines:
        problems[MatchStatus.NOT_RECEIVED].append("the bill has no lines")
    for status in (
        MatchStatus.DUPLICATE,
        MatchStatus.NOT_RECEIVED,
        MatchStatus.QUANTITY_VARIANCE,
        MatchStatus.PRICE_VARIANCE,
    ):
        if problems.get(status):
            return status, "; ".join(problems[status])[:300], results, order
    return MatchStatus.MATCHED, "", results, order


def match_bill(actor: Actor, invoice_id: Any) -> BillMatch:
    """Match a draft vendor bill; post it when it matches, hold it in the queue when not."""
    with transaction.atomic():
        bill = lock_invoice(invoice_id)
        require(actor, bill, "change")
        if bill.kind != InvoiceKind.VENDOR_BILL:
            raise refuse("invoice", f"{bill} is not a vendor bill.")
        if bill.state != InvoiceState.DRAFT:
            raise refuse("invoice", f"{bill} is {bill.get_state_display().lower()}.", ConflictError)
        status, reason, results, order = evaluate_match(bill)
        match = BillMatch.objects.select_for_update(of=("self",)).filter(invoice=bill).first()
        before = audit.snapshot(match) if match else None
        if match is None:
            match = BillMatch(company_id=bill.company_id, invoice=bill, first_status=status)
        match.order = order
        match.status = status
        match.reason = reason
        match.lines = results
        match.resolved_by = None
        match.resolution_note = ""
        match.save()
        audit.record(
            actor, audit.Change("purchasing.bill.match", match, before, audit.snapshot(match))
        )
        events.publish(BillMatched(bill.pk, status, company_id=bill.company_id))
        if status == MatchStatus.MATCHED:
            set_payment_hold(actor, bill.pk, False, "matched")
            post_invoice(actor, bill.pk)
        else:
            set_payment_hold(actor, bill.pk, True, f"{match.get_status_display()}: {reason}")
        return match


def _lock_match(actor: Actor, invoice_id: Any) -> BillMatch:
    match = (
        BillMatch.objects.select_for_update(of=("self",))
        .select_related("invoice", "order")
        .filter(invoice_id=invoice_id)
        .first()
    )
    if match is None or (
        actor.user is not None
        and not BillMatch.objects.restrict(actor.user).filter(pk=match.pk).exists()
    ):
        raise NotFoundError(f"No match for bill {invoice_id}.")
    require(actor, match, "change")
    return match


def request_credit_note(actor: Actor, invoice_id: Any, note: str) -> BillMatch:
    """Ask the supplier for a credit note; the bill stays held in the queue."""
    if not note.strip():
        raise refuse("note", "Say what the credit note is for.")
    with transaction.atomic():
        match = _lock_match(actor, invoice_id)
        if not match.is_exception:
            raise refuse(
                "status", f"The bill is {match.get_status_display().lower()}.", ConflictError
            )
        before = audit.snapshot(match)
        match.status = MatchStatus.CREDIT_REQUESTED
        match.resolution_note = note.strip()[:200]
        match.resolved_by = actor.user
        match.save()
        audit.record(
            actor,
            audit.Change("purchasing.bill.credit-requested", match, before, audit.snapshot(match)),
        )
        return match


def accept_variance(actor: Actor, invoice_id: Any, note: str) -> BillMatch:
    """Ask to accept the bill's variance: through the approvals engine, then posted."""
    from crossdock.approvals.services import submit

    if not note.strip():
        raise refuse("note", "Say why the variance should be accepted.")
    with transaction.atomic():
        match = _lock_match(actor, invoice_id)
        if match.status == MatchStatus.DUPLICATE:
            raise refuse(
                "status",
                "A suspected duplicate cannot be accepted; cancel it or correct its date or total.",
                ConflictError,
            )
        if not match.is_exception:
            raise refuse(
                "status", f"The bill is {match.get_status_display().lower()}.", ConflictError
            )
        match.resolution_note = note.strip()[:200]
        match.save(update_fields=["resolution_note", "updated_at"])
        audit.record(
            actor, audit.Change("purchasing.bill.accept-requested", match, None, {"note": note})
        )
        submit(actor, match)
        match.refresh_from_db()
        return match


def variance_accepted(actor: Actor, match: BillMatch) -> None:
    """The approvals engine accepted the variance: the bill is posted and released."""
    from crossdock.approvals.services import request_for

    match = BillMatch.objects.select_for_update(of=("self",)).get(pk=match.pk)
    if not match.is_exception:
        return
    request = request_for(BILL_VARIANCE, match.pk)
    if match.order_id is not None and request is not None and request.status == "approved":
        sod.check(
            actor,
            "purchasing.bill.accept",
            [sod.ChainObject("purchasing.purchaseorder", str(match.order_id))],
        )
    before = audit.snapshot(match)
    match.status = MatchStatus.ACCEPTED
    match.resolved_by = actor.user
    match.save()
    audit.record(
        actor, audit.Change("purchasing.bill.accept", match, before, audit.snapshot(match))
    )
    if match.order_id is not None:
        # the chain of the order records who accepted its bill, for segregation of duties
        order = PurchaseOrder.objects.get(pk=match.order_id)
        audit.record(
            actor, audit.Change("purchasing.bill.accept", order, None, {"bill": match.invoice_id})
        )
    set_payment_hold(actor, match.invoice_id, False, "variance accepted")
    post_invoice(actor, match.invoice_id)


def variance_rejected(actor: Actor, match: BillMatch, comment: str) -> None:
    """The variance was not accepted: the bill stays held, waiting for a credit note."""
    match = BillMatch.objects.select_for_update(of=("self",)).get(pk=match.pk)
    before = audit.snapshot(match)
    match.status = MatchStatus.CREDIT_REQUESTED
    match.resolution_note = f"Variance rejected: {comment}"[:200]
    match.save()
    audit.record(
        actor, audit.Change("purchasing.bill.accept-rejected", match, before, audit.snapshot(match))
    )


def rematch_waiting_bills(actor: Actor, order: PurchaseOrder) -> None:
    """Goods arrived: match again the order's draft bills that waited for them."""
    waiting = BillMatch.objects.filter(
        order=order,
        status__in=[MatchStatus.NOT_RECEIVED, MatchStatus.QUANTITY_VARIANCE],
        invoice__state=InvoiceState.DRAFT,
    ).values_list("invoice_id", flat=True)
    for invoice_id in list(waiting):
        match_bill(actor, invoice_id)


# -- keeping orders in step with their bills ----------------------------------------------------


def _refresh_billed(order_ids: set[int]) -> None:
    """Recompute billed quantities of the orders' lines from their posted bill lines."""
    for order_id in sorted(order_ids):
        order = lock_order(order_id)
        if order.intercompany_origin:
            from crossdock.purchasing.services.intercompany import refresh_billed

            refresh_billed(order)
            continue
        links = dict(
            PurchaseReceiptLine.objects.filter(line__order_id=order_id).values_list(
                "move_id", "line_id"
            )
        )
        totals: dict[int, Decimal] = defaultdict(Decimal)
        for move_id, quantity in InvoiceLine.objects.filter(
            stock_move_id__in=list(links),
            invoice__kind=InvoiceKind.VENDOR_BILL,
            invoice__state=InvoiceState.POSTED,
        ).values_list("stock_move_id", "quantity"):
            totals[links[move_id]] += quantity
        lines = list(order.lines.all())
        for line in lines:
            line.billed_quantity = totals.get(line.pk, ZERO)
        PurchaseOrderLine.objects.bulk_update(lines, ["billed_quantity"])
        refresh_progress(order)


def bill_changed(event: DomainEvent) -> None:
    """Before a bill posts: refuse an unresolved exception; after: update the order's billing."""
    if not isinstance(event, InvoiceChanged) or event.change not in ("posted", "cancelled"):
        return
    match = BillMatch.objects.filter(invoice_id=event.invoice_id).first()
    if event.change == "posted" and match is not None and match.is_exception:
        raise ConflictError(
            f"This bill is in the AP exception queue ({match.get_status_display().lower()}: "
            f"{match.reason}); accept the variance or wait for the credit note first.",
            fields={"invoice": [match.get_status_display()]},
        )
    moves = InvoiceLine.objects.filter(
        invoice_id=event.invoice_id, stock_move_id__isnull=False
    ).values_list("stock_move_id", flat=True)
    orders = set(
        PurchaseReceiptLine.objects.filter(move_id__in=list(moves)).values_list(
            "line__order_id", flat=True
        )
    )
    if orders:
        _refresh_billed(orders)
    _intercompany_billing(event.invoice_id)


def _intercompany_billing(invoice_id: int) -> None:
    """A mirrored intercompany bill or credit: match it to its order and refresh the billing."""
    from crossdock.purchasing.services.intercompany import bill_posted, orders_billed_by

    invoice = (
        Invoice.objects.filter(
            pk=invoice_id, kind__in=[InvoiceKind.VENDOR_BILL, InvoiceKind.VENDOR_CREDIT]
        )
        .exclude(mirror_of__isnull=True)
        .first()
    )
    if invoice is None:
        return
    order_ids = orders_billed_by(invoice.pk, invoice.company_id)
    if order_ids:
        bill_posted(Actor.system("intercompany"), invoice, order_ids)
