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
from crossdock.inventory.models import Transfer
from crossdock.purchasing.models import PurchaseOrder
from crossdock.purchasing.services import orders
from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order
from tests import factories
from tests.insight.queues.conftest import assert_closed_by_refresh, events, refresh, the_open_item
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
