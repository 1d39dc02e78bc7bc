"""Quality fixtures: a company buying into a warehouse, plans, and a shortcut to receive."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossdock.inventory.models import Quant
from crossdock.masterdata.models import LocationKind
from crossdock.masterdata.services import warehouse_location
from crossdock.purchasing.services import orders
from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order
from crossdock.quality.services.plans import CheckDraft, PlanDraft, save_plan
from tests.inventory.conftest import SYSTEM
from tests.purchasing.conftest import Buying

D = Decimal

WEIGHT = CheckDraft("Weight", "measured", D("500"), D("495"), D("505"), "g")
PACKAGING = CheckDraft("Packaging intact")


def make_plan(company, *, checks=(PACKAGING, WEIGHT), **scope):
    return save_plan(
        SYSTEM,
        PlanDraft(
            company_id=company.pk,
            name=scope.pop("name", "Incoming check"),
            checks=list(checks),
            **scope,
        ),
    )


def receive(buying: Buying, product, quantity, price="4.00"):
    """Order ``quantity`` of ``product`` at ``price`` and receive all of it; the receipt."""
    order = buying.order((product, quantity, price))
    order = orders.submit_purchase_order(SYSTEM, order.pk)
    line = order.lines.get()
    return receive_purchase_order(SYSTEM, order.pk, [ReceiptLine(line.pk, D(quantity))])


def on_hand(product, warehouse, kind):
    location = warehouse_location(warehouse, kind)
    quants = Quant.objects.filter(product=product, location__path__startswith=location.path)
    return sum((q.quantity for q in quants), D(0))


def stock(product, warehouse):
    return on_hand(product, warehouse, LocationKind.RESERVE)


def held(product, warehouse):
    return on_hand(product, warehouse, LocationKind.QUALITY_HOLD)


def damaged(product, warehouse):
    return on_hand(product, warehouse, LocationKind.DAMAGED)


@pytest.fixture
def buying(warehouse_a):
    return Buying(warehouse_a)
