"""Stock positions: on hand, reserved, open supply and backorders per product and warehouse."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crossdock.inventory.services.interwarehouse import (
    DispatchDraft,
    DispatchLine,
    dispatch_to_warehouse,
)
from crossdock.planning.services.positions import stock_positions
from crossdock.purchasing.services.orders import submit_purchase_order
from crossdock.sales.models import SalesOrderLine
from tests import factories
from tests.inventory.conftest import SYSTEM
from tests.purchasing.conftest import Buying
from tests.sales.conftest import Selling

D = Decimal


def _figures(position):
    return (
        position.on_hand,
        position.reserved,
        position.open_supply,
        position.backordered,
        position.projected,
    )


def test_positions_add_up_stock_supply_and_backorders(warehouse_a):
    today = timezone.localdate()
    depot = factories.warehouse(warehouse_a.company, "A-DEPOT")
    selling = Selling(warehouse_a)
    buying = Buying(warehouse_a)
    bolts, nuts = factories.product(), factories.product()
    for product in (bolts, nuts):
        selling.price(product, "5")
        buying.offer(product, ("0", "1.00"))
    selling.stock(bolts, "100")
    selling.confirmed((bolts, "30", None))  # reserves 30 of the 100
    late = selling.confirmed((nuts, "8", None))  # nothing in stock: owed
    SalesOrderLine.objects.filter(order=late).update(
        promise_date=today - datetime.timedelta(days=2)
    )
    order = submit_purchase_order(buying.actor, buying.order((bolts, "50", None)).pk)
    order.lines.update(received_quantity=D(20))  # 30 still to come
    dispatch_to_warehouse(
        SYSTEM, DispatchDraft(warehouse_a.pk, depot.pk, [DispatchLine(bolts.pk, D(10))])
    )

    with CaptureQueriesContext(connection) as queries:
        found = stock_positions(warehouse_a.company_id, as_of=today)

    assert len(queries) == 5  # the warehouses, then one aggregate per figure
    assert _figures(found[(bolts.pk, warehouse_a.pk)]) == (D(100), D(40), D(30), D(0), D(90))
    assert _figures(found[(bolts.pk, depot.pk)]) == (D(0), D(0), D(10), D(0), D(10))
    assert _figures(found[(nuts.pk, warehouse_a.pk)]) == (D(0), D(0), D(0), D(8), D(-8))
    assert set(found) == {
        (bolts.pk, warehouse_a.pk),
        (bolts.pk, depot.pk),
        (nuts.pk, warehouse_a.pk),
    }
    # a promise still in the future is not a backorder yet
    later = stock_positions(warehouse_a.company_id, as_of=today - datetime.timedelta(days=3))
    assert (nuts.pk, warehouse_a.pk) not in later


def test_positions_of_another_company_are_not_mixed_in(warehouse_a, warehouse_b):
    Selling(warehouse_b).stock(factories.product(), "5")
    assert stock_positions(warehouse_a.company_id, as_of=timezone.localdate()) == {}


def test_an_intercompany_arrival_is_open_supply_once(warehouse_a, warehouse_b, company_b):
    from crossdock.sales.services.fulfilment import ship_sales_order
    from tests.sales.test_intercompany import Group

    group = Group(warehouse_a, company_b)
    order = group.confirmed(quantity="5")
    assert order.mirrored_purchase_order.lines.get().quantity == D(5)

    def supply():
        found = stock_positions(company_b.pk, as_of=timezone.localdate())
        return found[(group.product.pk, warehouse_b.pk)].open_supply

    assert supply() == D(5)  # the reserved dispatch, not also the mirrored purchase line
    ship_sales_order(group.operator, order.pk, carrier="OWN", tracking_number="T1")
    assert supply() == D(5)  # in transit
