"""Payments and reconciliation: money in and out, allocated to open items, exact to the cent.

Design overview
---------------
:func:`register_payment` writes and posts a payment in one transaction. It
settles open items (:class:`~crossdock.accounting.models.Installment`) of the
partner — those given, or the oldest due first — and posts one entry in the
bank journal::

    inbound:   Dr bank (payment rate)           outbound:  Dr payable (booked)
               Dr discounts allowed (booked)               Cr bank (payment rate)
               Cr receivable (booked)                      Cr discounts received (booked)
               Cr/Dr exchange gain/loss                    Cr/Dr exchange gain/loss

Each allocation clears the item at the company amount it was *booked* at, so
the control account and the open items stay equal to the cent; what the
payment's rate makes of the same document-currency amount differs by the
realised exchange result, which the same entry posts. When an allocation
settles the last open part of an item it takes exactly the item's remaining
company amount, so no rounding residue is ever left open.

A payment larger than what it settles is refused unless the caller chooses
``overpayment``: the rest stays on the payment as ``unallocated`` (on account,
at the payment's rate) and is allocated later with :func:`allocate_payment`.
A credit note's open item settles an invoice's with :func:`offset_credit_note`.
Later allocations post only their exchange difference, if any.

Invariant (``crossdock audit`` proves it): per company and side, the open
items' company amounts less the payments' unallocated company amounts equal
the receivable (payable) control accounts.

Payment runs gather the vendor bills that are due (or whose early-payment
discount is still open) and cleared for payment — not on hold, from approved
suppliers with an approved bank account — into one document that goes through
the approvals engine (document type ``payment-run``); once approved,
:func:`execute_payment_run` posts one outgoing payment per vendor and currency.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from crossdock.accounting.events import InvoiceChanged, PaymentChanged
from crossdock.accounting.models import (
    Account,
    AccountRole,
    AccountType,
    Allocation,
    Installment,
    Invoice,
    InvoiceState,
    JournalEntry,
    JournalKind,
    Payment,
    PaymentDirection,
    PaymentRun,
    PaymentRunLine,
    PaymentRunState,
    PaymentState,
    PaymentStatus,
    Side,
)
from crossdock.accounting.services.ledger import accounts_by_role, journal_of
from crossdock.accounting.services.posting import EntryDraft, LineDraft, post_entries, signed_line
from crossdock.accounting.services.rates import company_rate, to_company
from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError, refuse_if
from crossdock.core.permissions import require
from crossdock.masterdata.models import Company, Currency, Partner

ZERO = Decimal(0)


@dataclass(frozen=True)
class AllocationInput:
    """Settle ``amount`` (document currency, the cash part) of one open item."""

    installment_id: int
    amount: Decimal


@dataclass(frozen=True)
class PaymentInput:
    company_id: int
    direction: str
    partner_id: int
    date: datetime.date
    amount: Decimal
    currency_id: int | None = None  # defaults to the partner's currency
    bank_account_id: int | None = None  # defaults to the company's bank account
    reference: str = ""
    allocations: Sequence[AllocationInput] | None = None  # None: oldest due first
    overpayment: bool = False
    take_discounts: bool = True
    payment_run_id: int | None = None


def side_of(direction: str) -> Side:
    return Side.RECEIVABLE if direction == PaymentDirection.INBOUND else Side.PAYABLE


# -- settling items ---------------------------------------------------------------------------


@dataclass
class _Settlement:
    """What one payment does to one open item, in document and company currency."""

    item: Installment
    cash: Decimal
    cash_booked: Decimal
    discount: Decimal = ZERO
    discount_booked: Decimal = ZERO
    cash_at_payment_rate: Decimal = ZERO


def _discount_open(item: Installment, on: datetime.date) -> Decimal:
    """The early-payment discount still available on ``item`` for a payment dated ``on``."""
    if not item.discount_amount or item.discount_until is None or on > item.discount_until:
        return ZERO
    taken = getattr(item, "discount_taken", None)  # annotated where items are loaded
    if taken is None:
        taken = Allocation.objects.filter(installment=item, discount=True).exists()
    if taken:
        return ZERO
    return min(abs(item.discount_amount), abs(item.open_amount))


def _booked(item: Installment, part: Decimal, settles_rest: bool, currency: Currency) -> Decimal:
    """``part`` of the item in company currency at the rate the item was booked at."""
    if settles_rest:
        return abs(item.open_company)
    if not item.amount:
        return ZERO
    return currency.round(part * abs(item.amount_company) / abs(item.amount))


def _settle(
    item: Installment, cash: Decimal, on: datetime.date, take_discounts: bool, company: Company
) -> _Settlement:
    """How ``cash`` settles ``item``: with the early-payment discount when ``cash`` is exactly
    the open amount less the discount still available."""
    base = company.base_currency
    open_amount = abs(item.open_amount)
    discount = _discount_open(item, on) if take_discounts else ZERO
    if discount and cash == open_amount - discount:
        discount_booked = _booked(item, discount, False, base)
        cash_booked = abs(item.open_company) - discount_booked
        return _Settlement(item, cash, cash_booked, discount, discount_booked)
    return _Settlement(item, cash, _booked(item, cash, cash == open_amount, base))


_DISCOUNT_TAKEN = Exists(Allocation.objects.filter(installment=OuterRef("pk"), discount=True))


def _lock_items(ids: Sequence[int]) -> dict[int, Installment]:
    return {
        item.pk: item
        for item in Installment.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(ids)))
        .annotate(discount_taken=_DISCOUNT_TAKEN)
        .select_related("invoice")
        .order_by("pk")
    }


def _open_items_of(company_id: int, partner_id: int, side: Side, currency_id: int) -> list[int]:
    return list(
        Installment.objects.filter(
            company_id=company_id,
            partner_id=partner_id,
            side=side,
            currency_id=currency_id,
            open_amount__gt=0,
            invoice__state=InvoiceState.POSTED,
        )
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)
    )


def _plan(
    data: PaymentInput, company: Company, currency: Currency, side: Side
) -> list[_Settlement]:
    """The settlements of a payment: the requested allocations, or the oldest items first."""
    problems: dict[str, list[str]] = defaultdict(list)
    if data.allocations is None:
        items = _lock_items(_open_items_of(company.pk, data.partner_id, side, currency.pk))
        left = data.amount
        settlements = []
        for item in sorted(items.values(), key=lambda i: (i.due_date, i.pk)):
            if left <= 0:
                break
            discount = _discount_open(item, data.date) if data.take_discounts else ZERO
            need = abs(item.open_amount) - discount
            settlement = _settle(item, min(left, need), data.date, data.take_discounts, company)
            settlements.append(settlement)
            left -= settlement.cash
        return settlements
    items = _lock_items([a.installment_id for a in data.allocations])
    settlements = []
    seen: set[int] = set()
    for index, wanted in enumerate(data.allocations):
        where = f"allocations.{index}"
        found = items.get(wanted.installment_id)
        if found is None or found.company_id != company.pk or found.partner_id != data.partner_id:
            problems[f"{where}.installment"].append("No such open item of this partner.")
            continue
        item = found
        if item.side != side:
            problems[f"{where}.installment"].append(
                f"This is a {item.get_side_display().lower()} item; "
                f"a payment {PaymentDirection(data.direction).label.lower()} cannot settle it."
            )
            continue
        if item.currency_id != currency.pk:
            problems[f"{where}.installment"].append(
                f"The item is in {item.currency.code}; pay it in that currency."
            )
            continue
        if item.pk in seen:
            problems[f"{where}.installment"].append("The same item is allocated twice.")
            continue
        seen.add(item.pk)
        if item.open_amount <= 0:
            problems[f"{where}.installment"].append(
                "Nothing is open on this item (a credit note is settled against an invoice)."
            )
            continue
        if not isinstance(wanted.amount, Decimal) or wanted.amount <= 0:
            problems[f"{where}.amount"].append("The amount must be greater than zero.")
            continue
        if wanted.amount != currency.round(wanted.amount):
            problems[f"{where}.amount"].append(
                f"{currency.code} has {currency.minor_units} decimal places."
            )
            continue
        settlement = _settle(item, wanted.amount, data.date, data.take_discounts, company)
        if wanted.amount > abs(item.open_amount):
            problems[f"{where}.amount"].append(
                f"Only {abs(item.open_amount)} {currency.code} is open on {item.invoice}."
            )
            continue
        settlements.append(settlement)
    if problems:
        refuse_if(dict(problems))
    return settlements


def _resolve(data: PaymentInput) -> tuple[Company, Partner, Currency, Account]:
    problems: dict[str, list[str]] = {}
    company = Company.objects.select_related("base_currency").filter(pk=data.company_id).first()
    if company is None:
        raise DomainError("company: No such company.", fields={"company": ["No such company."]})
    if data.direction not in PaymentDirection.values:
        problems["direction"] = [f"One of {', '.join(PaymentDirection.values)}."]
    partner = Partner.objects.filter(pk=data.partner_id, company=company).first()
    if partner is None:
        problems["partner"] = ["No such partner in this company."]
    elif data.direction == PaymentDirection.INBOUND and not partner.is_customer:
        problems["partner"] = [f"{partner.name} is not a customer."]
    elif data.direction == PaymentDirection.OUTBOUND and not partner.is_supplier:
        problems["partner"] = [f"{partner.name} is not a supplier."]
    elif data.direction == PaymentDirection.OUTBOUND and partner.approval_status != "approved":
        problems["partner"] = [f"{partner.name} is not an approved supplier; nothing is paid."]
    currency_id = data.currency_id or (partner.currency_id if partner else None)
    currency = Currency.objects.filter(pk=currency_id).first() if currency_id else None
    if currency is None:
        problems["currency"] = ["No such currency."]
    amount = data.amount
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        problems["amount"] = ["The amount must be greater than zero."]
    elif currency is not None and amount != currency.round(amount):
        problems["amount"] = [f"{currency.code} has {currency.minor_units} decimal places."]
    if data.bank_account_id is not None:
        bank = Account.objects.filter(
            pk=data.bank_account_id, company=company, active=True, account_type=AccountType.BANK
        ).first()
        if bank is None:
            problems["bank_account"] = ["No such active bank account in this company."]
    else:
        bank = accounts_by_role(company.pk).get(AccountRole.BANK)
        if bank is None:
            problems["bank_account"] = ["The company has no bank account; choose one."]
    if problems:
        refuse_if(problems)
    assert partner is not None
    assert currency is not None
    assert bank is not None
    return company, partner, currency, bank


# -- posting ----------------------------------------------------------------------------------


def _fx_lines(accounts: dict[str, Account], gain: Decimal, label: str) -> list[LineDraft]:
    if gain > 0:
        return [signed_line(accounts[AccountRole.FX_GAIN].pk, gain, False, label=label)]
    if gain < 0:
        return [signed_line(accounts[AccountRole.FX_LOSS].pk, -gain, True, label=label)]
    return []


def _payment_entry(
    payment: Payment, company: Company, settlements: list[_Settlement], unallocated: Decimal
) -> EntryDraft:
    accounts = accounts_by_role(company.pk)
    inbound = payment.direction == PaymentDirection.INBOUND
    control = accounts[AccountRole.RECEIVABLE if inbound else AccountRole.PAYABLE].pk
    foreign = payment.currency_id != company.base_currency_id

    def amounts(value: Decimal) -> dict[str, Any]:
        return {"currency_id": payment.currency_id, "amount_currency": value} if foreign else {}

    common: dict[str, Any] = {
        "partner_id": payment.partner_id,
        "label": payment.reference or payment.partner.name,
    }
    cash_booked = sum((s.cash_booked for s in settlements), ZERO)
    discount = sum((s.discount for s in settlements), ZERO)
    discount_booked = sum((s.discount_booked for s in settlements), ZERO)
    cash = sum((s.cash for s in settlements), ZERO)
    lines = [
        signed_line(
            payment.bank_account_id, payment.amount_company, inbound, **common,
            **amounts(payment.amount),
        ),
    ]  # fmt: skip
    settled = cash_booked + discount_booked + payment.unallocated_company
    if settled:
        lines.append(
            signed_line(
                control, settled, not inbound, **common,
                **amounts(cash + discount + payment.unallocated_amount),
            )
        )  # fmt: skip
    if discount_booked:
        role = AccountRole.SALES_DISCOUNT if inbound else AccountRole.PURCHASE_DISCOUNT
        lines.append(
            signed_line(
                accounts[role].pk, discount_booked, inbound, label="Early-payment discount",
                partner_id=payment.partner_id, **amounts(discount),
            )
        )  # fmt: skip
    at_rate = sum((s.cash_at_payment_rate for s in settlements), ZERO)
    gain = at_rate - cash_booked if inbound else cash_booked - at_rate
    lines += _fx_lines(accounts, gain, f"Exchange difference {payment}")
    return EntryDraft(
        company_id=company.pk,
        journal_id=journal_of(company.pk, JournalKind.BANK).pk,
        date=payment.date,
        lines=lines,
        memo=f"{payment.get_direction_display()}: {payment.partner.name}",
        source_type="accounting.payment",
        source_id=str(payment.pk),
    )


def _apply(
    settlements: list[_Settlement],
    on: datetime.date,
    company_id: int,
    payment: Payment | None = None,
    entry_id: int | None = None,
) -> None:
    """Write the allocations and bring the items' and invoices' open amounts down."""
    rows = []
    for s in settlements:
        sign = 1 if s.item.amount >= 0 else -1
        rows.append(
            Allocation(
                company_id=company_id, installment=s.item, payment=payment, date=on,
                amount=s.cash * sign, amount_company=s.cash_booked * sign,
                payment_amount_company=s.cash_at_payment_rate * sign,
                fx_entry_id=entry_id if s.cash_at_payment_rate != s.cash_booked else None,
            )
        )  # fmt: skip
        if s.discount:
            rows.append(
                Allocation(
                    company_id=company_id, installment=s.item, payment=payment, date=on,
                    amount=s.discount * sign, amount_company=s.discount_booked * sign,
                    payment_amount_company=s.discount_booked * sign, discount=True,
                    discount_entry_id=entry_id,
                )
            )  # fmt: skip
        s.item.open_amount -= (s.cash + s.discount) * sign
        s.item.open_company -= (s.cash_booked + s.discount_booked) * sign
    Allocation.objects.bulk_create(rows)
    Installment.objects.bulk_update(
        [s.item for s in settlements], ["open_amount", "open_company"], batch_size=500
    )
    refresh_invoices({s.item.invoice_id for s in settlements})


def refresh_invoices(invoice_ids: set[int]) -> None:
    """Recompute the open amounts and payment state of invoices from their items."""
    if not invoice_ids:
        return
    totals = {
        row["invoice_id"]: row
        for row in Installment.objects.filter(invoice_id__in=invoice_ids)
        .order_by()
        .values("invoice_id")
        .annotate(open=Sum("open_amount"), open_company=Sum("open_company"))
    }
    invoices = list(Invoice.objects.filter(pk__in=invoice_ids))
    for invoice in invoices:
        row = totals.get(invoice.pk, {"open": ZERO, "open_company": ZERO})
        invoice.open_amount = abs(row["open"])
        invoice.open_company = abs(row["open_company"])
        invoice.payment_state = payment_state_of(invoice.open_amount, invoice.total_amount)
    Invoice.objects.bulk_update(invoices, ["open_amount", "open_company", "payment_state"])
    for invoice in invoices:
        if invoice.payment_state == PaymentState.PAID:
            events.publish(InvoiceChanged(invoice.pk, "paid", company_id=invoice.company_id))


def payment_state_of(open_amount: Decimal, total: Decimal) -> PaymentState:
    if not open_amount:
        return PaymentState.PAID
    if open_amount != abs(total):
        return PaymentState.PARTIAL
    return PaymentState.NOT_PAID


def register_payment(actor: Actor, data: PaymentInput) -> Payment:
    """Write and post a payment, allocated to the partner's open items; refuse overpayments
    the caller did not choose."""
    with transaction.atomic():
        company, partner, currency, bank = _resolve(data)
        side = side_of(data.direction)
        payment = Payment(
            company=company, direction=data.direction, partner=partner, date=data.date,
            currency=currency, amount=data.amount, bank_account=bank,
            reference=data.reference.strip()[:100], payment_run_id=data.payment_run_id,
        )  # fmt: skip
        require(actor, payment, "add")
        rate = company_rate(company, currency, data.date)
        settlements = _plan(data, company, currency, side)
        cash = sum((s.cash for s in settlements), ZERO)
        if cash > data.amount:
            raise DomainError(
                f"allocations: The allocations ({cash}) are more than the payment ({data.amount}).",
                fields={"allocations": [f"Allocate at most {data.amount} {currency.code}."]},
            )
        rest = data.amount - cash
        if rest and not data.overpayment:
            message = (
                f"The payment is {currency.round(rest)} {currency.code} more than the open items "
                "it settles; "
                "choose overpayment to keep it on the partner's account."
            )
            raise DomainError(f"amount: {message}", fields={"amount": [message]})
        payment.rate = rate
        payment.amount_company = to_company(data.amount, rate, company)
        for s in settlements:
            s.cash_at_payment_rate = to_company(s.cash, rate, company)
        if settlements and not rest:  # the last part takes what rounding leaves
            others = sum((s.cash_at_payment_rate for s in settlements[:-1]), ZERO)
            settlements[-1].cash_at_payment_rate = payment.amount_company - others
        payment.unallocated_amount = rest
        payment.unallocated_company = payment.amount_company - sum(
            (s.cash_at_payment_rate for s in settlements), ZERO
        )
        payment.save()
        (entry_id,) = post_entries(
            actor, [_payment_entry(payment, company, settlements, rest)], check_permission=False
        )
        payment.entry_id = entry_id
        payment.number = JournalEntry.objects.values_list("number", flat=True).get(pk=entry_id)
        payment.state = PaymentStatus.POSTED
        payment.posted_at = timezone.now()
        payment.save(update_fields=["entry", "number", "state", "posted_at", "updated_at"])
        _apply(settlements, data.date, company.pk, payment, entry_id)
        audit.record(actor, audit.Change("accounting.payment.post", payment, None, _snap(payment)))
        events.publish(PaymentChanged(payment.pk, "posted", company_id=company.pk))
        return payment


def _snap(payment: Payment) -> dict[str, Any]:
    data = audit.snapshot(payment)
    data["allocations"] = [
        {"item": a.installment_id, "amount": str(a.amount), "discount": a.discount}
        for a in payment.allocations.order_by("pk")
    ]
    return data


def _adjustment_entry(
    company: Company, side: str, partner_id: int, delta: Decimal, on: datetime.date, memo: str
) -> int | None:
    """Post what makes the control account follow its items by ``delta`` (an exchange result).

    ``delta`` is the change of what is owed (to us on receivables, by us on payables).
    """
    if not delta:
        return None
    accounts = accounts_by_role(company.pk)
    receivable = side == Side.RECEIVABLE
    control = accounts[AccountRole.RECEIVABLE if receivable else AccountRole.PAYABLE].pk
    gain = delta if receivable else -delta
    lines = [signed_line(control, delta, receivable, partner_id=partner_id, label=memo)]
    lines += _fx_lines(accounts, gain, memo)
    (entry_id,) = post_entries(
        Actor.system("reconciliation"),
        [
            EntryDraft(
                company_id=company.pk,
                journal_id=journal_of(company.pk, JournalKind.BANK).pk,
                date=on,
                lines=lines,
                memo=memo,
                source_type="accounting.allocation",
            )
        ],
        check_permission=False,
    )
    return entry_id


def lock_payment(payment_id: Any) -> Payment:
    payment = Payment.objects.select_for_update(of=("self",)).filter(pk=payment_id).first()
    if payment is None:
        raise NotFoundError(f"No payment with id {payment_id}.")
    return payment


def allocate_payment(
    actor: Actor,
    payment_id: Any,
    allocations: Sequence[AllocationInput] | None = None,
    date: datetime.date | None = None,
) -> Payment:
    """Allocate what a payment still holds on account to open items of its partner."""
    with transaction.atomic():
        payment = lock_payment(payment_id)
        require(actor, payment, "change")
        if payment.state != PaymentStatus.POSTED:
            raise ConflictError(f"{payment} is not posted.")
        if not payment.unallocated_amount:
            raise ConflictError(f"{payment} is fully allocated already.")
        company = Company.objects.select_related("base_currency").get(pk=payment.company_id)
        on = date or payment.date
        data = PaymentInput(
            company_id=company.pk, direction=payment.direction, partner_id=payment.partner_id,
            date=on, amount=payment.unallocated_amount, currency_id=payment.currency_id,
            allocations=allocations, take_discounts=False,
        )  # fmt: skip
        currency = Currency.objects.get(pk=payment.currency_id)
        settlements = _plan(data, company, currency, side_of(payment.direction))
        if not settlements:
            raise DomainError(
                "allocations: The partner has no open items to allocate to.",
                fields={"allocations": ["The partner has no open items to allocate to."]},
            )
        cash = sum((s.cash for s in settlements), ZERO)
        if cash > payment.unallocated_amount:
            message = f"Only {payment.unallocated_amount} {currency.code} is left on {payment}."
            raise DomainError(f"allocations: {message}", fields={"allocations": [message]})
        left_company = payment.unallocated_company
        for s in settlements:
            s.cash_at_payment_rate = to_company(s.cash, payment.rate, company)
        if cash == payment.unallocated_amount:
            others = sum((s.cash_at_payment_rate for s in settlements[:-1]), ZERO)
            settlements[-1].cash_at_payment_rate = left_company - others
        used = sum((s.cash_at_payment_rate for s in settlements), ZERO)
        booked = sum((s.cash_booked for s in settlements), ZERO)
        # Owed before: items' booked value − money on account; after, both less what settled.
        delta = used - booked
        entry_id = _adjustment_entry(
            company, side_of(payment.direction), payment.partner_id, delta, on,
            f"Exchange difference {payment}",
        )  # fmt: skip
        before = _snap(payment)
        _apply(settlements, on, company.pk, payment, entry_id)
        payment.unallocated_amount -= cash
        payment.unallocated_company -= used
        payment.version += 1
        payment.save(
            update_fields=["unallocated_amount", "unallocated_company", "version", "updated_at"]
        )
        audit.record(
            actor, audit.Change("accounting.payment.allocate", payment, before, _snap(payment))
        )
        events.publish(PaymentChanged(payment.pk, "allocated", company_id=company.pk))
        return payment


def offset_credit_note(
    actor: Actor,
    credit_item_id: Any,
    item_id: Any,
    amount: Decimal | None = None,
    date: datetime.date | None = None,
) -> list[Allocation]:
    """Settle an invoice's (or bill's) open item with a credit note's open item of the partner."""
    with transaction.atomic():
        items = _lock_items([int(credit_item_id), int(item_id)])
        credit, item = items.get(int(credit_item_id)), items.get(int(item_id))
        if credit is None or credit.open_amount >= 0:
            raise DomainError(
                "credit_item: No open credit-note item with this id.",
                fields={"credit_item": ["No open credit-note item with this id."]},
            )
        if item is None or item.open_amount <= 0:
            raise DomainError(
                "installment: No open invoice item with this id.",
                fields={"installment": ["No open invoice item with this id."]},
            )
        require(actor, item.invoice, "change")
        if (credit.company_id, credit.partner_id, credit.side, credit.currency_id) != (
            item.company_id, item.partner_id, item.side, item.currency_id,
        ):  # fmt: skip
            message = "The credit note and the invoice must be of one partner, side and currency."
            raise DomainError(f"credit_item: {message}", fields={"credit_item": [message]})
        company = Company.objects.select_related("base_currency").get(pk=item.company_id)
        most = min(item.open_amount, -credit.open_amount)
        amount = most if amount is None else amount
        if not isinstance(amount, Decimal) or amount <= 0 or amount > most:
            message = f"Offset more than zero and at most {most}."
            raise DomainError(f"amount: {message}", fields={"amount": [message]})
        on = date or max(credit.invoice.date, item.invoice.date)
        base = company.base_currency
        first = _Settlement(item, amount, _booked(item, amount, amount == item.open_amount, base))
        second = _Settlement(
            credit, amount, _booked(credit, amount, amount == -credit.open_amount, base)
        )
        first.cash_at_payment_rate = first.cash_booked
        second.cash_at_payment_rate = second.cash_booked
        delta = second.cash_booked - first.cash_booked
        entry_id = _adjustment_entry(
            company, item.side, item.partner_id, delta, on,
            f"Credit note {credit.invoice} against {item.invoice}",
        )  # fmt: skip
        rows = [
            Allocation(
                company_id=company.pk, installment=item, counter_installment=credit, date=on,
                amount=amount, amount_company=first.cash_booked,
                payment_amount_company=first.cash_booked, fx_entry_id=entry_id,
            ),
            Allocation(
                company_id=company.pk, installment=credit, counter_installment=item, date=on,
                amount=-amount, amount_company=-second.cash_booked,
                payment_amount_company=-second.cash_booked, fx_entry_id=entry_id,
            ),
        ]  # fmt: skip
        Allocation.objects.bulk_create(rows)
        item.open_amount -= amount
        item.open_company -= first.cash_booked
        credit.open_amount += amount
        credit.open_company += second.cash_booked
        Installment.objects.bulk_update([item, credit], ["open_amount", "open_company"])
        refresh_invoices({item.invoice_id, credit.invoice_id})
        audit.record(
            actor,
            audit.Change(
                "accounting.credit-offset", item.invoice, None,
                {"credit_note": str(credit.invoice), "amount": str(amount)},
            ),
        )  # fmt: skip
        return rows


