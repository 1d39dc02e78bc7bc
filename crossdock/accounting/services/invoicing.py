"""Customer invoices, vendor bills and credit notes: drafts, computation and posting.

Design overview
---------------
A draft is written from an :class:`InvoiceInput` (the same for all four kinds)
and recomputed whenever it changes: each line's subtotal, tax and total in the
document currency, rounded to the currency's minor unit per line
(:func:`compute_line`). Posting (:func:`post_invoice`) then

1. fixes the rate of the document's date (refused when no rate is known),
2. converts every line and tax to company currency, and makes the control
   side the exact sum of those, so the entry balances by construction,
3. splits the total into instalments by the payment term (the last
   instalment takes what rounding leaves) with early-payment discounts,
4. posts one entry in the sale or purchase journal through
   :func:`~crossdock.accounting.services.posting.post_entries`, and
5. numbers the document with the entry's number.

Entry shape, for an invoice (a credit note is the mirror image)::

    Dr receivable (per instalment, with partner and foreign amount)
        Cr sales / line account (per line)
        Cr output tax (per tax)

and for a bill::

    Dr line account (goods received not invoiced for received goods) / Dr input tax
        Cr payable (per instalment)

A bill line for received goods (``stock_move``) clears goods received not
invoiced at the receipt's own value for the billed quantity; the difference
to the billed price is a purchase price variance — or, when the company's
ledger settings send price differences to stock, the part still on hand goes
to stock (see :func:`~.revaluation.price_difference_lines`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from crossdock.accounting.events import InvoiceChanged
from crossdock.accounting.models import (
    CREDIT_KINDS,
    PAYABLE_KINDS,
    Account,
    AccountRole,
    Installment,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceState,
    JournalEntry,
    JournalKind,
    PaymentState,
    PaymentTermInstallment,
    Side,
    Tax,
    TaxUse,
)
from crossdock.accounting.services.ledger import accounts_by_role, journal_of
from crossdock.accounting.services.posting import EntryDraft, LineDraft, post_entries, signed_line
from crossdock.accounting.services.rates import company_rate, to_company
from crossdock.accounting.services.revaluation import price_difference_lines
from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    StaleVersionError,
    refuse_if,
)
from crossdock.core.permissions import require
from crossdock.masterdata.models import (
    Company,
    Currency,
    LocationKind,
    Partner,
    PaymentTerm,
    Product,
)

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class InvoiceLineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    account_id: int | None = None
    product_id: int | None = None
    discount_percent: Decimal = ZERO
    tax_id: int | None = None
    stock_move_id: int | None = None


@dataclass(frozen=True)
class InvoiceInput:
    """Everything a draft invoice, bill or credit note is made of."""

    company_id: int
    kind: str
    partner_id: int
    date: datetime.date
    lines: Sequence[InvoiceLineInput]
    currency_id: int | None = None  # defaults to the partner's currency
    payment_term_id: int | None = None  # defaults to the partner's term
    due_date: datetime.date | None = None  # overrides the term when given
    partner_reference: str = ""
    memo: str = ""
    payment_hold: bool = False
    source_transfer_id: int | None = None
    credit_of_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LineAmounts:
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def compute_line(
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal,
    tax: Tax | None,
    currency: Currency,
) -> LineAmounts:
    """A line's untaxed subtotal, tax and total in the document currency, rounded once each.

    A price-included tax is taken out of the gross (``tax = gross × r / (100 + r)``);
    an excluded one is added on top (``tax = subtotal × r / 100``).
    """
    gross = quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED
    if tax is None or not tax.rate:
        subtotal = currency.round(gross)
        return LineAmounts(subtotal, ZERO, subtotal)
    if tax.price_included:
        total = currency.round(gross)
        tax_amount = currency.round(total * tax.rate / (HUNDRED + tax.rate))
        return LineAmounts(total - tax_amount, tax_amount, total)
    subtotal = currency.round(gross)
    tax_amount = currency.round(subtotal * tax.rate / HUNDRED)
    return LineAmounts(subtotal, tax_amount, subtotal + tax_amount)


@dataclass(frozen=True)
class InstallmentPlan:
    due_date: datetime.date
    amount: Decimal
    discount_until: datetime.date | None = None
    discount_amount: Decimal = ZERO


def plan_installments(
    total: Decimal,
    date: datetime.date,
    term: PaymentTerm | None,
    currency: Currency,
    due_date: datetime.date | None = None,
) -> list[InstallmentPlan]:
    """Split ``total`` into due dates by the payment term; the last part takes the remainder."""
    if due_date is not None or term is None:
        return [InstallmentPlan(due_date or date, total)]
    parts: list[tuple[int, Decimal]] = [
        (row.days, row.percent)
        for row in PaymentTermInstallment.objects.filter(term=term).order_by("sequence")
    ] or [(term.net_days, HUNDRED)]
    plans = []
    left = total
    for index, (days, percent) in enumerate(parts):
        amount = left if index == len(parts) - 1 else currency.round(total * percent / HUNDRED)
        left -= amount
        discount_until = None
        discount = ZERO
        if term.discount_days is not None and term.discount_percent:
            discount_until = date + datetime.timedelta(days=term.discount_days)
            discount = currency.round(amount * term.discount_percent / HUNDRED)
        if amount or index == len(parts) - 1:
            plans.append(
                InstallmentPlan(
                    date + datetime.timedelta(days=days), amount, discount_until, discount
                )
            )
    return plans


# -- drafts ----------------------------------------------------------------------------------


def lock_invoice(invoice_id: Any) -> Invoice:
    # Its row only: the default ordering joins the company, whose row a bare FOR UPDATE
    # would lock too (see lock_landed_cost).
    invoice = (
        Invoice.objects.select_for_update(of=("self",)).filter(pk=invoice_id).order_by("pk").first()
    )
    if invoice is None:
        raise NotFoundError(f"No invoice with id {invoice_id}.")
    return invoice


def _resolve(data: InvoiceInput) -> tuple[Company, Partner, Currency, PaymentTerm | None]:
    problems: dict[str, list[str]] = {}
    if data.kind not in InvoiceKind.values:
        problems["kind"] = [f"Unknown kind; one of {', '.join(InvoiceKind.values)}."]
    company = Company.objects.select_related("base_currency").filter(pk=data.company_id).first()
    if company is None:
        raise DomainError("company: No such company.", fields={"company": ["No such company."]})
    partner = Partner.objects.filter(pk=data.partner_id, company_id=data.company_id).first()
    if partner is None:
        problems["partner"] = ["No such partner in this company."]
    elif data.kind in PAYABLE_KINDS and not partner.is_supplier:
        problems["partner"] = [f"{partner.name} is not a supplier."]
    elif data.kind not in PAYABLE_KINDS and not partner.is_customer:
        problems["partner"] = [f"{partner.name} is not a customer."]
    elif data.kind in PAYABLE_KINDS and partner.approval_status != "approved":
        problems["partner"] = [f"{partner.name} is not an approved supplier yet."]
    currency_id = data.currency_id or (partner.currency_id if partner else None)
    currency = Currency.objects.filter(pk=currency_id).first() if currency_id else None
    if currency is None:
        problems["currency"] = ["No such currency."]
    term_id = data.payment_term_id or (partner.payment_term_id if partner else None)
    term = PaymentTerm.objects.filter(pk=term_id).first() if term_id else None
    if data.payment_term_id and term is None:
        problems["payment_term"] = ["No such payment term."]
    if data.credit_of_id is not None:
        original = Invoice.objects.filter(pk=data.credit_of_id, company_id=data.company_id).first()
        if original is None:
            problems["credit_of"] = ["No such invoice in this company."]
        elif data.kind not in CREDIT_KINDS:
            problems["credit_of"] = ["Only a credit note refers to an invoice it credits."]
    if not data.lines:
        problems["lines"] = ["A document needs at least one line."]
    if problems:
        refuse_if(problems)
    assert partner is not None
    assert currency is not None
    return company, partner, currency, term


def _default_account(kind: str, accounts: dict[str, Account], line: InvoiceLineInput) -> int | None:
    if kind in PAYABLE_KINDS:
        if line.stock_move_id is not None or line.product_id is not None:
            return accounts[AccountRole.GRNI].pk
        return None
    return accounts[AccountRole.SALES].pk


def _build_lines(data: InvoiceInput, company: Company, currency: Currency) -> list[InvoiceLine]:
    accounts = accounts_by_role(company.pk)
    account_ids = {line.account_id for line in data.lines if line.account_id}
    valid_accounts = Account.objects.filter(company=company, active=True).in_bulk(account_ids)
    tax_ids = {line.tax_id for line in data.lines if line.tax_id}
    taxes = Tax.objects.filter(company=company, active=True).in_bulk(tax_ids)
    product_ids = {line.product_id for line in data.lines if line.product_id}
    products = Product.objects.in_bulk(product_ids)
    wanted_use = TaxUse.PURCHASE if data.kind in PAYABLE_KINDS else TaxUse.SALE
    moves = _stock_moves(data, company)
    problems: dict[str, list[str]] = defaultdict(list)
    built = []
    for index, line in enumerate(data.lines):
        where = f"lines.{index}"
        if not line.description.strip():
            problems[f"{where}.description"].append("Describe what is charged.")
        if line.quantity is None or line.quantity <= 0:
            problems[f"{where}.quantity"].append("The quantity must be greater than zero.")
        if line.unit_price is None or line.unit_price < 0:
            problems[f"{where}.unit_price"].append("The unit price cannot be negative.")
        if not ZERO <= line.discount_percent <= HUNDRED:
            problems[f"{where}.discount_percent"].append("The discount is between 0 and 100 %.")
        if line.product_id is not None and line.product_id not in products:
            problems[f"{where}.product"].append("No such product.")
        tax = taxes.get(line.tax_id) if line.tax_id else None
        if line.tax_id and tax is None:
            problems[f"{where}.tax"].append("No such active tax in this company.")
        elif tax is not None and tax.use != wanted_use:
            problems[f"{where}.tax"].append(f"{tax.code} is a {tax.get_use_display()} tax.")
        if line.stock_move_id is not None and line.stock_move_id not in moves:
            problems[f"{where}.stock_move"].append(
                "No such done receipt move of this company from this supplier."
                if data.kind in PAYABLE_KINDS
                else "No such done delivery move of this company to this customer."
            )
        account_id = line.account_id or _default_account(data.kind, accounts, line)
        if line.account_id and line.account_id not in valid_accounts:
            problems[f"{where}.account"].append("No such active account in this company.")
        elif account_id is None:
            problems[f"{where}.account"].append("Choose the account this line is booked to.")
        if problems or account_id is None:
            continue
        amounts = compute_line(line.quantity, line.unit_price, line.discount_percent, tax, currency)
        built.append(
            InvoiceLine(
                sequence=index + 1,
                product_id=line.product_id,
                description=line.description.strip()[:200],
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax=tax,
                account_id=account_id,
                subtotal=amounts.subtotal,
                tax_amount=amounts.tax,
                total=amounts.total,
                stock_move_id=line.stock_move_id,
            )
        )
    if problems:
        refuse_if(dict(problems))
    return built


def _stock_moves(data: InvoiceInput, company: Company) -> dict[int, Any]:
    """The done moves lines may refer to: receipts from the supplier, deliveries to the customer."""
    from crossdock.inventory.models import MoveState, StockMove

    ids = {line.stock_move_id for line in data.lines if line.stock_move_id}
    if not ids:
        return {}
    # A bill refers to what the supplier delivered (a move from a supplier location, or the
    # group company's dispatch into this company), an invoice to what went to the customer
    # (to a customer location, or an inter-company dispatch to the group company the
    # partner is) — never to a return or internal move.
    partners = Partner.objects.filter(pk=data.partner_id)
    group_company = partners.values_list("group_company_id", flat=True).first()
    if data.kind in PAYABLE_KINDS:
        of_partner = Q(
            transfer__partner_id=data.partner_id,
            source__kind=LocationKind.SUPPLIER,
            company=company,
        )
        if group_company is not None:  # an inter-company dispatch from that company to this one
            of_partner |= Q(company_id=group_company, destination__company=company)
    else:
        of_partner = Q(
            transfer__partner_id=data.partner_id, destination__kind=LocationKind.CUSTOMER
        )
        if group_company is not None:
            of_partner |= Q(destination__company_id=group_company)
        of_partner &= Q(company=company)
    moves = StockMove.objects.filter(of_partner, pk__in=ids, state=MoveState.DONE)
    return moves.in_bulk()


def _write_draft(actor: Actor, invoice: Invoice, data: InvoiceInput) -> Invoice:
    company, partner, currency, term = _resolve(data)
    lines = _build_lines(data, company, currency)
    invoice.company = company
    invoice.kind = data.kind
    invoice.partner = partner
    invoice.currency = currency
    invoice.payment_term = term
    invoice.date = data.date
    invoice.due_date = data.due_date
    invoice.partner_reference = data.partner_reference.strip()[:60]
    invoice.memo = data.memo[:200]
    invoice.payment_hold = data.payment_hold
    invoice.source_transfer_id = data.source_transfer_id
    invoice.credit_of_id = data.credit_of_id
    invoice.untaxed_amount = sum((line.subtotal for line in lines), ZERO)
    invoice.tax_amount = sum((line.tax_amount for line in lines), ZERO)
    invoice.total_amount = sum((line.total for line in lines), ZERO)
    require(actor, invoice, "add" if invoice.pk is None else "change")
    _refuse_duplicate_reference(invoice)
    invoice.save()
    invoice.lines.all().delete()
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    return invoice


def _refuse_duplicate_reference(invoice: Invoice) -> None:
    if invoice.kind != InvoiceKind.VENDOR_BILL or not invoice.partner_reference:
        return
    clash = (
        Invoice.objects.filter(
            company_id=invoice.company_id,
            partner_id=invoice.partner_id,
            kind=InvoiceKind.VENDOR_BILL,
            partner_reference=invoice.partner_reference,
        )
        .exclude(state=InvoiceState.CANCELLED)
        .exclude(pk=invoice.pk)
        .first()
    )
    if clash is not None:
        message = f"This vendor's bill {invoice.partner_reference} is already entered as {clash}."
        raise ConflictError(message, fields={"partner_reference": [message]})


def create_invoice(actor: Actor, data: InvoiceInput) -> Invoice:
    """Write a draft invoice, bill or credit note."""
    with transaction.atomic():
        invoice = _write_draft(actor, Invoice(), data)
        audit.record(
            actor, audit.Change("accounting.invoice.create", invoice, None, _snap(invoice))
        )
        events.publish(InvoiceChanged(invoice.pk, "created", company_id=invoice.company_id))
        return invoice


def update_invoice(
    actor: Actor, invoice_id: Any, data: InvoiceInput, version: int | None = None
) -> Invoice:
    """Replace a draft's header and lines (optimistic concurrency on ``version``)."""
    with transaction.atomic():
        invoice = lock_invoice(invoice_id)
        require(actor, invoice, "change")
        if invoice.state != InvoiceState.DRAFT:
            raise ConflictError(
                f"{invoice} is {invoice.get_state_display().lower()}; "
                "post a credit note to correct it."
            )
        if version is not None and version != invoice.version:
            raise StaleVersionError(
                f"{invoice} was changed by someone else (version {invoice.version}); reload it."
            )
        if data.company_id != invoice.company_id or data.kind != invoice.kind:
            raise DomainError(
                "kind: A draft keeps its company and kind.",
                fields={"kind": ["A draft keeps its company and kind."]},
            )
        before = _snap(invoice)
        invoice.version += 1
        invoice = _write_draft(actor, invoice, data)
        audit.record(
            actor, audit.Change("accounting.invoice.update", invoice, before, _snap(invoice))
        )
        events.publish(InvoiceChanged(invoice.pk, "updated", company_id=invoice.company_id))
        return invoice


