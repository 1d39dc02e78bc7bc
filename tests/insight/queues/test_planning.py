"""The planning queue: stockout risk, excess and dead stock follow the replenishment runs."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.core.context import Actor
from crossdock.core.roles import Role
from crossdock.insight.queues.services import run_action
from crossdock.inventory.models import Transfer
from crossdock.inventory.services import validate_transfer
from crossdock.planning.services.run import run_replenishment
from tests import factories
from tests.insight.queues.conftest import assert_closed_by_refresh, refresh, the_open_item
from tests.inventory.conftest import SYSTEM, Site

pytest.importorskip("crossdock.planning.forecasting")

D = Decimal


@pytest.fixture
def net(company_a):
    from tests.planning.test_run import Network

    return Network(company_a)


def _run(net):
    from tests.planning.test_run import AS_OF

    run = run_replenishment(net.company, as_of=AS_OF)
    assert run.state == "done", run.error
    return run


def test_stockout_risk_suggests_a_transfer_and_closes_when_a_run_finds_stock(net):
    bolts = factories.product(sku="RISK-1")
    net.demand(bolts, net.north, 10)
    net.stock(net.central, bolts, "500")
    net.offer(net.cheap, bolts, "1.00")
    _run(net)

    refresh("stockout_risk")

    item = the_open_item("stockout_risk")
    assert (item.queue, item.owner_role, item.severity, item.warehouse_id) == (
        "planning",
        "planner",
        3,
        net.north.pk,
    )
    assert item.key == f"{bolts.pk}@{net.north.pk}"
    assert item.document_url == f"/planning/items/{bolts.pk}/{net.north.pk}/"
    assert item.context["order_up_to"] == "90"
    assert item.action == "transfer_stock"
    assert item.action_params["from_warehouse"] == net.central.pk
    assert item.action_params["quantity"] == "90"  # up to the order-up-to level, none here
    # the lane from the central warehouse to north takes 2 days
    arrives = datetime.date.fromisoformat(item.action_params["expected_on"])
    assert (arrives - datetime.date.today()).days == 2

    manager = Actor.of(factories.user(Role.WAREHOUSE_MANAGER, companies=[net.company]))
    run_action(manager, item.pk, {})
    assert Transfer.objects.get(kind="transit_out").warehouse_id == net.central.pk

    Site(net.north).receive(bolts, "200", "1")
    _run(net)
    assert_closed_by_refresh(item)


def test_excess_and_dead_stock_open_and_close_with_the_runs(net):
    slow, idle = factories.product(sku="EXCESS-1"), factories.product(sku="DEAD-1")
    net.demand(slow, net.north, 1)
    net.stock(net.north, slow, "1000")  # 1,000 days of cover
    net.offer(net.cheap, slow, "1.00")
    net.stock(net.south, idle, "40")  # never sold
    _run(net)

    refresh("excess_stock", "dead_stock")

    excess = the_open_item("excess_stock")
    dead = the_open_item("dead_stock")
    assert (excess.key, excess.severity) == (f"{slow.pk}@{net.north.pk}", 1)
    assert "EXCESS-1" in excess.title
    assert excess.context["planner_advice"]
    assert dead.key == f"{idle.pk}@{net.south.pk}"
    assert dead.owner_role == "planner"

    # ship the surplus and the idle stock away; the next run finds neither
    for site, product, quantity in ((Site(net.north), slow, "990"), (Site(net.south), idle, "40")):
        validate_transfer(SYSTEM, site.deliver(product, quantity).pk)
    _run(net)
    assert_closed_by_refresh(excess)
    assert_closed_by_refresh(dead)