# -- payment runs -----------------------------------------------------------------------------


def lock_run(run_id: Any) -> PaymentRun:
    run = PaymentRun.objects.select_for_update(of=("self",)).filter(pk=run_id).first()
    if run is None:
        raise NotFoundError(f"No payment run with id {run_id}.")
    return run


def _payable_candidates(company_id: int, payment_date: datetime.date, due_until: datetime.date):
    busy = PaymentRunLine.objects.filter(
        run__state__in=[PaymentRunState.DRAFT, PaymentRunState.TO_APPROVE, PaymentRunState.APPROVED]
    ).values("installment_id")
    return (
        Installment.objects.filter(
            company_id=company_id,
            side=Side.PAYABLE,
            open_amount__gt=0,
            invoice__state=InvoiceState.POSTED,
            invoice__payment_hold=False,
        )
        .filter(
            Q(due_date__lte=due_until) | Q(discount_until__gte=payment_date, discount_amount__gt=0)
        )
        .exclude(pk__in=busy)
        .annotate(discount_taken=_DISCOUNT_TAKEN)
        .select_related("partner", "invoice", "currency")
        .order_by("partner_id", "due_date", "pk")
    )


def create_payment_run(
    actor: Actor,
    company_id: int,
    payment_date: datetime.date,
    due_until: datetime.date | None = None,
    bank_account_id: int | None = None,
    note: str = "",
) -> PaymentRun:
    """Gather the bills cleared for payment: due by ``due_until`` (or with a discount still open
    on ``payment_date``), not on hold, of approved suppliers with an approved bank account."""
    from crossdock.masterdata.models import PartnerBankAccount

    with transaction.atomic():
        company = Company.objects.select_related("base_currency").filter(pk=company_id).first()
        if company is None:
            raise DomainError("company: No such company.", fields={"company": ["No such company."]})
        due_until = due_until or payment_date
        if bank_account_id is None:
            bank = accounts_by_role(company.pk).get(AccountRole.BANK)
        else:
            bank = Account.objects.filter(
                pk=bank_account_id, company=company, active=True, account_type=AccountType.BANK
            ).first()
        if bank is None:
            raise DomainError(
                "bank_account: No such active bank account in this company.",
                fields={"bank_account": ["No such active bank account in this company."]},
            )
        run = PaymentRun(
            company=company, payment_date=payment_date, due_until=due_until, bank_account=bank,
            created_by=actor.user, note=note[:200],
        )  # fmt: skip
        require(actor, run, "add")
        paying = set(
            PartnerBankAccount.objects.filter(
                partner__company=company, status=PartnerBankAccount.Status.ACTIVE
            ).values_list("partner_id", flat=True)
        )
        lines = []
        skipped: set[str] = set()
        total = ZERO
        for item in _payable_candidates(company.pk, payment_date, due_until):
            partner = item.partner
            if partner.approval_status != "approved" or partner.pk not in paying:
                skipped.add(partner.code)
                continue
            discount = _discount_open(item, payment_date)
            amount = item.open_amount - discount
            lines.append(PaymentRunLine(installment=item, amount=amount, discount=discount))
            total += _booked(item, amount, not discount, company.base_currency)
        if not lines:
            message = f"No bill cleared for payment is due by {due_until.isoformat()}."
            raise DomainError(f"due_until: {message}", fields={"due_until": [message]})
        if skipped:
            listed = ", ".join(sorted(skipped))
            run.note = f"{run.note} Not paid (no approved bank account): {listed}".strip()[:200]
        run.total_company = total
        run.save()
        run.reference = f"PAY-RUN/{payment_date.year}/{run.pk:05d}"
        run.save(update_fields=["reference"])
        for line in lines:
            line.run = run
        PaymentRunLine.objects.bulk_create(lines)
        audit.record(actor, audit.Change("accounting.paymentrun.create", run, None, _run_snap(run)))
        return run


