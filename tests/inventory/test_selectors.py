"""Available-to-promise, valuation as of a date, stock by location and lot trace."""

import datetime
from decimal import Decimal

from django.utils import timezone

from crossdock.inventory import selectors, services
from crossdock.inventory.models import Lot, ValuationLayer
from tests import factories
from tests.inventory.conftest import SYSTEM

D = Decimal


def test_atp_counts_stock_reservations_and_dated_supply_and_demand(site):
    product = factories.product()
    site.receive(product, "10")
    reserved = site.deliver(product, "3")
    services.reserve_moves(SYSTEM, reserved.moves.values_list("pk", flat=True))
    today = timezone.now()
    in_five = today + datetime.timedelta(days=5)
    site.transfer(
        "receipt", site.supplier, site.stock, [(product, "20", None)], scheduled_at=in_five
    )
    site.deliver(product, "12", scheduled_at=today + datetime.timedelta(days=2))
    site.receive(product, "4", into=site.qc)  # quality hold is not sellable
    (atp,) = selectors.availability([product.pk], warehouse_ids=[site.warehouse.pk]).values()
    assert (atp.on_hand, atp.reserved) == (10, 3)
    # 7 free today, −12 on day 2 (so only −5 can be promised before day 5), +20 on day 5.
    assert atp.available_now == -5
    assert atp.earliest_date(D(1)) == in_five.date()
    assert atp.earliest_date(D(15)) == in_five.date()
    assert atp.earliest_date(D(16)) is None
    assert atp.available_on(in_five.date()) == 15


def test_atp_by_region_and_group(site, company_a):
    other = factories.warehouse(company_a, region="North")
    product = factories.product()
    site.receive(product, "2")
    rows = selectors.availability(
        [product.pk], warehouse_ids=[site.warehouse.pk, other.pk], group_by="group"
    )
    assert rows[(product.pk, "group")].on_hand == 2


def test_valuation_as_of_a_past_date(site):
    product = factories.product(costing_method="fifo")
    site.receive(product, "10", cost="2")
    ValuationLayer.objects.update(recorded_at=timezone.now() - datetime.timedelta(days=10))
    services.validate_transfer(SYSTEM, site.deliver(product, "4").pk)
    now = selectors.stock_valuation(site.company.pk)
    then = selectors.stock_valuation(site.company.pk, timezone.now() - datetime.timedelta(days=5))
    assert [(r.quantity, r.value) for r in now] == [(D(6), D("12.0000"))]
    assert [(r.quantity, r.value) for r in then] == [(D(10), D("20.0000"))]


def test_lot_trace_follows_the_documents(site):
    product = factories.product(tracking="lot")
    receipt = site.receive(product, "5", lot="L-7")
    delivery = site.deliver(product, "2")
    move = delivery.moves.get()
    services.validate_transfer(SYSTEM, delivery.pk, [services.DoneLine(move.pk, D(2), "L-7")])
    trace = selectors.lot_trace(Lot.objects.get(name="L-7").pk)
    assert [(t.reference, t.quantity) for t in trace] == [
        (receipt.reference, D(5)),
        (delivery.reference, D(2)),
    ]
    assert [
        q.quantity
        for q in selectors.stock_by_location(product.pk)
        if q.location_id == site.stock.pk
    ] == [D(3)]
