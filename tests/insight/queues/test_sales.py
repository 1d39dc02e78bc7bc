"""Credit holds (released from the queue by a credit controller) and unresolved returns."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, PermissionDeniedError
from crossdock.core.roles import Role
from crossdock.insight.queues.services import run_action
from crossdock.sales.models import ReturnAuthorization, SalesOrder, SalesOrderState
from crossdock.sales.services.returns import cancel_return
from tests import factories
from tests.insight.queues.conftest import assert_closed_by_refresh, events, refresh, the_open_item
from tests.sales.conftest import Selling

D = Decimal


@pytest.fixture
def tight(warehouse_a):
    """A customer with a 1,000 limit, a credit controller and stock of a 100 product."""
    selling = Selling(warehouse_a, credit_limit="1000")
    selling.controller = Actor.of(
        factories.user(Role.CREDIT_CONTROLLER, companies=[selling.company])
    )
    selling.product = factories.product()
    selling.price(selling.product, "100.00")
    selling.stock(selling.product, "100")
    return selling


def _held(tight):
    tight.confirmed((tight.product, "6", None))
    order = tight.confirmed((tight.product, "5", None))
    assert order.state == SalesOrderState.CREDIT_HOLD
    return order


def test_a_held_order_is_released_from_the_queue_by_the_credit_controller(tight):
    order = _held(tight)

    refresh("credit_hold")

    item = the_open_item("credit_hold")
    assert (item.queue, item.owner_role, item.key) == (
        "credit",
        "credit-controller",
        f"sales-order:{order.pk}",
    )
    assert item.severity == 3  # over the limit
    assert (item.context["exposure"], item.context["limit"]) == ("1100", "1000")
    assert item.action == "release_credit_hold"
    assert item.document_url == f"/sales/orders/{order.pk}/"

    with pytest.raises(PermissionDeniedError):  # a sales rep may read it, not release it
        run_action(tight.actor, item.pk, {})
    assert SalesOrder.objects.get(pk=order.pk).state == SalesOrderState.CREDIT_HOLD

    result = run_action(tight.controller, item.pk, {"comment": "Good payer"})

    assert SalesOrder.objects.get(pk=order.pk).state == SalesOrderState.CONFIRMED
    assert result.item.close_reason == "resolved"  # re-checked at once
    assert events("insight.exception.closed", item) == 1


def test_keeping_the_hold_needs_a_reason_and_returns_the_order_to_a_quotation(tight):
    order = _held(tight)
    refresh("credit_hold")
    item = the_open_item("credit_hold")
    with pytest.raises(DomainError) as refused:
        run_action(tight.controller, item.pk, {}, action="keep_credit_hold")
    assert refused.value.fields == {"comment": ["say why the order stays held"]}
    with pytest.raises(DomainError):  # not an action this item offers
        run_action(tight.controller, item.pk, {}, action="resend_order")

    run_action(tight.controller, item.pk, {"comment": "Prepay"}, action="keep_credit_hold")

    assert SalesOrder.objects.get(pk=order.pk).state == SalesOrderState.QUOTATION
    item.refresh_from_db()
    assert item.close_reason == "resolved"


def test_a_return_left_open_too_long_is_unresolved_until_cancelled(sold):
    rma = ReturnAuthorization.objects.get()
    ReturnAuthorization.objects.filter(pk=rma.pk).update(
        created_at=rma.created_at - datetime.timedelta(days=20)
    )
    refresh("unresolved_return")

    item = the_open_item("unresolved_return")
    assert (item.queue, item.owner_role, item.owner_id, item.severity) == (
        "returns",
        "service-agent",
        rma.created_by_id,
        2,
    )
    assert item.context["state"] == "authorized"
    assert item.context["days_open"] == 20
    assert item.document_url == f"/sales/returns/{rma.pk}/"

    agent = Actor.of(rma.created_by)
    cancel_return(agent, rma.pk, "Customer kept the goods")
    assert_closed_by_refresh(item)


def test_a_recent_return_is_not_an_item(sold):
    refresh("unresolved_return")
    assert not ReturnAuthorization.objects.filter(state="closed").exists()
    from tests.insight.queues.conftest import open_items

    assert open_items("unresolved_return") == []
