"""Demand buckets and the Syntetos–Boylan demand pattern.

Daily demand is summed into buckets of ``bucket_days`` days aligned to the end
of the history: the last bucket always ends the day before the run, and the
oldest ``n_days % bucket_days`` days (an incomplete bucket) are dropped.

The pattern of a series follows Syntetos, Boylan and Croston (2005), on the
bucketed series:

* ADI, the average demand interval = buckets / buckets with demand;
* CV², the squared coefficient of variation of the non-zero bucket sizes
  (population standard deviation over mean).

``ADI < 1.32`` and ``CV² < 0.49`` is *smooth*; a higher CV² alone is
*erratic*; a higher ADI alone is *intermittent*; both are *lumpy* — the rule is
:func:`crossdock.planning.classification.quadrants`, shared with the item
classification. A series without any demand has ADI = inf and CV² = nan and
counts as intermittent (the forecast gives it the model "zero").
"""

from __future__ import annotations

import numpy as np

from crossdock.planning.classification import quadrants

PATTERNS = ("smooth", "erratic", "intermittent", "lumpy")


def check_daily(daily: object) -> np.ndarray:
    """The demand matrix as a float array, or ValueError naming what is wrong."""
    array = np.asarray(daily)
    if array.ndim != 2:
        raise ValueError(
            f"daily: expected a 2-D array (series × days), got {array.ndim} dimension(s)"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"daily: expected at least one series and one day, got {array.shape}")
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"daily: expected numbers, got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False)
    bad = ~np.isfinite(array).all(axis=1)
    if bad.any():
        raise ValueError(
            f"daily: {int(bad.sum())} series contain NaN or infinite demand "
            f"(first at row {int(np.argmax(bad))})"
        )
    negative = (array < 0).any(axis=1)
    if negative.any():
        raise ValueError(
            f"daily: demand must be zero or more; {int(negative.sum())} series have "
            f"negative days (first at row {int(np.argmax(negative))})"
        )
    return array


def check_bucket_days(bucket_days: int, n_days: int) -> None:
    if isinstance(bucket_days, bool) or not isinstance(bucket_days, int | np.integer):
        raise ValueError(f"bucket_days: expected a whole number of days, got {bucket_days!r}")
    if bucket_days < 1:
        raise ValueError(f"bucket_days: must be at least 1, got {bucket_days}")
    if bucket_days > n_days:
        raise ValueError(
            f"bucket_days: {bucket_days} days is longer than the history ({n_days} days)"
        )


def to_buckets(daily: np.ndarray, bucket_days: int) -> np.ndarray:
    """Sum days into buckets aligned to the end, without copying the daily matrix."""
    n_series, n_days = daily.shape
    n_buckets = n_days // bucket_days
    start = n_days - n_buckets * bucket_days
    buckets = np.zeros((n_series, n_buckets), dtype=np.float64)
    for offset in range(bucket_days):
        buckets += daily[:, start + offset :: bucket_days]
    return buckets


def pattern_of_buckets(buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pattern, ADI and CV² of bucketed series (see the module docstring)."""
    n_buckets = buckets.shape[1]
    nonzero = buckets > 0
    count = nonzero.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(count > 0, n_buckets / np.maximum(count, 1), np.inf)
        sizes = np.where(nonzero, buckets, 0.0)
        mean = sizes.sum(axis=1) / count
        variance = np.where(nonzero, (buckets - mean[:, None]) ** 2, 0.0).sum(axis=1) / count
        cv2 = np.where(count > 0, variance / mean**2, np.nan)
    return quadrants(adi, cv2).astype(object), adi, cv2


def classify_pattern(
    daily: np.ndarray, bucket_days: int = 7
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demand pattern (object array of PATTERNS), ADI and CV² per series of daily demand."""
    array = check_daily(daily)
    check_bucket_days(bucket_days, array.shape[1])
    return pattern_of_buckets(to_buckets(array, bucket_days))
