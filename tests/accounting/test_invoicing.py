"""Invoices and bills posted to the ledger: worked examples with exact figures."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.accounting.models import (
    AccountRole,
    Installment,
    Invoice,
    InvoiceKind,
    InvoiceState,
    JournalLine,
    PaymentTermInstallment,
    Tax,
    TaxUse,
)
from crossdock.accounting.services.invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    create_invoice,
    post_invoice,
)
from crossdock.core.errors import DomainError
from crossdock.masterdata.models import Currency, ExchangeRate, PaymentTerm
from tests import factories
from tests.inventory.conftest import SYSTEM

D = Decimal
DAY = datetime.date(2026, 3, 10)


def _balances(entry_id):
    return sorted(
        (line.account.code, line.debit, line.credit)
        for line in JournalLine.objects.filter(entry_id=entry_id).select_related("account")
    )


@pytest.fixture
def output_tax(books):
    return Tax.objects.create(
        company=books.company, code="VAT21", name="VAT 21 %", use=TaxUse.SALE,
        rate=D(21), account=books.role(AccountRole.TAX_PAYABLE),
    )  # fmt: skip


def test_customer_invoice_with_excluded_tax_and_two_instalments(books, output_tax):
    term = PaymentTerm.objects.create(code="HALF", name="Half now, half in 30", net_days=30)
    PaymentTermInstallment.objects.create(term=term, sequence=1, percent=D(50), days=0)
    PaymentTermInstallment.objects.create(term=term, sequence=2, percent=D(50), days=30)
    customer = factories.partner(books.company, payment_term=term)
    invoice = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=books.company.pk,
            kind=InvoiceKind.CUSTOMER_INVOICE,
            partner_id=customer.pk,
            date=DAY,
            lines=[
                InvoiceLineInput("Widgets", D(3), D("33.33"), tax_id=output_tax.pk),
                InvoiceLineInput("Freight", D(1), D("10.01"), discount_percent=D(10)),
            ],
        ),
    )
    # 3 × 33.33 = 99.99 + 21 % = 20.9979 → 21.00; 10.01 less 10 % = 9.009 → 9.01, untaxed.
    assert (invoice.untaxed_amount, invoice.tax_amount, invoice.total_amount) == (
        D("109.00"),
        D("21.00"),
        D("130.00"),
    )
    posted = post_invoice(SYSTEM, invoice.pk)
    assert posted.state == InvoiceState.POSTED
    assert posted.number.startswith("SAL/2026/")
    items = list(Installment.objects.filter(invoice=posted).order_by("sequence"))
    assert [(i.due_date, i.amount) for i in items] == [
        (DAY, D("65.00")),
        (DAY + datetime.timedelta(days=30), D("65.00")),
    ]
    assert _balances(posted.entry_id) == [
        ("1100", D("65.00"), D(0)),
        ("1100", D("65.00"), D(0)),
        ("2200", D(0), D("21.00")),
        ("4000", D(0), D("9.01")),
        ("4000", D(0), D("99.99")),
    ]


def test_bill_in_a_currency_without_a_rate_is_refused_and_writes_nothing(books):
    usd = Currency.objects.get(code="USD")
    supplier = factories.partner(books.company, is_customer=False, is_supplier=True, currency=usd)
    bill = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=books.company.pk,
            kind=InvoiceKind.VENDOR_BILL,
            partner_id=supplier.pk,
            date=DAY,
            lines=[InvoiceLineInput("Freight", D(1), D(100), account_id=books.account("5300").pk)],
        ),
    )
    ExchangeRate.objects.filter(currency=usd).delete()
    ExchangeRate.objects.filter(quote_currency=usd).delete()
    with pytest.raises(DomainError) as refused:
        post_invoice(SYSTEM, bill.pk)
    assert "currency" in refused.value.fields
    assert Invoice.objects.get(pk=bill.pk).state == InvoiceState.DRAFT
    assert not Installment.objects.filter(invoice=bill).exists()
