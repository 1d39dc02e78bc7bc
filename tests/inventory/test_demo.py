"""The inventory demo at small scale: stock through the services, open work, books that balance."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.db.models import Sum

from crossdock.core.checks import run_checks
from crossdock.inventory import selectors
from crossdock.inventory.demo import load_inventory_demo
from crossdock.inventory.models import Lot, Quant, Transfer, ValuationLayer
from crossdock.masterdata.demo import load_demo
from crossdock.masterdata.models import Company, LocationKind, Product, Tracking, Warehouse


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from django.db import transaction

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            from crossdock.masterdata.reference import ensure_reference_data

            ensure_reference_data()
            load_demo("small")
            yield load_inventory_demo("small")
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _reference_data():
    """Overrides the suite-wide fixture: the module fixture loaded it."""


def test_demo_stock_covers_most_skus_in_every_warehouse(demo, db):
    active = Product.objects.filter(status="active").count()
    venlo = Warehouse.objects.get(code="VENLO")
    stocked = (
        Quant.objects.filter(location__warehouse=venlo, quantity__gt=0)
        .values("product")
        .distinct()
        .count()
    )
    assert stocked >= active * 0.8
    for warehouse in Warehouse.objects.all():
        assert Quant.objects.filter(location__warehouse=warehouse, quantity__gt=0).exists()


def test_perishables_arrive_in_lots_with_expiry_and_serials_one_by_one(demo, db):
    perishable = Lot.objects.filter(product__shelf_life_days__isnull=False)
    assert perishable.exists()
    assert not perishable.filter(expires_on__isnull=True).exists()
    assert perishable.filter(expires_on__gt=datetime.date.today()).count() == perishable.count()
    serials = Quant.objects.filter(
        product__tracking=Tracking.SERIAL, location__kind=LocationKind.RESERVE, quantity__gt=0
    )
    assert serials.exists()
    assert not serials.filter(quantity__gt=1).exists()


def test_open_work_for_the_warehouse(demo, db):
    kinds = Counter(Transfer.objects.values_list("kind", "state"))
    assert kinds[("receipt", "confirmed")] >= 3
    assert kinds[("delivery", "assigned")] + kinds[("delivery", "partial")] >= 3
    assert kinds[("delivery", "done")] >= 1
    assert kinds[("transit_out", "done")] == 1
    assert kinds[("transit_in", "confirmed")] == 1
    future = Transfer.objects.filter(kind="receipt", state="confirmed").values_list(
        "scheduled_at", flat=True
    )
    assert all(moment.date() > datetime.date.today() for moment in future)
    in_transit = Quant.objects.filter(location__kind=LocationKind.TRANSIT, quantity__gt=0)
    assert in_transit.exists()
    arriving = Transfer.objects.get(kind="transit_in")
    product_id = arriving.moves.first().product_id
    atp = selectors.availability([product_id], warehouse_ids=[arriving.warehouse_id])
    ((_, item),) = atp.items()
    assert sum(item.incoming.values()) > 0


def test_stock_value_and_quants_agree_with_the_moves(demo, db):
    _names, findings = run_checks()
    assert findings == []
    for company in Company.objects.filter(code__in=["NSE", "NSUK"]):
        value = ValuationLayer.objects.filter(company=company).aggregate(v=Sum("value"))["v"]
        assert value > 0


def test_venlo_receives_and_ships_in_two_steps_with_putaway_a_return_and_a_scrap(demo, db):
    from crossdock.inventory.models import PutawayRule

    venlo = Warehouse.objects.get(code="VENLO")
    assert (venlo.receipt_steps, venlo.delivery_steps) == (2, 2)
    assert demo["putaway_rules"] == PutawayRule.objects.filter(warehouse=venlo).count() >= 2
    put_away = Transfer.objects.get(warehouse=venlo, kind="internal", previous_step__isnull=False)
    assert (put_away.state, put_away.source.kind) == ("assigned", "input")
    returned = Transfer.objects.get(warehouse=venlo, kind="return")
    assert (returned.state, returned.destination.kind) == ("done", "quality_hold")
    assert returned.returned_from.kind == "delivery"
    assert Transfer.objects.get(warehouse=venlo, kind="scrap").state == "done"
    assert (demo["returns"], demo["scraps"], demo["multi_step_receipts"]) == (1, 1, 1)


def test_the_demo_stock_is_posted_to_the_general_ledger(demo):
    """Accounting subscribes to the valuation: every company's stock accounts equal its layers."""
    from crossdock.accounting.selectors import stock_reconciliation

    companies = set(ValuationLayer.objects.values_list("company_id", flat=True))
    assert companies
    for company_id in companies:
        rows = stock_reconciliation(company_id)
        assert sum((r.ledger for r in rows), 0) == sum((r.layers for r in rows), 0) != 0
        assert [r for r in rows if r.difference] == []
