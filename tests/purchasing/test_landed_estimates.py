"""Landed costs on orders: expected from the catalogue at order time, actual once posted."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from crossdock.accounting.services.landed import (
    LandedCostInput,
    create_landed_cost,
    post_landed_cost,
)
from crossdock.core.roles import Role
from crossdock.purchasing.selectors import landed_costs
from crossdock.purchasing.services import orders
from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM

D = Decimal


def _received_order(buying):
    product = factories.product(sku="LND-1")  # list price 10.00 EUR
    buying.offer(product, ("0", "4.00"), estimated_landed_cost_percent=D("10"))
    order = orders.submit_purchase_order(buying.actor, buying.order((product, "10", None)).pk)
    line = order.lines.get()
    receipt = receive_purchase_order(SYSTEM, order.pk, [ReceiptLine(line.pk, D(10))])
    return order, line, receipt


def test_the_expected_landed_cost_comes_from_the_catalogue(buying):
    order, line, _receipt = _received_order(buying)
    assert line.estimated_landed_cost == D("0.40")
    assert order.estimated_landed_amount == D("4.00")
    landed = landed_costs(order)
    assert (landed.estimated, landed.actual) == (D("4.00"), D(0))


def test_the_actual_landed_cost_is_what_was_posted_on_the_receipts(buying):
    order, _line, receipt = _received_order(buying)
    draft = create_landed_cost(
        SYSTEM,
        LandedCostInput(
            buying.company.pk, timezone.localdate(), "Freight", D("6.00"), "equally",
            [receipt.moves.get().pk],
        ),
    )  # fmt: skip
    landed = landed_costs(order)
    assert landed.actual == D(0)  # a draft is not a cost yet
    post_landed_cost(SYSTEM, draft.pk)
    landed = landed_costs(order)
    assert (landed.estimated, landed.actual) == (D("4.00"), D("6.00"))


def test_the_order_page_shows_the_landed_unit_cost_and_margin(buying, client):
    order, _line, receipt = _received_order(buying)
    client.force_login(buying.buyer)
    page = client.get(f"/purchasing/orders/{order.pk}/").content.decode()
    assert "4.40 <small>(estimated)</small>" in page  # 4.00 + 0.40 expected
    assert "56.0 %" in page  # (10.00 − 4.40) / 10.00
    draft = create_landed_cost(
        SYSTEM,
        LandedCostInput(buying.company.pk, timezone.localdate(), "Freight", D("6.00"),
                        "equally", [receipt.moves.get().pk]),
    )  # fmt: skip
    post_landed_cost(SYSTEM, draft.pk)
    page = client.get(f"/purchasing/orders/{order.pk}/").content.decode()
    assert "4.60 <small>(actual)</small>" in page
    assert "54.0 %" in page


def test_the_api_shows_expected_and_actual_landed_costs(buying):
    order, _line, _receipt = _received_order(buying)
    api = ApiClient(factories.user(Role.BUYER, companies=[buying.company]))
    body = api.get(f"purchase-orders/{order.pk}").json()
    assert body["estimated_landed_amount"] == "4.0000"
    assert body["landed_cost_estimated_company"] == "4.00"
    assert body["lines"][0]["estimated_landed_cost"] == "0.400000"
    offer = api.get("supplier-products").json()["items"][0]
    assert offer["estimated_landed_cost_percent"] == "10.0000"
