"""Benchmark: the policy simulator at seed scale (150,000 SKU-locations × 365 days).

Usage: ``.venv/bin/python bench/planning_simulator.py [--runs 3] [--series 150000] [--days 365]``

Pure NumPy, no database. Builds a synthetic year of daily demand with the seed mix
(fast smooth movers, seasonal, trending and intermittent series), then replays it
``--runs`` times under two policies:

- ``current_min_max`` — a manual rule of thumb: min = 14 days of demand, max = min +
  30 days, in packs of 1, 6 or 12, blind to lead times;
- ``forecast_s_S`` — (s, S) levels from the policy maths: 95 % cycle service level
  with lead-time variability (σL = 20 % of L), order quantity 30 days of demand,
  same packs. The daily mean and spread stand in for the forecast (taken from the
  replayed year itself, so this measures speed, not forecast quality).

Also times computing the (s, S) levels for all series. Prints one JSON object with
the medians, the side-by-side comparison and the peak RSS of the process; exits 1 if
a median misses its target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from crossdock.planning import policy  # noqa: E402
from crossdock.planning.simulator import PolicySpec, compare, simulate  # noqa: E402

TARGETS = {
    "simulate_current_min_max_s": 5.0,
    "simulate_forecast_s_S_s": 5.0,
    "policy_levels_s": 1.0,
    "peak_rss_mb": 4096.0,
}


def synthetic_demand(series: int, days: int, rng: np.random.Generator) -> np.ndarray:
    """(days, series) daily demand: 40 % smooth, 20 % seasonal, 10 % trending, 30 % intermittent."""
    kind = rng.choice(4, size=series, p=[0.4, 0.2, 0.1, 0.3])
    base = np.where(kind == 3, 0.0, rng.lognormal(1.5, 1.0, series))
    amplitude = np.where(kind == 1, rng.uniform(0.3, 0.8, series), 0.0)
    phase = rng.uniform(0, 2 * np.pi, series)
    trend = np.where(kind == 2, rng.uniform(-0.5, 1.0, series), 0.0)
    occurrence = np.where(kind == 3, rng.uniform(0.03, 0.3, series), 1.0)
    size = rng.uniform(1, 8, series)
    demand = np.empty((days, series))
    for first in range(0, days, 30):  # a month at a time keeps the temporaries small
        day = np.arange(first, min(first + 30, days))[:, np.newaxis]
        season = 1 + amplitude * np.sin(2 * np.pi * day / 365 + phase)
        rate = base * season * (1 + trend * day / days)
        smooth = rng.poisson(np.maximum(rate, 0))
        lumps = (rng.random(smooth.shape) < occurrence) * rng.geometric(1 / size, smooth.shape)
        demand[first : first + 30] = np.where(kind == 3, lumps, smooth)
    return demand


WALL: dict[str, list[float]] = {}
CPU: dict[str, list[float]] = {}


def timed(key, function, *args, **kwargs):
    """Run once, noting wall-clock and CPU seconds under ``key`` (the machine is shared:
    CPU seconds show the work itself when other processes compete for the cores)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    WALL.setdefault(key, []).append(time.perf_counter() - started)
    CPU.setdefault(key, []).append(time.process_time() - cpu)
    return result


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def forecast_levels(mean, spread, lead, pack):
    safety = policy.safety_stock_cycle(0.95, mean, spread, lead, 0.2 * lead)
    s = policy.reorder_point(mean, lead, safety)
    big_s = policy.order_up_to(mean, lead, safety, order_quantity=np.maximum(mean * 30, pack))
    return s, big_s


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--series", type=int, default=150_000)
    parser.add_argument("--days", type=int, default=365)
    options = parser.parse_args()

    rng = np.random.default_rng(20261206)
    n = options.series
    demand = timed("build_demand_s", synthetic_demand, n, options.days, rng)
    mean = demand.mean(axis=0)
    squares = sum((demand[i : i + 30] ** 2).sum(axis=0) for i in range(0, options.days, 30))
    spread = np.sqrt(np.maximum(squares / options.days - mean**2, 0.0))  # no full-size temporary
    setup_peak_mb = peak_rss_mb()
    lead = rng.integers(2, 45, n)
    pack = rng.choice([1.0, 6.0, 12.0], n)
    moq = np.where(rng.random(n) < 0.3, pack * 4, 0.0)
    unit_cost = np.round(rng.lognormal(2.5, 1.0, n), 2)
    low = np.ceil(mean * 14)
    manual = PolicySpec("min_max", low, low + np.ceil(mean * 30), lead, moq, pack)

    results = {}
    for _ in range(options.runs):
        s, big_s = timed("policy_levels_s", forecast_levels, mean, spread, lead, pack)
        forecast = PolicySpec("s_S", s, big_s, lead, moq, pack)
        results["current min/max"] = timed(
            "simulate_current_min_max_s", simulate, demand, low, unit_cost, manual
        )
        results["forecast (s, S)"] = timed(
            "simulate_forecast_s_S_s", simulate, demand, s, unit_cost, forecast
        )

    medians = {key: round(statistics.median(values), 4) for key, values in WALL.items()}
    cpu_medians = {key: round(statistics.median(values), 4) for key, values in CPU.items()}
    medians["peak_rss_mb"] = peak_rss_mb()
    comparison = [
        {k: str(v) if isinstance(v, Decimal) else v for k, v in row.__dict__.items()}
        for row in compare(results)
    ]
    report = {
        "benchmark": "planning_simulator",
        "series": n,
        "days": options.days,
        "runs": options.runs,
        "demand_array_mb": round(demand.nbytes / 2**20, 1),
        "peak_rss_before_simulating_mb": setup_peak_mb,
        "medians": medians,
        "cpu_medians": cpu_medians,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "targets": TARGETS,
        "met": {key: medians[key] < TARGETS[key] for key in TARGETS},
        "comparison": comparison,
    }
    print(json.dumps(report, indent=2))
    return 0 if all(report["met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
