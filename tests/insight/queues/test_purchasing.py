"""The purchasing queue: overdue receipts, unconfirmed orders and supplier delays, opened
from the orders and closed when the goods arrive, the supplier confirms or re-dates."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crossdock.core.context import Actor
from crossdock.core.errors import PermissionDeniedError
from crossdock.core.roles import Role
from crossdock.insight.queues.services import run_action
from crossdock.inventory.models import StockMove, Transfer
from crossdock.purchasing.models import PurchaseOrder
from crossdock.purchasing.services import orders
from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order
from tests import factories
from tests.insight.queues.conftest import (
    assert_closed_by_refresh,
    events,
    open_items,
    refresh,
    the_open_item,
)
from tests.inventory.conftest import SYSTEM, Site

D = Decimal
DAY = datetime.timedelta(days=1)


def _late_order(buying, product, quantity="10", days_late=8):
    order = buying.order((product, quantity, "2.00"))
    orders.submit_purchase_order(buying.actor, order.pk)
    line = order.lines.get()
    due = timezone.localdate() - days_late * DAY
    PurchaseOrder.objects.filter(pk=order.pk).update(order_date=due - 10 * DAY)
    orders.confirm_purchase_order(
        buying.actor, order.pk, [orders.Confirmation(line.pk, D(quantity), due)]
    )
    return order, line


def test_an_overdue_receipt_suggests_a_transfer_and_closes_when_the_goods_arrive(buying):
    central = factories.warehouse(buying.company, "Q-CENTRAL", is_central=True)
    product = factories.product(sku="LATE-1")
    Site(central).receive(product, "50", "2")
    order, line = _late_order(buying, product)

    refresh()

    item = the_open_item("overdue_receipt")
    assert (item.queue, item.owner_role, item.owner_id, item.severity) == (
        "purchasing",
        "buyer",
        buying.buyer.pk,
        3,
    )
    assert (item.key, item.warehouse_id, item.company_id) == (
        f"po-line:{line.pk}",
        buying.warehouse.pk,
        buying.company.pk,
    )
    assert item.context["missing"] == "10"
    assert item.context["days_late"] == 8
    assert item.document_label == order.reference
    assert item.document_url == f"/purchasing/orders/{order.pk}/"
    assert item.action == "transfer_stock"
    assert item.action_params == {
        "from_warehouse": central.pk,
        "to_warehouse": buying.warehouse.pk,
        "product": product.pk,
        "quantity": "10",
        "expected_on": (timezone.localdate() + DAY).isoformat(),
    }
    assert item.action_label.startswith(f"Transfer 10 of LATE-1 from {central.name} (50 free)")
    assert events("insight.exception.opened", item) == 1
    refresh()  # refreshing again keeps the same item
    assert the_open_item("overdue_receipt").pk == item.pk

    receive_purchase_order(SYSTEM, order.pk, [ReceiptLine(line.pk, D(10))])
    assert_closed_by_refresh(item)


def test_the_transfer_action_dispatches_the_stock_and_a_buyer_may_not_run_it(buying):
    central = factories.warehouse(buying.company, "Q-CENTRAL", is_central=True)
    product = factories.product(sku="LATE-2")
    Site(central).receive(product, "50", "2")
    _late_order(buying, product, quantity="10")
    refresh()
    item = the_open_item("overdue_receipt")

    with pytest.raises(PermissionDeniedError):  # buyers do not move stock
        run_action(buying.actor, item.pk, {})
    assert not Transfer.objects.filter(kind="transit_out").exists()

    manager = Actor.of(factories.user(Role.WAREHOUSE_MANAGER, companies=[buying.company]))
    result = run_action(manager, item.pk, {"quantity": "8"})

    dispatch = Transfer.objects.get(kind="transit_out")
    assert (dispatch.warehouse_id, dispatch.state) == (central.pk, "assigned")
    assert [m.quantity for m in dispatch.moves.all()] == [D(8)]
    assert result.message == f"Dispatch {dispatch.reference} created for 8."
    assert result.item.last_outcome == result.message
    assert result.item.is_open  # the order is still late; the buyer chases the rest


def test_an_unconfirmed_order_is_re_sent_from_the_queue_and_closes_when_confirmed(
    buying, mailoutbox
):
    buying.supplier.email = "orders@supplier.example"
    buying.supplier.save()
    order = buying.order((factories.product(), "10", "2.00"))
    orders.submit_purchase_order(buying.actor, order.pk)
    orders.send_purchase_order(buying.actor, order.pk)
    PurchaseOrder.objects.filter(pk=order.pk).update(sent_at=timezone.now() - 5 * DAY)

    refresh()

    item = the_open_item("unconfirmed_po")
    assert (item.owner_id, item.severity, item.key) == (buying.buyer.pk, 2, f"po:{order.pk}")
    assert item.context["days_unconfirmed"] == 5
    assert item.action == "resend_order"
    assert "orders@supplier.example" in item.action_label

    result = run_action(buying.actor, item.pk, {})

    order.refresh_from_db()
    assert order.sent_at > timezone.now() - DAY
    assert result.message == f"{order.reference} sent again to orders@supplier.example."
    # re-sent today: the wait for a confirmation starts over and the item closes at once
    assert result.item.close_reason == "resolved"
    assert events("insight.exception.closed", item) == 1


def test_an_unconfirmed_order_closes_when_the_supplier_confirms(buying):
    order = buying.order((factories.product(), "10", "2.00"))
    orders.submit_purchase_order(buying.actor, order.pk)
    orders.send_purchase_order(buying.actor, order.pk)
    PurchaseOrder.objects.filter(pk=order.pk).update(sent_at=timezone.now() - 9 * DAY)
    refresh()
    item = the_open_item("unconfirmed_po")
    assert (item.severity, item.action) == (3, "")  # no e-mail address: nothing to re-send
    orders.confirm_purchase_order(buying.actor, order.pk)
    assert_closed_by_refresh(item)


def test_a_supplier_confirming_later_than_asked_is_a_delay_until_received(buying):
    product = factories.product(sku="SLOW-1")
    order = buying.order((product, "10", "2.00"))
    orders.submit_purchase_order(buying.actor, order.pk)
    line = order.lines.get()
    later = line.expected_date + 4 * DAY
    orders.confirm_purchase_order(
        buying.actor, order.pk, [orders.Confirmation(line.pk, D(10), later)]
    )

    refresh()

    item = the_open_item("supplier_delay")
    assert (item.key, item.owner_id, item.severity) == (f"po-line:{line.pk}", buying.buyer.pk, 2)
    assert item.context["delay_days"] == 4
    assert item.context["confirmed"] == later.isoformat()
    receive_purchase_order(SYSTEM, order.pk, [ReceiptLine(line.pk, D(10))])
    assert_closed_by_refresh(item)


def _receipt_line(buying, product, promised, arrived):
    """One order line of 1 promised for ``promised`` and received on ``arrived``."""
    order = buying.order((product, "1", "2.00"), order_date=promised - 10 * DAY)
    orders.submit_purchase_order(buying.actor, order.pk)
    line = order.lines.get()
    orders.confirm_purchase_order(
        buying.actor, order.pk, [orders.Confirmation(line.pk, D(1), promised)]
    )
    receipt = receive_purchase_order(SYSTEM, order.pk, [ReceiptLine(line.pk, D(1))])
    done_at = timezone.make_aware(datetime.datetime.combine(arrived, datetime.time(10)))
    StockMove.objects.filter(transfer=receipt).update(done_at=done_at)


@pytest.fixture
def on_time_window(settings):
    settings.CROSSDOCK_QUEUE_THRESHOLDS = {
        "on_time_window_days": 30,
        "on_time_drop_points": 10,
        "on_time_min_lines": 2,
    }


def test_a_supplier_whose_on_time_rate_fell_is_a_delay_until_it_recovers(buying, on_time_window):
    product = factories.product(sku="ONTIME-1")
    today = timezone.localdate()
    # the 30 days before the window (59 to 30 days ago): 3 of 4 lines on time, 75 %
    for promised_ago, late_by in ((50, 0), (45, 0), (40, 0), (35, 2)):
        promised = today - promised_ago * DAY
        _receipt_line(buying, product, promised, promised + late_by * DAY)
    # the last 30 days (29 days ago to today): 2 of 5 on time, 40 %: down 35 points
    for promised_ago, late_by in ((25, 0), (20, 3), (15, 0), (12, 1), (8, 4)):
        promised = today - promised_ago * DAY
        _receipt_line(buying, product, promised, promised + late_by * DAY)

    refresh("supplier_delay")

    item = the_open_item("supplier_delay")
    assert (item.key, item.queue, item.owner_role, item.company_id, item.severity) == (
        f"on-time:{buying.supplier.pk}",
        "purchasing",
        "buyer",
        buying.company.pk,
        3,  # down more than twice the 10 points
    )
    assert {k: item.context[k] for k in ("on_time_rate", "on_time_lines", "receipt_lines")} == {
        "on_time_rate": "40",
        "on_time_lines": 2,
        "receipt_lines": 5,
    }
    assert (
        item.context["previous_on_time_rate"],
        item.context["previous_on_time_lines"],
        item.context["previous_receipt_lines"],
        item.context["drop_points"],
    ) == ("75", 3, 4, "35")
    assert item.document_url == f"/purchasing/scorecards/{buying.supplier.pk}/"

    # five more lines on time in the window: 7 of 10, 70 %, only 5 points down
    for promised_ago in (6, 5, 4, 3, 2):
        promised = today - promised_ago * DAY
        _receipt_line(buying, product, promised, promised)
    assert_closed_by_refresh(item)


def test_a_fall_of_exactly_the_threshold_raises_no_supplier_delay(buying, on_time_window):
    product = factories.product(sku="ONTIME-2")
    today = timezone.localdate()
    # before: 2 of 2 on time (100 %); now: 9 of 10 on time (90 %): exactly 10 points
    for promised_ago in (40, 35):
        _receipt_line(buying, product, today - promised_ago * DAY, today - promised_ago * DAY)
    for promised_ago in range(20, 10, -1):
        promised = today - promised_ago * DAY
        late_by = 1 if promised_ago == 11 else 0
        _receipt_line(buying, product, promised, promised + late_by * DAY)

    refresh("supplier_delay")

    assert open_items("supplier_delay") == []