def _run_snap(run: PaymentRun) -> dict[str, Any]:
    data = audit.snapshot(run)
    data["lines"] = run.lines.count()
    return data


def submit_payment_run(actor: Actor, run_id: Any) -> PaymentRun:
    """Send a run through the approvals engine (approved at once when no policy applies)."""
    from crossdock.approvals.services import submit

    with transaction.atomic():
        run = lock_run(run_id)
        require(actor, run, "change")
        if run.state not in (PaymentRunState.DRAFT, PaymentRunState.REJECTED):
            raise ConflictError(f"{run} is {run.get_state_display().lower()}.")
        before = _run_snap(run)
        run.state = PaymentRunState.TO_APPROVE
        run.version += 1
        run.save(update_fields=["state", "version", "updated_at"])
        after = _run_snap(run)
        audit.record(actor, audit.Change("accounting.paymentrun.submit", run, before, after))
        submit(actor, run)
        run.refresh_from_db()
        return run


def run_approved(actor: Actor, run: PaymentRun) -> None:
    """The approvals engine approved the run: it may now be paid."""
    from crossdock.core import sod

    if actor.user is not None and actor.user_id != run.created_by_id:
        partners = run.lines.values_list("installment__partner_id", flat=True).distinct()
        sod.check(
            actor,
            "accounting.payment.approve",
            [sod.ChainObject("masterdata.partner", str(p)) for p in partners],
        )
        audit.record(actor, audit.Change("accounting.payment.approve", run, None, None))
    PaymentRun.objects.filter(pk=run.pk).update(
        state=PaymentRunState.APPROVED, updated_at=timezone.now()
    )


