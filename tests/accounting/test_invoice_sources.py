"""Credit notes, invoices from deliveries, bills from receipts and the intercompany mirror."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.accounting.checks import (
    posted_entries_balanced,
    stock_matches_layers,
    trial_balance_zero,
)
from crossdock.accounting.models import AccountRole, Invoice, InvoiceKind, JournalLine, Tax, TaxUse
from crossdock.accounting.services.invoice_sources import (
    CreditLine,
    bill_from_receipt,
    credit_note_for,
    invoice_from_delivery,
)
from crossdock.accounting.services.invoicing import post_invoice
from crossdock.core.errors import DomainError
from crossdock.inventory import services as inventory
from crossdock.inventory.models import TransferKind
from tests import factories
from tests.accounting.conftest import Books
from tests.inventory.conftest import SYSTEM, Site

D = Decimal
DAY = datetime.date(2026, 3, 10)


def balances(entry_id):
    return sorted(
        (line.account.code, line.debit, line.credit)
        for line in JournalLine.objects.filter(entry_id=entry_id).select_related("account")
    )


def no_problems():
    assert posted_entries_balanced() == []
    assert trial_balance_zero() == []
    assert stock_matches_layers() == []


@pytest.fixture
def output_tax(books):
    return Tax.objects.create(
        company=books.company, code="VAT21", name="VAT 21 %", use=TaxUse.SALE,
        rate=D(21), account=books.role(AccountRole.TAX_PAYABLE),
    )  # fmt: skip


def delivered(site, customer, quantity="3"):
    product = factories.product(costing_method="fifo", list_price=D("12.50"), sku="DLV-1")
    site.receive(product, "10", cost="4.00")
    delivery = site.deliver(product, quantity, partner_id=customer.pk)
    return product, inventory.validate_transfer(SYSTEM, delivery.pk)


def test_invoice_from_a_delivery_at_the_list_price_with_the_one_sales_tax(books, site, output_tax):
    customer = factories.partner(books.company)
    _product, delivery = delivered(site, customer)
    invoice = invoice_from_delivery(SYSTEM, delivery.pk, DAY)
    line = invoice.lines.get()
    assert (line.quantity, line.unit_price, line.tax_id, line.stock_move_id) == (
        D(3), D("12.5"), output_tax.pk, delivery.moves.get().pk,
    )  # fmt: skip
    # 3 × 12.50 = 37.50 + 21 % = 7.875 → 7.88 (banker's rounding keeps 7.88)
    assert (invoice.untaxed_amount, invoice.tax_amount, invoice.total_amount) == (
        D("37.50"), D("7.88"), D("45.38"),
    )  # fmt: skip
    assert invoice.source_transfer_id == delivery.pk
    with pytest.raises(DomainError) as again:
        invoice_from_delivery(SYSTEM, delivery.pk, DAY)
    assert "already invoiced" in again.value.fields["transfer"][0]
    post_invoice(SYSTEM, invoice.pk)
    no_problems()


def test_a_receipt_or_undone_transfer_is_not_a_delivery(books, site):
    customer = factories.partner(books.company)
    product = factories.product()
    receipt = site.receive(product, "2", cost="1.00")
    with pytest.raises(DomainError) as refused:
        invoice_from_delivery(SYSTEM, receipt.pk)
    assert "not a delivery" in refused.value.fields["transfer"][0]
    open_delivery = site.deliver(product, "1", partner_id=customer.pk)
    with pytest.raises(DomainError) as undone:
        invoice_from_delivery(SYSTEM, open_delivery.pk)
    assert "only a done transfer" in undone.value.fields["transfer"][0]
    assert Invoice.objects.count() == 0


def test_bill_from_a_receipt_clears_goods_received_at_the_receipt_value(books, site):
    supplier = factories.partner(books.company, is_customer=False, is_supplier=True)
    product = factories.product(costing_method="fifo")
    receipt = site.transfer(
        "receipt", site.supplier, site.stock, [(product, "4", "2.50")], partner_id=supplier.pk
    )
    receipt = inventory.validate_transfer(SYSTEM, receipt.pk)
    bill = bill_from_receipt(SYSTEM, receipt.pk, "V-1001", DAY)
    assert (bill.kind, bill.total_amount, bill.partner_reference) == (
        InvoiceKind.VENDOR_BILL, D("10.00"), "V-1001",
    )  # fmt: skip
    posted = post_invoice(SYSTEM, bill.pk)
    assert balances(posted.entry_id) == [("2000", D(0), D("10.00")), ("2100", D("10.00"), D(0))]
    with pytest.raises(DomainError) as again:
        bill_from_receipt(SYSTEM, receipt.pk, "V-1002", DAY)
    assert "already invoiced" in again.value.fields["transfer"][0]
    no_problems()


def test_credit_notes_never_credit_more_than_was_invoiced(books, site, output_tax):
    customer = factories.partner(books.company)
    _product, delivery = delivered(site, customer)
    invoice = post_invoice(SYSTEM, invoice_from_delivery(SYSTEM, delivery.pk, DAY).pk)
    line = invoice.lines.get()
    first = credit_note_for(SYSTEM, invoice.pk, [CreditLine(line.pk, D(2))], DAY)
    assert (first.kind, first.credit_of_id, first.total_amount) == (
        InvoiceKind.CUSTOMER_CREDIT, invoice.pk, D("30.25"),
    )  # fmt: skip
    with pytest.raises(DomainError) as too_much:
        credit_note_for(SYSTEM, invoice.pk, [CreditLine(line.pk, D(2))], DAY)
    assert "At most 1 " in too_much.value.fields["lines.0.quantity"][0]
    rest = credit_note_for(SYSTEM, invoice.pk, date=DAY)
    assert rest.lines.get().quantity == D(1)
    with pytest.raises(DomainError) as full:
        credit_note_for(SYSTEM, invoice.pk, date=DAY)
    assert "credited in full" in full.value.fields["lines"][0]
    post_invoice(SYSTEM, first.pk)
    post_invoice(SYSTEM, rest.pk)
    assert Invoice.objects.filter(credit_of=invoice).count() == 2
    no_problems()


def test_an_intercompany_dispatch_invoiced_is_mirrored_as_a_bill_to_intercompany(site, warehouse_b):
    books_a, books_b = Books(site.company), Books(warehouse_b.company)
    factories.partner(site.company, name="Beta", group_company=warehouse_b.company)
    factories.partner(
        warehouse_b.company, name="Acme", is_customer=False, is_supplier=True,
        group_company=site.company,
    )  # fmt: skip
    target = Site(warehouse_b)
    product = factories.product(costing_method="fifo", list_price=D("2.50"))
    site.receive(product, "10", cost="2.00")
    sent = inventory.dispatch_to_warehouse(
        SYSTEM,
        inventory.DispatchDraft(
            site.warehouse.pk,
            target.warehouse.pk,
            [inventory.DispatchLine(product.pk, D(4), transfer_price=D("2.50"))],
        ),
    )
    inventory.validate_transfer(SYSTEM, sent.pk)
    invoice = post_invoice(SYSTEM, invoice_from_delivery(SYSTEM, sent.pk, DAY).pk)
    assert invoice.total_amount == D("10.00")
    mirror = Invoice.objects.get(mirror_of=invoice)
    assert (mirror.company_id, mirror.kind, mirror.state, mirror.total_amount) == (
        warehouse_b.company_id, InvoiceKind.VENDOR_BILL, "posted", D("10.00"),
    )  # fmt: skip
    assert mirror.partner_reference == invoice.number
    intercompany = books_b.role(AccountRole.INTERCOMPANY).code
    assert balances(mirror.entry_id) == sorted(
        [
            (books_b.role(AccountRole.PAYABLE).code, D(0), D("10.00")),
            (intercompany, D("10.00"), D(0)),
        ]
    )
    assert books_a.role(AccountRole.RECEIVABLE).code in {c for c, *_ in balances(invoice.entry_id)}
    # the receiver's intercompany account is cleared by the mirrored bill
    lines = JournalLine.objects.filter(account=books_b.role(AccountRole.INTERCOMPANY))
    assert sum(x.debit - x.credit for x in lines) == 0
    no_problems()


def test_an_intercompany_invoice_without_a_counterpart_partner_is_refused(books, company_b):
    Books(company_b)
    customer = factories.partner(books.company, group_company=company_b)
    from crossdock.accounting.services.invoicing import (
        InvoiceInput,
        InvoiceLineInput,
        create_invoice,
    )

    draft = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=books.company.pk, kind=InvoiceKind.CUSTOMER_INVOICE,
            partner_id=customer.pk, date=DAY, lines=[InvoiceLineInput("Fee", D(1), D(5))],
        ),
    )  # fmt: skip
    with pytest.raises(DomainError) as refused:
        post_invoice(SYSTEM, draft.pk)
    assert "no partner for" in refused.value.fields["partner"][0]
    assert Invoice.objects.get(pk=draft.pk).state == "draft"
    assert Invoice.objects.filter(company=company_b).count() == 0


def test_a_bill_or_invoice_line_refers_only_to_what_the_partner_delivered_or_received(site, books):
    """A return to the supplier is not something the supplier can bill, nor a receipt something
    the customer is invoiced for: both are refused naming the line, and nothing is written."""
    from crossdock.accounting.services.invoicing import (
        InvoiceInput,
        InvoiceLineInput,
        create_invoice,
    )
    from crossdock.inventory.services import ReturnLine, return_transfer

    supplier = factories.partner(books.company, is_customer=True, is_supplier=True, name="Both")
    product = factories.product(costing_method="fifo")
    receipt = site.transfer(
        TransferKind.RECEIPT, site.supplier, site.stock, [(product, "5", "2.00")],
        partner_id=supplier.pk,
    )  # fmt: skip
    inventory.validate_transfer(SYSTEM, receipt.pk)
    received = receipt.moves.get()
    back = return_transfer(SYSTEM, receipt.pk, [ReturnLine(received.pk, D(2))])
    inventory.validate_transfer(SYSTEM, back.pk)
    returned = back.moves.get()
    before = Invoice.objects.count()
    for kind, move, reason in (
        (InvoiceKind.VENDOR_BILL, returned, "receipt move of this company from this supplier"),
        (InvoiceKind.CUSTOMER_INVOICE, received, "delivery move of this company to this customer"),
    ):
        with pytest.raises(DomainError) as refused:
            create_invoice(
                SYSTEM,
                InvoiceInput(
                    company_id=books.company.pk, kind=kind, partner_id=supplier.pk, date=DAY,
                    lines=[InvoiceLineInput("Goods", D(2), D("2.00"), product_id=product.pk,
                                            stock_move_id=move.pk)],
                ),
            )  # fmt: skip
        assert reason in refused.value.fields["lines.0.stock_move"][0]
    assert Invoice.objects.count() == before
    # the receipt move itself is billable
    bill = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=books.company.pk, kind=InvoiceKind.VENDOR_BILL, partner_id=supplier.pk,
            date=DAY, lines=[InvoiceLineInput("Goods", D(3), D("2.00"), product_id=product.pk,
                                              stock_move_id=received.pk)],
        ),
    )  # fmt: skip
    post_invoice(SYSTEM, bill.pk)
    no_problems()
