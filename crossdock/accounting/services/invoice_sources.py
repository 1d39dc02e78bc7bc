"""Documents made from other documents: credit notes, invoices from deliveries, bills from
receipts, and the intercompany mirror of a posted invoice.

Design overview
---------------
Every function here builds an :class:`~crossdock.accounting.services.invoicing.InvoiceInput`
and hands it to :func:`~crossdock.accounting.services.invoicing.create_invoice`, so a
document made from a source is validated, computed and audited exactly like one typed in.

* :func:`credit_note_for` drafts a credit note of a posted invoice or bill: all of its
  lines by default, or chosen lines and quantities. A credit note line is matched to
  the invoiced line by what it charges (product, description, price, discount, tax,
  account and stock move); per such line, the quantities on every non-cancelled credit
  note never exceed the invoiced quantity. The limit is checked when the draft is made
  (under a lock of the original) and again when a credit note is posted, since a draft
  may be edited in between.
* :func:`invoice_from_delivery` drafts a customer invoice from a done delivery: one line
  per done move to a customer at the product's ``list_price``, converted into the
  partner's currency at the invoice date's rate. An inter-company dispatch (goods sent
  to another group company's transit location) is a delivery to that company, invoiced
  to this company's partner whose ``group_company`` it is.
* :func:`bill_from_receipt` drafts a vendor bill from a done receipt: one line per done
  move from the supplier at the move's ``unit_cost`` (company currency, converted into
  the supplier's currency when it differs). Posting clears goods received not invoiced
  at the receipt's own value; any difference is a price variance.
* Default tax: a line gets the company's sales (or purchase) tax only when the company
  has exactly one active tax of that use. With several rates the right one depends on
  the product and the partner, so the line is left untaxed for the clerk to choose on
  the draft.
* A transfer is invoiced once: a transfer whose moves are already on a non-cancelled
  invoice or bill line is refused (credit notes do not count: they correct a price or
  quantity, and the goods stay invoiced).

Intercompany mirror
-------------------
:func:`mirror_posted_invoice` subscribes to :class:`~crossdock.accounting.events.InvoiceChanged`
(published inside the posting transaction). When a customer invoice or credit note to a
partner whose ``group_company`` is another company is posted, it writes and posts, in the
same transaction, the mirrored vendor bill or credit note in that company: partner = that
company's partner whose ``group_company`` is the invoicing company, same currency, date,
payment term (or due date), quantities, prices and discounts, the purchase tax of the
same rate, ``partner_reference`` = the invoice's number, ``mirror_of`` set. Lines are booked

* to the receiving company's INTERCOMPANY account when the invoiced move went to one of
  its locations (an inter-company dispatch: its stock posting credited INTERCOMPANY at
  the transfer price, which the bill clears). The bill line names that dispatch move, as
  a supplier's bill names its receipt: posting clears INTERCOMPANY at exactly the value
  the goods entered the buyer's stock with and books any difference (a rate that moved
  between dispatch and invoice) as a price variance, and purchasing matches the bill to
  the intercompany purchase order that move was dispatched for;
* otherwise to goods received not invoiced for products, or for anything else to the
  account holding its INTERCOMPANY_SERVICES role (6300 by default; a controller may give
  the role to another expense account in the ledger settings).

When the counterpart partner is missing the posting is refused (field ``partner``) and
nothing is written in either company.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from crossdock.accounting.events import InvoiceChanged
from crossdock.accounting.models import (
    CREDIT_KINDS,
    AccountRole,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceState,
    Tax,
    TaxUse,
)
from crossdock.accounting.services.ledger import accounts_by_role
from crossdock.accounting.services.rates import company_rate
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError
from crossdock.core.events import DomainEvent
from crossdock.core.fields import PRICE_SCALE
from crossdock.core.permissions import require
from crossdock.masterdata.models import Company, ExchangeRate, LocationKind, Partner

from .invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    create_invoice,
    lock_invoice,
    post_invoice,
)

ZERO = Decimal(0)
PRICE = Decimal(1).scaleb(-PRICE_SCALE)
MIRROR = Actor.system("intercompany")
CREDIT_KIND = {
    InvoiceKind.CUSTOMER_INVOICE: InvoiceKind.CUSTOMER_CREDIT,
    InvoiceKind.VENDOR_BILL: InvoiceKind.VENDOR_CREDIT,
}
MIRROR_KIND = {
    InvoiceKind.CUSTOMER_INVOICE: InvoiceKind.VENDOR_BILL,
    InvoiceKind.CUSTOMER_CREDIT: InvoiceKind.VENDOR_CREDIT,
}


def _refuse(field: str, message: str, error: type[DomainError] = DomainError) -> DomainError:
    return error(f"{field}: {message}", fields={field: [message]})


# -- credit notes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditLine:
    """Credit ``quantity`` of the invoiced line ``line_id``."""

    line_id: int
    quantity: Decimal


def _line_key(line: InvoiceLine) -> tuple[Any, ...]:
    return (
        line.product_id,
        line.description,
        line.unit_price,
        line.discount_percent,
        line.tax_id,
        line.account_id,
        line.stock_move_id,
    )


def _credited(original: Invoice, exclude_id: int | None = None) -> dict[tuple[Any, ...], Decimal]:
    """Quantities already on the non-cancelled credit notes of ``original``, per line key."""
    lines = InvoiceLine.objects.filter(invoice__credit_of=original).exclude(
        invoice__state=InvoiceState.CANCELLED
    )
    if exclude_id is not None:
        lines = lines.exclude(invoice_id=exclude_id)
    found: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for line in lines:
        found[_line_key(line)] += line.quantity
    return found


def _invoiced(original: Invoice) -> dict[tuple[Any, ...], Decimal]:
    found: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for line in original.lines.all():
        found[_line_key(line)] += line.quantity
    return found


def credit_note_for(
    actor: Actor,
    invoice_id: Any,
    lines: Sequence[CreditLine] | None = None,
    date: datetime.date | None = None,
) -> Invoice:
    """Draft the credit note of a posted invoice or bill (all lines unless ``lines`` says)."""
    with transaction.atomic():
        original = lock_invoice(invoice_id)
        require(actor, original, "view")
        if original.kind not in CREDIT_KIND:
            raise _refuse("credit_of", f"{original} is a credit note; it cannot be credited.")
        if original.state != InvoiceState.POSTED:
            raise _refuse(
                "credit_of",
                f"{original} is {original.get_state_display().lower()}; only a posted "
                "document is credited.",
                ConflictError,
            )
        by_id = {line.pk: line for line in original.lines.order_by("sequence", "pk")}
        left = _invoiced(original)
        for key, quantity in _credited(original).items():
            left[key] -= quantity
        if lines is None:
            chosen = []  # everything still creditable, line by line
            for pk, line in by_id.items():
                quantity = min(line.quantity, max(left[_line_key(line)], ZERO))
                left[_line_key(line)] -= quantity
                if quantity:
                    chosen.append(CreditLine(pk, quantity))
            if not chosen:
                raise _refuse("lines", f"{original} has been credited in full already.")
        else:
            chosen = _check_chosen(original, by_id, left, list(lines))
        data = InvoiceInput(
            company_id=original.company_id,
            kind=CREDIT_KIND[InvoiceKind(original.kind)],
            partner_id=original.partner_id,
            date=date or timezone.localdate(),
            currency_id=original.currency_id,
            due_date=date or timezone.localdate(),
            memo=f"Credit note for {original}",
            source_transfer_id=original.source_transfer_id,
            credit_of_id=original.pk,
            lines=[_credit_line(by_id[c.line_id], c.quantity) for c in chosen],
        )
        return create_invoice(actor, data)


def _check_chosen(
    original: Invoice,
    by_id: dict[int, InvoiceLine],
    left: dict[tuple[Any, ...], Decimal],
    wanted: list[CreditLine],
) -> list[CreditLine]:
    problems: dict[str, list[str]] = {}
    if not wanted:
        problems["lines"] = ["Choose at least one line to credit."]
    for index, choice in enumerate(wanted):
        line = by_id.get(choice.line_id)
        if line is None:
            problems[f"lines.{index}.line"] = [f"No such line on {original}."]
            continue
        key = _line_key(line)
        if choice.quantity is None or choice.quantity <= 0:
            problems[f"lines.{index}.quantity"] = ["The quantity must be greater than zero."]
        elif choice.quantity > left[key]:
            problems[f"lines.{index}.quantity"] = [
                f"At most {max(left[key], ZERO).normalize():f} of “{line.description}” can "
                f"still be credited ({line.quantity.normalize():f} invoiced)."
            ]
        else:
            left[key] -= choice.quantity
    if problems:
        name, messages = next(iter(problems.items()))
        raise DomainError(f"{name}: {messages[0]}", fields=problems)
    return wanted


def _credit_line(line: InvoiceLine, quantity: Decimal) -> InvoiceLineInput:
    return InvoiceLineInput(
        description=line.description,
        quantity=quantity,
        unit_price=line.unit_price,
        account_id=line.account_id,
        product_id=line.product_id,
        discount_percent=line.discount_percent,
        tax_id=line.tax_id,
        stock_move_id=line.stock_move_id,
    )


def refuse_over_credit(credit_note: Invoice) -> None:
    """Refuse a credit note that would credit more of a line than was invoiced."""
    if credit_note.credit_of_id is None:
        return
    original = Invoice.objects.filter(pk=credit_note.credit_of_id).first()
    if original is None:
        return
    left = _invoiced(original)
    for key, quantity in _credited(original, exclude_id=credit_note.pk).items():
        left[key] -= quantity
    for index, line in enumerate(credit_note.lines.order_by("sequence", "pk")):
        key = _line_key(line)
        if key not in left:
            message = f"“{line.description}” is not on {original} as it is on this credit note."
            raise DomainError(
                f"lines.{index}: {message}", fields={f"lines.{index}.description": [message]}
            )
        if line.quantity > left[key]:
            message = (
                f"At most {max(left[key], ZERO).normalize():f} of “{line.description}” can "
                f"still be credited on {original}."
            )
            raise DomainError(
                f"lines.{index}.quantity: {message}",
                fields={f"lines.{index}.quantity": [message]},
            )
        left[key] -= line.quantity


# -- from deliveries and receipts ------------------------------------------------------------


def _transfer(actor: Actor, transfer_id: Any) -> Any:
    from crossdock.inventory.models import Transfer

    transfer = (
        Transfer.objects.select_related("company", "destination", "partner")
        .filter(pk=transfer_id)
        .first()
    )
    if transfer is None:
        raise _refuse("transfer", f"No transfer {transfer_id}.", NotFoundError)
    require(actor, transfer, "view")
    return transfer


def _refuse_undone(transfer: Any) -> None:
    from crossdock.inventory.models import MoveState

    if transfer.state != MoveState.DONE:
        raise _refuse(
            "transfer",
            f"{transfer} is {transfer.get_state_display().lower()}; only a done transfer is "
            "invoiced.",
            ConflictError,
        )


def _refuse_invoiced(transfer: Any, moves: list[Any]) -> None:
    if not moves:
        raise _refuse("transfer", f"{transfer} has no done moves to invoice.")
    taken = (
        InvoiceLine.objects.filter(
            stock_move__in=moves,
            invoice__kind__in=(InvoiceKind.CUSTOMER_INVOICE, InvoiceKind.VENDOR_BILL),
        )
        .exclude(invoice__state=InvoiceState.CANCELLED)
        .select_related("invoice")
        .first()
    )
    if taken is not None:
        raise _refuse(
            "transfer", f"{transfer} is already invoiced on {taken.invoice}.", ConflictError
        )


def default_tax(company_id: int, use: str) -> Tax | None:
    """The company's tax of ``use`` when it has exactly one active one, else none."""
    taxes = list(Tax.objects.filter(company_id=company_id, use=use, active=True)[:2])
    return taxes[0] if len(taxes) == 1 else None


