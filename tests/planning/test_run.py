"""The replenishment run on a small network: exact suggestions, exceptions, all or nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crossdock.core.models import AuditEntry, OutboxEvent
from crossdock.planning.models import (
    DemandDay,
    ForecastOverride,
    PlanningException,
    PlanningItem,
    PlanningSettings,
    ReorderPolicy,
    TransferLane,
)
from crossdock.planning.services.run import run_replenishment
from crossdock.purchasing.services.catalogue import OfferDraft, PriceBreakDraft, save_offer
from tests import factories
from tests.inventory.conftest import SYSTEM, Site

for _module in ("forecasting", "policy", "network", "offers"):
    pytest.importorskip(f"crossdock.planning.{_module}")

D = Decimal
AS_OF = datetime.date(2026, 6, 1)


class Network:
    """A central warehouse and two depots with lanes from it, two suppliers, some history."""

    def __init__(self, company):
        self.company = company
        self.central = factories.warehouse(company, "N-CENTRAL", is_central=True)
        self.north = factories.warehouse(company, "N-NORTH")
        self.south = factories.warehouse(company, "N-SOUTH")
        for depot, days in ((self.north, 2), (self.south, 3)):
            TransferLane.objects.create(
                company=company,
                from_warehouse=self.central,
                to_warehouse=depot,
                lead_time_days=days,
            )
        PlanningSettings.objects.create(company=company, history_days=112, review_period_days=7)
        self.cheap = factories.partner(company, is_customer=False, is_supplier=True, name="Cheap")
        self.dear = factories.partner(company, is_customer=False, is_supplier=True, name="Dear")

    def offer(self, supplier, product, price, lead=7, moq="0", multiple="1"):
        return save_offer(
            SYSTEM,
            OfferDraft(
                company_id=self.company.pk,
                supplier_id=supplier.pk,
                product_id=product.pk,
                currency_id=supplier.currency_id,
                breaks=[PriceBreakDraft(D(0), D(price))],
                minimum_quantity=D(moq),
                order_multiple=D(multiple),
                lead_time_days=lead,
            ),
        )

    def demand(self, product, warehouse, per_day, days=112, **flags):
        DemandDay.objects.bulk_create(
            DemandDay(
                company=self.company,
                product=product,
                warehouse=warehouse,
                day=AS_OF - datetime.timedelta(days=offset),
                quantity=D(per_day),
                shipped=D(per_day),
                **flags,
            )
            for offset in range(1, days + 1)
        )

    def stock(self, warehouse, product, quantity):
        Site(warehouse).receive(product, quantity, "2")


@pytest.fixture
def net(company_a):
    return Network(company_a)


def _suggestions(run):
    return sorted(
        (
            s.action,
            s.product_id,
            s.warehouse_id,
            s.quantity,
            s.source_warehouse_id,
            s.supplier_id,
        )
        for s in run.suggestions.all()
    )


def _open(company):
    return sorted(
        (e.kind, e.product_id, e.warehouse_id)
        for e in PlanningException.objects.filter(company=company, closed_at__isnull=True)
    )


def test_depot_short_is_served_by_transfer_and_central_buys_from_the_cheaper_supplier(net):
    bolts, nuts = factories.product(), factories.product()
    net.demand(bolts, net.north, 10)  # north sells 10 bolts a day and has none
    net.stock(net.central, bolts, "500")  # the central warehouse has plenty
    net.demand(nuts, net.central, 5)  # central sells 5 nuts a day and has none
    net.offer(net.cheap, nuts, "2.00")
    net.offer(net.dear, nuts, "3.00")
    net.offer(net.cheap, bolts, "1.00")

    run = run_replenishment(net.company, as_of=AS_OF)

    assert run.state == "done", run.error
    # north: s = 10 × 2 days = 20, S = 20 + 10 × 7 = 90 (a flat series has no error);
    # central nuts: s = 5 × 7 = 35, S = 35 + 35 = 70, bought from the cheaper supplier.
    assert _suggestions(run) == sorted(
        [
            ("transfer", bolts.pk, net.north.pk, D(90), net.central.pk, None),
            ("buy", nuts.pk, net.central.pk, D(70), None, net.cheap.pk),
        ]
    )
    north = PlanningItem.objects.get(product=bolts, warehouse=net.north)
    assert (north.lead_time_days, north.reorder_point, north.order_up_to, north.safety_stock) == (
        2,
        D(20),
        D(90),
        D(0),
    )
    assert north.needs_action
    buy = run.suggestions.get(action="buy")
    assert (buy.unit_cost, buy.lead_time_days, buy.arrives_on) == (
        D("2.00"),
        7,
        AS_OF + datetime.timedelta(days=7),
    )
    assert "reorder point 35" in buy.reason
    assert "Cheap" in buy.reason
    assert (run.items, run.suggestions_count) == (3, 2)
    assert run.report["forecasts"]["fresh"] == 3
    assert AuditEntry.objects.filter(action="planning.run.finish", object_id=str(run.pk)).exists()
    assert OutboxEvent.objects.filter(name="planning.run.finished").count() == 1


def test_exceptions_are_raised_and_closed_by_a_later_run(net):
    bolts, orphan = factories.product(), factories.product()
    net.demand(bolts, net.north, 10)
    net.stock(net.central, bolts, "500")
    net.demand(orphan, net.central, 4)  # bought centrally, but nobody sells it

    first = run_replenishment(net.company, as_of=AS_OF)

    assert first.state == "done", first.error
    assert _open(net.company) == sorted(
        [
            ("dead_stock", bolts.pk, net.central.pk),
            ("no_history", bolts.pk, net.central.pk),
            ("no_supplier", orphan.pk, net.central.pk),
            ("stockout_risk", bolts.pk, net.north.pk),
        ]
    )  # without a supplier there is no lead time to be at risk within
    assert first.report["exceptions_opened"] == 4
    assert not first.suggestions.filter(product=orphan).exists()

    net.offer(net.cheap, orphan, "1.50")
    second = run_replenishment(net.company, as_of=AS_OF)

    assert second.report["exceptions_closed"] == 1
    assert ("no_supplier", orphan.pk, net.central.pk) not in _open(net.company)
    closed = PlanningException.objects.get(kind="no_supplier")
    assert closed.closed_at is not None
    assert second.suggestions.get(product=orphan).supplier_id == net.cheap.pk
    # the first run's proposals were superseded
    assert set(first.suggestions.values_list("state", flat=True)) == {"superseded"}
    # a still-open exception is the same row, now pointing at the later run
    risk = PlanningException.objects.get(kind="stockout_risk", product=bolts)
    assert risk.run_id == second.pk


def test_bad_policies_and_demand_become_exceptions_not_a_crash(net):
    widget, gadget = factories.product(), factories.product()
    net.demand(widget, net.central, 3)
    DemandDay.objects.filter(product=widget, day=AS_OF - datetime.timedelta(days=5)).update(
        quantity=0, shipped=0
    )
    net.offer(net.cheap, widget, "1")
    ReorderPolicy.objects.create(
        company=net.company, product=gadget, warehouse=net.central, method="manual"
    )

    run = run_replenishment(net.company, as_of=AS_OF)

    assert run.state == "done", run.error
    assert ("negative_demand", widget.pk, net.central.pk) in _open(net.company)
    assert ("invalid_policy", gadget.pk, net.central.pk) in _open(net.company)
    assert not run.suggestions.filter(product=gadget).exists()


def test_manual_policy_orders_up_to_its_maximum(net):
    widget = factories.product()
    net.offer(net.cheap, widget, "1", multiple="1")
    net.stock(net.central, widget, "4")
    ReorderPolicy.objects.create(
        company=net.company,
        product=widget,
        warehouse=net.central,
        method="manual",
        min_quantity=D(5),
        max_quantity=D(40),
    )

    run = run_replenishment(net.company, as_of=AS_OF)

    assert _suggestions(run) == [("buy", widget.pk, net.central.pk, D(36), None, net.cheap.pk)]


def test_an_override_changes_the_levels(net):
    bolts = factories.product()
    net.demand(bolts, net.central, 5)
    net.offer(net.cheap, bolts, "1")
    ForecastOverride.objects.create(
        company=net.company,
        product=bolts,
        warehouse=net.central,
        starts_on=AS_OF,
        ends_on=AS_OF + datetime.timedelta(days=200),
        daily_quantity=D(10),
        reason="New customer from June",
    )

    run = run_replenishment(net.company, as_of=AS_OF)

    item = PlanningItem.objects.get(product=bolts, warehouse=net.central)
    assert (item.reorder_point, item.order_up_to) == (D(70), D(140))
    assert run.suggestions.get().quantity == D(140)


def test_a_failed_write_leaves_everything_as_it_was(net, monkeypatch):
    bolts = factories.product()
    net.demand(bolts, net.central, 5)
    net.offer(net.cheap, bolts, "1")
    first = run_replenishment(net.company, as_of=AS_OF)
    before = list(PlanningItem.objects.values_list("pk", "levels_at"))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("crossdock.planning.services.run.write.write_exceptions", broken)
    failed = run_replenishment(net.company, as_of=AS_OF)

    assert failed.state == "failed"
    assert "disk full" in failed.error
    assert failed.suggestions.count() == 0
    assert set(first.suggestions.values_list("state", flat=True)) == {"proposed"}
    assert list(PlanningItem.objects.values_list("pk", "levels_at")) == before


def test_reuse_uses_the_stored_forecasts_without_fitting(net, monkeypatch):
    bolts = factories.product()
    net.demand(bolts, net.central, 5)
    net.offer(net.cheap, bolts, "1")
    first = run_replenishment(net.company, as_of=AS_OF)
    DemandDay.objects.all().delete()  # a reuse run does not look at the history again

    def no_fitting(*args, **kwargs):
        raise AssertionError("forecast_demand called")

    monkeypatch.setattr("crossdock.planning.forecasting.forecast_demand", no_fitting)
    second = run_replenishment(net.company, as_of=AS_OF, reuse_forecasts=True)

    assert second.state == "done", second.error
    assert second.report["forecasts"] == {
        "fresh": 0,
        "reused": 1,
        "models": first.report["forecasts"]["models"],
    }
    assert _suggestions(second) == _suggestions(first)


def test_a_run_with_nothing_to_plan_is_done_and_empty(net):
    run = run_replenishment(net.company, as_of=timezone.localdate())
    assert (run.state, run.items, run.suggestions_count) == ("done", 0, 0)
