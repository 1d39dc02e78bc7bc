"""The arithmetic of a replenishment run, on arrays of every item at once.

Design overview
---------------
:mod:`crossdock.planning.services.run` loads the inputs; this module turns them into
arrays and levels without touching the database:

- :func:`demand_matrix` builds the (items × days) history from the DemandDay rows in one
  pass (NumPy indexing, no per-row Python). Days flagged as outliers or promotions are
  **replaced by the median of the series' unflagged demand days** (the day keeps its
  demand, at a normal size), so a promotion neither inflates the forecast nor leaves a
  hole that would read as a stockout.
- :func:`apply_overrides` changes forecast buckets for planners' overrides (a daily rate
  or a change in percent over a period), pro rata for buckets the period covers in part.
- :func:`compute_levels` gives safety stock, reorder point *s* and order-up-to *S* for each
  item by its policy, using :mod:`crossdock.planning.policy`:

  ========== ==========================================================================
  ``s_S``    (default) SS for the service level over the lead time (R = 0);
             s = d·L + SS, S = s + d·R (R = the company's review period)
  ``R_S``    SS over L + R; S = d·(L + R) + SS, and s = S (every review orders up to S)
  ``seasonal`` the forecast's daily rates over L (+ R) instead of a flat rate
  ``manual`` s = min, S = max; no safety stock
  ========== ==========================================================================

  Service levels come from the policy, else from the ABC class (A, B, C per
  PlanningSettings; unclassified items as B). With the fill-rate measure the order
  quantity is d·R. The daily rate d is the forecast's mean over the protection
  interval, its spread the bucket error scaled to a day (σ_day = σ_bucket / √bucket_days).
  ``max_capacity`` caps S (and s).
- :func:`stockout_probability` reads the lead-time demand as a distribution: the chance
  that demand before new stock arrives exceeds the projected stock (stockout risk is
  raised only when it is at least even).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

ZERO = Decimal(0)


@dataclass
class History:
    """Demand per item and day (oldest first) and what the rows told about each item."""

    daily: np.ndarray  # (n, days) float64
    rows: np.ndarray  # (n,) number of demand rows in the window
    anomalies: np.ndarray  # (n,) rows with zero or negative demand
    flagged: np.ndarray  # (n,) outlier or promotion days replaced
    last_day: np.ndarray  # (n,) index of the last day with demand, -1 when none


def demand_matrix(
    index_of: dict[tuple[int, int], int],
    n_items: int,
    start: datetime.date,
    days: int,
    records: list[tuple[Any, ...]],
    scale: int,
) -> History:
    """The history of ``n_items`` items from rows ``(product, warehouse, day, stored
    quantity, is_outlier, is_promotion)``; ``scale`` is the quantity's storage scale."""
    if not records:
        empty = np.zeros(0, dtype=np.int64)
        return demand_matrix_of(empty, empty, np.zeros(0), np.zeros(0, dtype=bool), n_items, days)
    products, warehouses, day_values, stored, outlier, promotion = zip(*records, strict=True)
    keys = np.fromiter(
        (index_of.get(pair, -1) for pair in zip(products, warehouses, strict=True)),
        dtype=np.int64,
        count=len(products),
    )
    day_index = (
        np.array([_as_date(d) for d in day_values], dtype="datetime64[D]")
        - np.datetime64(start, "D")
    ).astype(np.int64)
    quantity = np.array(stored, dtype=np.float64) / scale
    flagged = np.array(outlier, dtype=bool) | np.array(promotion, dtype=bool)
    return demand_matrix_of(keys, day_index, quantity, flagged, n_items, days)


def demand_matrix_of(
    keys: np.ndarray,
    day_index: np.ndarray,
    quantity: np.ndarray,
    flagged: np.ndarray,
    n_items: int,
    days: int,
) -> History:
    """:func:`demand_matrix` from columns: item number (-1 skips the row), day since the
    window's start, quantity and whether the day is flagged."""
    daily = np.zeros((n_items, days))
    rows = np.zeros(n_items, dtype=np.int64)
    anomalies = np.zeros(n_items, dtype=np.int64)
    flagged_count = np.zeros(n_items, dtype=np.int64)
    last_day = np.full(n_items, -1, dtype=np.int64)
    keep = (keys >= 0) & (day_index >= 0) & (day_index < days)
    keys, day_index, quantity, flagged = keys[keep], day_index[keep], quantity[keep], flagged[keep]
    if keys.size == 0:
        return History(daily, rows, anomalies, flagged_count, last_day)
    rows += np.bincount(keys, minlength=n_items)
    anomalies += np.bincount(keys[quantity <= 0], minlength=n_items)
    positive = quantity > 0
    np.maximum.at(last_day, keys[positive], day_index[positive])
    normal = positive & ~flagged
    daily[keys[normal], day_index[normal]] = quantity[normal]
    replace = positive & flagged
    if replace.any():
        flagged_count += np.bincount(keys[replace], minlength=n_items)
        medians = _series_medians(keys[normal], quantity[normal], n_items)
        daily[keys[replace], day_index[replace]] = medians[keys[replace]]
    return History(daily, rows, anomalies, flagged_count, last_day)


