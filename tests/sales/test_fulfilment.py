"""Partial shipments and backorders, allocation of scarce stock by priority, invoicing by
policy (per delivery, per order, consolidated per customer), and the audit of progress."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossdock.accounting.models import Invoice
from crossdock.core.checks import run_checks
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError
from crossdock.core.roles import Role
from crossdock.inventory.models import MoveState, Shipment, StockMove, Transfer
from crossdock.sales import checks
from crossdock.sales.models import InvoicePolicy, SalesOrder, SalesOrderState, SalesSettings
from crossdock.sales.services.allocation import allocation_of, reallocate
from crossdock.sales.services.fulfilment import invoice_sales_orders, ship_sales_order
from tests import factories
from tests.sales.conftest import Selling

D = Decimal


@pytest.fixture
def people(selling):
    company = selling.company
    return {
        "operator": Actor.of(factories.user(Role.WAREHOUSE_OPERATOR, companies=[company])),
        "clerk": Actor.of(factories.user(Role.AR_CLERK, companies=[company])),
        "manager": Actor.of(factories.user(Role.WAREHOUSE_MANAGER, companies=[company])),
    }


def lines_of(order):
    return list(
        order.lines.order_by("sequence").values_list("shipped_quantity", "invoiced_quantity")
    )


def test_a_partial_shipment_leaves_a_backorder_that_ships_when_supply_arrives(selling, people):
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "6")
    order = selling.confirmed((product, "10", None))
    ship_sales_order(people["operator"], order.pk, carrier="DHL", tracking_number="JD0001")
    order.refresh_from_db()
    assert order.state == SalesOrderState.PARTIAL
    assert lines_of(order) == [(D(6), D(0))]
    assert Shipment.objects.get(tracking_number="JD0001").carrier == "DHL"
    backorder = Transfer.objects.get(origin=order.reference, backorder_of__isnull=False)
    assert backorder.state == MoveState.CONFIRMED  # waiting for stock
    selling.stock(product, "4")  # the receipt reserves the waiting backorder at once
    backorder.refresh_from_db()
    assert backorder.state == MoveState.ASSIGNED
    ship_sales_order(people["operator"], order.pk)
    order.refresh_from_db()
    assert order.state == SalesOrderState.SHIPPED
    assert lines_of(order) == [(D(10), D(0))]
    assert run_checks()[1] == []


def test_a_ship_complete_customer_gets_nothing_until_every_line_is_reserved(warehouse_a, people):
    selling = Selling(warehouse_a)
    selling.customer.ship_complete = True
    selling.customer.save()
    a, b = factories.product(), factories.product()
    for product in (a, b):
        selling.price(product, "10.00")
    selling.stock(a, "5")
    order = selling.confirmed((a, "5", None), (b, "1", None))
    assert order.ship_complete
    with pytest.raises(ConflictError) as refused:
        ship_sales_order(people["operator"], order.pk)
    assert "ship_complete" in refused.value.fields
    order.refresh_from_db()
    assert order.state == SalesOrderState.CONFIRMED
    selling.stock(b, "1")
    ship_sales_order(people["operator"], order.pk)
    order.refresh_from_db()
    assert order.state == SalesOrderState.SHIPPED


def test_nothing_reserved_is_nothing_to_ship(selling, people):
    product = factories.product()
    selling.price(product, "10.00")
    order = selling.confirmed((product, "1", None))
    with pytest.raises(ConflictError, match="Nothing of"):
        ship_sales_order(people["operator"], order.pk)


def test_scarce_stock_goes_to_the_strategic_customer_first_when_it_arrives(selling, people):
    product = factories.product()
    selling.price(product, "10.00")
    occasional = factories.partner(
        selling.company, is_customer=True, credit_limit=D(10000), customer_tier="occasional"
    )
    strategic = factories.partner(
        selling.company, is_customer=True, credit_limit=D(10000), customer_tier="strategic"
    )
    first = selling.confirmed((product, "5", None), customer=occasional)
    second = selling.confirmed((product, "5", None), customer=strategic)
    selling.stock(product, "5")  # five arrive: the strategic customer's order is served
    first_move = StockMove.objects.get(transfer__origin=first.reference)
    second_move = StockMove.objects.get(transfer__origin=second.reference)
    assert (first_move.state, second_move.state) == (MoveState.CONFIRMED, MoveState.ASSIGNED)
    claims = allocation_of(selling.warehouse.pk, product.pk)
    assert [(c.order_reference, c.priority, c.reserved) for c in claims] == [
        (second.reference, 10, D(5)),
        (first.reference, 70, D(0)),
    ]


def test_reallocation_hands_reserved_stock_to_a_more_important_order(selling, people):
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "5")
    occasional = factories.partner(
        selling.company, is_customer=True, credit_limit=D(10000), customer_tier="occasional"
    )
    key = factories.partner(
        selling.company, is_customer=True, credit_limit=D(10000), customer_tier="key"
    )
    early = selling.confirmed((product, "5", None), customer=occasional)
    late = selling.confirmed((product, "5", None), customer=key)
    assert StockMove.objects.get(transfer__origin=early.reference).state == MoveState.ASSIGNED
    served = reallocate(people["manager"], selling.warehouse.pk, product.pk)
    assert served == 1
    assert StockMove.objects.get(transfer__origin=early.reference).state == MoveState.CONFIRMED
    assert StockMove.objects.get(transfer__origin=late.reference).state == MoveState.ASSIGNED
    assert run_checks()[1] == []


def shipped_twice(selling, people, product):
    """An order of 10 shipped in two deliveries of 6 and 4."""
    selling.price(product, "10.00")
    selling.stock(product, "6")
    order = selling.confirmed((product, "10", None))
    ship_sales_order(people["operator"], order.pk)
    selling.stock(product, "4")
    ship_sales_order(people["operator"], order.pk)
    order.refresh_from_db()
    return order


def test_invoice_per_delivery_makes_one_invoice_per_delivery(selling, people):
    order = shipped_twice(selling, people, factories.product())
    invoices = invoice_sales_orders(people["clerk"], [order.pk])
    assert sorted(i.untaxed_amount for i in invoices) == [D(40), D(60)]
    assert all(i.state == "posted" for i in invoices)
    order.refresh_from_db()
    assert order.state == SalesOrderState.INVOICED
    assert lines_of(order) == [(D(10), D(10))]
    assert run_checks()[1] == []


def test_invoicing_an_order_twice_is_refused(selling, people):
    order = shipped_twice(selling, people, factories.product())
    invoice_sales_orders(people["clerk"], [order.pk])
    count = Invoice.objects.count()
    with pytest.raises(ConflictError):
        invoice_sales_orders(people["clerk"], [order.pk])
    assert Invoice.objects.count() == count


def test_invoice_per_order_waits_until_the_order_is_fully_shipped(selling, people):
    SalesSettings.objects.create(company=selling.company, invoice_policy=InvoicePolicy.PER_ORDER)
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "6")
    order = selling.confirmed((product, "10", None))
    ship_sales_order(people["operator"], order.pk)
    with pytest.raises(ConflictError, match="nothing shipped is left to invoice"):
        invoice_sales_orders(people["clerk"], [order.pk])
    selling.stock(product, "4")
    ship_sales_order(people["operator"], order.pk)
    (invoice,) = invoice_sales_orders(people["clerk"], [order.pk])
    assert invoice.untaxed_amount == D(100)
    assert invoice.lines.count() == 2  # one per delivery move, so none is invoiced twice


def test_consolidated_invoicing_makes_one_invoice_per_customer(selling, people):
    a, b = factories.product(), factories.product()
    for product in (a, b):
        selling.price(product, "10.00")
        selling.stock(product, "10")
    first = selling.confirmed((a, "2", None))
    second = selling.confirmed((b, "3", "12.00"))
    for order in (first, second):
        ship_sales_order(people["operator"], order.pk)
    (invoice,) = invoice_sales_orders(people["clerk"], [first.pk, second.pk], consolidate=True)
    assert invoice.untaxed_amount == D(56)
    assert first.reference in invoice.memo
    assert second.reference in invoice.memo
    for order in (first, second):
        order.refresh_from_db()
        assert order.state == SalesOrderState.INVOICED


def test_the_invoice_carries_the_order_price_and_discount(selling, people):
    product = factories.product()
    selling.price(product, "20.00")
    selling.stock(product, "5")
    order = selling.confirmed((product, "5", None, {"discount_percent": "5"}))
    ship_sales_order(people["operator"], order.pk)
    (invoice,) = invoice_sales_orders(people["clerk"], [order.pk])
    line = invoice.lines.get()
    assert (line.unit_price, line.discount_percent, line.subtotal) == (D(20), D(5), D(95))


def test_the_audit_finds_a_tampered_shipped_quantity(selling, people):
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "5")
    order = selling.confirmed((product, "5", None))
    ship_sales_order(people["operator"], order.pk)
    order.lines.update(shipped_quantity=D(4))
    problems = run_checks()[1]
    assert any(order.reference in p.problem and "shipped 4" in p.problem for p in problems)


def test_the_audit_checks_orders_in_batches_with_the_same_findings(selling, people, monkeypatch):
    a, b = factories.product(), factories.product()
    for product in (a, b):
        selling.price(product, "10.00")
        selling.stock(product, "10")
    # Two lines of one product: the shipped total is spread over them in sequence order.
    first = selling.confirmed((a, "2", None), (a, "3", None), (b, "1", None))
    second = selling.confirmed((b, "4", None))
    third = selling.confirmed((a, "1", None))
    for order in (first, second, third):
        ship_sales_order(people["operator"], order.pk)
    invoice_sales_orders(people["clerk"], [first.pk, second.pk])
    assert checks.progress() == []
    line = second.lines.get()
    second.lines.update(invoiced_quantity=D(3))
    tampered = first.lines.order_by("sequence").first()
    first.lines.filter(pk=tampered.pk).update(shipped_quantity=D(1))
    SalesOrder.objects.filter(pk=third.pk).update(uninvoiced_company=D("0.01"))
    expected = [
        f"sales order {first.reference} line {tampered.pk}: shipped 1.000000 but deliveries "
        "say 2.000000",
        # the tampered invoiced quantity leaves one unit of 10.00 uninvoiced by its lines
        f"sales order {second.reference}: uninvoiced 0.0000 but its lines say 10.00",
        f"sales order {second.reference} line {line.pk}: invoiced 3.000000 but posted "
        "invoices say 4.000000",
        f"sales order {third.reference}: uninvoiced 0.0100 but its lines say 10.00",
    ]
    assert checks.progress() == expected
    monkeypatch.setattr(checks, "BATCH", 1)  # one order per batch: the same findings
    assert checks.progress() == expected