def cancel_invoice(actor: Actor, invoice_id: Any) -> Invoice:
    """Cancel a draft (a posted document is corrected by a credit note, never cancelled)."""
    with transaction.atomic():
        invoice = lock_invoice(invoice_id)
        require(actor, invoice, "change")
        if invoice.state != InvoiceState.DRAFT:
            raise ConflictError(
                f"{invoice} is {invoice.get_state_display().lower()}; "
                "only a draft can be cancelled — post a credit note instead."
            )
        before = _snap(invoice)
        invoice.state = InvoiceState.CANCELLED
        invoice.version += 1
        invoice.save(update_fields=["state", "version", "updated_at"])
        audit.record(
            actor, audit.Change("accounting.invoice.cancel", invoice, before, _snap(invoice))
        )
        events.publish(InvoiceChanged(invoice.pk, "cancelled", company_id=invoice.company_id))
        return invoice


def set_payment_hold(actor: Actor, invoice_id: Any, hold: bool, reason: str = "") -> Invoice:
    """Hold a bill from payment runs (or release it), with the reason in the audit trail."""
    with transaction.atomic():
        invoice = lock_invoice(invoice_id)
        require(actor, invoice, "change")
        if invoice.payment_hold == hold:
            return invoice
        before = _snap(invoice)
        invoice.payment_hold = hold
        invoice.version += 1
        invoice.save(update_fields=["payment_hold", "version", "updated_at"])
        audit.record(
            actor,
            audit.Change(
                "accounting.invoice.hold" if hold else "accounting.invoice.release",
                invoice,
                before,
                {**_snap(invoice), "reason": reason},
            ),
        )
        return invoice


