"""Procure to pay in real Chromium: a buyer orders and submits, a warehouse operator receives
with a lot on a phone, and an AP clerk bills it (posted, or held in the match queue)."""

from __future__ import annotations

import datetime
import re

import pytest

from crossdock.core.roles import Role
from crossdock.inventory.models import Lot
from crossdock.purchasing.models import BillMatch, OrderState, PurchaseOrder
from tests import factories
from tests.browser import PHONE, expect

pytestmark = [
    pytest.mark.browser,
    # The live server reads committed data; tests/conftest.py reloads the reference data.
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("bill_price", ["", "3.00"], ids=["matched", "price-variance"])
def test_buyer_orders_operator_receives_on_a_phone_and_clerk_bills(browser, buying, bill_price):
    company, warehouse = buying.company, buying.warehouse
    cheese = factories.product("CHEESE-1", name="Gouda 1 kg", tracking="lot", shelf_life_days=90)
    buying.offer(cheese, ("0", "2.00"))
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[company], warehouses=[warehouse])
    clerk = factories.user(Role.AP_CLERK, companies=[company])
    expiry = datetime.date.today() + datetime.timedelta(days=60)

    # The buyer drafts the order (the price comes from the catalogue) and submits it.
    page = browser.page(buying.buyer)
    page.goto("/purchasing/")
    page.get_by_role("link", name="New order").first.click()
    page.get_by_label("Supplier").select_option(str(buying.supplier.pk))
    page.get_by_label("Warehouse").select_option(str(warehouse.pk))
    page.locator("#id_lines-0-sku").fill("CHEESE-1")
    page.locator("#id_lines-0-quantity").fill("12")
    page.get_by_role("button", name="Save draft").click()
    order = PurchaseOrder.objects.get()
    expect(page.get_by_role("heading", name=order.reference)).to_be_visible()
    expect(page.locator("#amount")).to_contain_text("24.0000")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("No approval needed")
    expect(page.locator("#state")).to_have_text("Approved")

    # The warehouse operator receives it with a lot, on a phone.
    phone = browser.page(operator, viewport=PHONE)
    phone.goto("/purchasing/receipts/")
    phone.get_by_role("link", name="Receive", exact=True).first.click()
    expect(phone).to_have_url(re.compile(rf"/purchasing/orders/{order.pk}/receive/$"))
    card = phone.locator(".receipt-card").first
    card.get_by_label("Received").fill("12")
    card.get_by_label("Lot or serial").fill("LOT-42")
    card.get_by_label("Expires on").fill(expiry.isoformat())
    receive = phone.get_by_role("button", name="Receive", exact=True)
    expect(receive).to_be_in_viewport()
    receive.click()
    expect(phone.get_by_role("status")).to_contain_text("Received as")
    expect(phone.locator("#state")).to_have_text("Received")
    assert Lot.objects.get(product=cheese, name="LOT-42").expires_on == expiry

    # The AP clerk bills it: posted when it matches, held in the queue when the price is off.
    desk = browser.page(clerk)
    desk.goto(f"/purchasing/orders/{order.pk}/")
    desk.get_by_role("link", name="Bill", exact=True).click()
    desk.get_by_label("Supplier's bill number").fill("INV-9001")
    if bill_price:
        desk.get_by_label("Bill price").first.fill(bill_price)
    desk.get_by_role("button", name="Draft and match the bill").click()
    if not bill_price:
        expect(desk.get_by_role("status")).to_contain_text("is posted")
        expect(desk.locator("#state")).to_have_text("Billed")
        expect(desk.locator("[data-match]")).to_have_text("Matched")
    else:
        expect(desk.get_by_role("status")).to_contain_text("held in the AP match queue")
        desk.get_by_role("link", name="Bill match queue").click()
        card = desk.locator("[data-match]").first
        expect(card.locator("[data-status]")).to_have_text("Price variance")
        expect(card).to_contain_text("price above the order price")
        expect(card).to_contain_text("3.000000")

    assert browser.js_errors == []
    order.refresh_from_db()
    match = BillMatch.objects.get()
    if bill_price:
        assert (order.state, match.status) == (OrderState.RECEIVED, "price_variance")
    else:
        assert (order.state, match.status) == (OrderState.BILLED, "matched")


def test_scorecard_charts_and_the_exception_queue(browser, buying):
    """A buyer reads a supplier's trend as charts, then re-sends an order from the queue."""
    from django.utils import timezone

    from crossdock.purchasing.services import orders
    from crossdock.purchasing.services.exceptions import refresh_exceptions

    buying.supplier.email = "orders@supplier.example"
    buying.supplier.save()
    order = buying.order((factories.product(), "10", "2.00"))
    orders.submit_purchase_order(buying.actor, order.pk)
    orders.send_purchase_order(buying.actor, order.pk)
    PurchaseOrder.objects.filter(pk=order.pk).update(
        sent_at=timezone.now() - datetime.timedelta(days=8)
    )
    refresh_exceptions()

    page = browser.page(buying.buyer)
    page.goto("/purchasing/")
    page.get_by_role("link", name="Vendor scorecards").click()
    expect(page.get_by_role("heading", name="Vendor scorecards")).to_be_visible()
    page.goto(f"/purchasing/scorecards/{buying.supplier.pk}/")
    chart = page.locator("[data-chart='score'] svg")
    expect(chart).to_be_visible()
    expect(page.locator("#trend svg")).to_have_count(6)
    assert chart.bounding_box()["height"] > 50

    page.get_by_role("link", name="Supplier follow-up").click()
    item = page.locator("[data-exception]").first
    expect(item).to_contain_text(order.reference)
    expect(item.locator("[data-kind]")).to_have_text("Order not confirmed by the supplier")
    expect(page.get_by_role("heading", name="High (1)")).to_be_visible()
    item.get_by_role("button", name="Re-send order").click()
    expect(page.get_by_role("status")).to_contain_text("sent again to orders@supplier.example")
    assert browser.js_errors == []
