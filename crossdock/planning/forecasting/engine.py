"""Forecast a batch of demand series, choosing each series' model by backtest.

1. Daily demand is summed into buckets aligned to the end of the history.
2. Each series gets its candidate models from its demand pattern: Croston SBA,
   TSB and ADIDA for intermittent and lumpy series; SES and damped Holt (and
   seasonal exponential smoothing where two full seasons fit in the training
   window) for smooth and erratic series. A series with no demand gets the
   model "zero". When `models` is given, a series keeps its earlier model and
   skips the choice (unless that model no longer applies: "zero" for a series
   that now has demand, or a seasonal model without two seasons).
3. Backtest: every candidate is fitted on the history without its last
   `holdout` buckets and forecasts them; the candidate with the lowest mean
   absolute error (equivalently the lowest MASE, the scale being the series')
   wins; ties go to the simpler model listed first. Series sharing a candidate
   set are fitted together, in chunks of rows spread over `n_jobs` worker
   processes. Each chunk calls the statsforecast models' own `forecast` on
   each row's array: the same arithmetic as `StatsForecast.forecast` without
   building and parsing a long data frame for 150,000 series.
4. The chosen model is refitted on the whole history to forecast `horizon`
   buckets. Its backtest errors give the spread (RMSE), the MASE (MAE over the
   in-sample MAE of the one-bucket naive forecast) and the bias. The bias is judged
   only where at least :data:`MIN_BIAS_BUCKETS` holdout buckets have demand (else nan).

Nothing here touches Django or the database, so a worker process can run it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from crossdock.planning.forecasting.models import (
    INTERMITTENT,
    MODELS,
    SEASONAL,
    SMOOTH,
    ZERO,
    fit_group,
    season_length,
    warm_up,
)
from crossdock.planning.forecasting.patterns import (
    PATTERNS,
    check_bucket_days,
    check_daily,
    pattern_of_buckets,
    to_buckets,
)
from crossdock.planning.forecasting.result import ForecastResult


def _whole(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name}: expected a whole number of at least {minimum}, got {value!r}")
    return int(value)


def _labels(name: str, values: object, n_series: int) -> np.ndarray:
    array = np.asarray(values, dtype=object)
    if array.shape != (n_series,):
        raise ValueError(f"{name}: expected one entry per series ({n_series}), got {array.shape}")
    return array


def _check_ids(ids: object, n_series: int) -> np.ndarray:
    array = np.asarray(ids)
    if array.shape != (n_series,):
        raise ValueError(f"ids: expected one id per series ({n_series}), got shape {array.shape}")
    if np.unique(array).size != n_series:
        raise ValueError("ids: series ids must be unique")
    return array


def _check_patterns(patterns: object, n_series: int) -> np.ndarray:
    array = _labels("patterns", patterns, n_series)
    unknown = ~np.isin(array, PATTERNS)
    if unknown.any():
        raise ValueError(
            f"patterns: {array[unknown][0]!r} is not one of {', '.join(PATTERNS)} "
            f"(row {int(np.argmax(unknown))})"
        )
    return array


def _check_models(models: object, n_series: int) -> np.ndarray:
    array = _labels("models", models, n_series)
    array = np.array(["" if name is None else name for name in array], dtype=object)
    unknown = ~np.isin(array, (*MODELS, ""))
    if unknown.any():
        raise ValueError(
            f"models: {array[unknown][0]!r} is not one of {', '.join(MODELS)} "
            f"(row {int(np.argmax(unknown))})"
        )
    return array


def _candidates(
    pattern: np.ndarray, has_demand: np.ndarray, earlier: np.ndarray | None, seasonal: bool
) -> np.ndarray:
    """The candidate set of each series as a '|'-joined string of model names."""
    sparse = np.isin(pattern, ("intermittent", "lumpy"))
    smooth_set = (*SMOOTH, SEASONAL) if seasonal else SMOOTH
    sets = np.where(sparse, "|".join(INTERMITTENT), "|".join(smooth_set)).astype(object)
    if earlier is not None:
        usable = (earlier != "") & (earlier != ZERO) & (seasonal | (earlier != SEASONAL))
        sets[usable] = earlier[usable]
    sets[~has_demand] = ZERO
    return sets


CHUNK_ROWS = 4000


def _processes(n_jobs: int, n_series: int) -> int:
    """Worker processes: one for small batches; a daemon process (a pool worker) may
    not start children, so it works alone too."""
    if n_series < CHUNK_ROWS or multiprocessing.current_process().daemon:
        return 1
    return n_jobs


def _fit_groups(
    buckets: np.ndarray, sets: np.ndarray, holdout: int, horizon: int, season: int, n_jobs: int
) -> Iterator[tuple[np.ndarray, list[str], tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """Fit each candidate set's rows in chunks, in `n_jobs` processes when worth it."""
    tasks = []
    for candidate_set in np.unique(sets):
        if candidate_set == ZERO:
            continue
        rows = np.flatnonzero(sets == candidate_set)
        names = str(candidate_set).split("|")
        for start in range(0, rows.size, CHUNK_ROWS):
            tasks.append((rows[start : start + CHUNK_ROWS], names))
    processes = _processes(n_jobs, sum(rows.size for rows, _ in tasks))
    if processes == 1:
        for rows, names in tasks:
            yield rows, names, fit_group(buckets[rows], names, holdout, horizon, season)
        return
    warm_up(season)
    with ProcessPoolExecutor(max_workers=processes) as pool:
        futures = [
            pool.submit(fit_group, buckets[rows], names, holdout, horizon, season)
            for rows, names in tasks
        ]
        for (rows, names), future in zip(tasks, futures, strict=True):
            yield rows, names, future.result()


