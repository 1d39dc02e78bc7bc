"""The candidate models and how a batch of series is fitted with them.

Intermittent models come from statsforecast: Croston SBA (Syntetos–Boylan
approximation), TSB (Teunter–Syntetos–Babai, smoothing 0.1 for both demand
size and probability) and ADIDA (temporal aggregation). Smooth and erratic
series use statsforecast's optimised simple exponential smoothing and, where
two full seasons of training data exist, its optimised seasonal exponential
smoothing.

statsforecast's Holt is an ETS fit costing about 9 ms per series — 20 minutes
for the seed network — so the trend model here is a damped Holt computed for
all series at once in numpy: a small grid of (α, β, φ) is run through the
recursion and each series keeps the parameters with the lowest in-sample
one-step squared error.

Every model is deterministic: the same history gives the same forecast, which
is what lets a later run reuse the model chosen earlier.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

INTERMITTENT = ("CrostonSBA", "TSB", "ADIDA")
SMOOTH = ("SES", "Holt")
SEASONAL = "SeasonalES"
ZERO = "zero"
MODELS = (*INTERMITTENT, *SMOOTH, SEASONAL, ZERO)

HOLT_ALPHA = (0.1, 0.2, 0.4)
HOLT_BETA = (0.02, 0.1)
HOLT_PHI = (0.9, 0.98)
_warmed: set[int] = set()


def season_length(bucket_days: int) -> int:
    """Buckets in a year (52 weekly buckets)."""
    return max(1, round(364 / bucket_days))


def _statsforecast_model(name: str, season: int) -> object:
    from statsforecast.models import (
        ADIDA,
        TSB,
        CrostonSBA,
        SeasonalExponentialSmoothingOptimized,
        SimpleExponentialSmoothingOptimized,
    )

    if name == "CrostonSBA":
        return CrostonSBA(alias=name)
    if name == "TSB":
        return TSB(alpha_d=0.1, alpha_p=0.1, alias=name)
    if name == "ADIDA":
        return ADIDA(alias=name)
    if name == "SES":
        return SimpleExponentialSmoothingOptimized(alias=name)
    if name == SEASONAL:
        return SeasonalExponentialSmoothingOptimized(season_length=season, alias=name)
    raise ValueError(f"models: unknown model {name!r}")


def run_holt(values: np.ndarray, horizon: int) -> np.ndarray:
    """Damped Holt forecasts, parameters picked per series from the grid by in-sample SSE."""
    n_series, length = values.shape
    grid = np.array(
        [(a, b, p) for a in HOLT_ALPHA for b in HOLT_BETA for p in HOLT_PHI], dtype=np.float64
    )
    alpha, beta, phi = grid[:, 0], grid[:, 1], grid[:, 2]
    warm = min(4, length // 2)
    level = np.repeat(values[:, :1], len(grid), axis=1)
    if warm > 0:
        slope = (values[:, warm : 2 * warm].mean(axis=1) - values[:, :warm].mean(axis=1)) / warm
    else:
        slope = np.zeros(n_series)
    trend = np.repeat(slope[:, None], len(grid), axis=1)
    sse = np.zeros((n_series, len(grid)))
    for t in range(1, length):
        predicted = level + phi * trend
        actual = values[:, t : t + 1]
        sse += (actual - predicted) ** 2
        new_level = alpha * actual + (1 - alpha) * predicted
        trend = beta * (new_level - level) + (1 - beta) * phi * trend
        level = new_level
    best = np.argmin(sse, axis=1)
    rows = np.arange(n_series)
    level, trend, phi_best = level[rows, best], trend[rows, best], phi[best]
    damping = np.cumsum(phi_best[:, None] ** np.arange(1, horizon + 1)[None, :], axis=1)
    return np.clip(level[:, None] + damping * trend[:, None], 0.0, None)


def warm_up(season: int) -> None:
    """Run each library model once on a tiny series. The first call of a model in a
    process pays seconds of one-off set-up; paid here, before worker processes fork,
    the workers inherit it instead of each paying it again."""
    if season in _warmed:
        return
    series = np.tile([0.0, 2.0, 0.0, 0.0, 5.0, 1.0], 2 * season // 6 + 2)
    for name in (*INTERMITTENT, "SES", SEASONAL):
        run_model(name, series[None, :], 2, season)
    _warmed.add(season)


def run_model(name: str, values: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Forecasts of every row of `values` by one model, clipped at zero."""
    if name == ZERO:
        return np.zeros((values.shape[0], horizon))
    if name == "Holt":
        return run_holt(values, horizon)
    model = _statsforecast_model(name, season)
    out = np.empty((values.shape[0], horizon))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row, series in enumerate(values):
            out[row] = model.forecast(y=series, h=horizon)["mean"]  # type: ignore[attr-defined]
    return np.clip(np.nan_to_num(out, nan=0.0), 0.0, None)


def fit_group(
    buckets: np.ndarray, names: Sequence[str], holdout: int, horizon: int, season: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backtest the candidates on rows sharing one candidate set, refit the winner.

    Returns the index of the chosen candidate per row, its forecast of the last
    `holdout` buckets from the history before them, and its forecast of the
    next `horizon` buckets from the whole history.
    """
    train, actual = buckets[:, :-holdout], buckets[:, -holdout:]
    backtests = np.stack([run_model(name, train, holdout, season) for name in names])
    error = np.abs(backtests - actual[None, :, :]).mean(axis=2)
    best = np.argmin(error, axis=0)  # the first (simplest) candidate wins ties
    rows = np.arange(buckets.shape[0])
    mean = np.zeros((buckets.shape[0], horizon))
    for index, name in enumerate(names):
        chosen = best == index
        if chosen.any():
            mean[chosen] = run_model(name, buckets[chosen], horizon, season)
    return best, backtests[best, rows], mean
