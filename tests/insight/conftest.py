"""Insight fixtures: small histories built with the real services, figures worked by hand.

*Selling* (one company, one customer of tier "standard", range = the last 11 days):

* products P (category Fam/Cat1, price 12.50, cost 6) and Q (category Cat2, price 20,
  cost 8); R (Fam/Cat1, cost 2) is only stocked, 5 units that arrived 120 days ago;
* order O1, dated 4 days ago: 10 P, shipped in full today and invoiced;
* order O2, dated today: 10 P and 5 Q with only 4 P in stock: ships 4 P and 5 Q, the
  other 6 P wait on a backorder; invoiced for what shipped;
* order O3, confirmed but nothing shipped (it is outside every population);
* 20 P received after O2 shipped (6 of them reserved for the backorder);
* an RMA for 2 of O1's P, authorized by the sales manager (approval taking 1.5 days).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from crossdock.approvals.models import ApprovalRequest
from crossdock.core.context import Actor
from crossdock.core.roles import Role
from crossdock.inventory.models import Quant
from crossdock.masterdata.models import LocationKind
from crossdock.masterdata.services import warehouse_location
from crossdock.sales.models import SalesOrder
from crossdock.sales.services.fulfilment import invoice_sales_orders, ship_sales_order
from crossdock.sales.services.returns import (
    RETURN_APPROVAL,
    ReturnDraft,
    ReturnLineDraft,
    create_return,
    submit_return,
)
from tests import factories
from tests.sales.conftest import Selling

D = Decimal


@pytest.fixture
def sold(warehouse_a):
    """The selling history of the module docstring."""
    from crossdock.approvals import services as approvals
    from crossdock.inventory.models import MoveState, StockMove

    today = timezone.localdate()
    selling = Selling(warehouse_a)
    company = selling.company
    operator = Actor.of(factories.user(Role.WAREHOUSE_OPERATOR, companies=[company]))
    clerk = Actor.of(factories.user(Role.AR_CLERK, companies=[company]))
    manager = Actor.of(factories.user(Role.SALES_MANAGER, companies=[company]))
    agent = Actor.of(factories.user(Role.SERVICE_AGENT, companies=[company]))
    family = factories.category("Fam")
    cat1 = factories.category("Cat1", parent=family)
    cat2 = factories.category("Cat2")
    p = factories.product(sku="KPI-P", category=cat1)
    q = factories.product(sku="KPI-Q", category=cat2)
    r = factories.product(sku="KPI-R", category=cat1)
    selling.price(p, "12.50")
    selling.price(q, "20.00")

    selling.stock(p, "10", cost="6")
    o1 = selling.confirmed((p, "10", None), order_date=today - datetime.timedelta(days=4))
    ship_sales_order(operator, o1.pk)
    selling.stock(p, "4", cost="6")
    selling.stock(q, "5", cost="8")
    o2 = selling.confirmed((p, "10", None), (q, "5", None))
    ship_sales_order(operator, o2.pk)
    o3 = selling.confirmed((q, "1", None))
    selling.stock(p, "20", cost="6")
    selling.stock(r, "5", cost="2")
    stock = warehouse_location(warehouse_a, LocationKind.RESERVE)
    Quant.objects.filter(product=r, location=stock).update(
        in_date=timezone.now() - datetime.timedelta(days=120)
    )
    invoice_sales_orders(clerk, [o1.pk, o2.pk])

    delivered = StockMove.objects.get(
        transfer__origin=o1.reference,
        state=MoveState.DONE,
        destination__kind=LocationKind.CUSTOMER,
    )
    rma = create_return(
        agent,
        ReturnDraft(
            customer_id=selling.customer.pk,
            reason="damaged",
            resolution="credit_note",
            lines=[ReturnLineDraft(delivered.pk, "2")],
        ),
    )
    submit_return(agent, rma.pk)
    request = approvals.request_for(RETURN_APPROVAL, rma.pk)
    approvals.decide(manager, request.pk, approve=True)
    request.refresh_from_db()
    ApprovalRequest.objects.filter(pk=request.pk).update(
        submitted_at=request.decided_at - datetime.timedelta(days=1, hours=12)
    )
    return SimpleNamespace(
        company=company,
        warehouse=warehouse_a,
        customer=selling.customer,
        start=today - datetime.timedelta(days=10),
        end=today,
        today=today,
        orders=[SalesOrder.objects.get(pk=o.pk) for o in (o1, o2, o3)],
        products=(p, q, r),
        family=family,
        cat1=cat1,
        cat2=cat2,
    )


@pytest.fixture
def buying(warehouse_a):
    """One company buying from one supplier (``tests/purchasing/conftest.py``)."""
    from tests.purchasing.conftest import Buying

    return Buying(warehouse_a)