def _snap(invoice: Invoice) -> dict[str, Any]:
    data = audit.snapshot(invoice)
    data["lines"] = [
        {
            "description": line.description,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "discount_percent": str(line.discount_percent),
            "tax": line.tax_id,
            "account": line.account_id,
            "total": str(line.total),
            "stock_move": line.stock_move_id,
        }
        for line in invoice.lines.order_by("sequence", "pk")
    ]
    return data


# -- posting ---------------------------------------------------------------------------------


def post_invoice(actor: Actor, invoice_id: Any) -> Invoice:
    """Post a draft: fix its rate, instalments and journal entry; number it."""
    with transaction.atomic():
        invoice = lock_invoice(invoice_id)
        require(actor, invoice, "change")
        if invoice.state != InvoiceState.DRAFT:
            raise ConflictError(f"{invoice} is already {invoice.get_state_display().lower()}.")
        company = Company.objects.select_related("base_currency").get(pk=invoice.company_id)
        invoice.rate = company_rate(company, invoice.currency, invoice.date)
        lines = list(invoice.lines.select_related("tax").order_by("sequence", "pk"))
        if not lines:
            raise DomainError(
                "lines: A document needs at least one line.",
                fields={"lines": ["A document needs at least one line."]},
            )
        if not invoice.total_amount:
            raise DomainError(
                "lines: The document totals zero; there is nothing to post.",
                fields={"lines": ["The document totals zero; there is nothing to post."]},
            )
        entry_lines, total_company = _entry_lines(invoice, company, lines)
        plans = plan_installments(
            invoice.total_amount,
            invoice.date,
            invoice.payment_term,
            invoice.currency,
            invoice.due_date,
        )
        installments = _installments(invoice, plans, total_company)
        entry_lines = _control_lines(invoice, company, installments) + entry_lines
        journal = journal_of(
            company.pk, JournalKind.PURCHASE if invoice.kind in PAYABLE_KINDS else JournalKind.SALE
        )
        (entry_id,) = post_entries(
            actor,
            [
                EntryDraft(
                    company_id=company.pk,
                    journal_id=journal.pk,
                    date=invoice.date,
                    lines=entry_lines,
                    memo=_memo(invoice),
                    source_type="accounting.invoice",
                    source_id=str(invoice.pk),
                )
            ],
            check_permission=False,
        )
        Installment.objects.bulk_create(installments)
        before = _snap(invoice)
        invoice.entry_id = entry_id
        invoice.number = JournalEntry.objects.values_list("number", flat=True).get(pk=entry_id)
        invoice.state = InvoiceState.POSTED
        invoice.total_company = total_company
        invoice.open_amount = invoice.total_amount
        invoice.open_company = total_company
        invoice.payment_state = PaymentState.NOT_PAID
        invoice.due_date = max(plan.due_date for plan in plans)
        invoice.posted_at = timezone.now()
        invoice.version += 1
        invoice.save()
        audit.record(
            actor, audit.Change("accounting.invoice.post", invoice, before, _snap(invoice))
        )
        events.publish(InvoiceChanged(invoice.pk, "posted", company_id=invoice.company_id))
        return invoice


