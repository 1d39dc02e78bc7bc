"""The revaluation primitive: the share still on hand goes to stock, the rest is the sold part."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crossdock.accounting.services.revaluation import moment_of, revalue_receipt
from crossdock.core.errors import DomainError
from crossdock.inventory import services as inventory
from crossdock.inventory.models import CostPool, ValuationLayer
from tests import factories
from tests.inventory.conftest import SYSTEM

D = Decimal


def _received_and_part_sold(site, method, cost="5.00"):
    product = factories.product(costing_method=method, standard_cost=D("5.00"))
    receipt = site.receive(product, "10", cost=cost)
    delivery = site.deliver(product, "4")
    inventory.validate_transfer(SYSTEM, delivery.pk)
    return product, receipt.moves.get()


def test_fifo_share_on_hand_is_the_layer_remaining_quantity(site):
    product, move = _received_and_part_sold(site, "fifo")
    assert revalue_receipt(site.company.pk, move.pk, D("30.00"), timezone.now(), "Freight") == (
        D("18.00"),
        D("12.00"),
    )
    incoming = ValuationLayer.objects.get(move=move, quantity__gt=0)
    assert (incoming.remaining_quantity, incoming.remaining_value) == (D(6), D(48))
    extra = ValuationLayer.objects.get(move=move, quantity=0)
    assert (extra.value, extra.product_id, extra.description) == (D(18), product.pk, "Freight")


def test_average_share_is_the_pool_quantity_capped_at_the_receipt(site):
    product, move = _received_and_part_sold(site, "average")
    assert revalue_receipt(site.company.pk, move.pk, D("30.00"), timezone.now(), "Duty") == (
        D("18.00"),
        D("12.00"),
    )
    pool = CostPool.objects.get(company=site.company, product=product)
    assert (pool.quantity, pool.value) == (D(6), D(48))
    site.receive(product, "20", cost="5.00")  # the pool now holds more than the first receipt
    assert revalue_receipt(site.company.pk, move.pk, D("10.00"), timezone.now(), "Duty") == (
        D("10.00"),
        D("0.00"),
    )


def test_standard_cost_keeps_stock_at_standard(site):
    _product, move = _received_and_part_sold(site, "standard")
    assert revalue_receipt(site.company.pk, move.pk, D("30.00"), timezone.now(), "Duty") == (
        D(0),
        D("30.00"),
    )
    assert not ValuationLayer.objects.filter(move=move, quantity=0).exists()


def test_a_delivery_is_not_a_receipt(site):
    product, _move = _received_and_part_sold(site, "fifo")
    delivery = ValuationLayer.objects.filter(product=product, quantity__lt=0).get().move
    with pytest.raises(DomainError) as refused:
        revalue_receipt(site.company.pk, delivery.pk, D("1.00"), timezone.now(), "x")
    assert "moves" in refused.value.fields
    assert ValuationLayer.objects.filter(product=product).count() == 2


def test_the_moment_of_a_past_date_keeps_its_local_date():
    day = datetime.date(2026, 3, 31)
    assert timezone.localtime(moment_of(day)).date() == day
