"""Hard credit control: holds over the limit or for overdue invoices, releases by a credit
controller through the approvals engine, and automatic release when the customer pays."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.accounting.models.invoices import InvoiceKind
from crossdock.accounting.services.invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    create_invoice,
    post_invoice,
)
from crossdock.accounting.services.payments import PaymentInput, register_payment
from crossdock.approvals.models import ApprovalRequest
from crossdock.approvals.services import decide
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError
from crossdock.core.roles import Role
from crossdock.inventory.models import Quant, Transfer
from crossdock.sales.models import SalesOrderState
from crossdock.sales.services.credit import exposure_of
from crossdock.sales.services.fulfilment import ship_sales_order
from tests import factories
from tests.inventory.conftest import SYSTEM
from tests.sales.conftest import Selling

D = Decimal


@pytest.fixture
def tight(warehouse_a):
    """A customer with a 1,000 EUR limit, a credit controller and stock of a 100 EUR product."""
    selling = Selling(warehouse_a, credit_limit="1000")
    selling.controller = Actor.of(
        factories.user(Role.CREDIT_CONTROLLER, companies=[selling.company])
    )
    selling.product = factories.product()
    selling.price(selling.product, "100.00")
    selling.stock(selling.product, "100")
    return selling


def open_invoice(selling, amount, date, due_date=None):
    invoice = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=selling.company.pk, kind=InvoiceKind.CUSTOMER_INVOICE,
            partner_id=selling.customer.pk, date=date, due_date=due_date,
            lines=[InvoiceLineInput("Earlier goods", D(1), D(amount))],
        ),
    )  # fmt: skip
    return post_invoice(SYSTEM, invoice.pk)


def pay(selling, amount):
    return register_payment(
        SYSTEM,
        PaymentInput(
            company_id=selling.company.pk, direction="inbound", partner_id=selling.customer.pk,
            date=datetime.date.today(), amount=D(amount),
        ),
    )  # fmt: skip


def request_of(order):
    return ApprovalRequest.objects.get(
        document_type="sales-credit-release", document_id=str(order.pk), status="pending"
    )


def test_an_order_within_the_limit_is_confirmed_and_reserved(tight):
    order = tight.confirmed((tight.product, "9", None))
    assert order.state == SalesOrderState.CONFIRMED
    assert order.credit_exposure == D(900)
    assert order.credit_limit == D(1000)


def test_an_order_over_the_limit_is_held_and_cannot_be_reserved_or_shipped(tight):
    tight.confirmed((tight.product, "6", None))
    order = tight.confirmed((tight.product, "5", None))
    assert order.state == SalesOrderState.CREDIT_HOLD
    assert "over the limit" in order.hold_reason
    assert order.credit_exposure == D(1100)  # 600 confirmed, not invoiced + 500
    assert not Transfer.objects.filter(origin=order.reference).exists()
    quant = Quant.objects.get(product=tight.product, location=tight.site.stock)
    assert quant.reserved == 6  # only the first order holds stock
    operator = Actor.of(factories.user(Role.WAREHOUSE_OPERATOR, companies=[tight.company]))
    with pytest.raises(ConflictError):
        ship_sales_order(operator, order.pk)


def test_a_credit_controller_releases_a_held_order(tight):
    tight.confirmed((tight.product, "6", None))
    order = tight.confirmed((tight.product, "5", None))
    decide(tight.controller, request_of(order).pk, approve=True, comment="Good payer")
    order.refresh_from_db()
    assert order.state == SalesOrderState.CONFIRMED
    assert Transfer.objects.get(origin=order.reference).state == "assigned"


def test_a_refused_release_returns_the_order_to_a_quotation(tight):
    tight.confirmed((tight.product, "6", None))
    order = tight.confirmed((tight.product, "5", None))
    decide(tight.controller, request_of(order).pk, approve=False, comment="Ask for prepayment")
    order.refresh_from_db()
    assert (order.state, order.rejection_comment) == (
        SalesOrderState.QUOTATION,
        "Ask for prepayment",
    )
    assert not Transfer.objects.filter(origin=order.reference).exists()


def test_open_receivables_count_in_the_exposure(tight):
    open_invoice(tight, "700", datetime.date.today())
    exposure = exposure_of(tight.customer)
    assert (exposure.receivables, exposure.open_orders, exposure.limit) == (D(700), D(0), D(1000))
    order = tight.confirmed((tight.product, "4", None))
    assert order.state == SalesOrderState.CREDIT_HOLD


def test_an_invoice_overdue_beyond_the_hold_days_holds_even_a_small_order(tight):
    today = datetime.date.today()
    open_invoice(
        tight,
        "10",
        today - datetime.timedelta(days=60),
        due_date=today - datetime.timedelta(days=31),
    )
    order = tight.confirmed((tight.product, "1", None))
    assert order.state == SalesOrderState.CREDIT_HOLD
    assert "31 days overdue" in order.hold_reason


def test_payments_release_held_orders_automatically_oldest_first(tight):
    open_invoice(tight, "800", datetime.date.today())
    first = tight.confirmed((tight.product, "3", None))
    second = tight.confirmed((tight.product, "5", None))
    assert first.state == second.state == SalesOrderState.CREDIT_HOLD
    pay(tight, "500")  # exposure 300 + 300 → the first fits, the second (300 + 300 + 500) not
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == SalesOrderState.CONFIRMED
    assert "payments" in first.released_by
    assert second.state == SalesOrderState.CREDIT_HOLD
    assert request_of(second)
    assert not ApprovalRequest.objects.filter(document_id=str(first.pk), status="pending").exists()
    pay(tight, "300")
    second.refresh_from_db()
    assert second.state == SalesOrderState.CONFIRMED


def test_a_customer_without_a_limit_has_no_credit(warehouse_a):
    selling = Selling(warehouse_a, credit_limit="0")
    factories.user(Role.CREDIT_CONTROLLER, companies=[selling.company])
    product = factories.product()
    selling.price(product, "1.00")
    assert selling.confirmed((product, "1", None)).state == SalesOrderState.CREDIT_HOLD


def test_without_a_credit_controller_the_order_stays_held_and_says_why(warehouse_a):
    selling = Selling(warehouse_a, credit_limit="10")
    product = factories.product()
    selling.price(product, "100.00")
    order = selling.confirmed((product, "1", None))
    assert order.state == SalesOrderState.CREDIT_HOLD
    assert "No one can approve" in order.hold_reason
    assert not Transfer.objects.filter(origin=order.reference).exists()