def _memo(invoice: Invoice) -> str:
    label = invoice.get_kind_display()
    reference = f" {invoice.partner_reference}" if invoice.partner_reference else ""
    return f"{label}{reference} — {invoice.partner.name}"


def _sign(invoice: Invoice) -> int:
    """+1 when the document's own lines are credits (an invoice, a vendor credit note)."""
    return 1 if invoice.kind in (InvoiceKind.CUSTOMER_INVOICE, InvoiceKind.VENDOR_CREDIT) else -1


def _amount_line(account_id: int, amount: Decimal, credit_positive: int, **extra: Any) -> LineDraft:
    """A line crediting ``amount`` when ``credit_positive`` is +1, debiting it when -1."""
    return signed_line(account_id, amount * credit_positive, False, **extra)


def _entry_lines(
    invoice: Invoice, company: Company, lines: list[InvoiceLine]
) -> tuple[list[LineDraft], Decimal]:
    """The revenue/expense and tax lines in company currency, and their sum (the control total)."""
    sign = _sign(invoice)
    foreign = invoice.currency_id != company.base_currency_id
    accounts = accounts_by_role(company.pk)
    drafts: list[LineDraft] = []
    total = ZERO
    taxes: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    received_values = _received_values(invoice, lines, company)
    for line in lines:
        value = to_company(line.subtotal, invoice.rate, company)
        total += value
        common: dict[str, Any] = {
            "label": line.description,
            "partner_id": invoice.partner_id,
            "product_id": line.product_id,
        }
        received = received_values.get(line.pk)
        if received and value != received:
            # Goods received not invoiced clears at the receipt's value; the rest is variance.
            drafts.append(
                _foreign(
                    _amount_line(line.account_id, received, sign, **common),
                    foreign,
                    invoice,
                    line.subtotal,
                    sign,
                )
            )
            difference = value - received
            drafts.extend(price_difference_lines(invoice, line, difference, sign, accounts, common))
        elif value:
            drafts.append(
                _foreign(
                    _amount_line(line.account_id, value, sign, **common),
                    foreign,
                    invoice,
                    line.subtotal,
                    sign,
                )
            )
        if line.tax_id and line.tax_amount:
            taxes[line.tax_id][0] += line.tax_amount
    for tax_id, (amount, _unused) in sorted(taxes.items()):
        tax = Tax.objects.get(pk=tax_id)
        value = to_company(amount, invoice.rate, company)
        total += value
        drafts.append(
            _foreign(
                _amount_line(
                    tax.account_id, value, sign, label=tax.name, partner_id=invoice.partner_id
                ),
                foreign,
                invoice,
                amount,
                sign,
            )
        )
    return drafts, total


