"""Receipts into quality hold, results recorded, accepted to stock and rejected disposed of."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.accounting.models import Invoice
from crossdock.accounting.models.invoices import InvoiceKind, InvoiceState
from crossdock.core.checks import run_checks
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, PermissionDeniedError
from crossdock.core.roles import Role
from crossdock.inventory.models import MoveState, Quant, Transfer, TransferKind
from crossdock.inventory.services import validate_transfer
from crossdock.purchasing.scorecards import scorecards
from crossdock.quality.models import (
    Disposition,
    Inspection,
    InspectionResult,
    InspectionState,
    Nonconformance,
)
from crossdock.quality.services.inspections import (
    CheckOutcome,
    InspectionOutcome,
    record_results,
)
from crossdock.quality.services.nonconformance import return_to_vendor
from tests import factories
from tests.inventory.conftest import SYSTEM
from tests.quality.conftest import damaged, held, make_plan, receive, stock

D = Decimal


def _outcome(inspection, accepted, rejected, *, weight="500", packaging=True, **extra):
    packaging_check, weight_check = inspection.plan.checks.order_by("sequence")
    return InspectionOutcome(
        results=[
            CheckOutcome(packaging_check.pk, passed=packaging),
            CheckOutcome(weight_check.pk, value=None if weight is None else D(weight)),
        ],
        accepted_quantity=accepted,
        rejected_quantity=rejected,
        **extra,
    )


@pytest.fixture
def product(buying):
    product = factories.product(sku="QC-1")
    make_plan(buying.company, product_id=product.pk, sampling="fixed", sample_size=D(2))
    return product


def _quality_findings():
    _names, findings = run_checks()
    return [f for f in findings if f.check.startswith("quality")]


def test_a_receipt_with_a_plan_waits_in_quality_hold(buying, product):
    plain = factories.product()
    receipt = receive(buying, product, "10")
    receive(buying, plain, "4")
    inspection = Inspection.objects.get()
    assert inspection.state == InspectionState.PENDING
    assert inspection.receipt == receipt
    assert inspection.supplier == buying.supplier
    assert (inspection.quantity, inspection.sample_size) == (D(10), D(2))
    assert held(product, buying.warehouse) == D(10)
    assert stock(product, buying.warehouse) == D(0)
    assert stock(plain, buying.warehouse) == D(4)  # no plan: straight to stock
    hold_transfer = Transfer.objects.get(kind=TransferKind.INTERNAL, origin=receipt.reference)
    assert hold_transfer.state == MoveState.DONE
    assert _quality_findings() == []


def test_results_release_the_accepted_and_damage_the_rejected(buying, product):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[buying.company])
    record_results(
        Actor.of(operator),
        inspection.pk,
        _outcome(
            inspection,
            "7",
            "3",
            packaging=False,
            disposition=Disposition.DAMAGED,
            description="Crushed cartons",
        ),
    )
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.DONE
    assert (inspection.accepted_quantity, inspection.rejected_quantity) == (D(7), D(3))
    assert inspection.inspected_by == operator
    results = {r.plan_check.name: r.passed for r in InspectionResult.objects.all()}
    assert results == {"Packaging intact": False, "Weight": True}
    assert stock(product, buying.warehouse) == D(7)
    assert damaged(product, buying.warehouse) == D(3)
    assert held(product, buying.warehouse) == D(0)
    nonconformance = Nonconformance.objects.get()
    assert nonconformance.quantity == D(3)
    assert nonconformance.disposition == Disposition.DAMAGED
    assert nonconformance.disposition_transfer.state == MoveState.DONE
    assert _quality_findings() == []


def test_all_accepted_opens_no_nonconformance(buying, product):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    record_results(SYSTEM, inspection.pk, _outcome(inspection, "10", "0"))
    assert stock(product, buying.warehouse) == D(10)
    assert held(product, buying.warehouse) == D(0)
    assert not Nonconformance.objects.exists()


@pytest.mark.parametrize(
    ("value", "passed"),
    [("505", True), ("495", True), ("505.000001", False), ("494.999999", False), ("500", True)],
)
def test_a_measurement_at_the_tolerance_limit_passes_and_just_over_fails(
    buying, product, value, passed
):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    record_results(SYSTEM, inspection.pk, _outcome(inspection, "10", "0", weight=value))
    result = InspectionResult.objects.get(plan_check__name="Weight")
    assert result.measured_value == D(value)
    assert result.passed is passed


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"accepted": "7", "rejected": "2"}, "rejected_quantity"),
        ({"accepted": "11", "rejected": "-1"}, "rejected_quantity"),
        ({"accepted": 7.0, "rejected": "3"}, "accepted_quantity"),
        ({"accepted": "6.5", "rejected": "3.5"}, "accepted_quantity"),  # pieces are whole
        ({"weight": None}, "results[1].value"),
        ({"packaging": None}, "results[0].passed"),
        ({"rejected": "3", "accepted": "7", "disposition": ""}, "disposition"),
        ({"rejected": "3", "accepted": "7", "description": " "}, "description"),
    ],
)
def test_bad_results_are_refused_and_write_nothing(buying, product, change, field):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    quants = sorted(Quant.objects.values_list("pk", "quantity", "reserved"))
    transfers = Transfer.objects.count()
    extra = {
        "disposition": change.get("disposition", Disposition.HOLD),
        "description": change.get("description", "Wrong"),
    }
    outcome = _outcome(
        inspection,
        change.get("accepted", "10"),
        change.get("rejected", "0"),
        weight=change.get("weight", "500"),
        packaging=change.get("packaging", True),
        **extra,
    )
    with pytest.raises(DomainError) as raised:
        record_results(SYSTEM, inspection.pk, outcome)
    assert field in raised.value.fields, raised.value.fields
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.PENDING
    assert inspection.version == 1
    assert not InspectionResult.objects.exists()
    assert not Nonconformance.objects.exists()
    assert sorted(Quant.objects.values_list("pk", "quantity", "reserved")) == quants
    assert Transfer.objects.count() == transfers


def test_a_missing_check_and_a_foreign_check_are_refused(buying, product):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    packaging_check, _weight = inspection.plan.checks.order_by("sequence")
    other = make_plan(buying.company, product_id=factories.product().pk).checks.first()
    outcome = InspectionOutcome(
        results=[CheckOutcome(packaging_check.pk, passed=True), CheckOutcome(other.pk, True)],
        accepted_quantity="10",
        rejected_quantity="0",
    )
    with pytest.raises(DomainError) as raised:
        record_results(SYSTEM, inspection.pk, outcome)
    assert set(raised.value.fields) == {"results[1].check", "results"}
    outcome = InspectionOutcome(
        results=[CheckOutcome(packaging_check.pk, passed=True)],
        accepted_quantity="10",
        rejected_quantity="0",
    )
    with pytest.raises(DomainError) as raised:
        record_results(SYSTEM, inspection.pk, outcome)
    assert raised.value.fields["results"] == ["Record every check: Weight missing."]


def test_recording_twice_is_a_conflict(buying, product):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    record_results(SYSTEM, inspection.pk, _outcome(inspection, "10", "0"))
    with pytest.raises(ConflictError):
        record_results(SYSTEM, inspection.pk, _outcome(inspection, "10", "0"))


def test_a_buyer_may_not_record_results(buying, product):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    with pytest.raises(PermissionDeniedError):
        record_results(buying.actor, inspection.pk, _outcome(inspection, "10", "0"))
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.PENDING


def test_return_to_vendor_sends_the_goods_back_with_a_credit_note(buying, product):
    receipt = receive(buying, product, "10", price="4.25")
    inspection = Inspection.objects.get()
    record_results(
        SYSTEM,
        inspection.pk,
        _outcome(
            inspection,
            "7",
            "3",
            weight="510",
            disposition=Disposition.RETURN,
            description="Overweight",
        ),
    )
    assert held(product, buying.warehouse) == D(3)
    assert _quality_findings() == []
    nonconformance = Nonconformance.objects.get()
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[buying.company])
    return_to_vendor(Actor.of(operator), nonconformance.pk)
    nonconformance.refresh_from_db()
    returned = nonconformance.return_transfer
    assert returned.kind == TransferKind.RETURN
    assert returned.returned_from == receipt
    assert returned.source == inspection.hold_location
    assert returned.state == MoveState.ASSIGNED  # reserved in quality hold, ready to ship
    move = returned.moves.get()
    assert (move.quantity, move.returned_move_id) == (D(3), inspection.receipt_move_id)
    credit = nonconformance.credit_note
    assert credit.kind == InvoiceKind.VENDOR_CREDIT
    assert credit.state == InvoiceState.DRAFT
    assert credit.partner == buying.supplier
    line = credit.lines.get()
    assert (line.quantity, line.unit_price, line.subtotal) == (D(3), D("4.25"), D("12.75"))
    assert line.stock_move_id == inspection.receipt_move_id
    assert credit.untaxed_amount == D("12.75")
    assert credit.total_amount == D("12.75") + credit.tax_amount
    # the goods leave when the warehouse ships the return
    validate_transfer(SYSTEM, returned.pk)
    assert held(product, buying.warehouse) == D(0)
    assert stock(product, buying.warehouse) == D(7)
    assert _quality_findings() == []
    with pytest.raises(ConflictError):
        return_to_vendor(SYSTEM, nonconformance.pk)
    assert Invoice.objects.filter(kind=InvoiceKind.VENDOR_CREDIT).count() == 1


def test_return_to_vendor_needs_goods_still_in_hold(buying, product):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    record_results(
        SYSTEM,
        inspection.pk,
        _outcome(inspection, "8", "2", disposition=Disposition.DAMAGED, description="Wet"),
    )
    with pytest.raises(ConflictError) as raised:
        return_to_vendor(SYSTEM, Nonconformance.objects.get().pk)
    assert "disposition" in raised.value.fields
    assert not Invoice.objects.filter(kind=InvoiceKind.VENDOR_CREDIT).exists()


def test_the_audit_finds_a_pending_inspection_whose_goods_left_quality_hold(buying, product):
    receive(buying, product, "10")
    Inspection.objects.filter(state=InspectionState.PENDING).update(quantity=D(12))
    findings = _quality_findings()
    assert len(findings) == 1
    assert "wait for 12" in findings[0].problem


def test_scorecards_get_the_rejection_rate(buying, product):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    record_results(
        SYSTEM,
        inspection.pk,
        _outcome(inspection, "8", "2", disposition=Disposition.HOLD, description="Scratched"),
    )
    today = datetime.date.today()
    start = today - datetime.timedelta(days=30)
    card = scorecards(
        buying.company.pk, start, today + datetime.timedelta(days=1),
        supplier_ids={buying.supplier.pk},
    )[0]  # fmt: skip
    assert card.rejection_rate == D("0.2000")
    assert card.score is not None


def test_a_huge_or_odd_number_is_refused_not_a_crash(buying, product):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    for accepted in ("1e40", "NaN", "ten"):
        with pytest.raises(DomainError) as raised:
            record_results(SYSTEM, inspection.pk, _outcome(inspection, accepted, "0"))
        assert "accepted_quantity" in raised.value.fields
    with pytest.raises(DomainError) as raised:
        record_results(SYSTEM, inspection.pk, _outcome(inspection, "10", "0", weight="1e40"))
    assert "results[1].value" in raised.value.fields


def test_scrapped_goods_leave_quality_hold_through_the_scrap_service(buying, product):
    receive(buying, product, "10")
    inspection = Inspection.objects.get()
    record_results(
        SYSTEM,
        inspection.pk,
        _outcome(inspection, "9", "1", disposition=Disposition.SCRAP, description="Rusty"),
    )
    scrap = Nonconformance.objects.get().disposition_transfer
    assert scrap.kind == TransferKind.SCRAP
    assert scrap.source == inspection.hold_location
    assert scrap.moves.get().quantity == D(1)
    assert stock(product, buying.warehouse) == D(9)
