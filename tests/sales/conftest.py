"""Sales fixtures: a customer with a credit limit, a price list, stock, and shortcuts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossdock.core.context import Actor
from crossdock.core.records import create_record
from crossdock.core.roles import Role
from crossdock.masterdata.models import PriceList
from crossdock.masterdata.models.pricing import PriceListItem
from crossdock.sales.services.orders import (
    SalesLineDraft,
    SalesOrderDraft,
    confirm_sales_order,
    create_sales_order,
)
from tests import factories
from tests.inventory.conftest import SYSTEM, Site

D = Decimal


class Selling:
    """One company selling to one customer from one warehouse (more can be added)."""

    def __init__(self, warehouse, credit_limit="100000"):
        self.site = Site(warehouse)
        self.company = warehouse.company
        self.warehouse = warehouse
        self.customer = factories.partner(
            self.company,
            is_customer=True,
            credit_limit=D(credit_limit),
            customer_tier="standard",
        )
        self.rep = factories.user(Role.SALES_REP, companies=[self.company])
        self.actor = Actor.of(self.rep)
        self.price_list = create_record(
            SYSTEM,
            PriceList,
            {
                "company": self.company,
                "code": factories.next_code("PL"),
                "name": "Standard prices",
                "currency": self.customer.currency,
            },
        )

    def price(self, product, price, min_quantity="1", price_list=None):
        return PriceListItem.objects.create(
            price_list=price_list or self.price_list,
            product=product,
            min_quantity=D(min_quantity),
            unit_price=D(price),
            valid_from="2000-01-01",
        )

    def stock(self, product, quantity, cost="6", site=None):
        return (site or self.site).receive(product, quantity, cost)

    def draft(self, *lines, customer=None, **extra):
        return SalesOrderDraft(
            customer_id=(customer or self.customer).pk,
            lines=[
                SalesLineDraft(
                    p.pk, D(q), None if price is None else D(price), **(rest[0] if rest else {})
                )
                for p, q, price, *rest in lines
            ],
            **extra,
        )

    def order(self, *lines, actor=None, **extra):
        return create_sales_order(actor or self.actor, self.draft(*lines, **extra))

    def confirmed(self, *lines, **extra):
        order = self.order(*lines, **extra)
        return confirm_sales_order(self.actor, order.pk)


@pytest.fixture
def selling(warehouse_a):
    return Selling(warehouse_a)