def run_rejected(actor: Actor, run: PaymentRun, comment: str) -> None:
    PaymentRun.objects.filter(pk=run.pk).update(
        state=PaymentRunState.REJECTED, updated_at=timezone.now()
    )
    audit.record(
        actor, audit.Change("accounting.paymentrun.rejected", run, None, {"comment": comment})
    )


def execute_payment_run(actor: Actor, run_id: Any) -> PaymentRun:
    """Pay an approved run: one outgoing payment per vendor and currency, allocated."""
    with transaction.atomic():
        run = lock_run(run_id)
        require(actor, run, "change")
        if run.state != PaymentRunState.APPROVED:
            raise ConflictError(
                f"{run} is {run.get_state_display().lower()}; only an approved run is paid."
            )
        groups: dict[tuple[int, int], list[PaymentRunLine]] = defaultdict(list)
        for line in run.lines.select_related("installment").order_by("pk"):
            groups[(line.installment.partner_id, line.installment.currency_id)].append(line)
        for (partner_id, currency_id), lines in sorted(groups.items()):
            wanted = [AllocationInput(line.installment_id, line.amount) for line in lines]
            register_payment(
                actor,
                PaymentInput(
                    company_id=run.company_id, direction=PaymentDirection.OUTBOUND,
                    partner_id=partner_id, date=run.payment_date,
                    amount=sum((line.amount for line in lines), ZERO), currency_id=currency_id,
                    bank_account_id=run.bank_account_id, reference=run.reference,
                    allocations=wanted,
                    payment_run_id=run.pk,
                ),
            )  # fmt: skip
        before = _run_snap(run)
        run.state = PaymentRunState.DONE
        run.version += 1
        run.save(update_fields=["state", "version", "updated_at"])
        audit.record(actor, audit.Change("accounting.paymentrun.pay", run, before, _run_snap(run)))
        return run


def cancel_payment_run(actor: Actor, run_id: Any) -> PaymentRun:
    with transaction.atomic():
        run = lock_run(run_id)
        require(actor, run, "change")
        if run.state in (PaymentRunState.DONE, PaymentRunState.CANCELLED):
            raise ConflictError(f"{run} is {run.get_state_display().lower()}.")
        from crossdock.approvals.services import withdraw

        withdraw(actor, PAYMENT_RUN, str(run.pk))
        before = _run_snap(run)
        run.state = PaymentRunState.CANCELLED
        run.version += 1
        run.save(update_fields=["state", "version", "updated_at"])
        audit.record(
            actor, audit.Change("accounting.paymentrun.cancel", run, before, _run_snap(run))
        )
        return run


PAYMENT_RUN = "payment-run"
