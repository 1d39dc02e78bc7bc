"""Benchmark: demand forecasting for replenishment at seed scale.

Usage: ``.venv/bin/python bench/planning_forecast.py [--series 150000] [--days 730]
[--runs 3] [--jobs 2]``

Generates a synthetic two-year daily demand matrix shaped like the seed
network (25,000 SKUs × 6 warehouses): about 60 % sparse SKUs (intermittent and
lumpy: a few orders a month or a quarter, of irregular size), fast movers
(Poisson demand every day), seasonal and trending movers, and 5 % series with
no demand at all. Then, ``--runs`` times:

1. ``classify_pattern`` (ADI / CV² on weekly buckets);
2. ``forecast_demand`` choosing each series' model by backtest;
3. ``forecast_demand`` reusing the models chosen in 2.

Prints one JSON object with the medians, the pattern and model mix, the median
MASE per pattern, and the peak resident memory of this process and of its
worker processes, and the CPU seconds each forecast used (this process and its
workers: on a shared machine the wall times depend on the load, the CPU
seconds much less). Targets: the forecast with model choice within 20 s (the
whole replenishment run must fit in 30 s), the reuse run within 5 s, memory
under 4 GB. Exits 1 if a median misses its target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crossdock.planning.forecasting import classify_pattern, forecast_demand  # noqa: E402

TARGET_SELECT_S = 20.0
TARGET_REUSE_S = 5.0
TARGET_MEMORY_MB = 4096.0


def synthetic_demand(n_series: int, n_days: int, seed: int = 7) -> np.ndarray:
    """Daily demand: sparse, fast, seasonal, trending and dead series in seed proportions."""
    rng = np.random.default_rng(seed)
    daily = np.zeros((n_series, n_days))
    kind = rng.choice(5, size=n_series, p=[0.60, 0.15, 0.10, 0.10, 0.05])
    days = np.arange(n_days)
    chunk = 10_000
    for start in range(0, n_series, chunk):
        rows = slice(start, min(start + chunk, n_series))
        k = kind[rows]
        size = k.size
        # sparse: an order on a day with probability 0.3 %-10 %, 1-30 units, geometric
        chance = rng.uniform(0.003, 0.1, size)[:, None]
        order_mean = rng.uniform(1, 30, size)[:, None]
        ordered = rng.random((size, n_days)) < chance
        sparse = ordered * rng.geometric(1 / order_mean, (size, n_days))
        # fast movers: 2-60 a day; seasonal: yearly swing of 30-90 %; trending: ±0.1 %/day
        base = rng.uniform(2, 60, size)[:, None]
        swing = rng.uniform(0.3, 0.9, size)[:, None]
        phase = rng.uniform(0, 2 * np.pi, size)[:, None]
        seasonal = base * (1 + swing * np.sin(2 * np.pi * days / 365.25 + phase))
        slope = rng.uniform(-0.001, 0.001, size)[:, None]
        trending = base * np.clip(1 + slope * (days - n_days / 2), 0.05, None)
        rate = np.where((k == 2)[:, None], seasonal, np.where((k == 3)[:, None], trending, base))
        moving = rng.poisson(rate).astype(np.float64)
        daily[rows] = np.where((k == 0)[:, None], sparse, np.where((k == 4)[:, None], 0, moving))
    return daily


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def peak_memory_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return round(own, 1), round(workers, 1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=150_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    started = time.perf_counter()
    daily = synthetic_demand(args.series, args.days)
    ids = np.arange(args.series)
    generate = time.perf_counter() - started

    classify, select, reuse = [], [], []
    select_cpu, reuse_cpu = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        pattern, _, _ = classify_pattern(daily)
        classify.append(time.perf_counter() - started)
        started, cpu = time.perf_counter(), cpu_seconds()
        chosen = forecast_demand(daily, ids, patterns=pattern, n_jobs=args.jobs)
        select.append(time.perf_counter() - started)
        select_cpu.append(cpu_seconds() - cpu)
        started, cpu = time.perf_counter(), cpu_seconds()
        again = forecast_demand(daily, ids, patterns=pattern, models=chosen.model, n_jobs=args.jobs)
        reuse.append(time.perf_counter() - started)
        reuse_cpu.append(cpu_seconds() - cpu)
        if not np.array_equal(again.mean, chosen.mean):
            raise SystemExit("reusing the chosen models changed the forecasts")

    select_s = statistics.median(classify) + statistics.median(select)
    reuse_s = statistics.median(reuse)
    own_mb, workers_mb = peak_memory_mb()
    patterns, pattern_counts = np.unique(pattern, return_counts=True)
    models, model_counts = np.unique(chosen.model, return_counts=True)
    result = {
        "series": args.series,
        "days": args.days,
        "runs": args.runs,
        "jobs": args.jobs,
        "generate_s": round(generate, 2),
        "classify_s_median": round(statistics.median(classify), 2),
        "forecast_select_s_median": round(statistics.median(select), 2),
        "forecast_reuse_s_median": round(reuse_s, 2),
        "classify_plus_select_s": round(select_s, 2),
        "forecast_select_cpu_s_median": round(statistics.median(select_cpu), 2),
        "forecast_reuse_cpu_s_median": round(statistics.median(reuse_cpu), 2),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "target_select_s": TARGET_SELECT_S,
        "target_reuse_s": TARGET_REUSE_S,
        "peak_rss_mb": own_mb,
        "peak_rss_worker_mb": workers_mb,
        "target_memory_mb": TARGET_MEMORY_MB,
        "patterns": dict(zip(patterns.tolist(), pattern_counts.tolist(), strict=True)),
        "models": dict(zip(models.tolist(), model_counts.tolist(), strict=True)),
        "median_mase": {
            name: round(float(np.nanmedian(chosen.mase[pattern == name])), 3)
            for name in patterns.tolist()
        },
    }
    result["ok"] = (
        select_s <= TARGET_SELECT_S
        and reuse_s <= TARGET_REUSE_S
        and own_mb + workers_mb <= TARGET_MEMORY_MB
    )
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
