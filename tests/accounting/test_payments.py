"""Payments, allocation, exchange results, discounts, credit notes and payment runs:
worked examples with exact figures, and the audit invariants after each."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.accounting import checks
from crossdock.accounting.models import (
    Allocation,
    Installment,
    Invoice,
    InvoiceKind,
    JournalLine,
    Payment,
    PaymentDirection,
    PaymentRunState,
    PaymentState,
)
from crossdock.accounting.services.invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    create_invoice,
    post_invoice,
)
from crossdock.accounting.services.payments import (
    PAYMENT_RUN,
    AllocationInput,
    PaymentInput,
    allocate_payment,
    create_payment_run,
    execute_payment_run,
    offset_credit_note,
    register_payment,
    submit_payment_run,
)
from crossdock.approvals import policies
from crossdock.approvals.models import ApprovalRequest
from crossdock.approvals.services import decide
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError
from crossdock.core.records import create_record
from crossdock.core.roles import Role
from crossdock.masterdata.models import (
    Currency,
    ExchangeRate,
    PartnerBankAccount,
    PaymentTerm,
)
from tests import factories
from tests.inventory.conftest import SYSTEM

D = Decimal
DAY = datetime.date(2026, 3, 10)


def audit_problems() -> list[str]:
    return [
        *checks.posted_entries_balanced(),
        *checks.trial_balance_zero(),
        *checks.open_items_match_allocations(),
        *checks.payments_match(),
        *checks.invoices_match_items(),
        *checks.subledgers_match_control(),
    ]


def lines_of(entry_id):
    return sorted(
        (line.account.code, line.debit, line.credit, line.amount_currency)
        for line in JournalLine.objects.filter(entry_id=entry_id).select_related("account")
    )


def document(books, partner, amount, kind=InvoiceKind.CUSTOMER_INVOICE, date=DAY, **extra):
    account = (
        None
        if kind in (InvoiceKind.CUSTOMER_INVOICE, InvoiceKind.CUSTOMER_CREDIT)
        else (books.account("6200").pk)
    )
    draft = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=books.company.pk, kind=kind, partner_id=partner.pk, date=date,
            lines=[InvoiceLineInput("Goods", D(1), D(amount), account_id=account)], **extra,
        ),
    )  # fmt: skip
    return post_invoice(SYSTEM, draft.pk)


def pay(books, partner, amount, direction=PaymentDirection.INBOUND, date=DAY, **extra):
    return register_payment(
        SYSTEM,
        PaymentInput(
            company_id=books.company.pk, direction=direction, partner_id=partner.pk, date=date,
            amount=D(amount), **extra,
        ),
    )  # fmt: skip


def item_of(invoice):
    return Installment.objects.get(invoice=invoice)


@pytest.fixture
def customer(books):
    return factories.partner(books.company, name="Corner Shop")


@pytest.fixture
def supplier(books):
    partner = factories.partner(
        books.company, name="Parts Supplier", is_customer=False, is_supplier=True
    )
    create_record(
        SYSTEM,
        PartnerBankAccount,
        {"partner": partner, "iban": "NL91ABNA0417164300", "holder": "Parts Supplier"},
    )
    partner.refresh_from_db()
    return partner


@pytest.fixture
def usd(books):
    currency = Currency.objects.get(code="USD")
    ExchangeRate.objects.create(
        currency=currency, quote_currency=books.company.base_currency, valid_from=DAY,
        rate=D("0.90"),
    )  # fmt: skip
    ExchangeRate.objects.create(
        currency=currency, quote_currency=books.company.base_currency,
        valid_from=DAY + datetime.timedelta(days=20), rate=D("0.95"),
    )  # fmt: skip
    return currency


def test_full_payment_clears_the_invoice_exactly(books, customer):
    invoice = document(books, customer, "121.00")
    payment = pay(books, customer, "121.00")
    assert payment.number.startswith("BNK/2026/")
    assert lines_of(payment.entry_id) == [
        ("1000", D("121.00"), D(0), None),
        ("1100", D(0), D("121.00"), None),
    ]
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.payment_state) == (D(0), PaymentState.PAID)
    assert item_of(invoice).open_company == D(0)
    assert audit_problems() == []


def test_partial_payments_oldest_first_then_the_rest(books, customer):
    first = document(books, customer, "100.00", date=DAY)
    second = document(books, customer, "50.00", date=DAY + datetime.timedelta(days=1))
    pay(books, customer, "120.00")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.open_amount, first.payment_state) == (D(0), PaymentState.PAID)
    assert (second.open_amount, second.payment_state) == (D("30.00"), PaymentState.PARTIAL)
    pay(books, customer, "30.00", allocations=[AllocationInput(item_of(second).pk, D("30.00"))])
    second.refresh_from_db()
    assert second.payment_state == PaymentState.PAID
    assert audit_problems() == []


def test_overpayment_is_refused_unless_chosen_and_can_be_allocated_later(books, customer):
    invoice = document(books, customer, "80.00")
    with pytest.raises(DomainError) as refused:
        pay(books, customer, "100.00")
    assert "amount" in refused.value.fields
    assert "20.00" in refused.value.fields["amount"][0]
    assert not Payment.objects.exists()
    assert item_of(invoice).open_amount == D("80.00")

    payment = pay(books, customer, "100.00", overpayment=True)
    assert (payment.unallocated_amount, payment.unallocated_company) == (D("20.00"), D("20.00"))
    later = document(books, customer, "15.00", date=DAY + datetime.timedelta(days=2))
    allocate_payment(SYSTEM, payment.pk)
    payment.refresh_from_db()
    later.refresh_from_db()
    assert payment.unallocated_amount == D("5.00")
    assert later.payment_state == PaymentState.PAID
    assert audit_problems() == []


def test_allocation_above_the_open_amount_is_refused_and_writes_nothing(books, customer):
    invoice = document(books, customer, "40.00")
    item = item_of(invoice)
    with pytest.raises(DomainError) as refused:
        pay(books, customer, "50.00", allocations=[AllocationInput(item.pk, D("50.00"))])
    assert "allocations.0.amount" in refused.value.fields
    assert not Payment.objects.exists()
    assert not Allocation.objects.exists()
    assert not JournalLine.objects.filter(account__code="1000").exists()


def test_foreign_currency_receipt_posts_the_realised_exchange_gain(books, customer, usd):
    invoice = document(books, customer, "100.00", currency_id=usd.pk)
    assert invoice.total_company == D("90.00")
    later = DAY + datetime.timedelta(days=25)
    payment = pay(books, customer, "100.00", currency_id=usd.pk, date=later)
    assert payment.amount_company == D("95.00")
    assert lines_of(payment.entry_id) == [
        ("1000", D("95.00"), D(0), D("100.00")),
        ("1100", D(0), D("90.00"), D("-100.00")),
        ("7000", D(0), D("5.00"), None),
    ]
    assert audit_problems() == []


def test_foreign_currency_bill_paid_at_a_higher_rate_is_an_exchange_loss(books, supplier, usd):
    bill = document(books, supplier, "200.00", kind=InvoiceKind.VENDOR_BILL, currency_id=usd.pk)
    assert bill.total_company == D("180.00")
    later = DAY + datetime.timedelta(days=25)
    payment = pay(
        books, supplier, "200.00", PaymentDirection.OUTBOUND, currency_id=usd.pk, date=later
    )
    assert lines_of(payment.entry_id) == [
        ("1000", D(0), D("190.00"), D("-200.00")),
        ("2000", D("180.00"), D(0), D("200.00")),
        ("7100", D("10.00"), D(0), None),
    ]
    assert audit_problems() == []


def test_partial_foreign_payments_leave_no_rounding_residue(books, customer, usd):
    invoice = document(books, customer, "100.01", currency_id=usd.pk)
    later = DAY + datetime.timedelta(days=25)
    for amount in ("33.33", "33.33", "33.35"):
        pay(books, customer, amount, currency_id=usd.pk, date=later)
    item = item_of(invoice)
    assert (item.open_amount, item.open_company) == (D(0), D(0))
    assert audit_problems() == []


def test_early_payment_discount_is_taken_within_the_discount_days(books, customer):
    term = PaymentTerm.objects.create(
        code="2-10-N30", name="2 % 10 days, net 30", net_days=30, discount_days=10,
        discount_percent=D(2),
    )  # fmt: skip
    invoice = document(books, customer, "100.00", payment_term_id=term.pk)
    item = item_of(invoice)
    assert (item.discount_amount, item.discount_until) == (D("2.00"), DAY + datetime.timedelta(10))
    payment = pay(books, customer, "98.00", date=DAY + datetime.timedelta(days=5))
    assert lines_of(payment.entry_id) == [
        ("1000", D("98.00"), D(0), None),
        ("1100", D(0), D("100.00"), None),
        ("4200", D("2.00"), D(0), None),
    ]
    invoice.refresh_from_db()
    assert invoice.payment_state == PaymentState.PAID
    assert audit_problems() == []


def test_discount_is_not_taken_after_the_discount_days(books, customer):
    term = PaymentTerm.objects.create(
        code="2-10-N30B", name="2 % 10 days, net 30", net_days=30, discount_days=10,
        discount_percent=D(2),
    )  # fmt: skip
    invoice = document(books, customer, "100.00", payment_term_id=term.pk)
    pay(books, customer, "98.00", date=DAY + datetime.timedelta(days=11))
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.payment_state) == (D("2.00"), PaymentState.PARTIAL)
    assert audit_problems() == []


def test_credit_note_settles_part_of_an_invoice(books, customer):
    invoice = document(books, customer, "100.00")
    credit = document(books, customer, "30.00", kind=InvoiceKind.CUSTOMER_CREDIT)
    offset_credit_note(SYSTEM, item_of(credit).pk, item_of(invoice).pk)
    invoice.refresh_from_db()
    credit.refresh_from_db()
    assert (invoice.open_amount, invoice.payment_state) == (D("70.00"), PaymentState.PARTIAL)
    assert (credit.open_amount, credit.payment_state) == (D(0), PaymentState.PAID)
    pay(books, customer, "70.00")
    assert audit_problems() == []


def test_payment_run_pays_due_bills_of_approved_suppliers(books, supplier):
    held = factories.partner(books.company, name="No bank", is_customer=False, is_supplier=True)
    bill = document(books, supplier, "500.00", kind=InvoiceKind.VENDOR_BILL)
    on_hold = document(books, supplier, "70.00", kind=InvoiceKind.VENDOR_BILL, payment_hold=True)
    document(books, held, "20.00", kind=InvoiceKind.VENDOR_BILL)
    run = create_payment_run(SYSTEM, books.company.pk, DAY + datetime.timedelta(days=40))
    assert [line.installment.invoice_id for line in run.lines.select_related("installment")] == [
        bill.pk
    ]
    assert run.total_company == D("500.00")
    assert held.code in run.note
    run = submit_payment_run(SYSTEM, run.pk)
    assert run.state == PaymentRunState.APPROVED  # no policy applies
    run = execute_payment_run(SYSTEM, run.pk)
    assert run.state == PaymentRunState.DONE
    bill.refresh_from_db()
    on_hold.refresh_from_db()
    assert bill.payment_state == PaymentState.PAID
    assert on_hold.payment_state == PaymentState.NOT_PAID
    (payment,) = Payment.objects.filter(payment_run=run)
    assert (payment.direction, payment.amount) == (PaymentDirection.OUTBOUND, D("500.00"))
    assert audit_problems() == []


def test_payment_run_waits_for_approval_and_the_requester_cannot_approve(books, supplier):
    clerk = factories.user(Role.AP_CLERK, companies=[books.company])
    controller = factories.user(Role.CONTROLLER, companies=[books.company])
    policy = policies.save_policy(
        SYSTEM,
        policies.PolicyDraft(
            company_id=books.company.pk,
            document_type=PAYMENT_RUN,
            name="Runs over 1,000",
            condition={"field": "amount", "op": ">", "value": "1000"},
            levels=[policies.LevelDraft(name="Controller", rule="user", user_id=controller.pk)],
        ),
    )
    policies.set_policy_status(SYSTEM, policy.pk, "active")
    document(books, supplier, "1500.00", kind=InvoiceKind.VENDOR_BILL)
    run = create_payment_run(Actor.of(clerk), books.company.pk, DAY + datetime.timedelta(days=40))
    run = submit_payment_run(Actor.of(clerk), run.pk)
    assert run.state == PaymentRunState.TO_APPROVE
    with pytest.raises(ConflictError):
        execute_payment_run(SYSTEM, run.pk)
    assert not Payment.objects.exists()
    request = ApprovalRequest.objects.get(document_type=PAYMENT_RUN, document_id=str(run.pk))
    with pytest.raises(DomainError):
        decide(Actor.of(clerk), request.pk, approve=True)
    decide(Actor.of(controller), request.pk, approve=True)
    run.refresh_from_db()
    assert run.state == PaymentRunState.APPROVED
    execute_payment_run(Actor.of(clerk), run.pk)
    assert Invoice.objects.get(kind=InvoiceKind.VENDOR_BILL).payment_state == PaymentState.PAID
    assert audit_problems() == []


def test_audit_names_a_broken_open_item_cache_and_a_ledger_difference(books, customer):
    invoice = document(books, customer, "60.00")
    pay(books, customer, "10.00")
    Installment.objects.filter(invoice=invoice).update(open_amount=D("55.00"))
    assert any(invoice.number in p for p in checks.open_items_match_allocations())
    assert any(invoice.number in p for p in checks.invoices_match_items())
    Installment.objects.filter(invoice=invoice).update(open_company=D("45.00"))
    (problem,) = checks.subledgers_match_control()
    assert "receivables sub-ledger 45.0000 ≠ receivable accounts 50.0000" in problem
    Payment.objects.update(unallocated_amount=D("1.00"))
    assert len(checks.payments_match()) == 1