def _foreign(
    draft: LineDraft,
    foreign: bool,
    invoice: Invoice,
    amount: Decimal,
    sign: int,
) -> LineDraft:
    """Attach the document-currency amount (negative on credits) to a foreign-currency line.

    When a line is split (goods received not invoiced and variance), the
    whole foreign amount stays on the first part, so foreign amounts still
    balance per currency.
    """
    if not foreign:
        return draft
    return LineDraft(
        account_id=draft.account_id,
        debit=draft.debit,
        credit=draft.credit,
        label=draft.label,
        currency_id=invoice.currency_id,
        amount_currency=-amount * sign,
        partner_id=draft.partner_id,
        product_id=draft.product_id,
        warehouse_id=draft.warehouse_id,
    )


def _received_values(
    invoice: Invoice, lines: list[InvoiceLine], company: Company
) -> dict[int, Decimal]:
    """Per billed line: the receipt's value (company currency) of the billed quantity, from
    the valuation layers of the moves the lines refer to (one query for the whole bill)."""
    from crossdock.inventory.selectors import layers_of_moves

    moves = {line.stock_move_id for line in lines if line.stock_move_id}
    if invoice.kind not in PAYABLE_KINDS or not moves:
        return {}
    layers = {
        row["move_id"]: (row["quantity"], row["value"])
        for row in layers_of_moves(moves, company.pk)
        .exclude(quantity=0)  # value-only layers (landed costs) are not what the supplier billed
        .order_by()
        .values("move_id")
        .annotate(quantity=Sum("quantity"), value=Sum("value"))
    }
    values = {}
    for line in lines:
        quantity, value = layers.get(line.stock_move_id, (None, None))  # type: ignore[arg-type]
        if quantity:
            values[line.pk] = company.base_currency.round(line.quantity * value / quantity)
    return values