def _convert(amount: Decimal, source: Any, target: Any, on: datetime.date, field: str) -> Decimal:
    if source.pk == target.pk:
        return amount.quantize(PRICE)
    try:
        rate = ExchangeRate.rate_on(source, target, on)
    except LookupError as missing:
        raise _refuse(field, str(missing)) from missing
    return (amount * rate).quantize(PRICE)


def invoice_from_delivery(
    actor: Actor, transfer_id: Any, date: datetime.date | None = None
) -> Invoice:
    """Draft the customer invoice of a done delivery (or inter-company dispatch)."""
    from crossdock.inventory.models import MoveState, TransferKind

    with transaction.atomic():
        transfer = _transfer(actor, transfer_id)
        other_company = transfer.destination.company_id != transfer.company_id
        if transfer.kind == TransferKind.TRANSIT_OUT and other_company:
            partner = (
                Partner.objects.filter(
                    company_id=transfer.company_id,
                    group_company_id=transfer.destination.company_id,
                    is_customer=True,
                    active=True,
                )
                .order_by("pk")
                .first()
            )
            if partner is None:
                raise _refuse(
                    "partner",
                    f"{transfer.company} has no customer for {transfer.destination.company}; "
                    "add a partner whose group company it is.",
                )
            moves = transfer.moves.filter(
                state=MoveState.DONE, destination__company_id=transfer.destination.company_id
            )
        elif transfer.kind == TransferKind.DELIVERY:
            partner = transfer.partner
            if partner is None:
                raise _refuse("transfer", f"{transfer} has no customer to invoice.")
            moves = transfer.moves.filter(
                state=MoveState.DONE, destination__kind=LocationKind.CUSTOMER
            )
        else:
            kind = transfer.get_kind_display().lower()
            raise _refuse("transfer", f"{transfer} is a {kind}, not a delivery.")
        _refuse_undone(transfer)
        moves = list(moves.select_related("product", "product__currency").order_by("pk"))
        _refuse_invoiced(transfer, moves)
        on = date or timezone.localdate()
        tax = default_tax(transfer.company_id, TaxUse.SALE)
        lines = [
            InvoiceLineInput(
                description=f"{move.product.sku} {move.product.name}",
                quantity=move.quantity,
                unit_price=_convert(
                    move.product.list_price, move.product.currency, partner.currency, on, "currency"
                ),
                product_id=move.product_id,
                tax_id=tax.pk if tax else None,
                stock_move_id=move.pk,
            )
            for move in moves
        ]
        return create_invoice(
            actor,
            InvoiceInput(
                company_id=transfer.company_id,
                kind=InvoiceKind.CUSTOMER_INVOICE,
                partner_id=partner.pk,
                date=on,
                lines=lines,
                memo=f"Delivery {transfer.reference}",
                source_transfer_id=transfer.pk,
            ),
        )


