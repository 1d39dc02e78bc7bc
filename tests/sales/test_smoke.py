from decimal import Decimal

from crossdock.sales.models import SalesOrderState
from crossdock.sales.services.fulfilment import invoice_sales_orders, ship_sales_order
from tests import factories

D = Decimal


def test_order_to_cash(selling):
    product = factories.product()
    selling.price(product, "12.50")
    selling.stock(product, "20")
    order = selling.confirmed((product, "5", None))
    assert order.state == SalesOrderState.CONFIRMED
    line = order.lines.get()
    assert line.unit_price == D("12.5")
    from crossdock.core.context import Actor as A
    from crossdock.core.roles import Role as R

    operator = A.of(factories.user(R.WAREHOUSE_OPERATOR, companies=[selling.company]))
    ship_sales_order(operator, order.pk)
    order.refresh_from_db()
    assert order.state == SalesOrderState.SHIPPED
    from crossdock.core.context import Actor
    from crossdock.core.roles import Role

    clerk = Actor.of(factories.user(Role.AR_CLERK, companies=[selling.company]))
    invoices = invoice_sales_orders(clerk, [order.pk])
    assert len(invoices) == 1
    order.refresh_from_db()
    assert order.state == SalesOrderState.INVOICED
    assert invoices[0].untaxed_amount == D("62.5")
