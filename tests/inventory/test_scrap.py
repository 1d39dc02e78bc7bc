"""Scrap through the approvals engine, and damaged stock that is never available."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from crossdock.approvals import policies
from crossdock.approvals import services as approvals
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.core.checks import run_checks
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.inventory import selectors, services
from crossdock.inventory.models import Quant, StockMove, Transfer, ValuationLayer
from crossdock.inventory.services import ScrapDraft, ScrapLine, damage_stock, scrap_stock
from crossdock.inventory.services.adjustments import STOCK_ADJUSTMENT
from crossdock.masterdata.models import Location
from tests import factories
from tests.inventory.conftest import SYSTEM

D = Decimal


def quantity(product, location):
    found = Quant.objects.filter(product=product, location=location).aggregate(q=Sum("quantity"))
    return found["q"] or D(0)


def scrap(site, product, amount, actor=SYSTEM, location=None, lot_id=None):
    return scrap_stock(
        actor,
        ScrapDraft(
            site.warehouse.pk,
            [ScrapLine(product.pk, (location or site.stock).pk, D(amount), lot_id)],
            "Water damage",
        ),
    )


def test_small_scrap_is_done_at_once_and_valued_out(site):
    """FIFO 10 @ 3.00; scrap 4 → 12.00 out of stock value, 6 left worth 18.00."""
    product = factories.product(costing_method="fifo")
    site.receive(product, "10", cost="3.00")
    transfer = scrap(site, product, "4")
    transfer.refresh_from_db()
    scrap_place = Location.objects.get(company=site.company, kind="scrap")
    assert (transfer.kind, transfer.state, transfer.origin) == ("scrap", "done", "Water damage")
    assert transfer.destination_id == scrap_place.pk
    assert quantity(product, site.stock) == 6
    layer = ValuationLayer.objects.get(move__transfer=transfer)
    assert (layer.quantity, layer.value) == (D(-4), D("-12.0000"))
    assert ValuationLayer.objects.filter(product=product).aggregate(v=Sum("value"))["v"] == D(
        "18.0000"
    )
    assert run_checks()[1] == []


def test_large_scrap_waits_for_the_warehouse_manager(site, company_a):
    operator = factories.user(Role.WAREHOUSE_OPERATOR, companies=[company_a], username="op")
    manager = factories.user(Role.WAREHOUSE_MANAGER, companies=[company_a], username="wm")
    policy = policies.save_policy(
        SYSTEM,
        PolicyDraft(
            company_a.pk,
            STOCK_ADJUSTMENT,
            "Write-offs above 100",
            {"field": "amount", "op": ">", "value": "100"},
            [LevelDraft(name="Warehouse manager", rule="role", role="warehouse-manager")],
        ),
    )
    policies.set_policy_status(SYSTEM, policy.pk, "active")
    product = factories.product(standard_cost=D("30"))
    site.receive(product, "10")
    transfer = scrap(site, product, "5", actor=Actor.of(operator))  # 150.00 > 100
    assert Transfer.objects.get(pk=transfer.pk).state == "approval"
    assert quantity(product, site.stock) == 10
    request = approvals.request_for(STOCK_ADJUSTMENT, transfer.pk)
    approvals.decide(Actor.of(manager), request.pk, approve=True, comment="Seen the pallet")
    assert Transfer.objects.get(pk=transfer.pk).state == "done"
    assert quantity(product, site.stock) == 5


def test_scrapping_from_a_location_with_no_stock_writes_nothing(site):
    product = factories.product()
    site.receive(product, "2", cost="1.00")
    lot_product = factories.product(tracking="lot")
    before = (Transfer.objects.count(), StockMove.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as refused:
        scrap(site, product, "1", location=site.qc)
    assert refused.value.fields == {
        "lines[0].quantity": [f"Only 0 of {product.sku} free in {site.qc.path}."]
    }
    with pytest.raises(DomainError, match="Only 2"):
        scrap(site, product, "3")
    with pytest.raises(DomainError) as no_reason:
        scrap_stock(
            SYSTEM, ScrapDraft(site.warehouse.pk, [ScrapLine(product.pk, site.stock.pk, D(1))], "")
        )
    assert "reason" in no_reason.value.fields
    with pytest.raises(DomainError) as no_lot:
        scrap(site, lot_product, "1")
    assert "lines[0].lot" in no_lot.value.fields
    assert (Transfer.objects.count(), StockMove.objects.count(), AuditEntry.objects.count()) == (
        before
    )


def test_damaged_stock_stays_on_hand_but_is_never_available(site):
    product = factories.product()
    site.receive(product, "10", cost="1.00")
    damaged = Location.objects.get(warehouse=site.warehouse, kind="damaged")
    transfer = damage_stock(
        SYSTEM,
        ScrapDraft(site.warehouse.pk, [ScrapLine(product.pk, site.stock.pk, D(3))], "Forklift"),
    )
    assert (transfer.state, transfer.destination_id) == ("done", damaged.pk)
    assert quantity(product, damaged) == 3
    assert not ValuationLayer.objects.filter(move__transfer=transfer).exists()
    atp = selectors.availability([product.pk])[(product.pk, site.warehouse.code)]
    assert (atp.on_hand, atp.available_now) == (D(7), D(7))
    delivery = site.deliver(product, "10")
    services.reserve_moves(SYSTEM, delivery.moves.values_list("pk", flat=True))
    assert Quant.objects.get(product=product, location=damaged).reserved == 0
    # damaged stock can then be scrapped from the damaged location
    scrap(site, product, "3", location=damaged)
    assert quantity(product, damaged) == 0
    assert run_checks()[1] == []