def bill_from_receipt(
    actor: Actor, transfer_id: Any, partner_reference: str, date: datetime.date | None = None
) -> Invoice:
    """Draft the vendor bill of a done receipt, at the receipt's unit costs."""
    from crossdock.inventory.models import MoveState, TransferKind
    from crossdock.inventory.selectors import layers_of_moves

    with transaction.atomic():
        transfer = _transfer(actor, transfer_id)
        if transfer.kind != TransferKind.RECEIPT:
            kind = transfer.get_kind_display().lower()
            raise _refuse("transfer", f"{transfer} is a {kind}, not a receipt.")
        partner = transfer.partner
        if partner is None:
            raise _refuse("transfer", f"{transfer} has no supplier to bill from.")
        _refuse_undone(transfer)
        moves = list(
            transfer.moves.filter(state=MoveState.DONE, source__kind=LocationKind.SUPPLIER)
            .select_related("product")
            .order_by("pk")
        )
        _refuse_invoiced(transfer, moves)
        on = date or timezone.localdate()
        company = Company.objects.select_related("base_currency").get(pk=transfer.company_id)
        rate = Decimal(1)
        if partner.currency_id != company.base_currency_id:
            rate = company_rate(company, partner.currency, on)
        layers: dict[int, dict[str, Any]] = {
            row["move_id"]: dict(row)
            for row in layers_of_moves([m.pk for m in moves], company.pk)
            .order_by()
            .values("move_id")
            .annotate(quantity=Sum("quantity"), value=Sum("value"))
        }
        tax = default_tax(company.pk, TaxUse.PURCHASE)
        lines = []
        for move in moves:
            cost = move.unit_cost
            if cost is None and layers.get(move.pk, {}).get("quantity"):
                cost = layers[move.pk]["value"] / layers[move.pk]["quantity"]
            lines.append(
                InvoiceLineInput(
                    description=f"{move.product.sku} {move.product.name}",
                    quantity=move.quantity,
                    unit_price=((cost or ZERO) / rate).quantize(PRICE),
                    product_id=move.product_id,
                    tax_id=tax.pk if tax else None,
                    stock_move_id=move.pk,
                )
            )
        return create_invoice(
            actor,
            InvoiceInput(
                company_id=company.pk,
                kind=InvoiceKind.VENDOR_BILL,
                partner_id=partner.pk,
                date=on,
                lines=lines,
                partner_reference=partner_reference,
                memo=f"Receipt {transfer.reference}",
                source_transfer_id=transfer.pk,
            ),
        )


