"""Suggestion services: approve, reject, change quantities, convert into documents."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crossdock.core.errors import ConflictError, DomainError, NotFoundError
from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.core.roles import Role
from crossdock.inventory.models import Transfer, TransferKind
from crossdock.planning.models import ReplenishmentRun, RunState, Suggestion
from crossdock.planning.services import suggestions as services
from crossdock.purchasing.models import (
    PurchaseOrder,
    PurchaseRequisition,
    RequestForQuotation,
)
from tests import factories
from tests.inventory.conftest import Site
from tests.purchasing.conftest import Buying

D = Decimal


class Plan:
    """A company with a central warehouse, a depot, two suppliers and a planner's run."""

    def __init__(self, central):
        self.buying = Buying(central)
        self.company = central.company
        self.central = central
        self.depot = factories.warehouse(self.company, "A-NORTH", name="Acme north depot")
        self.supplier = self.buying.supplier
        self.other_supplier = factories.partner(self.company, is_customer=False, is_supplier=True)
        self.planner = factories.user(Role.BUYER, Role.WAREHOUSE_MANAGER, companies=[self.company])
        from crossdock.core.context import Actor

        self.actor = Actor.of(self.planner)
        self.run = ReplenishmentRun.objects.create(
            company=self.company,
            state=RunState.DONE,
            as_of=timezone.localdate(),
            started_at=timezone.now(),
        )

    def buy(self, product, quantity, supplier=None, warehouse=None, **extra):
        return Suggestion.objects.create(
            run=self.run,
            company=self.company,
            product=product,
            warehouse=warehouse or self.central,
            action="buy",
            quantity=D(quantity),
            supplier=supplier,
            lead_time_days=7,
            arrives_on=timezone.localdate() + datetime.timedelta(days=7),
            reason="Projected stock below the reorder point.",
            **extra,
        )

    def transfer(self, product, quantity, source=None, warehouse=None, **extra):
        return Suggestion.objects.create(
            run=self.run,
            company=self.company,
            product=product,
            warehouse=warehouse or self.depot,
            action="transfer",
            quantity=D(quantity),
            source_warehouse=source or self.central,
            lead_time_days=2,
            arrives_on=timezone.localdate() + datetime.timedelta(days=2),
            reason="The central warehouse has stock above its own reorder point.",
            **extra,
        )


@pytest.fixture
def plan(warehouse_a):
    return Plan(warehouse_a)


def _states(*rows):
    return [Suggestion.objects.get(pk=row.pk).state for row in rows]


def test_approve_marks_each_suggestion_audits_and_publishes(plan):
    first = plan.buy(factories.product(), "10", plan.supplier)
    second = plan.buy(factories.product(), "5", plan.supplier)

    services.approve_suggestions(plan.actor, [first.pk, second.pk])

    for row in (first, second):
        row.refresh_from_db()
        assert row.state == "approved"
        assert row.decided_by == plan.planner
        assert row.version == 2
    audited = AuditEntry.objects.filter(
        action="planning.suggestion.approve", object_type="planning.suggestion"
    )
    assert sorted(int(x) for x in audited.values_list("object_id", flat=True)) == sorted(
        [first.pk, second.pk]
    )
    assert OutboxEvent.objects.filter(name="planning.suggestion.approve").count() == 2


def test_approving_a_converted_suggestion_is_refused_and_nothing_changes(plan):
    fresh = plan.buy(factories.product(), "10", plan.supplier)
    done = plan.buy(factories.product(), "5", plan.supplier, state="converted")

    with pytest.raises(ConflictError) as refused:
        services.approve_suggestions(plan.actor, [fresh.pk, done.pk])

    assert list(refused.value.fields) == ["ids[1]"]
    assert "is converted" in refused.value.fields["ids[1]"][0]
    assert _states(fresh, done) == ["proposed", "converted"]
    assert not AuditEntry.objects.filter(action__startswith="planning.suggestion").exists()


def test_unknown_and_other_company_ids_are_not_found(plan, warehouse_b):
    mine = plan.buy(factories.product(), "10", plan.supplier)
    other_run = ReplenishmentRun.objects.create(
        company=warehouse_b.company,
        as_of=timezone.localdate(),
        started_at=timezone.now(),
    )
    theirs = Suggestion.objects.create(
        run=other_run,
        company=warehouse_b.company,
        product=factories.product(),
        warehouse=warehouse_b,
        action="buy",
        quantity=D(3),
        reason="x",
    )

    with pytest.raises(NotFoundError) as refused:
        services.approve_suggestions(plan.actor, [mine.pk, theirs.pk, 999999])

    assert set(refused.value.fields) == {"ids[1]", "ids[2]"}
    assert _states(mine, theirs) == ["proposed", "proposed"]