def _installments(
    invoice: Invoice, plans: list[InstallmentPlan], total_company: Decimal
) -> list[Installment]:
    """Open items for the plans, signed by side, with company amounts summing exactly."""
    sign = -1 if invoice.kind in CREDIT_KINDS else 1
    side = Side.PAYABLE if invoice.kind in PAYABLE_KINDS else Side.RECEIVABLE
    rows = []
    left_company = total_company
    for index, plan in enumerate(plans):
        if index == len(plans) - 1:
            company_part = left_company
        elif invoice.total_amount:
            company_part = invoice.company.base_currency.round(
                total_company * plan.amount / invoice.total_amount
            )
        else:
            company_part = ZERO
        left_company -= company_part
        rows.append(
            Installment(
                invoice=invoice,
                company_id=invoice.company_id,
                partner_id=invoice.partner_id,
                side=side,
                currency_id=invoice.currency_id,
                sequence=index + 1,
                due_date=plan.due_date,
                amount=plan.amount * sign,
                amount_company=company_part * sign,
                open_amount=plan.amount * sign,
                open_company=company_part * sign,
                discount_until=plan.discount_until,
                discount_amount=plan.discount_amount * sign,
            )
        )
    return rows


def _control_lines(
    invoice: Invoice, company: Company, installments: list[Installment]
) -> list[LineDraft]:
    """The receivable or payable lines: one per instalment, opposite to the document's lines."""
    accounts = accounts_by_role(company.pk)
    role = AccountRole.PAYABLE if invoice.kind in PAYABLE_KINDS else AccountRole.RECEIVABLE
    foreign = invoice.currency_id != company.base_currency_id
    sign = -_sign(invoice)
    drafts = []
    for item in installments:
        if not item.amount_company:
            continue
        draft = _amount_line(
            accounts[role].pk,
            abs(item.amount_company),
            sign,
            label=f"Due {item.due_date.isoformat()}",
            partner_id=invoice.partner_id,
        )
        drafts.append(_foreign(draft, foreign, invoice, abs(item.amount), sign))
    return drafts
