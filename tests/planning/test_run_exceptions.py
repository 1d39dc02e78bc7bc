"""The run's exception rules: stockout risk only when a stockout is at least even odds,
forecast bias only where the holdout has enough demand to judge it."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

import numpy as np
import pytest

from crossdock.planning.models import DemandDay, PlanningException, PlanningItem
from crossdock.planning.services import levels as calc
from crossdock.planning.services.run import run_replenishment
from tests import factories
from tests.planning.test_run import AS_OF, Network, _open

for _module in ("forecasting", "policy", "network", "offers"):
    pytest.importorskip(f"crossdock.planning.{_module}")


@pytest.fixture
def net(company_a):
    return Network(company_a)


def _normal_above(x: float) -> float:
    """P(N > -x) for a standard normal N, i.e. Φ(x)."""
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _poisson_above(k: int, mean: float) -> float:
    """P(D > k) for D ~ Poisson(mean)."""
    return 1 - sum(math.exp(-mean) * mean**j / math.factorial(j) for j in range(k + 1))


def _chance(mean, sd, stock, counted, whole_units=True):
    return calc.stockout_probability(
        np.array([mean]),
        np.array([sd]),
        np.array([stock]),
        np.array([counted]),
        np.array([whole_units]),
    )[0]


def test_a_counted_item_is_at_risk_only_from_even_odds():
    # Poisson: P(D > 0) = 1 - e^-μ is 50 % at μ = ln 2 = 0.693
    assert _chance(0.36, 0.9, 0, True) == pytest.approx(1 - math.exp(-0.36))  # 30.2 %
    assert _chance(0.69, 0.9, 0, True) == pytest.approx(0.498424, abs=1e-6)
    assert _chance(0.70, 0.9, 0, True) == pytest.approx(0.503415, abs=1e-6)
    assert 1 - math.exp(-0.69) < 0.5 < 1 - math.exp(-0.70)
    # with 2 (or 2.5) in stock the third unit is the stockout: P(D > 2)
    assert _chance(2.6, 0, 2, True) == pytest.approx(_poisson_above(2, 2.6))  # 48.2 %
    assert _chance(2.7, 0, 2.5, True) == pytest.approx(_poisson_above(2, 2.7))  # 50.6 %
    assert _poisson_above(2, 2.6) < 0.5 < _poisson_above(2, 2.7)


def test_a_smooth_item_reads_the_safety_stock_normal_with_a_continuity_correction():
    # whole units: 10 in stock runs out at the 11th unit, read at 10.5
    assert _chance(10.6, 2, 10, False) == pytest.approx(_normal_above(0.05))  # 52.0 %
    assert _chance(10.4, 2, 10, False) == pytest.approx(_normal_above(-0.05))  # 48.0 %
    # a product sold in fractions is read at the stock itself
    assert _chance(10.1, 2, 10, False, whole_units=False) == pytest.approx(_normal_above(0.05))
    # no spread: certain demand
    assert (_chance(5, 0, 4.9, False), _chance(5, 0, 5, False)) == (1.0, 0.0)


def test_backorders_are_a_stockout_already():
    assert _chance(0.01, 0, -1, True) == 1.0
    assert _chance(0.01, 3, -0.5, False) == 1.0


def _sparse(net, product, warehouse, every):
    """One unit every ``every`` days over the 112-day window."""
    DemandDay.objects.bulk_create(
        DemandDay(
            company=net.company,
            product=product,
            warehouse=warehouse,
            day=AS_OF - datetime.timedelta(days=offset),
            quantity=Decimal(1),
            shipped=Decimal(1),
        )
        for offset in range(1, 113, every)
    )


def test_a_slow_intermittent_item_without_stock_is_not_flagged(net):
    slow = factories.product()
    _sparse(net, slow, net.central, 28)  # 4 orders of one unit in 16 weeks
    net.offer(net.cheap, slow, "1")

    run = run_replenishment(net.company, as_of=AS_OF)

    assert run.state == "done", run.error
    item = PlanningItem.objects.get(product=slow, warehouse=net.central)
    assert item.forecast_model in ("CrostonSBA", "TSB", "ADIDA")
    assert 0 < item.daily_demand * 7 < Decimal("0.69")  # expected over the lead time, < ln 2
    # the old rule (projected 0 < expected demand) raised a stockout risk; two orders in
    # the holdout are too few to judge a bias
    assert item.bias is None
    assert _open(net.company) == []


def test_a_regular_falling_series_is_flagged_for_bias_and_stockout(net):
    falling = factories.product()
    net.demand(falling, net.central, 5, days=56)  # the last 8 weeks: 35 a week
    DemandDay.objects.bulk_create(
        DemandDay(
            company=net.company,
            product=falling,
            warehouse=net.central,
            day=AS_OF - datetime.timedelta(days=offset),
            quantity=Decimal(10),
            shipped=Decimal(10),
        )
        for offset in range(57, 113)  # the 8 weeks before: 70 a week
    )
    net.offer(net.cheap, falling, "1")

    run = run_replenishment(net.company, as_of=AS_OF)

    assert run.state == "done", run.error
    assert _open(net.company) == [
        ("forecast_bias", falling.pk, net.central.pk),
        ("stockout_risk", falling.pk, net.central.pk),
    ]
    bias = PlanningException.objects.get(kind="forecast_bias")
    # trained on 70 a week, the backtest forecast 8 × 70 = 560 against 280 sold
    assert bias.message == ("The SES forecast over-forecast the backtest by 100.0 % (limit 30 %).")
    # the refit follows the last level (35 a week); the backtest error is 35 a week, so
    # σ over the 7-day lead time is 35: P(D > 0) = Φ((35 − 0.5) / 35) = 84 %
    assert _normal_above(34.5 / 35) == pytest.approx(0.8379, abs=1e-4)
    risk = PlanningException.objects.get(kind="stockout_risk")
    assert risk.message == (
        "Projected stock 0 against 35 expected over the 7-day lead time: a stockout before "
        "new stock arrives has a 84 % chance."
    )
