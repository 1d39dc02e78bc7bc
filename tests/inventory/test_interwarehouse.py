"""Inter-warehouse transfers through transit: dispatch, arrival, backorders and valuation."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum

from crossdock.core.checks import run_checks
from crossdock.core.errors import DomainError
from crossdock.core.models import AuditEntry
from crossdock.inventory import selectors, services
from crossdock.inventory.models import MoveLine, Quant, StockMove, Transfer, ValuationLayer
from crossdock.masterdata.models import Location
from tests import factories
from tests.inventory.conftest import SYSTEM, Site

D = Decimal


def quantity(product, location):
    found = Quant.objects.filter(product=product, location=location).aggregate(q=Sum("quantity"))
    return found["q"] or D(0)


def transit_of(company):
    return Location.objects.get(company=company, kind="transit")


def dispatch(site, target, product, amount, **extra):
    return services.dispatch_to_warehouse(
        SYSTEM,
        services.DispatchDraft(
            site.warehouse.pk,
            target.warehouse.pk,
            [services.DispatchLine(product.pk, D(amount), transfer_price=extra.pop("price", None))],
            **extra,
        ),
    )


def test_dispatch_within_a_company_keeps_the_cost_and_backorders_on_both_sides(site, company_a):
    target = Site(factories.warehouse(company_a, name="Depot"))
    product = factories.product(costing_method="fifo")
    site.receive(product, "12", cost="2.00")
    expected = datetime.date.today() + datetime.timedelta(days=3)
    sent = dispatch(site, target, product, "10", expected_on=expected)
    assert (sent.kind, sent.state, sent.final_destination_id) == (
        "transit_out",
        "assigned",
        target.stock.pk,
    )
    move = sent.moves.get()
    services.validate_transfer(SYSTEM, sent.pk, [services.DoneLine(move.pk, D(6))])
    transit = transit_of(company_a)
    assert quantity(product, transit) == 6
    assert quantity(product, site.stock) == 6
    arrival = Transfer.objects.get(previous_step=sent)
    assert (arrival.kind, arrival.state, arrival.warehouse_id) == (
        "transit_in",
        "confirmed",
        target.warehouse.pk,
    )
    assert arrival.scheduled_at.date() == expected
    assert list(arrival.moves.values_list("quantity", flat=True)) == [D(6)]
    atp = selectors.availability([product.pk])[(product.pk, target.warehouse.code)]
    assert (atp.on_hand, atp.in_transit, atp.incoming) == (D(0), D(6), {expected: D(6)})
    # short arrival: 4 of 6; 2 stay in transit on a backorder
    services.confirm_arrival(SYSTEM, arrival.pk, [services.DoneLine(arrival.moves.get().pk, D(4))])
    assert quantity(product, target.stock) == 4
    assert quantity(product, transit) == 2
    rest = Transfer.objects.get(backorder_of=arrival)
    assert (rest.kind, rest.state, rest.previous_step_id) == ("transit_in", "confirmed", sent.pk)
    # the dispatch's backorder (4) feeds the open arrival backorder
    sent_rest = Transfer.objects.get(backorder_of=sent)
    services.validate_transfer(SYSTEM, sent_rest.pk)
    assert sorted(rest.moves.values_list("quantity", flat=True)) == [D(2), D(4)]
    services.confirm_arrival(SYSTEM, rest.pk)
    assert (quantity(product, site.stock), quantity(product, target.stock)) == (D(2), D(10))
    assert quantity(product, transit) == 0
    assert ValuationLayer.objects.filter(product=product).count() == 1  # the receipt only
    assert run_checks()[1] == []


def test_dispatch_to_another_company_is_valued_out_at_cost_and_in_at_the_transfer_price(
    site, warehouse_b
):
    target = Site(warehouse_b)
    product = factories.product(costing_method="fifo")
    site.receive(product, "10", cost="2.00")
    sent = dispatch(site, target, product, "4", price=D("2.50"))
    services.validate_transfer(SYSTEM, sent.pk)
    assert quantity(product, transit_of(warehouse_b.company)) == 4
    layers = {
        layer.company_id: (layer.quantity, layer.value)
        for layer in ValuationLayer.objects.filter(move__transfer=sent)
    }
    assert layers == {
        site.company.pk: (D(-4), D("-8.0000")),
        warehouse_b.company_id: (D(4), D("10.0000")),
    }
    arrival = Transfer.objects.get(previous_step=sent)
    assert arrival.company_id == warehouse_b.company_id
    services.confirm_arrival(SYSTEM, arrival.pk)
    assert quantity(product, target.stock) == 4
    assert not ValuationLayer.objects.filter(move__transfer=arrival).exists()
    assert selectors.stock_valuation(warehouse_b.company_id)[0].value == D("10.0000")
    assert run_checks()[1] == []


def test_lots_travel_with_the_goods(site, company_a):
    target = Site(factories.warehouse(company_a))
    product = factories.product(tracking="lot")
    site.receive(product, "5", cost="1.00", lot="LOT-9")
    sent = dispatch(site, target, product, "5")
    services.validate_transfer(SYSTEM, sent.pk)
    arrival = Transfer.objects.get(previous_step=sent)
    assert arrival.moves.get().lot.name == "LOT-9"
    services.confirm_arrival(SYSTEM, arrival.pk)
    assert Quant.objects.get(product=product, location=target.stock).lot.name == "LOT-9"


def test_arrival_into_a_location_of_another_company_writes_nothing(site, company_a, warehouse_b):
    target = Site(factories.warehouse(company_a))
    product = factories.product()
    site.receive(product, "5", cost="1.00")
    sent = dispatch(site, target, product, "5")
    services.validate_transfer(SYSTEM, sent.pk)
    arrival = Transfer.objects.get(previous_step=sent)
    foreign = Site(warehouse_b).stock
    before = (MoveLine.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as refused:
        services.confirm_arrival(SYSTEM, arrival.pk, location_id=foreign.pk)
    assert list(refused.value.fields) == ["location"]
    assert "another company" in refused.value.message
    arrival.refresh_from_db()
    assert (arrival.state, arrival.destination_id) == ("confirmed", target.stock.pk)
    assert (MoveLine.objects.count(), AuditEntry.objects.count()) == before
    with pytest.raises(DomainError) as bad_dispatch:
        dispatch(site, target, product, "1", destination_id=foreign.pk)
    assert list(bad_dispatch.value.fields) == ["destination"]
    with pytest.raises(DomainError, match="another warehouse"):
        dispatch(site, site, product, "1")
    assert StockMove.objects.filter(transfer__kind="transit_out").count() == 1
