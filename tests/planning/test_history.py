"""Demand history from operations: deliveries done through the sales and inventory services,
lost sales on cancellation, backorders, and the rebuild (idempotent, equal to the rows the
events wrote, repairing what was damaged, leaving imported history alone)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crossdock.core.checks import run_checks
from crossdock.core.context import Actor
from crossdock.core.models import OutboxEvent
from crossdock.core.roles import Role
from crossdock.planning.models import DemandDay, DemandSource
from crossdock.planning.services.history import rebuild_demand_history
from crossdock.sales.models import SalesOrderLine
from crossdock.sales.services.fulfilment import ship_sales_order
from crossdock.sales.services.orders import cancel_sales_order
from tests import factories
from tests.sales.conftest import Selling

D = Decimal


@pytest.fixture
def selling(warehouse_a):
    return Selling(warehouse_a)


@pytest.fixture
def operator(selling):
    return Actor.of(factories.user(Role.WAREHOUSE_OPERATOR, companies=[selling.company]))


def rows(company):
    return sorted(
        DemandDay.objects.filter(company=company).values_list(
            "product_id", "warehouse_id", "day", "shipped", "lost", "quantity", "source"
        )
    )


def test_a_done_delivery_records_what_was_shipped_that_day(selling, operator):
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "6")
    order = selling.confirmed((product, "10", None))
    assert not DemandDay.objects.filter(product=product).exists()  # nothing shipped yet
    ship_sales_order(operator, order.pk)
    today = timezone.localdate()
    assert rows(selling.company) == [
        (product.pk, selling.warehouse.pk, today, D(6), D(0), D(6), "deliveries")
    ]
    selling.stock(product, "4")
    ship_sales_order(operator, order.pk)  # the backorder ships the same day
    assert rows(selling.company) == [
        (product.pk, selling.warehouse.pk, today, D(10), D(0), D(10), "deliveries")
    ]


def test_cancelling_an_order_records_the_unshipped_rest_as_lost_on_the_day_wanted(
    selling, operator
):
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "6")
    order = selling.confirmed((product, "10", None))
    ship_sales_order(operator, order.pk)
    cancel_sales_order(selling.actor, order.pk, "Customer found it elsewhere")
    wanted = SalesOrderLine.objects.get(order=order).promise_date or order.order_date
    today = timezone.localdate()
    expected = {
        today: (D(6), D(0)),
        wanted: (D(6) if wanted == today else D(0), D(4)),
    }
    found = {day: (s, lo) for _, _, day, s, lo, _, _ in rows(selling.company)}
    assert found == expected
    assert all(q == s + lo for _, _, _, s, lo, q, _ in rows(selling.company))


def test_a_cancelled_order_that_never_shipped_is_all_lost(selling):
    product = factories.product()
    selling.price(product, "10.00")
    order = selling.confirmed((product, "7", None))
    cancel_sales_order(selling.actor, order.pk)
    line = SalesOrderLine.objects.get(order=order)
    day = line.promise_date or order.order_date
    assert rows(selling.company) == [
        (product.pk, selling.warehouse.pk, day, D(0), D(7), D(7), "deliveries")
    ]


def test_rebuild_equals_the_incremental_rows_and_is_idempotent(selling, operator):
    product, other = factories.product(), factories.product()
    for p in (product, other):
        selling.price(p, "10.00")
        selling.stock(p, "5")
    order = selling.confirmed((product, "3", None), (other, "8", None))
    ship_sales_order(operator, order.pk)
    cancel_sales_order(selling.actor, order.pk)
    incremental = rows(selling.company)
    assert len(incremental) >= 2
    first = rebuild_demand_history(selling.company.pk)
    assert (first.created, first.deleted) == (0, 0)
    assert rows(selling.company) == incremental
    second = rebuild_demand_history(selling.company.pk)
    assert (second.created, second.updated, second.deleted) == (0, 0, 0)
    assert rows(selling.company) == incremental
    assert run_checks()[1] == []


def test_rebuild_repairs_damaged_and_missing_rows_and_removes_stray_ones(selling, operator):
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "9")
    order = selling.confirmed((product, "9", None))
    ship_sales_order(operator, order.pk)
    good = rows(selling.company)
    DemandDay.objects.filter(product=product).update(shipped=D(1), quantity=D(1))
    stray = DemandDay.objects.create(
        company=selling.company,
        product=factories.product(),
        warehouse=selling.warehouse,
        day=datetime.date(2026, 1, 5),
        shipped=D(3),
        quantity=D(3),
    )
    problems = [f.problem for f in run_checks()[1] if f.check.startswith("planning")]
    assert len(problems) == 2
    result = rebuild_demand_history(selling.company.pk)
    assert (result.created, result.updated, result.deleted) == (0, 1, 1)
    assert not DemandDay.objects.filter(pk=stray.pk).exists()
    assert rows(selling.company) == good
    assert OutboxEvent.objects.filter(name="planning.demand-history.rebuilt").count() == 1


def test_rebuild_leaves_imported_history_alone(selling):
    product = factories.product()
    day = datetime.date(2025, 3, 3)
    DemandDay.objects.create(
        company=selling.company,
        product=product,
        warehouse=selling.warehouse,
        day=day,
        shipped=D(12),
        quantity=D(12),
        source=DemandSource.IMPORT,
    )
    result = rebuild_demand_history(selling.company.pk)
    assert (result.created, result.updated, result.deleted) == (0, 0, 0)
    assert rows(selling.company) == [
        (product.pk, selling.warehouse.pk, day, D(12), D(0), D(12), "import")
    ]


def test_backordered_is_what_was_owed_past_the_promise_date_at_each_day_end(selling, operator):
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "4")
    order = selling.confirmed((product, "10", None))
    ship_sales_order(operator, order.pk)  # 4 shipped today, 6 owed
    today = timezone.localdate()
    promised = today - datetime.timedelta(days=2)
    SalesOrderLine.objects.filter(order=order).update(promise_date=promised)
    rebuild_demand_history(selling.company.pk)
    owed = dict(
        DemandDay.objects.filter(product=product, backordered__gt=0).values_list(
            "day", "backordered"
        )
    )
    # 10 owed at the end of the two days before today, 6 at the end of today
    assert owed == {promised: D(10), promised + datetime.timedelta(days=1): D(10), today: D(6)}
    shipped_today = DemandDay.objects.get(product=product, day=today)
    assert (shipped_today.shipped, shipped_today.quantity) == (D(4), D(4))
    assert DemandDay.objects.get(product=product, day=promised).quantity == D(0)