@pytest.mark.parametrize(
    ("ids", "field"),
    [([], "ids"), ("12", "ids"), ([1, "x"], "ids[1]"), ([True], "ids[0]"), ([0], "ids[0]")],
)
def test_bad_id_lists_name_the_field(plan, ids, field):
    with pytest.raises(DomainError) as refused:
        services.approve_suggestions(plan.actor, ids)
    assert field in refused.value.fields


def test_reject_needs_a_reason_and_keeps_it(plan):
    row = plan.buy(factories.product(), "10", plan.supplier)

    with pytest.raises(DomainError) as refused:
        services.reject_suggestions(plan.actor, [row.pk], "   ")
    assert refused.value.fields == {"reason": ["Say why."]}
    assert _states(row) == ["proposed"]

    services.reject_suggestions(plan.actor, [row.pk], "Range is being delisted")
    row.refresh_from_db()
    assert (row.state, row.decision_note) == ("rejected", "Range is being delisted")
    # a rejected suggestion can still be approved after all
    services.approve_suggestions(plan.actor, [row.pk])
    row.refresh_from_db()
    assert (row.state, row.decision_note) == ("approved", "")


def test_a_user_without_planning_rights_cannot_approve(plan):
    from crossdock.core.context import Actor

    row = plan.buy(factories.product(), "10", plan.supplier)
    clerk = factories.user(Role.AP_CLERK, companies=[plan.company])
    with pytest.raises(NotFoundError):
        services.approve_suggestions(Actor.of(clerk), [row.pk])
    assert _states(row) == ["proposed"]


def test_convert_into_purchase_orders_one_per_supplier_with_merged_lines(plan):
    bolts, nuts, washers = factories.product(), factories.product(), factories.product()
    plan.buying.offer(bolts, ("0", "2.50"), moq="10", multiple="5")
    plan.buying.offer(nuts, ("0", "0.40"))
    from crossdock.purchasing.services.catalogue import OfferDraft, PriceBreakDraft, save_offer
    from tests.inventory.conftest import SYSTEM

    save_offer(
        SYSTEM,
        OfferDraft(
            company_id=plan.company.pk,
            supplier_id=plan.other_supplier.pk,
            product_id=washers.pk,
            currency_id=plan.other_supplier.currency_id,
            breaks=[PriceBreakDraft(D(0), D("0.10"))],
        ),
    )
    rows = [
        plan.buy(bolts, "20", plan.supplier, state="approved"),
        plan.buy(nuts, "100", plan.supplier, state="approved"),
        plan.buy(washers, "300", plan.other_supplier, state="approved"),
    ]

    result = services.convert_suggestions(plan.actor, [r.pk for r in rows], "purchase_order")

    assert len(result.documents) == 2
    first = PurchaseOrder.objects.get(supplier=plan.supplier)
    assert [(x.product_id, x.quantity, x.unit_price) for x in first.lines.order_by("sequence")] == [
        (bolts.pk, D("20"), D("2.50")),
        (nuts.pk, D("100"), D("0.40")),
    ]
    second = PurchaseOrder.objects.get(supplier=plan.other_supplier)
    assert [(x.product_id, x.quantity) for x in second.lines.all()] == [(washers.pk, D("300"))]
    for row, order in zip(rows, (first, first, second), strict=True):
        row.refresh_from_db()
        assert (row.state, row.document_type, row.document_id, row.document_reference) == (
            "converted",
            "purchase_order",
            order.pk,
            order.reference,
        )


def test_a_refused_line_names_its_suggestion_and_nothing_is_converted(plan):
    bolts, nuts = factories.product(), factories.product()
    plan.buying.offer(bolts, ("0", "2.50"))
    plan.buying.offer(nuts, ("0", "0.40"), moq="50")
    good = plan.buy(bolts, "20", plan.supplier, state="approved")
    short = plan.buy(nuts, "30", plan.supplier, state="approved")

    with pytest.raises(DomainError) as refused:
        services.convert_suggestions(plan.actor, [good.pk, short.pk], "purchase_order")

    assert list(refused.value.fields) == ["ids[1]"]
    assert "minimum order quantity of 50" in refused.value.fields["ids[1]"][0]
    assert f"Suggestion {short.pk}" in refused.value.message
    assert PurchaseOrder.objects.count() == 0
    assert _states(good, short) == ["approved", "approved"]


def test_only_approved_suggestions_of_the_right_kind_convert(plan):
    proposed = plan.buy(factories.product(), "10", plan.supplier)
    move = plan.transfer(factories.product(), "4", state="approved")
    no_supplier = plan.buy(factories.product(), "4", None, state="approved")

    with pytest.raises(ConflictError):
        services.convert_suggestions(plan.actor, [proposed.pk], "purchase_order")
    with pytest.raises(DomainError) as refused:
        services.convert_suggestions(plan.actor, [move.pk, no_supplier.pk], "rfq")
    assert set(refused.value.fields) == {"ids[0]", "ids[1]"}
    with pytest.raises(DomainError) as refused:
        services.convert_suggestions(plan.actor, [move.pk], "invoice")
    assert list(refused.value.fields) == ["into"]
    assert PurchaseOrder.objects.count() + RequestForQuotation.objects.count() == 0