# -- intercompany mirror ---------------------------------------------------------------------


def mirror_posted_invoice(event: DomainEvent) -> None:
    """On posting: check a credit note's limits; mirror an intercompany invoice or credit."""
    if not isinstance(event, InvoiceChanged) or event.change != "posted":
        return
    invoice = Invoice.objects.select_related("partner", "company").get(pk=event.invoice_id)
    if invoice.kind in CREDIT_KINDS and invoice.credit_of_id:
        refuse_over_credit(invoice)
    if invoice.kind not in MIRROR_KIND or invoice.mirror_of_id:
        return
    other_id = invoice.partner.group_company_id
    if other_id is None or other_id == invoice.company_id:
        return
    mirror = _write_mirror(invoice, Company.objects.get(pk=other_id))
    post_invoice(MIRROR, mirror.pk)


def _write_mirror(invoice: Invoice, other: Company) -> Invoice:
    partner = (
        Partner.objects.filter(company=other, group_company_id=invoice.company_id, active=True)
        .order_by("pk")
        .first()
    )
    if partner is None:
        raise _refuse(
            "partner",
            f"{other} has no partner for {invoice.company}, so the intercompany bill cannot be "
            f"mirrored; add a supplier in {other} whose group company is {invoice.company}.",
        )
    credit_of = None
    if invoice.credit_of_id is not None:
        credit_of = (
            Invoice.objects.filter(mirror_of_id=invoice.credit_of_id, company=other)
            .values_list("pk", flat=True)
            .first()
        )
    lines = list(
        invoice.lines.select_related("tax", "stock_move__destination").order_by("sequence", "pk")
    )
    data = InvoiceInput(
        company_id=other.pk,
        kind=MIRROR_KIND[InvoiceKind(invoice.kind)],
        partner_id=partner.pk,
        date=invoice.date,
        currency_id=invoice.currency_id,
        payment_term_id=invoice.payment_term_id,
        due_date=None if invoice.payment_term_id else invoice.due_date,
        partner_reference=invoice.number,
        memo=f"Intercompany {invoice.get_kind_display().lower()} {invoice.number}",
        credit_of_id=credit_of,
        lines=_mirror_lines(other, lines),
    )
    mirror = create_invoice(MIRROR, data)
    Invoice.objects.filter(pk=mirror.pk).update(mirror_of=invoice)
    return mirror


