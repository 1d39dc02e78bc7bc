"""The run's one-pass demand reader against the ORM, and reuse runs leaving forecasts alone."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crossdock.core.fields import QUANTITY_SCALE
from crossdock.planning.models import DemandDay, PlanningItem
from crossdock.planning.services.run import run_replenishment
from crossdock.planning.services.run.demand import window_rows, window_summary
from tests import factories
from tests.planning.test_run import AS_OF, Network

D = Decimal
START = AS_OF - datetime.timedelta(days=30)


@pytest.fixture
def net(company_a):
    return Network(company_a)


def _day(net, product, warehouse, offset, quantity, **flags):
    DemandDay.objects.create(
        company=net.company,
        product=product,
        warehouse=warehouse,
        day=AS_OF - datetime.timedelta(days=offset),
        quantity=D(quantity),
        shipped=D(quantity),
        **flags,
    )


@pytest.fixture
def history(net, company_b):
    bolts, nuts = factories.product(), factories.product()
    _day(net, bolts, net.central, 1, "2.5")
    _day(net, bolts, net.central, 3, "4", is_promotion=True)
    _day(net, bolts, net.central, 30, "1")  # the window's first day
    _day(net, bolts, net.central, 31, "9")  # before the window
    _day(net, bolts, net.north, 2, "0")
    _day(net, nuts, net.south, 5, "0", is_outlier=True)
    _day(net, nuts, net.south, 0, "7")  # the as-of day is not in the window
    other = factories.warehouse(company_b, "B-ONLY")
    DemandDay.objects.create(
        company=company_b, product=nuts, warehouse=other, day=AS_OF - datetime.timedelta(days=1),
        quantity=D(3), shipped=D(3),
    )  # fmt: skip
    return bolts, nuts


def test_window_rows_are_the_company_rows_in_the_window(net, history):
    bolts, nuts = history
    scale = 10**QUANTITY_SCALE
    ordinal = AS_OF.toordinal()
    rows = sorted(map(tuple, window_rows(net.company.pk, START, AS_OF).tolist()))
    assert rows == sorted(
        [
            (bolts.pk, net.central.pk, ordinal - 1, int(D("2.5") * scale), 0),
            (bolts.pk, net.central.pk, ordinal - 3, 4 * scale, 1),
            (bolts.pk, net.central.pk, ordinal - 30, 1 * scale, 0),
            (bolts.pk, net.north.pk, ordinal - 2, 0, 0),
            (nuts.pk, net.south.pk, ordinal - 5, 0, 1),
        ]
    )


def test_window_summary_counts_rows_bad_days_last_day_and_flags(net, history):
    bolts, nuts = history
    ordinal = AS_OF.toordinal()
    summary = sorted(map(tuple, window_summary(net.company.pk, START, AS_OF).tolist()))
    assert summary == sorted(
        [
            (bolts.pk, net.central.pk, 3, 0, ordinal - 1, 1),
            (bolts.pk, net.north.pk, 1, 1, -1, 0),
            (nuts.pk, net.south.pk, 1, 1, -1, 1),
        ]
    )


def test_an_empty_window_reads_as_empty_arrays(net):
    assert window_rows(net.company.pk, START, AS_OF).shape == (0, 5)
    assert window_summary(net.company.pk, START, AS_OF).shape == (0, 6)


def test_a_reuse_run_leaves_the_stored_forecast_and_refreshes_the_levels(net):
    bolts = factories.product()
    net.demand(bolts, net.central, 5)
    net.offer(net.cheap, bolts, "1")
    run_replenishment(net.company, as_of=AS_OF)
    columns = ("forecast_model", "forecast", "forecast_sd", "mase", "bias", "forecasted_at")
    before = PlanningItem.objects.values_list(*columns).get()
    levels = PlanningItem.objects.values_list("reorder_point", "order_up_to").get()
    PlanningItem.objects.update(reorder_point=D(0), order_up_to=D(0))

    second = run_replenishment(net.company, as_of=AS_OF, reuse_forecasts=True)

    assert second.state == "done", second.error
    assert PlanningItem.objects.values_list(*columns).get() == before
    assert PlanningItem.objects.values_list("reorder_point", "order_up_to").get() == levels
    assert levels[0] > 0
