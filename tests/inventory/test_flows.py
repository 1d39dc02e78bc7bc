"""Receipts, reservations, deliveries, backorders and valuation with exact numbers."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum

from crossdock.core.checks import run_checks
from crossdock.core.errors import DomainError
from crossdock.core.records import update_record
from crossdock.inventory import services
from crossdock.inventory.models import (
    MoveLine,
    Quant,
    RemovalRule,
    StockMove,
    Transfer,
    ValuationLayer,
)
from crossdock.masterdata.models import Product, Unit
from tests import factories
from tests.inventory.conftest import SYSTEM

D = Decimal


def on_hand(product, location):
    return Quant.objects.filter(product=product, location=location).aggregate(q=Sum("quantity"))[
        "q"
    ] or D(0)


def stock_value(product):
    return ValuationLayer.objects.filter(product=product).aggregate(v=Sum("value"))["v"] or D(0)


def assert_books_balance():
    _names, findings = run_checks()
    assert findings == [], findings


def test_receive_reserve_deliver_partially_with_backorder(site):
    product = factories.product(costing_method="fifo")
    site.receive(product, "10", cost="2.50")
    assert on_hand(product, site.stock) == 10
    delivery = site.deliver(product, "15")
    result = services.reserve_moves(SYSTEM, delivery.moves.values_list("pk", flat=True))
    assert (result.assigned, result.partial, result.waiting) == (0, 1, 0)
    quant = Quant.objects.get(product=product, location=site.stock)
    assert (quant.quantity, quant.reserved) == (10, 10)
    move = delivery.moves.get()
    services.validate_transfer(SYSTEM, delivery.pk, [services.DoneLine(move.pk, D("6"))])
    quant.refresh_from_db()
    assert (quant.quantity, quant.reserved) == (4, 4)
    backorder = Transfer.objects.get(backorder_of=delivery)
    assert backorder.moves.get().quantity == 9
    assert backorder.moves.get().state == "partial"
    assert stock_value(product) == D("10.0000")  # 4 left at 2.50
    assert_books_balance()


def test_fifo_worked_example(site):
    """In 10 @ 5.00 then 10 @ 6.00; out 15 costs 10×5 + 5×6 = 80; 5 left worth 30."""
    product = factories.product(costing_method="fifo")
    site.receive(product, "10", cost="5.00")
    site.receive(product, "10", cost="6.00")
    delivery = site.deliver(product, "15")
    services.validate_transfer(SYSTEM, delivery.pk)
    out = ValuationLayer.objects.get(product=product, quantity__lt=0)
    assert (out.quantity, out.value, out.unit_cost) == (D("-15"), D("-80.0000"), D("5.333333"))
    assert stock_value(product) == D("30.0000")
    remaining = list(
        ValuationLayer.objects.filter(product=product, quantity__gt=0).values_list(
            "remaining_quantity", "remaining_value"
        )
    )
    assert remaining == [(D(0), D(0)), (D(5), D("30.0000"))]


def test_average_cost_worked_example_keeps_exact_value(site):
    """In 3 @ 10 and 3 @ 11 (avg 10.5); out 1 = 10.5; out 5 takes the exact rest, 52.5."""
    product = factories.product(costing_method="average")
    site.receive(product, "3", cost="10")
    site.receive(product, "3", cost="11")
    services.validate_transfer(SYSTEM, site.deliver(product, "1").pk)
    assert ValuationLayer.objects.filter(product=product).last().value == D("-10.5000")
    services.validate_transfer(SYSTEM, site.deliver(product, "5").pk)
    assert ValuationLayer.objects.filter(product=product).last().value == D("-52.5000")
    assert stock_value(product) == 0


def test_average_cost_rounding_never_leaves_value_without_stock(site):
    product = factories.product(costing_method="average")
    site.receive(product, "3", cost="1")
    site.receive(product, "3", cost="1.01")  # average 1.005
    for _ in range(3):
        services.validate_transfer(SYSTEM, site.deliver(product, "1").pk)
    services.validate_transfer(SYSTEM, site.deliver(product, "3").pk)
    assert on_hand(product, site.stock) == 0
    assert stock_value(product) == 0


def test_standard_cost_ignores_purchase_price(site):
    product = factories.product(costing_method="standard", standard_cost=D("4.00"))
    site.receive(product, "5", cost="9.99")
    assert stock_value(product) == D("20.0000")


def test_fefo_takes_the_earliest_expiry_and_skips_expired_lots(site):
    product = factories.product(tracking="lot", shelf_life_days=30)
    today = datetime.date.today()
    site.receive(product, "5", lot="LATE", expires_on=today + datetime.timedelta(days=20))
    site.receive(product, "5", lot="SOON", expires_on=today + datetime.timedelta(days=5))
    site.receive(product, "5", lot="OLD", expires_on=today - datetime.timedelta(days=1))
    delivery = site.deliver(product, "7")
    services.reserve_moves(SYSTEM, delivery.moves.values_list("pk", flat=True))
    lots = list(
        MoveLine.objects.filter(move__transfer=delivery)
        .order_by("pk")
        .values_list("lot__name", "quantity")
    )
    assert lots == [("SOON", D(5)), ("LATE", D(2))]


def test_closest_location_rule_and_blocked_locations(site):
    product = factories.product()
    far, near = site.bin("FAR", sequence=9), site.bin("NEAR", sequence=1)
    site.receive(product, "4", into=far)
    site.receive(product, "4", into=near)
    site.receive(product, "50", into=site.qc)  # quality hold never counts as available
    RemovalRule.objects.create(location=site.stock, strategy="closest")
    delivery = site.deliver(product, "6")
    services.reserve_moves(SYSTEM, delivery.moves.values_list("pk", flat=True))
    taken = list(
        MoveLine.objects.filter(move__transfer=delivery)
        .order_by("pk")
        .values_list("source__code", "quantity")
    )
    assert taken == [("NEAR", D(4)), ("FAR", D(2))]
    short = site.deliver(product, "10")
    result = services.reserve_moves(SYSTEM, short.moves.values_list("pk", flat=True))
    assert (result.partial, result.assigned) == (1, 0)


def test_priority_then_promised_date_decides_who_gets_scarce_stock(site):
    product = factories.product()
    site.receive(product, "5")
    later = site.deliver(product, "5", priority=10, promised_on=datetime.date(2026, 12, 9))
    standard = site.deliver(product, "5", priority=50, promised_on=datetime.date(2026, 12, 1))
    sooner = site.deliver(product, "5", priority=10, promised_on=datetime.date(2026, 12, 2))
    ids = StockMove.objects.filter(transfer__in=[later, standard, sooner]).values_list(
        "pk", flat=True
    )
    services.reserve_moves(SYSTEM, ids)
    states = {t.reference: t.moves.get().state for t in (later, standard, sooner)}
    assert states == {
        later.reference: "confirmed",
        standard.reference: "confirmed",
        sooner.reference: "assigned",
    }


def test_negative_stock_is_refused_unless_the_warehouse_allows_it(site):
    product = factories.product()
    site.receive(product, "2")
    delivery = site.deliver(product, "3")
    before = (
        MoveLine.objects.count(),
        Quant.objects.get(product=product, location=site.stock).quantity,
    )
    with pytest.raises(DomainError, match="short"):
        services.validate_transfer(SYSTEM, delivery.pk)
    assert (MoveLine.objects.filter(done=True).count(),) == (1,)
    assert Quant.objects.get(product=product, location=site.stock).quantity == before[1]
    assert_books_balance()


def test_bad_input_is_refused_with_the_field_named(site, company_b):
    product = factories.product()
    kilo_product = factories.product(base_unit=Unit.objects.get(code="H87"))
    other_site_location = factories.warehouse(company_b)
    foreign = other_site_location.locations.filter(kind="reserve").first()
    with pytest.raises(DomainError) as error:
        site.transfer("internal", site.stock, foreign, [(product, "1", None)])
    assert "belongs to another company" in error.value.fields["destination"][0]
    with pytest.raises(DomainError) as error:
        site.transfer("receipt", site.supplier, site.stock, [(kilo_product, "1.5", None)])
    assert "H87 allows at most 0 decimal places" in error.value.fields["lines[0].quantity"][0]
    lot_product = factories.product(tracking="lot")
    receipt = site.transfer("receipt", site.supplier, site.stock, [(lot_product, "1", None)])
    with pytest.raises(DomainError, match="give the lot"):
        services.validate_transfer(SYSTEM, receipt.pk)
    assert Transfer.objects.filter(pk=receipt.pk, state="confirmed").exists()


def test_serial_already_in_stock_is_refused(site):
    product = factories.product(tracking="serial")
    site.receive(product, "1", lot="SN-1")
    with pytest.raises(DomainError, match="already in stock"):
        site.receive(product, "1", lot="SN-1")
    assert on_hand(product, site.stock) == 1


def test_transfers_inside_the_company_keep_their_cost(site):
    product = factories.product(costing_method="fifo")
    site.receive(product, "4", cost="3")
    bin_ = site.bin("A-01")
    internal = site.transfer("internal", site.stock, bin_, [(product, "4", None)])
    services.validate_transfer(SYSTEM, internal.pk)
    assert on_hand(product, bin_) == 4
    assert ValuationLayer.objects.filter(product=product).count() == 1
    assert stock_value(product) == D("12.0000")


def test_cancel_releases_reservations(site):
    product = factories.product()
    site.receive(product, "3")
    delivery = site.deliver(product, "3")
    services.reserve_moves(SYSTEM, delivery.moves.values_list("pk", flat=True))
    services.cancel_transfer(SYSTEM, delivery.pk)
    quant = Quant.objects.get(product=product, location=site.stock)
    assert (quant.quantity, quant.reserved) == (3, 0)
    assert_books_balance()


def test_audit_detects_a_tampered_quant(site):
    product = factories.product()
    site.receive(product, "3")
    Quant.objects.filter(product=product, location=site.stock).update(quantity=D(4))
    names, findings = run_checks()
    assert "inventory quants = done moves" in names
    assert any("cache says 4.000000" in f.problem for f in findings)


def test_obsolete_products_are_not_received(site):
    product = factories.product()
    update_record(SYSTEM, Product, product.pk, {"status": "obsolete"})
    with pytest.raises(DomainError, match="obsolete"):
        site.receive(Product.objects.get(pk=product.pk), "1")