def forecast_demand(
    daily: np.ndarray,
    ids: np.ndarray,
    *,
    patterns: np.ndarray | None = None,
    bucket_days: int = 7,
    horizon: int = 26,
    holdout: int = 8,
    models: np.ndarray | None = None,
    n_jobs: int = 2,
) -> ForecastResult:
    """Forecast every series of `daily` (series × days, oldest first); see the module doc."""
    array = check_daily(daily)
    n_series, n_days = array.shape
    series_ids = _check_ids(ids, n_series)
    check_bucket_days(bucket_days, n_days)
    horizon = _whole("horizon", horizon, 1)
    holdout = _whole("holdout", holdout, 1)
    n_jobs = _whole("n_jobs", n_jobs, 1)
    pattern = None if patterns is None else _check_patterns(patterns, n_series)
    earlier = None if models is None else _check_models(models, n_series)

    buckets = to_buckets(array, bucket_days)
    n_buckets = buckets.shape[1]
    if n_buckets < holdout + 2:
        raise ValueError(
            f"daily: {n_days} days make {n_buckets} buckets of {bucket_days} days; the "
            f"backtest needs at least holdout + 2 = {holdout + 2}"
        )
    if pattern is None:
        pattern = pattern_of_buckets(buckets)[0]
    season = season_length(bucket_days)
    has_demand = buckets.sum(axis=1) > 0
    sets = _candidates(pattern, has_demand, earlier, n_buckets - holdout >= 2 * season)

    chosen = np.full(n_series, ZERO, dtype=object)
    backtest = np.zeros((n_series, holdout))
    mean = np.zeros((n_series, horizon))
    for rows, names, (best, group_backtest, group_mean) in _fit_groups(
        buckets, sets, holdout, horizon, season, n_jobs
    ):
        chosen[rows] = np.asarray(names, dtype=object)[best]
        backtest[rows] = group_backtest
        mean[rows] = group_mean

    train, actual = buckets[:, :-holdout], buckets[:, -holdout:]
    sd, mase, bias = _accuracy(train, actual, backtest)
    return ForecastResult(
        ids=series_ids,
        model=chosen,
        bucket_days=bucket_days,
        mean=mean,
        sd=sd,
        mase=mase,
        bias=bias,
        pattern=pattern,
    )


#: Holdout buckets with demand needed before the bias is judged. With one to three orders
#: in the holdout the bias is the noise of when those orders fell (a sparse series forecast
#: at 0.3 a week that sold 2 in eight weeks reads "+20 %", one that sold 1 reads "+140 %"),
#: not a forecast that runs high or low; four is the fewest that give a level to compare.
MIN_BIAS_BUCKETS = 4


def _accuracy(
    train: np.ndarray, actual: np.ndarray, backtest: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RMSE, MASE and bias of the backtest forecasts against the holdout."""
    error = backtest - actual
    sd = np.sqrt((error**2).mean(axis=1))
    if train.shape[1] > 1:
        scale = np.abs(np.diff(train, axis=1)).mean(axis=1)
    else:
        scale = np.zeros(train.shape[0])
    total = actual.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mase = np.where(scale > 0, np.abs(error).mean(axis=1) / scale, np.nan)
        judged = (total > 0) & ((actual > 0).sum(axis=1) >= MIN_BIAS_BUCKETS)
        bias = np.where(judged, (backtest.sum(axis=1) - total) / total, np.nan)
    return sd, mase, bias