def test_convert_into_a_requisition_per_warehouse(plan):
    bolts, nuts = factories.product(), factories.product()
    rows = [
        plan.buy(bolts, "20", None, state="approved"),
        plan.buy(nuts, "8", plan.supplier, state="approved"),
        plan.buy(nuts, "3", plan.supplier, warehouse=plan.depot, state="approved"),
    ]

    result = services.convert_suggestions(plan.actor, [r.pk for r in rows], "requisition")

    assert len(result.documents) == 2
    central = PurchaseRequisition.objects.get(warehouse=plan.central)
    assert [(x.product_id, x.quantity) for x in central.lines.order_by("sequence")] == [
        (bolts.pk, D(20)),
        (nuts.pk, D(8)),
    ]
    assert central.needed_by == timezone.localdate() + datetime.timedelta(days=7)
    depot = PurchaseRequisition.objects.get(warehouse=plan.depot)
    assert [(x.product_id, x.quantity) for x in depot.lines.all()] == [(nuts.pk, D(3))]
    assert {Suggestion.objects.get(pk=r.pk).document_id for r in rows} == {central.pk, depot.pk}


def test_convert_into_an_rfq_to_the_suggested_suppliers(plan):
    bolts, nuts = factories.product(), factories.product()
    rows = [
        plan.buy(bolts, "20", plan.supplier, state="approved"),
        plan.buy(nuts, "8", plan.other_supplier, state="approved"),
    ]

    services.convert_suggestions(plan.actor, [r.pk for r in rows], "rfq")

    rfq = RequestForQuotation.objects.get()
    assert set(rfq.suppliers.values_list("pk", flat=True)) == {
        plan.supplier.pk,
        plan.other_supplier.pk,
    }
    assert [(x.product_id, x.quantity) for x in rfq.lines.order_by("sequence")] == [
        (bolts.pk, D(20)),
        (nuts.pk, D(8)),
    ]
    assert _states(*rows) == ["converted", "converted"]


def test_convert_into_dispatches_one_per_lane(plan):
    bolts, nuts = factories.product(), factories.product()
    site = Site(plan.central)
    site.receive(bolts, "50", "2")
    site.receive(nuts, "50", "1")
    south = factories.warehouse(plan.company, "A-SOUTH", name="Acme south depot")
    rows = [
        plan.transfer(bolts, "12", state="approved"),
        plan.transfer(nuts, "7", state="approved"),
        plan.transfer(bolts, "5", warehouse=south, state="approved"),
    ]

    result = services.convert_suggestions(plan.actor, [r.pk for r in rows], "transfer")

    assert len(result.documents) == 2
    dispatches = Transfer.objects.filter(kind=TransferKind.TRANSIT_OUT, warehouse=plan.central)
    to_north = dispatches.get(final_destination__warehouse=plan.depot)
    assert sorted((m.product_id, m.quantity) for m in to_north.moves.all()) == sorted(
        [(bolts.pk, D(12)), (nuts.pk, D(7))]
    )
    to_south = dispatches.get(final_destination__warehouse=south)
    assert [(m.product_id, m.quantity) for m in to_south.moves.all()] == [(bolts.pk, D(5))]
    row = Suggestion.objects.get(pk=rows[2].pk)
    assert (row.document_type, row.document_id) == ("transfer", to_south.pk)


def test_a_new_quantity_is_rounded_up_to_the_suppliers_moq_and_multiple(plan):
    pytest.importorskip("crossdock.planning.policy")
    bolts, nuts = factories.product(), factories.product()
    plan.buying.offer(bolts, ("0", "2.50"), moq="24", multiple="12")
    buy = plan.buy(bolts, "48", plan.supplier)
    move = plan.transfer(nuts, "4", state="approved")

    services.change_quantities(
        plan.actor,
        [services.QuantityChange(buy.pk, "30"), services.QuantityChange(move.pk, "2.4")],
    )

    buy.refresh_from_db()
    move.refresh_from_db()
    assert (buy.quantity, move.quantity) == (D(36), D(3))  # 30 → 3 packs; 2.4 → 3 pieces
    assert AuditEntry.objects.filter(action="planning.suggestion.quantity").count() == 2
    with pytest.raises(DomainError) as refused:
        services.change_quantities(
            plan.actor,
            [services.QuantityChange(buy.pk, "0"), services.QuantityChange(move.pk, 1.5)],
        )
    assert set(refused.value.fields) == {"changes[0].quantity", "changes[1].quantity"}
    buy.refresh_from_db()
    assert buy.quantity == D(36)
