"""The payment screens: register a payment against chosen open items, refusals that keep what
was typed, the payment's allocations, and a payment run from gathering to paid."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from crossdock.accounting.models import InvoiceKind, Payment, PaymentRun, PaymentState
from crossdock.core.records import create_record
from crossdock.core.roles import Role
from crossdock.masterdata.models import PartnerBankAccount
from tests import factories
from tests.accounting.test_payments import document
from tests.inventory.conftest import SYSTEM

D = Decimal


@pytest.fixture
def controller(company_a):
    user = factories.user(Role.CONTROLLER, companies=[company_a])
    client = Client()
    client.force_login(user)
    return client


def test_register_a_payment_against_a_chosen_open_item(controller, books):
    customer = factories.partner(books.company, name="Corner Shop")
    older = document(books, customer, "30.00", date=datetime.date(2026, 3, 1))
    newer = document(books, customer, "50.00", date=datetime.date(2026, 3, 5))
    page = controller.get("/accounting/payments/new/", {"partner": customer.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert older.number in html
    assert newer.number in html
    item = newer.installments.get()
    form = {
        "direction": "inbound", "partner": customer.pk, "date": "2026-03-20", "amount": "50.00",
        "bank_account": books.account("1000").pk, "reference": "Transfer 4711",
        f"item_{item.pk}": "50.00",
    }  # fmt: skip
    response = controller.post("/accounting/payments/new/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    payment = Payment.objects.get()
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.payment_state == PaymentState.PAID
    assert older.payment_state == PaymentState.NOT_PAID
    detail = controller.get(response["Location"]).content.decode()
    assert newer.number in detail
    assert payment.number in detail
    assert controller.get("/accounting/payments/").status_code == 200


def test_a_refused_payment_keeps_what_was_typed_and_writes_nothing(controller, books):
    customer = factories.partner(books.company, name="Corner Shop")
    invoice = document(books, customer, "30.00")
    item = invoice.installments.get()
    form = {
        "direction": "inbound", "partner": customer.pk, "date": "2026-03-20", "amount": "45.00",
        "bank_account": books.account("1000").pk, f"item_{item.pk}": "30.00",
    }  # fmt: skip
    response = controller.post("/accounting/payments/new/", form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "choose overpayment" in html
    assert 'value="30.00"' in html
    assert not Payment.objects.exists()


def test_payment_run_screens_from_gathering_to_paid(controller, books):
    supplier = factories.partner(books.company, is_customer=False, is_supplier=True)
    create_record(
        SYSTEM, PartnerBankAccount,
        {"partner": supplier, "iban": "DE89370400440532013000", "holder": supplier.name},
    )  # fmt: skip
    bill = document(books, supplier, "250.00", kind=InvoiceKind.VENDOR_BILL)
    response = controller.post("/accounting/payment-runs/new/", {"payment_date": "2026-05-01"})
    assert response.status_code == 302, response.content.decode()[:2000]
    run = PaymentRun.objects.get()
    detail = controller.get(f"/accounting/payment-runs/{run.pk}/").content.decode()
    assert bill.number in detail
    assert "Submit for approval" in detail
    controller.post(f"/accounting/payment-runs/{run.pk}/submit/")
    controller.post(f"/accounting/payment-runs/{run.pk}/pay/")
    run.refresh_from_db()
    bill.refresh_from_db()
    assert run.state == "done"
    assert bill.payment_state == PaymentState.PAID
    assert "Paid" in controller.get("/accounting/payment-runs/").content.decode()
    empty = controller.post("/accounting/payment-runs/new/", {"payment_date": "2026-05-01"})
    assert "No bill cleared for payment" in empty.content.decode()
