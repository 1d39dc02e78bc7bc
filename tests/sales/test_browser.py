"""Order to cash in real Chromium: a sales rep types an order with two lines while the live
panel prices it, shows stock and credit, and confirms it; a warehouse operator ships it from
the order page; an AR clerk invoices it. And an order over the customer's limit lands in the
credit-hold queue."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossdock.core.roles import Role
from crossdock.sales.models import SalesOrder, SalesOrderState
from tests import factories
from tests.browser import expect

pytestmark = [
    pytest.mark.browser,
    # The live server reads committed data; tests/conftest.py reloads the reference data.
    pytest.mark.django_db(transaction=True),
]

D = Decimal


@pytest.fixture
def goods(selling):
    bolts = factories.product("BOLT-M8", name="Bolts M8")
    nuts = factories.product("NUT-M8", name="Nuts M8")
    selling.price(bolts, "10.00")
    selling.price(nuts, "4.00")
    selling.stock(bolts, "20", cost="6")
    selling.stock(nuts, "10", cost="1")
    return {"bolts": bolts, "nuts": nuts}


def enter_order(page, selling, lines):
    page.goto("/sales/orders/")
    page.get_by_role("link", name="New sales order").first.click()
    page.get_by_label("Customer", exact=True).select_option(str(selling.customer.pk))
    for index, (sku, quantity) in enumerate(lines):
        page.locator(f"#id_lines-{index}-sku").fill(sku)
        page.locator(f"#id_lines-{index}-quantity").fill(quantity)


def test_rep_enters_and_confirms_operator_ships_clerk_invoices(browser, selling, goods):
    company, warehouse = selling.company, selling.warehouse
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[company], warehouses=[warehouse])
    clerk = factories.user(Role.AR_CLERK, companies=[company])

    # The rep types two lines; the live panel prices them and shows ATP and credit.
    page = browser.page(selling.rep)
    enter_order(page, selling, [("BOLT-M8", "5"), ("NUT-M8", "2")])
    panel = page.locator("#live-panel")
    bolts = panel.locator("#panel-lines tr[data-sku='BOLT-M8']")
    expect(bolts.locator("[data-unit-price]")).to_have_text("10")
    expect(bolts.locator("[data-margin]")).to_contain_text("40.00 %")
    expect(bolts.locator("[data-available]")).to_have_text("20")
    expect(panel.locator("#panel-lines tr[data-sku='NUT-M8'] [data-unit-price]")).to_have_text("4")
    expect(panel.locator("#panel-atp")).to_contain_text(warehouse.code)
    expect(panel.locator("[data-exposure]")).to_contain_text("58.00")
    expect(panel.locator("[data-limit]")).to_contain_text("100000.00")
    expect(panel).to_contain_text("within the limit")
    page.get_by_role("button", name="Save quotation").click()
    order = SalesOrder.objects.get()
    expect(page.get_by_role("heading", name=order.reference)).to_be_visible()
    expect(page.locator("#state")).to_have_text("Quotation")
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("released to the warehouse")
    expect(page.locator("#state")).to_have_text("Confirmed")
    expect(page.locator("#deliveries")).to_contain_text(warehouse.code)

    # The warehouse operator ships it from the order page.
    desk = browser.page(operator)
    desk.goto(f"/sales/orders/{order.pk}/")
    desk.get_by_role("button", name="Ship", exact=True).click()
    expect(desk.get_by_role("status")).to_contain_text("Shipped:")
    expect(desk.locator("#state")).to_have_text("Shipped")

    # The AR clerk invoices it.
    books = browser.page(clerk)
    books.goto(f"/sales/orders/{order.pk}/")
    books.get_by_role("button", name="Invoice", exact=True).click()
    expect(books.get_by_role("status")).to_contain_text("Invoiced:")
    expect(books.locator("#state")).to_have_text("Invoiced")
    expect(books.locator("#invoices tbody tr")).to_have_count(1)

    assert browser.js_errors == []
    order.refresh_from_db()
    assert order.state == SalesOrderState.INVOICED
    assert [line.invoiced_quantity for line in order.lines.order_by("sequence")] == [D(5), D(2)]


def test_an_order_over_the_limit_shows_in_the_credit_hold_queue(browser, selling, goods):
    selling.customer.credit_limit = D("30")
    selling.customer.save()
    controller = factories.user(Role.CREDIT_CONTROLLER, companies=[selling.company])

    page = browser.page(selling.rep)
    enter_order(page, selling, [("BOLT-M8", "5")])
    expect(page.locator("#live-panel [data-over-limit]")).to_be_visible()
    page.get_by_role("button", name="Save quotation").click()
    order = SalesOrder.objects.get()
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("on credit hold")
    expect(page.locator("#state")).to_have_text("On credit hold")

    queue = browser.page(controller)
    queue.goto("/sales/orders/")
    queue.get_by_role("link", name="Credit holds").click()
    row = queue.locator(f"#holds tr[data-order='{order.pk}']")
    expect(row).to_contain_text(selling.customer.code)
    expect(row.locator("[data-amount]")).to_contain_text("50.00")
    expect(row.locator("[data-limit]")).to_have_text("30.00")
    expect(row.locator("[data-reason]")).to_contain_text("over the limit")
    assert browser.js_errors == []