def _as_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _series_medians(keys: np.ndarray, values: np.ndarray, n_items: int) -> np.ndarray:
    """The median of each item's values (0 for items without any)."""
    medians = np.zeros(n_items)
    if keys.size == 0:
        return medians
    order = np.lexsort((values, keys))
    keys, values = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], keys.size]
    low = values[starts + (ends - starts - 1) // 2]
    high = values[starts + (ends - starts) // 2]
    medians[keys[starts]] = (low + high) / 2
    return medians


@dataclass(frozen=True)
class OverrideRow:
    item: int
    starts_on: datetime.date
    ends_on: datetime.date
    daily_quantity: Decimal | None
    change_percent: Decimal | None


def apply_overrides(
    mean: np.ndarray, bucket_days: int, as_of: datetime.date, overrides: list[OverrideRow]
) -> np.ndarray:
    """A copy of the forecast buckets with each override applied to the days it covers."""
    result = mean.copy()
    horizon = mean.shape[1]
    for row in overrides:
        first = (row.starts_on - as_of).days
        last = (row.ends_on - as_of).days  # inclusive
        for bucket in range(max(first, 0) // bucket_days, min(last // bucket_days + 1, horizon)):
            begin, end = bucket * bucket_days, (bucket + 1) * bucket_days - 1
            covered = min(end, last) - max(begin, first) + 1
            if covered <= 0:
                continue
            share = covered / bucket_days
            if row.daily_quantity is not None:
                rate = float(row.daily_quantity)
                result[row.item, bucket] = result[row.item, bucket] * (1 - share) + rate * covered
            elif row.change_percent is not None:
                result[row.item, bucket] *= 1 + float(row.change_percent) / 100 * share
    return result


@dataclass
class LevelInputs:
    """Per item arrays (all of length n) the levels are computed from."""

    method: np.ndarray  # object: s_S, R_S, seasonal, manual
    service_level: np.ndarray  # probability (0, 1)
    fill_rate: np.ndarray  # bool: the service level is a fill rate
    lead_days: np.ndarray  # float, days (0 when unknown)
    lead_sd: np.ndarray  # float, days
    review_days: np.ndarray  # float, days
    minimum: np.ndarray  # manual s (nan elsewhere)
    maximum: np.ndarray  # manual S (nan elsewhere)
    capacity: np.ndarray  # inf when none


@dataclass
class Levels:
    daily_rate: np.ndarray
    demand_over_lead: np.ndarray
    safety_stock: np.ndarray
    reorder_point: np.ndarray
    order_up_to: np.ndarray
    demand_sd_over_lead: np.ndarray  # σ of demand over the lead time (the safety stock's σ_X)


def compute_levels(
    forecast: Any, mean: np.ndarray, inputs: LevelInputs, horizon_days: int
) -> Levels:
    """Levels of every item (see the module notes); ``forecast`` is the ForecastResult whose
    ``sd`` and ``bucket_days`` apply, ``mean`` its buckets after overrides."""
    from crossdock.planning import policy

    bucket_days = forecast.bucket_days
    n = mean.shape[0]
    lead = np.minimum(inputs.lead_days, horizon_days)
    review = np.minimum(inputs.review_days, np.maximum(horizon_days - lead, 0))
    interval = lead + review
    rates = policy.rates_from_buckets(mean, bucket_days)  # (n, horizon_days)
    over_lead = policy.demand_over(rates, lead) if n else np.zeros(0)
    over_interval = policy.demand_over(rates, interval) if n else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(interval > 0, over_interval / np.where(interval > 0, interval, 1), 0.0)
    rate = np.where(interval > 0, rate, mean.sum(axis=1) / max(mean.shape[1] * bucket_days, 1))
    sd_day = np.asarray(forecast.sd, dtype=np.float64) / np.sqrt(bucket_days)
    periodic = inputs.method == "R_S"
    ss_review = np.where(periodic, review, 0.0)
    quantity = np.maximum(rate * review, 1e-9)
    safety = np.where(
        inputs.fill_rate,
        policy.safety_stock_fill_rate(
            inputs.service_level, quantity, rate, sd_day, lead, inputs.lead_sd, ss_review
        ),
        policy.safety_stock_cycle(
            inputs.service_level, rate, sd_day, lead, inputs.lead_sd, ss_review
        ),
    )
    reorder = over_lead + safety
    up_to = reorder + rate * review
    up_to = np.where(periodic, over_interval + safety, up_to)
    reorder = np.where(periodic, up_to, reorder)
    seasonal = inputs.method == "seasonal"
    if seasonal.any():
        levels = policy.seasonal_levels(
            rates[seasonal],
            sd_day[seasonal],
            lead[seasonal],
            inputs.lead_sd[seasonal],
            inputs.service_level[seasonal],
            0,
            rate[seasonal] * review[seasonal],
        )
        safety[seasonal] = levels.safety_stock
        reorder[seasonal] = levels.reorder_point
        up_to[seasonal] = levels.order_up_to
    manual = inputs.method == "manual"
    safety = np.where(manual, 0.0, safety)
    reorder = np.where(manual, inputs.minimum, reorder)
    up_to = np.where(manual, inputs.maximum, up_to)
    up_to = np.minimum(up_to, inputs.capacity)
    reorder = np.minimum(reorder, up_to)
    sd_over_lead = policy.demand_sd_over_interval(rate, sd_day, lead, inputs.lead_sd)
    return Levels(rate, over_lead, safety, reorder, up_to, sd_over_lead)


def stockout_probability(
    mean: np.ndarray,
    sd: np.ndarray,
    stock: np.ndarray,
    counted: np.ndarray,
    whole_units: np.ndarray,
) -> np.ndarray:
    """P(demand over the lead time > projected stock) of every item.

    ``counted`` items (forecast by an intermittent model) read their lead-time demand as a
    Poisson count of units with mean ``mean``: P = P(D > ⌊stock⌋). The others read it as
    the normal law of the safety stock (``mean``, ``sd`` = σ_X); for ``whole_units``
    products demand exceeds the stock only by reaching ⌊stock⌋ + 1, so the normal is read
    at ⌊stock⌋ + ½ (continuity correction). A zero spread makes demand certain: P is 1
    when the mean exceeds the stock, else 0. Negative stock (backorders) is short already:
    P = 1."""
    from scipy import special

    mean = np.maximum(np.asarray(mean, dtype=np.float64), 0.0)
    sd = np.asarray(sd, dtype=np.float64)
    stock = np.asarray(stock, dtype=np.float64)
    floor = np.floor(np.maximum(stock, 0.0))
    threshold = np.where(whole_units, floor + 0.5, stock)
    with np.errstate(divide="ignore", invalid="ignore"):
        normal = np.where(
            sd > 0,
            special.ndtr((mean - threshold) / np.where(sd > 0, sd, 1.0)),
            (mean > stock).astype(np.float64),
        )
    poisson = special.pdtrc(floor, mean)
    return np.where(stock < 0, 1.0, np.where(counted, poisson, normal))


def to_decimal(value: float, places: int) -> Decimal:
    """A float figure as an exact Decimal at ``places`` (half up; never negative zero)."""
    if not np.isfinite(value):
        return ZERO
    step = Decimal(1).scaleb(-places)
    result = Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP)
    return result + 0 if result else ZERO


def stored_integers(values: np.ndarray, places: int, scale: int) -> np.ndarray:
    """``to_decimal(value, places)`` of every value as the integer a field of ``scale``
    stores (``value × 10**scale``), for whole arrays at once.

    Rounding a float's shortest decimal text half up is what :func:`to_decimal` does; the
    scaled float is rounded here directly, which agrees except within a hair of a tie (or
    for huge values), where the value is passed to :func:`to_decimal` itself.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    clean = np.where(finite, values, 0.0)
    shifted = clean * 10.0**places
    whole = np.floor(shifted + 0.5)
    fraction = shifted - np.floor(shifted)
    margin = np.maximum(1e-6, np.abs(shifted) * 1e-13)
    unsure = finite & ((np.abs(fraction - 0.5) < margin) | (np.abs(shifted) >= 2.0**50))
    result = whole.astype(np.int64) * 10 ** (scale - places)
    for index in np.flatnonzero(unsure):
        exact = to_decimal(float(values[index]), places)
        result[index] = int(exact.scaleb(scale))
    return result
