"""Returns as reverse transfers: worked examples with exact quantities and values."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from crossdock.core.checks import run_checks
from crossdock.core.errors import ConflictError, DomainError
from crossdock.core.models import AuditEntry
from crossdock.inventory import services
from crossdock.inventory.models import Quant, StockMove, Transfer, ValuationLayer
from crossdock.inventory.services.returns import ReturnLine, return_transfer, returnable
from tests import factories
from tests.inventory.conftest import SYSTEM

D = Decimal


def on_hand(product, location):
    total = Quant.objects.filter(product=product, location=location).aggregate(q=Sum("quantity"))
    return total["q"] or D(0)


def value(product):
    return ValuationLayer.objects.filter(product=product).aggregate(v=Sum("value"))["v"] or D(0)


def assert_books_balance():
    _names, findings = run_checks()
    assert findings == [], findings


def test_receipt_return_leaves_at_the_receipts_own_cost_under_fifo(site):
    """In 10 @ 4.00, then 10 @ 5.00; returning 3 of the second receipt costs 3 × 5.00 = 15.00,
    not the FIFO 4.00: 17 left worth 40.00 + 35.00 = 75.00."""
    product = factories.product(costing_method="fifo")
    site.receive(product, "10", cost="4.00")
    second = site.receive(product, "10", cost="5.00")
    move = second.moves.get()
    returned = return_transfer(SYSTEM, second.pk, [ReturnLine(move.pk, D("3"))])
    assert (returned.kind, returned.state, returned.returned_from_id) == (
        "return",
        "assigned",
        second.pk,
    )
    assert (returned.source_id, returned.destination_id) == (site.stock.pk, site.supplier.pk)
    services.validate_transfer(SYSTEM, returned.pk)
    assert on_hand(product, site.stock) == D(17)
    out = ValuationLayer.objects.get(move__transfer=returned)
    assert (out.quantity, out.value, out.unit_cost) == (D(-3), D("-15.0000"), D("5.000000"))
    assert value(product) == D("75.0000")
    layers = ValuationLayer.objects.filter(product=product, quantity__gt=0).order_by("pk")
    assert [(x.remaining_quantity, x.remaining_value) for x in layers] == [
        (D(10), D("40.0000")),
        (D(7), D("35.0000")),
    ]
    assert_books_balance()


def test_receipt_return_under_average_cost_uses_the_receipt_cost(site):
    """Pool 10 @ 4.00 + 10 @ 6.00 = 100.00; returning 5 of the 6.00 receipt takes 30.00."""
    product = factories.product(costing_method="average")
    site.receive(product, "10", cost="4.00")
    receipt = site.receive(product, "10", cost="6.00")
    returned = return_transfer(SYSTEM, receipt.pk, [ReturnLine(receipt.moves.get().pk, D(5))])
    services.validate_transfer(SYSTEM, returned.pk)
    assert value(product) == D("70.0000")
    assert on_hand(product, site.stock) == D(15)


def test_delivery_return_comes_back_into_quality_hold_at_the_delivery_cost(site):
    """In 10 @ 2.00 and 10 @ 3.00; out 15 costs 35.00 (2.333333 each); 4 back cost 9.3333."""
    product = factories.product(costing_method="fifo")
    site.receive(product, "10", cost="2.00")
    site.receive(product, "10", cost="3.00")
    delivery = services.validate_transfer(SYSTEM, site.deliver(product, "15").pk)
    move = delivery.moves.get()
    returned = return_transfer(
        SYSTEM, delivery.pk, [ReturnLine(move.pk, D(4))], location_id=site.qc.pk, reason="Dented"
    )
    assert (returned.source_id, returned.destination_id) == (site.customer.pk, site.qc.pk)
    assert returned.origin == "Dented"
    services.validate_transfer(SYSTEM, returned.pk)
    assert on_hand(product, site.qc) == D(4)
    back = ValuationLayer.objects.get(move__transfer=returned)
    assert (back.quantity, back.unit_cost, back.value) == (D(4), D("2.333333"), D("9.3333"))
    assert value(product) == D("15.0000") + D("9.3333")
    # quality hold never counts as available: a new delivery cannot reserve it
    delivery2 = site.deliver(product, "9")
    result = services.reserve_moves(SYSTEM, delivery2.moves.values_list("pk", flat=True))
    assert (result.partial, result.assigned) == (1, 0)
    assert Quant.objects.get(product=product, location=site.qc).reserved == 0
    assert_books_balance()


def test_returns_keep_the_lot_and_count_what_was_already_returned(site):
    product = factories.product(tracking="lot")
    receipt = site.transfer("receipt", site.supplier, site.stock, [(product, "10", "1.00")])
    move = receipt.moves.get()
    services.validate_transfer(
        SYSTEM,
        receipt.pk,
        [services.DoneLine(move.pk, D(6), "L-A"), services.DoneLine(move.pk, D(4), "L-B")],
    )
    receipt.refresh_from_db()
    lots = dict(StockMove.objects.get(pk=move.pk).lines.values_list("lot__name", "lot_id"))
    with pytest.raises(DomainError, match="several lots"):
        return_transfer(SYSTEM, receipt.pk, [ReturnLine(move.pk, D(1))])
    first = return_transfer(SYSTEM, receipt.pk, [ReturnLine(move.pk, D(3), lots["L-B"])])
    assert first.moves.get().lot_id == lots["L-B"]
    services.validate_transfer(SYSTEM, first.pk)
    assert returnable(receipt) == {(move.pk, lots["L-A"]): D(6), (move.pk, lots["L-B"]): D(1)}
    assert Quant.objects.get(product=product, location=site.stock, lot_id=lots["L-B"]).quantity == 1
    before = (Transfer.objects.count(), StockMove.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError, match="At most 1"):
        return_transfer(SYSTEM, receipt.pk, [ReturnLine(move.pk, D(2), lots["L-B"])])
    assert (Transfer.objects.count(), StockMove.objects.count(), AuditEntry.objects.count()) == (
        before
    )


def test_returning_more_than_delivered_writes_nothing(site):
    product = factories.product()
    site.receive(product, "10", cost="1.00")
    delivery = services.validate_transfer(SYSTEM, site.deliver(product, "5").pk)
    move = delivery.moves.get()
    return_transfer(SYSTEM, delivery.pk, [ReturnLine(move.pk, D(2))])  # open, still counts
    before = (Transfer.objects.count(), StockMove.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as refused:
        return_transfer(SYSTEM, delivery.pk, [ReturnLine(move.pk, D(4))])
    assert refused.value.fields == {
        "lines[0].quantity": ["At most 3 of this line can still be returned."]
    }
    with pytest.raises(DomainError) as other_company:
        return_transfer(
            SYSTEM, delivery.pk, [ReturnLine(move.pk, D(1))], location_id=_foreign_stock()
        )
    assert "location" in other_company.value.fields
    with pytest.raises(ConflictError):
        return_transfer(SYSTEM, site.deliver(product, "1").pk, [ReturnLine(move.pk, D(1))])
    assert (Transfer.objects.count() - 1, StockMove.objects.count() - 1) == (
        before[0],
        before[1],
    )  # only the open delivery created just above
    assert AuditEntry.objects.count() > before[2]


def _foreign_stock():
    other = factories.warehouse(factories.company())
    return other.locations.get(code="STOCK").pk
