"""Putaway rules and multi-step receipts and deliveries, with exact quantities."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from crossdock.core.checks import run_checks
from crossdock.core.errors import DomainError
from crossdock.core.records import update_record
from crossdock.inventory import selectors, services
from crossdock.inventory.models import PutawayRule, Quant, Transfer, ValuationLayer
from crossdock.inventory.services.putaway import PutawayRuleDraft, save_putaway_rule
from crossdock.masterdata.models import Location, Warehouse
from crossdock.masterdata.services import update_warehouse
from tests import factories
from tests.inventory.conftest import SYSTEM, Site

D = Decimal


def quantity(product, location):
    found = Quant.objects.filter(product=product, location=location).aggregate(q=Sum("quantity"))
    return found["q"] or D(0)


def place(site, kind):
    return Location.objects.get(warehouse=site.warehouse, kind=kind)


def rule(site, location, product=None, category=None, sequence=10):
    return save_putaway_rule(
        SYSTEM,
        PutawayRuleDraft(
            site.warehouse.pk,
            location.pk,
            product.pk if product else None,
            category.pk if category else None,
            sequence,
        ),
    )


def test_putaway_product_beats_category_and_categories_cover_their_children(site):
    tools = factories.category("Tools")
    drills = factories.category("Drills", parent=tools)
    drill = factories.product(category=drills)
    special = factories.product(category=drills)
    other = factories.product()
    shelf_a, shelf_b, shelf_c = site.bin("A1"), site.bin("B1"), site.bin("C1")
    rule(site, shelf_a, category=tools)
    rule(site, shelf_c, category=tools, sequence=99)  # same category, later sequence: unused
    rule(site, shelf_b, product=special)
    receipt = site.transfer(
        "receipt",
        site.supplier,
        site.stock,
        [(drill, "5", "1.00"), (special, "3", "1.00"), (other, "2", "1.00")],
    )
    services.validate_transfer(SYSTEM, receipt.pk)
    assert quantity(drill, shelf_a) == 5
    assert quantity(special, shelf_b) == 3
    assert quantity(other, site.stock) == 2
    assert quantity(drill, site.stock) == 0
    # internal moves into the stock location are not redirected
    back = site.transfer("internal", shelf_a, site.stock, [(drill, "1", None)])
    services.validate_transfer(SYSTEM, back.pk)
    assert quantity(drill, site.stock) == 1
    assert run_checks()[1] == []


def test_putaway_rule_location_must_be_in_the_warehouse(site, warehouse_b):
    foreign = Site(warehouse_b).stock
    with pytest.raises(DomainError) as refused:
        rule(site, foreign, category=factories.category())
    assert list(refused.value.fields) == ["location"]
    with pytest.raises(DomainError) as neither:
        save_putaway_rule(SYSTEM, PutawayRuleDraft(site.warehouse.pk, site.stock.pk))
    assert list(neither.value.fields) == ["product"]
    assert PutawayRule.objects.count() == 0


def test_three_step_receipt_goes_input_quality_stock_with_backorders(site):
    update_warehouse(SYSTEM, site.warehouse.pk, {"receipt_steps": 3})
    shelf = site.bin("Q1")
    product = factories.product(costing_method="fifo")
    rule(site, shelf, product=product)
    receipt = site.transfer("receipt", site.supplier, site.stock, [(product, "10", "3.00")])
    input_place, quality = place(site, "input"), place(site, "quality_hold")
    assert (receipt.destination_id, receipt.final_destination_id) == (input_place.pk, site.stock.pk)
    atp = selectors.availability([product.pk])[(product.pk, site.warehouse.code)]
    assert sum(atp.incoming.values()) == 10  # counted by where the receipt ends
    move = receipt.moves.get()
    services.validate_transfer(SYSTEM, receipt.pk, [services.DoneLine(move.pk, D(6))])
    assert ValuationLayer.objects.get(product=product).value == D("18.0000")  # valued on receipt
    check = Transfer.objects.get(previous_step=receipt)
    assert (check.kind, check.state, check.source_id, check.destination_id) == (
        "internal",
        "assigned",
        input_place.pk,
        quality.pk,
    )
    services.validate_transfer(SYSTEM, check.pk)
    assert quantity(product, quality) == 6
    atp = selectors.availability([product.pk])[(product.pk, site.warehouse.code)]
    assert atp.on_hand == 0  # quality hold is never available
    release = Transfer.objects.get(previous_step=check)
    assert (release.source_id, release.destination_id) == (quality.pk, site.stock.pk)
    services.validate_transfer(SYSTEM, release.pk)
    assert quantity(product, shelf) == 6  # the last step follows the putaway rule
    # the receipt's backorder (4) carries on the same way
    rest = Transfer.objects.get(backorder_of=receipt)
    assert rest.final_destination_id == site.stock.pk
    services.validate_transfer(SYSTEM, rest.pk)
    assert quantity(product, input_place) == 4
    assert Transfer.objects.filter(previous_step=rest).count() == 1
    assert run_checks()[1] == []


def test_two_step_delivery_picks_to_output_then_ships(site):
    update_warehouse(SYSTEM, site.warehouse.pk, {"delivery_steps": 2})
    product = factories.product(costing_method="fifo")
    site.receive(product, "10", cost="2.00")
    pick = site.deliver(product, "7")
    output = place(site, "output")
    assert (pick.kind, pick.destination_id, pick.final_destination_id) == (
        "internal",
        output.pk,
        site.customer.pk,
    )
    atp = selectors.availability([product.pk])[(product.pk, site.warehouse.code)]
    assert atp.available_now == 3  # the open pick is outgoing
    move = pick.moves.get()
    services.validate_transfer(SYSTEM, pick.pk, [services.DoneLine(move.pk, D(5))])
    ship = Transfer.objects.get(previous_step=pick)
    assert (ship.kind, ship.state, ship.source_id, ship.destination_id) == (
        "delivery",
        "assigned",
        output.pk,
        site.customer.pk,
    )
    atp = selectors.availability([product.pk])[(product.pk, site.warehouse.code)]
    assert (atp.on_hand, atp.available_now) == (D(5), D(3))  # 5 in stock, 2 still to pick
    assert not ValuationLayer.objects.filter(quantity__lt=0).exists()  # picking keeps value
    services.validate_transfer(SYSTEM, Transfer.objects.get(backorder_of=pick).pk)
    assert sorted(ship.moves.values_list("quantity", flat=True)) == [D(2), D(5)]  # fed
    services.validate_transfer(SYSTEM, ship.pk)
    assert quantity(product, site.customer) == 7
    out = ValuationLayer.objects.filter(quantity__lt=0).aggregate(v=Sum("value"))["v"]
    assert out == D("-14.0000")
    assert run_checks()[1] == []


def test_three_step_delivery_creates_its_packing_zone_and_passes_through_it(site):
    update_warehouse(SYSTEM, site.warehouse.pk, {"delivery_steps": 3})
    packing = place(site, "packing")
    product = factories.product()
    site.receive(product, "4", cost="1.00")
    pick = site.deliver(product, "4")
    assert pick.destination_id == packing.pk
    services.validate_transfer(SYSTEM, pick.pk)
    pack = Transfer.objects.get(previous_step=pick)
    assert (pack.kind, pack.destination_id) == ("internal", place(site, "output").pk)
    services.validate_transfer(SYSTEM, pack.pk)
    ship = Transfer.objects.get(previous_step=pack)
    assert ship.kind == "delivery"
    services.validate_transfer(SYSTEM, ship.pk)
    assert quantity(product, site.customer) == 4


def test_steps_are_1_to_3(site):
    with pytest.raises(DomainError):
        update_record(SYSTEM, Warehouse, site.warehouse.pk, {"receipt_steps": 4})
    assert Warehouse.objects.get(pk=site.warehouse.pk).receipt_steps == 1
