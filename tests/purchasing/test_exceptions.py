"""The buyers' exception queue: unconfirmed orders, late and short receipts, opened and closed."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from crossdock.core.models import OutboxEvent
from crossdock.purchasing.models import ExceptionKind, PurchaseException, PurchaseOrder
from crossdock.purchasing.services import orders
from crossdock.purchasing.services.exceptions import refresh_exceptions
from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order
from tests import factories
from tests.inventory.conftest import SYSTEM, Site

D = Decimal
DAY = datetime.timedelta(days=1)


def _open():
    return sorted(
        PurchaseException.objects.filter(closed_at__isnull=True).values_list("kind", "days")
    )


def test_an_unconfirmed_order_is_chased_then_closes_when_confirmed(buying, mailoutbox):
    buying.buyer.email = "buyer@example.com"
    buying.buyer.save()
    order = buying.order((factories.product(), "10", "2.00"))
    orders.submit_purchase_order(buying.actor, order.pk)
    orders.send_purchase_order(buying.actor, order.pk)
    PurchaseOrder.objects.filter(pk=order.pk).update(sent_at=timezone.now() - 5 * DAY)
    today = timezone.localdate()
    result = refresh_exceptions(today)
    assert (result.opened, result.closed) == (1, 0)
    item = PurchaseException.objects.get()
    assert (item.kind, item.days, item.owner, item.severity) == (
        ExceptionKind.UNCONFIRMED,
        5,
        buying.buyer,
        2,
    )
    assert "Remind" in item.suggested_action
    assert OutboxEvent.objects.filter(name="purchasing.exception.opened").count() == 1
    assert refresh_exceptions(today).opened == 0  # refreshing again opens nothing new
    orders.confirm_purchase_order(buying.actor, order.pk)
    assert refresh_exceptions(today).closed == 1
    item.refresh_from_db()
    assert item.closed_at is not None
    assert OutboxEvent.objects.filter(name="purchasing.exception.closed").count() == 1


def test_a_late_line_turns_short_when_part_arrives_and_closes_when_all_did(buying):
    product = factories.product()
    order = buying.order((product, "10", "2.00"))
    orders.submit_purchase_order(buying.actor, order.pk)
    line = order.lines.get()
    due = timezone.localdate() - 8 * DAY
    PurchaseOrder.objects.filter(pk=order.pk).update(order_date=due - 10 * DAY)
    orders.confirm_purchase_order(
        buying.actor, order.pk, [orders.Confirmation(line.pk, D(10), due)]
    )
    today = timezone.localdate()
    refresh_exceptions(today)
    assert _open() == [(ExceptionKind.LATE, 8)]
    assert PurchaseException.objects.get().severity == 3
    receive_purchase_order(SYSTEM, order.pk, [ReceiptLine(line.pk, D(4))])
    refresh_exceptions(today)
    assert _open() == [(ExceptionKind.SHORT, 8)]
    assert PurchaseException.objects.get(closed_at__isnull=True).missing_quantity == D(6)
    receive_purchase_order(SYSTEM, order.pk, [ReceiptLine(line.pk, D(6))])
    refresh_exceptions(today)
    assert _open() == []
    assert PurchaseException.objects.filter(closed_at__isnull=False).count() == 2


def test_the_suggested_action_is_a_transfer_when_another_warehouse_has_the_stock(buying):
    product = factories.product()
    depot = factories.warehouse(buying.company, name="North depot")
    Site(depot).receive(product, "50", cost="2.00")
    order = buying.order((product, "30", "2.00"))
    orders.submit_purchase_order(buying.actor, order.pk)
    line = order.lines.get()
    PurchaseOrder.objects.filter(pk=order.pk).update(order_date=timezone.localdate() - 9 * DAY)
    orders.confirm_purchase_order(
        buying.actor, order.pk, [orders.Confirmation(line.pk, D(30), timezone.localdate() - DAY)]
    )
    refresh_exceptions(timezone.localdate())
    item = PurchaseException.objects.get()
    assert item.suggested_action.startswith(f"Transfer 30 of {product.sku} from North depot (50")


def test_a_cancelled_order_closes_its_exceptions(buying):
    order = buying.order((factories.product(), "10", "2.00"))
    orders.submit_purchase_order(buying.actor, order.pk)
    PurchaseOrder.objects.filter(pk=order.pk).update(approved_at=timezone.now() - 6 * DAY)
    refresh_exceptions(timezone.localdate())
    assert len(_open()) == 1
    orders.cancel_purchase_order(buying.actor, order.pk)
    refresh_exceptions(timezone.localdate())
    assert _open() == []
