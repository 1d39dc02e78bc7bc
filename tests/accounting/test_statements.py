"""Financial statements with exact figures: balance sheet and P&L, the group consolidated with
intercompany eliminated, aged receivables and payables, and GRNI against its account."""

import datetime
from decimal import Decimal

import pytest

from crossdock.accounting import checks, statements
from crossdock.accounting.models import AccountRole, InvoiceKind, Side, Tax, TaxUse
from crossdock.accounting.services.invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    create_invoice,
    post_invoice,
)
from crossdock.core.errors import DomainError
from crossdock.inventory import services as inventory
from crossdock.inventory.models import StockMove, TransferKind
from crossdock.masterdata.models import Currency, ExchangeRate
from tests import factories
from tests.accounting.conftest import Books
from tests.accounting.test_payments import document, pay
from tests.inventory.conftest import SYSTEM

D = Decimal
DAY = datetime.date(2026, 3, 10)


def figures(statement):
    return {row.code: row.amount for row in statement.rows}


def test_balance_sheet_balances_and_shows_the_result_of_the_profit_and_loss(books):
    books.post(("1000", "1000", "0"), ("3000", "0", "1000"), date=datetime.date(2026, 1, 2))
    tax = Tax.objects.create(
        company=books.company, code="VAT21", name="VAT 21 %", use=TaxUse.SALE, rate=D(21),
        account=books.role(AccountRole.TAX_PAYABLE),
    )  # fmt: skip
    customer = factories.partner(books.company, name="Corner Shop")
    draft = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=books.company.pk, kind=InvoiceKind.CUSTOMER_INVOICE,
            partner_id=customer.pk, date=DAY,
            lines=[InvoiceLineInput("Widgets", D(4), D(25), tax_id=tax.pk)],
        ),
    )  # fmt: skip
    post_invoice(SYSTEM, draft.pk)
    supplier = factories.partner(books.company, is_customer=False, is_supplier=True)
    document(books, supplier, "50.00", kind=InvoiceKind.VENDOR_BILL)

    sheet = statements.balance_sheet(books.company.pk, DAY)
    assert figures(sheet) == {
        "1000": D(1000), "1100": D(121), "2000": D(50), "2200": D(21), "3000": D(1000),
        statements.RESULT_CODE: D(50),
    }  # fmt: skip
    assert sheet.total("assets") == D(1121)
    assert sheet.total("assets") == sheet.total("liabilities") + sheet.total("equity")

    pnl = statements.profit_and_loss(books.company.pk, datetime.date(2026, 1, 1), DAY)
    assert figures(pnl) == {"4000": D(100), "6200": D(50)}
    assert pnl.result == D(50)
    earlier = statements.profit_and_loss(books.company.pk, datetime.date(2026, 1, 1),
                                         DAY - datetime.timedelta(days=1))  # fmt: skip
    assert earlier.rows == []


def test_consolidation_eliminates_intercompany_and_translates(company_a, company_b):
    a = Books(company_a)
    buyer = factories.partner(company_a, name="Beta (group)", group_company=company_b)
    seller = factories.partner(
        company_b, name="Acme (group)", is_customer=False, is_supplier=True,
        group_company=company_a,
    )  # fmt: skip
    outsider = factories.partner(company_a, name="Outside customer")
    document(a, buyer, "200.00")  # posting it posts the mirrored bill in Beta
    assert seller.pk  # the counterpart the mirror bills from
    document(a, outsider, "80.00")
    group = statements.consolidated([company_a, company_b], company_a.base_currency, DAY)
    by_code = {row.code: row for row in group.rows}
    assert by_code["1100"].columns == (D(280), D(0), D(-200))
    assert by_code["1100"].amount == D(80)
    assert by_code["2000"].amount == D(0)
    assert by_code[statements.RESULT_CODE].amount == D(80)
    assert "UNMATCHED" not in by_code
    assert group.total("assets") == group.total("liabilities") + group.total("equity")
    pnl = statements.consolidated(
        [company_a, company_b], company_a.base_currency, DAY, datetime.date(2026, 1, 1)
    )
    amounts = {row.code: row.amount for row in pnl.rows}
    assert amounts.pop("4000") == D(80)
    assert set(amounts.values()) == {D(0)}  # the mirrored bill's expense, eliminated
    assert pnl.result == D(80)


def test_consolidation_translates_a_company_in_another_currency(company_a):
    gbp = Currency.objects.get(code="GBP")
    uk = factories.company("UKCO", name="Acme UK", currency="GBP")
    ExchangeRate.objects.create(currency=gbp, quote_currency=company_a.base_currency,
                                valid_from=DAY, rate=D("1.1500"))  # fmt: skip
    Books(uk).post(("1000", "100.01", "0"), ("3000", "0", "100.01"), date=DAY)
    Books(company_a).post(("1000", "10", "0"), ("3000", "0", "10"), date=DAY)
    group = statements.consolidated([company_a, uk], company_a.base_currency, DAY)
    by_code = {row.code: row for row in group.rows}
    assert by_code["1000"].columns == (D(10), D("115.01"), D(0))
    assert group.total("assets") == group.total("liabilities") + group.total("equity")


