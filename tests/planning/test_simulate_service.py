"""The simulation glue: history into arrays, current and forecast-driven policies, the
stored comparison; and its screen."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.models import AuditEntry
from crossdock.core.roles import Role
from crossdock.planning.models import DemandDay, PlanningItem, ReorderPolicy, SimulationRun
from crossdock.planning.services.simulate import CURRENT, FORECAST, run_simulation
from tests import factories

D = Decimal
START = datetime.date(2026, 1, 1)


@pytest.fixture
def planner(company_a):
    return factories.user(Role.PLANNER, companies=[company_a])


@pytest.fixture
def bolts(warehouse_a):
    product = factories.product(sku="SIM-1")
    for day in range(10):
        DemandDay.objects.create(
            company=warehouse_a.company,
            product=product,
            warehouse=warehouse_a,
            day=START + datetime.timedelta(days=day),
            quantity=D(3),
            shipped=D(3),
        )
    PlanningItem.objects.create(
        company=warehouse_a.company,
        product=product,
        warehouse=warehouse_a,
        reorder_point=D(5),
        order_up_to=D(12),
        lead_time_days=1,
        annual_quantity=D(100),
        annual_value=D(200),
    )
    return product


def test_compares_manual_min_max_with_the_forecast_levels(warehouse_a, bolts, planner):
    ReorderPolicy.objects.create(
        company=warehouse_a.company,
        product=bolts,
        warehouse=warehouse_a,
        method="manual",
        min_quantity=D(0),
        max_quantity=D(2),
    )

    run = run_simulation(Actor.of(planner), warehouse_a.pk, "2026-01-01", "2026-01-10")

    rows = {row["name"]: row for row in run.results["rows"]}
    assert run.results["series"] == 1
    assert run.results["days"] == 10
    assert list(rows) == [CURRENT, FORECAST]
    # 30 units demanded; the forecast levels (s 5, S 12, 1 day lead) serve everything
    assert rows[FORECAST]["fill_rate"] == "1.0000"
    assert rows[FORECAST]["stockout_days"] == 0
    # min 0 / max 2: the starting 12 units last 4 days, then each day 2 of the 3 units
    # arrive in time (24 of 30 on time) and 6 days are short
    assert rows[CURRENT]["fill_rate"] == "0.8000"
    assert rows[CURRENT]["stockout_days"] == 6
    assert AuditEntry.objects.filter(action="planning.simulation.create").count() == 1


def test_bad_dates_are_named_and_nothing_is_kept(warehouse_a, bolts, planner):
    with pytest.raises(DomainError) as refused:
        run_simulation(Actor.of(planner), warehouse_a.pk, "2026-02-01", "2026-01-01")
    assert refused.value.fields == {"ends_on": ["Cannot be before the start."]}
    with pytest.raises(DomainError) as garbled:
        run_simulation(Actor.of(planner), "x", "soon", "2026-01-01")
    assert set(garbled.value.fields) == {"warehouse", "starts_on"}
    assert SimulationRun.objects.count() == 0


def test_screen_runs_and_lists_a_simulation(warehouse_a, bolts, planner):
    client = Client()
    client.force_login(planner)

    bad = client.post(
        "/planning/simulations/",
        {"warehouse": warehouse_a.pk, "starts_on": "2026-01-01", "ends_on": "nope"},
    )
    good = client.post(
        "/planning/simulations/",
        {"warehouse": warehouse_a.pk, "starts_on": "2026-01-01", "ends_on": "2026-01-10"},
    )
    page = client.get("/planning/simulations/")

    assert bad.status_code == 422
    assert 'data-field="ends_on"' in bad.content.decode()
    assert good.status_code == 302
    assert SimulationRun.objects.count() == 1
    assert FORECAST in page.content.decode()
    assert "1.0000" in page.content.decode()


def test_sales_rep_cannot_simulate(warehouse_a, bolts, company_a):
    client = Client()
    client.force_login(factories.user(Role.SALES_REP, companies=[company_a]))

    response = client.post(
        "/planning/simulations/",
        {"warehouse": warehouse_a.pk, "starts_on": "2026-01-01", "ends_on": "2026-01-10"},
    )

    assert response.status_code == 403
    assert SimulationRun.objects.count() == 0