def _mirror_lines(other: Company, lines: list[InvoiceLine]) -> list[InvoiceLineInput]:
    accounts = accounts_by_role(other.pk)
    expense = accounts.get(AccountRole.INTERCOMPANY_SERVICES)
    taxes = list(Tax.objects.filter(company=other, use=TaxUse.PURCHASE, active=True))
    built = []
    for index, line in enumerate(lines):
        move = line.stock_move
        move_id = None
        if move is not None and move.destination.company_id == other.pk:
            account_id = accounts[AccountRole.INTERCOMPANY].pk
            move_id = move.pk
        elif line.product_id is not None:
            account_id = accounts[AccountRole.GRNI].pk
        elif expense is not None:
            account_id = expense.pk
        else:
            raise _refuse(
                f"lines.{index}.account",
                f"{other} has no account for services bought from group companies; "
                "assign one in its ledger settings.",
            )
        tax_id = None
        if line.tax is not None:
            match = next(
                (
                    t
                    for t in taxes
                    if t.rate == line.tax.rate and t.price_included == line.tax.price_included
                ),
                None,
            )
            if match is None:
                raise _refuse(
                    f"lines.{index}.tax",
                    f"{other} has no active purchase tax at {line.tax.rate.normalize():f} % "
                    "to mirror this line's tax.",
                )
            tax_id = match.pk
        built.append(
            InvoiceLineInput(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                account_id=account_id,
                product_id=line.product_id,
                discount_percent=line.discount_percent,
                tax_id=tax_id,
                stock_move_id=move_id,
            )
        )
    return built


__all__ = [
    "CreditLine",
    "bill_from_receipt",
    "credit_note_for",
    "default_tax",
    "invoice_from_delivery",
    "mirror_posted_invoice",
    "refuse_over_credit",
]
