"""Classifying product × warehouse demand series: ABC, XYZ, demand pattern, lifecycle.

Design overview
---------------
Pure NumPy, no Django: :func:`classify` takes the demand rows of many series at once as flat
arrays (series number, day as an ordinal, quantity in millionths of the base unit — the
integers the database stores) and returns one value per series, computed with a few
``bincount`` passes and vectorised arithmetic, so 150,000 series and a million rows take
well under a second.

* **ABC** by annual consumption value (quantity over the last 365 days × unit cost): series
  sorted by value, largest first; a series is A while the value of the series *before* it
  is under ``a_share`` of the total (80 %), B while under ``b_share`` (95 %), else C. A
  series with no value is C. (So the largest series is always A, and the class boundaries
  fall where the cumulative share crosses 80 % and 95 %.)
* **XYZ** by the coefficient of variation (population standard deviation / mean) of weekly
  demand over the last 52 weeks, or the weeks since the first demand if fewer:
  X below 0.5, Y from 0.5 to below 1.0, Z from 1.0 (and Z without demand).
* **Demand pattern** after Syntetos, Boylan & Croston (2005), on weekly buckets from the
  series' first demand (at most ``history_days``): ADI = weeks / weeks with demand; CV² =
  squared coefficient of variation of the non-zero weekly sizes. ADI < 1.32 and CV² < 0.49
  smooth; ADI < 1.32 and CV² ≥ 0.49 erratic; ADI ≥ 1.32 and CV² < 0.49 intermittent; both
  above lumpy. A series without demand has no pattern ("").
* **Lifecycle**, checked in this order: obsolete — no demand in the last ``dead_stock_days``;
  new — first demand within the last ``new_days`` (90); declining — demand of the last 26
  weeks under half of the 26 weeks before; else active.

Weeks are counted back from ``as_of``: week 0 holds the 7 days ending on ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

ADI_LIMIT = 1.32
CV2_LIMIT = 0.49
X_LIMIT = 0.5
Y_LIMIT = 1.0
XYZ_WEEKS = 52
DECLINE_WEEKS = 26
DECLINE_SHARE = 0.5
NEW_DAYS = 90
YEAR_DAYS = 365

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.str_]


@dataclass(frozen=True)
class Rules:
    as_of: int  # the last day of history, as a proleptic ordinal (date.toordinal())
    a_share: float = 0.80
    b_share: float = 0.95
    dead_stock_days: int = 180
    history_days: int = 730
    new_days: int = NEW_DAYS


@dataclass(frozen=True)
class Classes:
    """One entry per series (arrays of length ``count``)."""

    abc: StrArray
    xyz: StrArray
    pattern: StrArray
    lifecycle: StrArray
    adi: FloatArray  # NaN without demand
    cv2: FloatArray  # NaN without demand or with one non-zero week
    cv: FloatArray  # weekly coefficient of variation (XYZ); NaN without demand
    annual_quantity: IntArray  # millionths, last 365 days
    annual_value: FloatArray  # annual quantity × unit value (ranking only)
    first_day: IntArray  # ordinal; 0 without demand
    last_day: IntArray  # ordinal; 0 without demand


def abc_classes(value: FloatArray, a_share: float, b_share: float) -> StrArray:
    """A/B/C by the cumulative share of the series ranked before each one."""
    count = len(value)
    result = np.full(count, "C", dtype="<U1")
    total = float(value.sum())
    if count == 0 or total <= 0:
        return result
    order = np.argsort(-value, kind="stable")
    before = np.concatenate(([0.0], np.cumsum(value[order])[:-1])) / total
    ranked = np.where(before < a_share, "A", np.where(before < b_share, "B", "C"))
    ranked = np.where(value[order] > 0, ranked, "C")
    result[order] = ranked
    return result


def xyz_classes(cv: FloatArray) -> StrArray:
    """X/Y/Z by the coefficient of variation (Z where it is undefined)."""
    safe = np.where(np.isnan(cv), np.inf, cv)
    return np.where(safe < X_LIMIT, "X", np.where(safe < Y_LIMIT, "Y", "Z")).astype("<U1")


def quadrants(adi: FloatArray, cv2: FloatArray) -> StrArray:
    """The Syntetos–Boylan quadrant of each series: frequent when ADI < 1.32, steady when
    CV² < 0.49 (an undefined CV² counts as steady). The one place the rule is coded: the
    forecasting patterns use it too."""
    frequent = adi < ADI_LIMIT
    steady = np.nan_to_num(cv2, nan=0.0) < CV2_LIMIT
    return np.where(
        frequent,
        np.where(steady, "smooth", "erratic"),
        np.where(steady, "intermittent", "lumpy"),
    ).astype("<U12")


def patterns(adi: FloatArray, cv2: FloatArray) -> StrArray:
    """Syntetos–Boylan quadrants ("" where there is no demand)."""
    result = quadrants(adi, cv2)
    result[np.isnan(adi)] = ""
    return result


def classify(
    series: IntArray,
    day: IntArray,
    quantity: IntArray,
    unit_value: FloatArray,
    rules: Rules,
) -> Classes:
    """Classify ``len(unit_value)`` series from their demand rows (see the module docstring).

    ``series`` numbers each row's series (0 … count − 1); ``day`` is its ordinal date;
    ``quantity`` its demand in millionths. Rows after ``as_of`` or before the history window
    are ignored; zero rows are allowed.
    """
    count = len(unit_value)
    weeks = max(1, rules.history_days // 7)  # whole weeks only
    age = rules.as_of - day  # days back from as_of (0 = as_of)
    keep = (age >= 0) & (age < weeks * 7) & (quantity > 0)
    series, age, quantity = series[keep], age[keep], quantity[keep]
    week = age // 7

    annual = np.bincount(
        series[age < YEAR_DAYS], weights=quantity[age < YEAR_DAYS], minlength=count
    )
    # exact integer sums: bincount's float64 weights are exact up to 2**53 millionths
    annual_quantity = np.rint(annual).astype(np.int64)
    annual_value = annual_quantity / 1e6 * unit_value

    has = np.bincount(series, minlength=count) > 0
    first_age = np.full(count, -1, dtype=np.int64)
    last_age = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
    np.maximum.at(first_age, series, age)
    np.minimum.at(last_age, series, age)
    first_day = np.where(has, rules.as_of - first_age, 0)
    last_day = np.where(has, rules.as_of - last_age, 0)

    # weekly sums, sparse: one entry per series × week with demand
    cells, weekly = np.unique(series * weeks + week, return_inverse=True)
    weekly_sum = np.bincount(weekly, weights=quantity / 1e6)
    cell_series = cells // weeks
    cell_week = cells % weeks  # 0 is the latest week
    span = np.where(has, np.minimum(first_age // 7 + 1, weeks), 0)  # weeks since first demand

    def per_series(values: FloatArray, where: npt.NDArray[np.bool_] | None = None) -> FloatArray:
        if where is None:
            return np.bincount(cell_series, weights=values, minlength=count)
        return np.bincount(cell_series[where], weights=values[where], minlength=count)

    # XYZ: the last 52 weeks (or since the first demand)
    xyz_n = np.minimum(span, XYZ_WEEKS)
    in_xyz = cell_week < xyz_n[cell_series]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = per_series(weekly_sum, in_xyz) / xyz_n
        var = per_series(weekly_sum**2, in_xyz) / xyz_n - mean**2
        cv = np.sqrt(np.maximum(var, 0.0)) / mean
    cv = np.where(has & (mean > 0), cv, np.nan)

    # demand pattern: weekly buckets since the first demand
    demand_weeks = np.bincount(cell_series, minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):
        adi = np.where(demand_weeks > 0, span / demand_weeks, np.nan)
        size_mean = per_series(weekly_sum) / demand_weeks
        size_var = per_series(weekly_sum**2) / demand_weeks - size_mean**2
        cv2 = np.maximum(size_var, 0.0) / size_mean**2
    cv2 = np.where(demand_weeks > 0, cv2, np.nan)
    # round away float noise at the quadrant limits (a constant series has CV² 0, not 1e-17)
    adi = np.round(adi, 6)
    cv2 = np.round(cv2, 6)
    cv = np.round(cv, 6)

    # lifecycle
    recent = per_series(weekly_sum, cell_week < DECLINE_WEEKS)
    before = per_series(weekly_sum, (cell_week >= DECLINE_WEEKS) & (cell_week < 2 * DECLINE_WEEKS))
    obsolete = ~has | (last_age >= rules.dead_stock_days)
    new = has & (first_age < rules.new_days)
    declining = (before > 0) & (recent < DECLINE_SHARE * before)
    lifecycle = np.where(
        obsolete,
        "obsolete",
        np.where(new, "new", np.where(declining, "declining", "active")),
    ).astype("<U10")

    return Classes(
        abc=abc_classes(annual_value, rules.a_share, rules.b_share),
        xyz=xyz_classes(cv),
        pattern=patterns(adi, cv2),
        lifecycle=lifecycle,
        adi=adi,
        cv2=cv2,
        cv=cv,
        annual_quantity=annual_quantity,
        annual_value=annual_value,
        first_day=first_day.astype(np.int64),
        last_day=last_day.astype(np.int64),
    )
