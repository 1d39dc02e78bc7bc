"""Two orders confirmed at the same instant compete for the last units: one gets them."""

from decimal import Decimal

import pytest

from crossdock.core.checks import run_checks
from crossdock.core.roles import Role
from crossdock.inventory.models import MoveState, Quant, StockMove
from crossdock.sales.models import SalesOrderState
from tests import factories
from tests.parallel import run_together

CONFIRM = """
from crossdock.core.context import Actor
from crossdock.core.models import User
from crossdock.sales.services.orders import confirm_sales_order
order = confirm_sales_order(Actor.of(User.objects.get(pk={user_id})), {order_id})
print(order.state)
"""

pytestmark = [pytest.mark.parallel, pytest.mark.django_db(transaction=True)]


def test_two_orders_for_the_last_units_one_is_served(selling):
    product = factories.product()
    selling.price(product, "10.00")
    selling.stock(product, "5")
    orders = [selling.order((product, "5", None)) for _ in range(2)]
    results = run_together(
        [CONFIRM.format(user_id=selling.rep.pk, order_id=order.pk) for order in orders]
    )
    assert results == ["confirmed", "confirmed"]
    for order in orders:
        order.refresh_from_db()
        assert order.state == SalesOrderState.CONFIRMED
    states = sorted(
        StockMove.objects.filter(transfer__origin__in=[o.reference for o in orders]).values_list(
            "state", flat=True
        )
    )
    assert states == sorted([MoveState.ASSIGNED, MoveState.CONFIRMED])
    quant = Quant.objects.get(product=product, location=selling.site.stock)
    assert (quant.quantity, quant.reserved) == (Decimal(5), Decimal(5))
    assert run_checks()[1] == []


def test_two_orders_that_each_fit_the_limit_but_not_together_one_is_held(warehouse_a):
    from tests.sales.conftest import Selling

    selling = Selling(warehouse_a, credit_limit="1000")
    factories.user(Role.CREDIT_CONTROLLER, companies=[selling.company])
    product = factories.product()
    selling.price(product, "100.00")
    selling.stock(product, "20")
    orders = [selling.order((product, "6", None)) for _ in range(2)]
    results = run_together(
        [CONFIRM.format(user_id=selling.rep.pk, order_id=order.pk) for order in orders]
    )
    assert sorted(results) == ["confirmed", "credit_hold"]
    assert run_checks()[1] == []