def test_the_consolidated_p_and_l_is_translated_at_the_periods_average_rate(company_a):
    """GBP at 1.10 from January, 1.20 from 15 February, 1.30 from 20 March: the month ends of
    January–March 2026 see 1.10, 1.20 and 1.30, so the P&L uses 1.2000; the balance sheet of
    31 March uses the closing 1.30."""
    gbp = Currency.objects.get(code="GBP")
    uk = factories.company("UKAV", name="Acme UK average", currency="GBP")
    for day, rate in (
        (datetime.date(2026, 1, 1), "1.10"),
        (datetime.date(2026, 2, 15), "1.20"),
        (datetime.date(2026, 3, 20), "1.30"),
    ):
        ExchangeRate.objects.create(currency=gbp, quote_currency=company_a.base_currency,
                                    valid_from=day, rate=D(rate))  # fmt: skip
    Books(uk).post(("1000", "100.00", "0"), ("4000", "0", "100.00"), date=DAY)
    first, last = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)
    assert statements.month_ends(first, last) == [
        datetime.date(2026, 1, 31), datetime.date(2026, 2, 28), last,
    ]  # fmt: skip
    assert statements.month_ends(datetime.date(2026, 3, 5), datetime.date(2026, 3, 9)) == [
        datetime.date(2026, 3, 9)
    ]
    pnl = statements.consolidated([company_a, uk], company_a.base_currency, last, first)
    assert figures(pnl)["4000"] == D("120.00")
    assert "average rates" in pnl.note
    sheet = statements.consolidated([company_a, uk], company_a.base_currency, last)
    assert {row.code: row for row in sheet.rows}["1000"].columns[1] == D("130.00")
    # a period before any rate: refused, naming the currency
    with pytest.raises(DomainError) as refused:
        statements.consolidated(
            [company_a, uk], company_a.base_currency, datetime.date(2025, 6, 30),
            datetime.date(2025, 1, 1),
        )  # fmt: skip
    assert "GBP" in refused.value.fields["currency"][0]


def test_aged_receivables_by_days_overdue_less_unapplied_money(books):
    customer = factories.partner(books.company, name="Corner Shop")
    other = factories.partner(books.company, name="Big Buyer")
    document(books, customer, "100.00", date=DAY, due_date=DAY)  # 45 days overdue
    document(books, customer, "40.00", date=DAY, due_date=DAY + datetime.timedelta(days=50))
    document(books, other, "7.00", date=DAY, due_date=DAY - datetime.timedelta(days=100))
    pay(books, other, "10.00", date=DAY, overpayment=True)  # 7 settle the item, 3 on account
    document(books, other, "500.00", date=DAY, due_date=DAY - datetime.timedelta(days=20))
    as_of = DAY + datetime.timedelta(days=45)
    rows = {r.partner: r for r in statements.aged_balances(books.company.pk, Side.RECEIVABLE,
                                                           as_of)}  # fmt: skip
    assert rows["Corner Shop"].buckets == (D(40), D(0), D(100), D(0), D(0))
    assert rows["Big Buyer"].buckets == (D(0), D(0), D(0), D(500), D(0))
    assert rows["Big Buyer"].unapplied == D(3)
    assert rows["Big Buyer"].total == D(497)
    assert statements.bucket_labels() == [
        "Not due", "1–30 days", "31–60 days", "61–90 days", "Over 90 days",
    ]  # fmt: skip
    # the aged total is the receivable account
    assert sum(r.total for r in rows.values()) == D(637)
    assert checks.subledgers_match_control() == []


def test_grni_per_receipt_line_equals_the_grni_account(site, books):
    supplier = factories.partner(books.company, is_customer=False, is_supplier=True)
    product = factories.product(costing_method="fifo")
    receipt = site.transfer(TransferKind.RECEIPT, site.supplier, site.stock,
                            [(product, "10", "5")], partner_id=supplier.pk)  # fmt: skip
    inventory.validate_transfer(SYSTEM, receipt.pk)
    move = StockMove.objects.get(transfer=receipt)
    draft = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=books.company.pk, kind=InvoiceKind.VENDOR_BILL, partner_id=supplier.pk,
            date=DAY, lines=[InvoiceLineInput("Part", D(4), D("5.50"), product_id=product.pk,
                                              stock_move_id=move.pk)],
        ),
    )  # fmt: skip
    post_invoice(SYSTEM, draft.pk)
    (row,) = statements.grni(books.company.pk)
    assert (row.received_quantity, row.received_value) == (D(10), D(50))
    assert (row.billed_quantity, row.billed_value) == (D(4), D(20))
    assert (row.open_quantity, row.open_value) == (D(6), D(30))
    assert statements.grni_ledger_balance(books.company.pk) == D(30)
    assert checks.grni_matches_ledger() == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_statement_tables_export(books, fmt):
    from crossdock.accounting import exports

    books.post(("1000", "5", "0"), ("3000", "0", "5"), date=DAY)
    header, rows = exports.statement_table(statements.balance_sheet(books.company.pk, DAY))
    response = exports.file_response("bs", header, rows, fmt)
    assert response["Content-Disposition"] == f'attachment; filename="bs.{fmt}"'
    assert len(response.content) > 50
