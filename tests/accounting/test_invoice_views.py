"""The invoice screens: list filters, a draft typed with lines (refusals on the field, nothing
written), post, credit note, PDF, roles, and drafting from a delivery or a receipt."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from crossdock.accounting.models import (
    AccountRole,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceState,
    PaymentState,
    PaymentTermInstallment,
    Tax,
    TaxUse,
)
from crossdock.accounting.services.invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    create_invoice,
)
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.inventory import services as inventory
from crossdock.masterdata.models import Currency, ExchangeRate, PaymentTerm
from tests import factories
from tests.accounting.test_payments import document, pay
from tests.inventory.conftest import SYSTEM

D = Decimal


@pytest.fixture
def controller(company_a):
    client = Client()
    client.force_login(factories.user(Role.CONTROLLER, companies=[company_a]))
    return client


@pytest.fixture
def customer(books):
    return factories.partner(books.company, name="Corner Shop")


@pytest.fixture
def output_tax(books):
    return Tax.objects.create(
        company=books.company, code="VAT21", name="VAT 21 %", use=TaxUse.SALE,
        rate=D(21), account=books.role(AccountRole.TAX_PAYABLE),
    )  # fmt: skip


def written() -> tuple[int, int, int]:
    return Invoice.objects.count(), InvoiceLine.objects.count(), AuditEntry.objects.count()


def draft_form(books, partner, *lines: dict[str, Any], **header: Any) -> dict[str, Any]:
    form = {
        "company": books.company.pk, "kind": InvoiceKind.CUSTOMER_INVOICE,
        "partner": partner.pk, "date": "2026-03-10", "currency": "", "due_date": "",
        "payment_term": "", "partner_reference": "", "memo": "",
        "lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "200", **header,
    }  # fmt: skip
    for index, line in enumerate(lines):
        for name in ("product", "description", "quantity", "unit_price", "tax", "account"):
            form[f"lines-{index}-{name}"] = line.get(name, "")
    return form


def ids_listed(client, **filters) -> list[str]:
    response = client.get("/accounting/invoices/", filters)
    assert response.status_code == 200
    page = response.context["page"]
    return sorted(str(invoice) for invoice in page.object_list)


def test_the_list_filters_by_kind_state_partner_and_date(controller, books, customer):
    supplier = factories.partner(books.company, name="Far Mill", is_customer=False,
                                 is_supplier=True)  # fmt: skip
    invoice = document(books, customer, "30.00", date=datetime.date(2026, 3, 1))
    bill = document(books, supplier, "70.00", kind=InvoiceKind.VENDOR_BILL,
                    date=datetime.date(2026, 3, 20))  # fmt: skip
    credit = document(books, customer, "5.00", kind=InvoiceKind.CUSTOMER_CREDIT,
                      date=datetime.date(2026, 3, 5))  # fmt: skip
    other = factories.partner(factories.company("ZED"), name="Corner Shop elsewhere")
    document(type(books)(other.company), other, "99.00")  # another company: never listed
    everything = sorted([invoice.number, bill.number, credit.number])
    assert ids_listed(controller) == everything
    assert ids_listed(controller, kind="invoice") == [invoice.number]
    assert ids_listed(controller, kind="bill") == [bill.number]
    assert ids_listed(controller, kind="credit_note") == [credit.number]
    assert ids_listed(controller, partner="far mil") == [bill.number]
    assert ids_listed(controller, since="2026-03-02", until="2026-03-19") == [credit.number]
    assert ids_listed(controller, state="draft") == []
    assert ids_listed(controller, company=books.company.pk) == everything
    html = controller.get("/accounting/invoices/", {"kind": "bill"}).content.decode()
    assert f'href="/accounting/invoices/{bill.pk}/"' in html
    assert "70.0000" in html  # the open amount
    assert bill.due_date.isoformat() in html


def test_the_list_pages_fifty_at_a_time(controller, books, customer):
    for _ in range(51):
        document(books, customer, "1.00")
    assert len(controller.get("/accounting/invoices/").context["page"].object_list) == 50
    second = controller.get("/accounting/invoices/", {"page": 2})
    assert len(second.context["page"].object_list) == 1


def test_a_draft_with_two_lines_is_saved_posted_and_shows_its_totals(
    controller, books, customer, output_tax
):
    product = factories.product(sku="CRATE-1", name="Crate")
    form = draft_form(
        books, customer,
        {"product": "CRATE-1", "quantity": "3", "unit_price": "10.00", "tax": output_tax.pk},
        {"description": "Delivery charge", "quantity": "1", "unit_price": "4.50"},
        {},  # an empty row is skipped
    )  # fmt: skip
    response = controller.post("/accounting/invoices/new/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    invoice = Invoice.objects.get()
    assert response["Location"] == f"/accounting/invoices/{invoice.pk}/"
    assert [(x.product_id, x.description, x.total) for x in invoice.lines.order_by("sequence")] == [
        (product.pk, "CRATE-1 Crate", D("36.30")),
        (None, "Delivery charge", D("4.50")),
    ]
    assert (invoice.untaxed_amount, invoice.tax_amount, invoice.total_amount) == (
        D("34.50"), D("6.30"), D("40.80"),
    )  # fmt: skip
    detail = controller.get(response["Location"]).content.decode()
    assert "Post</button>" in detail
    assert "Create credit note" not in detail
    posted = controller.post(f"/accounting/invoices/{invoice.pk}/post/")
    assert posted.status_code == 302
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.POSTED
    assert invoice.number.startswith("SAL/2026/")
    html = controller.get(f"/accounting/invoices/{invoice.pk}/").content.decode()
    assert f'<dd id="open-amount">{invoice.open_amount} EUR' in html
    assert invoice.open_amount == D("40.80")
    assert f'href="/accounting/entries/{invoice.entry_id}/"' in html
    assert "VAT21 VAT 21 %" in html  # the tax summary
    assert "Create credit note" in html
    assert "Post</button>" not in html


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ({"description": "Crates", "quantity": "0", "unit_price": "2"}, "lines-0-quantity",
         "The quantity must be greater than zero."),
        ({"description": "Crates", "quantity": "1", "unit_price": "-2"}, "lines-0-unit_price",
         "The unit price cannot be negative."),
        ({"description": "Crates", "quantity": "lots", "unit_price": "2"}, "lines-0-quantity",
         "Enter a number."),
        ({"product": "NO-SUCH-SKU", "quantity": "1", "unit_price": "2"}, "lines-0-product",
         "No product with SKU NO-SUCH-SKU."),
        ({"quantity": "1", "unit_price": "2"}, "lines-0-description", "Describe what is charged."),
    ],
)  # fmt: skip
def test_a_bad_line_is_refused_on_its_field_and_writes_nothing(
    controller, books, customer, line, field, message
):
    before = written()
    form = draft_form(books, customer, line)
    response = controller.post("/accounting/invoices/new/", form)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-field="{field}">{message}</div>' in html, html[-4000:]
    assert written() == before


def test_a_refusal_lands_on_the_row_it_names_even_after_skipped_rows(controller, books, customer):
    before = written()
    form = draft_form(
        books, customer,
        {"description": "Pallet", "quantity": "1", "unit_price": "5"},
        {},
        {"description": "Crates", "quantity": "0", "unit_price": "2"},
    )  # fmt: skip
    html = controller.post("/accounting/invoices/new/", form).content.decode()
    assert 'data-field="lines-2-quantity">The quantity must be greater than zero.' in html
    assert 'data-field="lines-0-quantity"' not in html
    assert 'value="Crates"' in html  # what was typed is kept
    assert written() == before


def test_header_refusals_name_the_field_and_write_nothing(controller, books, customer):
    supplier = factories.partner(books.company, name="Far Mill", is_customer=False,
                                 is_supplier=True)  # fmt: skip
    before = written()
    line = {"description": "Pallet", "quantity": "1", "unit_price": "5"}
    response = controller.post(
        "/accounting/invoices/new/", draft_form(books, supplier, line)
    )  # a customer invoice to a supplier only
    assert response.status_code == 200
    assert "Far Mill is not a customer." in response.content.decode()
    nothing = controller.post("/accounting/invoices/new/", draft_form(books, customer))
    assert "A document needs at least one line." in nothing.content.decode()
    bad_date = controller.post(
        "/accounting/invoices/new/", draft_form(books, customer, line, date="2026-02-30")
    )
    assert bad_date.status_code == 200
    assert "Enter a valid date." in bad_date.content.decode()
    assert written() == before


def test_add_a_line_keeps_what_was_typed_and_shows_no_errors(controller, books, customer):
    form = {**draft_form(books, customer, {"description": "Pallet"}), "partner": ""}
    response = controller.post("/accounting/invoices/new/", {**form, "add_line": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="lines-1-description"' in html
    assert 'value="Pallet"' in html
    assert "field-error" not in html
    assert Invoice.objects.count() == 0


def test_cancelling_a_draft_from_its_page(controller, books, customer):
    draft = create_invoice(
        SYSTEM,
        InvoiceInput(books.company.pk, InvoiceKind.CUSTOMER_INVOICE, customer.pk,
                     datetime.date(2026, 3, 10), [InvoiceLineInput("Pallet", D(1), D(5))]),
    )  # fmt: skip
    assert "Cancel draft" in controller.get(f"/accounting/invoices/{draft.pk}/").content.decode()
    response = controller.post(f"/accounting/invoices/{draft.pk}/cancel/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.state, draft.number) == (InvoiceState.CANCELLED, "")
    page = controller.get(f"/accounting/invoices/{draft.pk}/").content.decode()
    assert "Cancel draft" not in page
    assert ">Post<" not in page


def test_post_twice_is_explained_and_a_posted_invoice_is_credited(controller, books, customer):
    invoice = document(books, customer, "30.00")
    refused = controller.post(f"/accounting/invoices/{invoice.pk}/post/", follow=True)
    assert "is already posted" in refused.content.decode()
    refused = controller.post(f"/accounting/invoices/{invoice.pk}/cancel/", follow=True)
    assert "only a draft can be cancelled" in refused.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.POSTED
    response = controller.post(f"/accounting/invoices/{invoice.pk}/credit-note/")
    note = Invoice.objects.get(credit_of=invoice)
    assert response["Location"] == f"/accounting/invoices/{note.pk}/"
    assert (note.kind, note.state, note.total_amount) == (
        InvoiceKind.CUSTOMER_CREDIT, InvoiceState.DRAFT, D("30.00"),
    )  # fmt: skip
    again = controller.post(f"/accounting/invoices/{invoice.pk}/credit-note/", follow=True)
    assert again.status_code == 200
    assert Invoice.objects.filter(credit_of=invoice).count() == 1
    html = controller.get(f"/accounting/invoices/{invoice.pk}/").content.decode()
    assert f'href="/accounting/invoices/{note.pk}/"' in html


def test_payments_allocated_show_on_the_invoice(controller, books, customer):
    invoice = document(books, customer, "30.00")
    payment = pay(books, customer, "12.00")
    invoice.refresh_from_db()
    assert invoice.payment_state == PaymentState.PARTIAL
    html = controller.get(f"/accounting/invoices/{invoice.pk}/").content.decode()
    assert f'href="/accounting/payments/{payment.pk}/"' in html
    assert '<dd id="open-amount">18.0000 EUR' in html
    assert "Partly paid" in html


def test_a_foreign_invoice_in_instalments_shows_both_currencies_and_each_due_date(
    controller, books, customer
):
    usd = Currency.objects.get(code="USD")
    ExchangeRate.objects.create(
        currency=usd, quote_currency=books.company.base_currency,
        valid_from=datetime.date(2026, 3, 1), rate=D("0.90"),
    )  # fmt: skip
    term = PaymentTerm.objects.create(code="HALF-30", name="Half now, half in 30 days")
    PaymentTermInstallment.objects.create(term=term, sequence=1, percent=D(50), days=0)
    PaymentTermInstallment.objects.create(term=term, sequence=2, percent=D(50), days=30)
    form = draft_form(
        books, customer, {"description": "Pallet", "quantity": "2", "unit_price": "50.00"},
        currency=usd.pk, payment_term=term.pk,
    )  # fmt: skip
    controller.post("/accounting/invoices/new/", form)
    invoice = Invoice.objects.get()
    controller.post(f"/accounting/invoices/{invoice.pk}/post/")
    response = controller.get(f"/accounting/invoices/{invoice.pk}/")
    html = response.content.decode()
    assert '<td class="cell-number" id="total">100.0000</td>' in html
    assert '<td class="cell-number" id="total-company">90.0000</td>' in html
    assert '<dd id="open-amount">100.0000 USD (90.0000 EUR)' in html
    assert [(i.due_date, i.amount) for i in response.context["installments"]] == [
        (datetime.date(2026, 3, 10), D("50.00")),
        (datetime.date(2026, 4, 9), D("50.00")),
    ]
    assert "2026-04-09" in html


def test_the_list_needs_no_query_per_row(
    controller, books, customer, django_assert_max_num_queries
):
    for _ in range(3):
        document(books, customer, "1.00")
    with django_assert_max_num_queries(25) as few:
        controller.get("/accounting/invoices/")
    for _ in range(20):
        document(books, customer, "1.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        controller.get("/accounting/invoices/")


def test_the_pdf_is_served_as_a_pdf(controller, books, customer):
    invoice = document(books, customer, "30.00")
    response = controller.get(f"/accounting/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert invoice.number.replace("/", "-") in response["Content-Disposition"]


def test_a_role_without_finance_rights_is_refused_everywhere(company_a, books, customer):
    invoice = document(books, customer, "30.00")
    operator = Client()
    operator.force_login(factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a]))
    before = written()
    assert operator.get("/accounting/invoices/").status_code == 403
    assert operator.get("/accounting/invoices/new/").status_code == 403
    assert (
        operator.post("/accounting/invoices/new/", draft_form(books, customer)).status_code == 403
    )
    assert operator.get(f"/accounting/invoices/{invoice.pk}/").status_code == 403
    assert operator.get(f"/accounting/invoices/{invoice.pk}/pdf/").status_code == 403
    assert operator.post(f"/accounting/invoices/{invoice.pk}/credit-note/").status_code == 403
    assert written() == before


def test_a_reader_sees_but_cannot_post_and_another_company_is_not_found(books, customer, company_b):
    draft_invoice = document(books, customer, "30.00")
    auditor = Client()
    auditor.force_login(factories.user(Role.AUDITOR, companies=[books.company]))
    html = auditor.get(f"/accounting/invoices/{draft_invoice.pk}/").content.decode()
    assert "Create credit note" not in html
    assert auditor.post(f"/accounting/invoices/{draft_invoice.pk}/credit-note/").status_code == 403
    stranger = Client()
    stranger.force_login(factories.user(Role.CONTROLLER, companies=[company_b]))
    assert stranger.get(f"/accounting/invoices/{draft_invoice.pk}/").status_code == 404
    assert stranger.get(f"/accounting/invoices/{draft_invoice.pk}/pdf/").status_code == 404


def test_navigation_has_invoices_and_bills(company_a):
    from crossdock.web.navigation import navigation_for

    controller = factories.user(Role.CONTROLLER, companies=[company_a])
    labels = [
        e.label for g in navigation_for(controller) if g.label == "Finance" for e in g.entries
    ]
    assert "Invoices and bills" in labels
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a])
    assert "Invoices and bills" not in [
        e.label for g in navigation_for(operator) for e in g.entries
    ]


def delivered(site, customer):
    product = factories.product(costing_method="fifo", list_price=D("12.50"), sku="DLV-1")
    site.receive(product, "10", cost="4.00")
    delivery = site.deliver(product, "2", partner_id=customer.pk)
    return inventory.validate_transfer(SYSTEM, delivery.pk)


def test_invoice_a_delivery_from_its_page(controller, books, site, customer):
    delivery = delivered(site, customer)
    page = controller.get(f"/inventory/transfers/{delivery.pk}/").content.decode()
    action = f"/accounting/invoices/from-delivery/{delivery.pk}/"
    assert f'action="{action}"' in page
    assert "Invoice this delivery" in page
    response = controller.post(action)
    invoice = Invoice.objects.get()
    assert response["Location"] == f"/accounting/invoices/{invoice.pk}/"
    assert (invoice.kind, invoice.state, invoice.total_amount, invoice.source_transfer_id) == (
        InvoiceKind.CUSTOMER_INVOICE, InvoiceState.DRAFT, D("25.00"), delivery.pk,
    )  # fmt: skip
    page = controller.get(f"/inventory/transfers/{delivery.pk}/").content.decode()
    assert "Invoice this delivery" not in page
    assert f'href="/accounting/invoices/{invoice.pk}/"' in page
    again = controller.post(action, follow=True)
    assert "already invoiced" in again.content.decode()
    assert Invoice.objects.count() == 1


def test_bill_a_receipt_from_its_page(controller, books, site):
    supplier = factories.partner(books.company, is_customer=False, is_supplier=True)
    product = factories.product(costing_method="fifo")
    receipt = site.transfer(
        "receipt", site.supplier, site.stock, [(product, "4", "2.50")], partner_id=supplier.pk
    )
    open_page = controller.get(f"/inventory/transfers/{receipt.pk}/").content.decode()
    assert "Bill this receipt" not in open_page  # not done yet
    receipt = inventory.validate_transfer(SYSTEM, receipt.pk)
    page = controller.get(f"/inventory/transfers/{receipt.pk}/").content.decode()
    assert "Bill this receipt" in page
    response = controller.post(f"/accounting/invoices/from-receipt/{receipt.pk}/")
    bill = Invoice.objects.get()
    assert response["Location"] == f"/accounting/invoices/{bill.pk}/"
    assert (bill.kind, bill.total_amount) == (InvoiceKind.VENDOR_BILL, D("10.00"))


def test_a_receipt_is_not_invoiced_as_a_delivery_and_writes_nothing(controller, books, site):
    receipt = site.receive(factories.product(), "2", cost="1.00")
    before = written()
    response = controller.post(f"/accounting/invoices/from-delivery/{receipt.pk}/", follow=True)
    assert response.status_code == 200
    assert "not a delivery" in response.content.decode()
    missing = controller.post("/accounting/invoices/from-delivery/999999/", follow=True)
    assert "No transfer 999999." in missing.content.decode()
    assert written() == before


def test_a_warehouse_operator_sees_no_invoice_button_and_cannot_invoice(
    company_a, books, site, customer
):
    delivery = delivered(site, customer)
    operator = Client()
    operator.force_login(factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a]))
    page = operator.get(f"/inventory/transfers/{delivery.pk}/")
    assert page.status_code == 200
    assert "Invoice this delivery" not in page.content.decode()
    assert operator.post(f"/accounting/invoices/from-delivery/{delivery.pk}/").status_code == 403
    assert Invoice.objects.count() == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_draft_two_lines_post_and_see_the_open_amount_in_the_browser(browser, books, company_a):
    import re

    from tests.browser import expect

    shop = factories.partner(books.company, name="Corner Shop")
    page = browser.page(factories.user(Role.CONTROLLER, companies=[company_a]))
    page.goto("/accounting/invoices/")
    page.get_by_role("link", name="New draft").click()
    page.get_by_label("Partner", exact=True).select_option(label=str(shop))
    page.get_by_label("Date", exact=True).fill("2026-03-10")
    for index, (description, quantity, price) in enumerate(
        [("Pallet of crates", "3", "12.50"), ("Delivery charge", "1", "7.25")]
    ):
        page.locator(f'[name="lines-{index}-description"]').fill(description)
        page.locator(f'[name="lines-{index}-quantity"]').fill(quantity)
        page.locator(f'[name="lines-{index}-unit_price"]').fill(price)
    page.get_by_role("button", name="Add a line").click()
    expect(page.locator('[name="lines-2-description"]')).to_be_visible()
    expect(page.locator('[name="lines-1-description"]')).to_have_value("Delivery charge")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/accounting/invoices/\d+/$"))
    expect(page.locator("#total")).to_have_text("44.7500")
    page.get_by_role("button", name="Post").click()
    expect(page.locator("#state")).to_have_text("Posted")
    expect(page.locator("#open-amount")).to_contain_text("44.7500 EUR")
    expect(page.locator("#payment-state")).to_have_text("Not paid")
    invoice = Invoice.objects.get()
    assert (invoice.state, invoice.open_amount) == (InvoiceState.POSTED, D("44.75"))
    assert browser.js_errors == []


def test_edit_a_billed_receipt_keeps_its_moves_and_a_stale_edit_is_refused(controller, books, site):
    supplier = factories.partner(books.company, is_customer=False, is_supplier=True)
    product = factories.product(costing_method="fifo", sku="BOX-9")
    receipt = site.transfer(
        "receipt", site.supplier, site.stock, [(product, "4", "2.50")], partner_id=supplier.pk
    )
    receipt = inventory.validate_transfer(SYSTEM, receipt.pk)
    controller.post(f"/accounting/invoices/from-receipt/{receipt.pk}/")
    bill = Invoice.objects.get()
    move = bill.lines.get().stock_move_id
    assert move is not None
    page = controller.get(f"/accounting/invoices/{bill.pk}/edit/")
    assert page.status_code == 200
    form = {
        key: "" if value is None else value for key, value in page.context["form"].initial.items()
    }
    form.update(
        {
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "200", "lines-0-product": "BOX-9",
            "lines-0-description": "Boxes", "lines-0-quantity": "4", "lines-0-unit_price": "2.60",
            "lines-0-stock_move": str(move), "partner_reference": "V-2040",
        }
    )  # fmt: skip
    response = controller.post(f"/accounting/invoices/{bill.pk}/edit/", form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    bill.refresh_from_db()
    line = bill.lines.get()
    assert (bill.partner_reference, bill.total_amount) == ("V-2040", D("10.40"))
    assert (line.description, line.stock_move_id, line.account_id) == (
        "Boxes", move, books.role(AccountRole.GRNI).pk,
    )  # fmt: skip
    stale = controller.post(f"/accounting/invoices/{bill.pk}/edit/", {**form, "memo": "late"})
    assert stale.status_code == 200
    assert "was changed by someone else" in stale.content.decode()
    bill.refresh_from_db()
    assert bill.memo == "Receipt " + receipt.reference
    controller.post(f"/accounting/invoices/{bill.pk}/post/")
    posted = controller.get(f"/accounting/invoices/{bill.pk}/edit/", follow=True)
    assert "is posted" in posted.content.decode()
