"""Pure anomaly detection over NumPy arrays: robust outliers, level shifts, near-duplicates.

Design overview
---------------
Nothing here touches the database: :mod:`crossdock.insight.anomalies.sources` loads the
documents into arrays and hands them to these functions, so each can be tested on
synthetic data.

**Outliers against a baseline** (:func:`find_outliers`). Each candidate value (a recent
purchase price, a purchase quantity, an adjustment's value) is compared with the values of
its group (the same supplier and product, …) in a *baseline* period before it. The
baseline's centre is its median and its spread the median absolute deviation scaled to
a normal SD (``scipy.stats.median_abs_deviation(scale="normal")``), so one earlier
outlier moves neither. The score is the robust z-score ``(value − median) / spread``.
A candidate is an anomaly when

* the baseline has at least :data:`MIN_HISTORY` values (fewer: not enough history,
  nothing is said),
* ``|z|`` reaches the group's threshold: :data:`ROBUST_Z_CUTOFF` (3.5, Iglewicz and
  Hoaglin's modified z-score cut-off) widened for small baselines the way a Student t
  prediction interval widens — the two-sided tail probability of 3.5 on a normal
  distribution, read on a t distribution with ``n − 1`` degrees of freedom (6.2 for 8
  values, 3.9 for 30, 3.6 for 100) — since a median and MAD of a few values are
  uncertain themselves, and
* the value is at least :data:`TAIL_MARGIN` times as far from the median as the
  farthest baseline value — so a group whose history is itself heavy-tailed does not
  raise an item for a deviation of the size it has seen before.

When the MAD is 0 (at least half the baseline is one value, common for catalogue
prices) the mean absolute deviation from the median stands in, and the spread is never
below ``relative_floor × |median|`` nor ``absolute_floor``: a price that moved 1 % on a
constant history is not 50 SDs away.

**Level shifts** (:func:`find_level_shifts`). Each row of a matrix is one series of
weekly demand; the last ``recent_weeks`` columns are compared with the columns before
them by a two-sided Mann–Whitney U test (``scipy.stats.mannwhitneyu``, vectorised over
every row at once). A row is a shift when the p-value is below :data:`SHIFT_ALPHA`,
the recent mean differs from the baseline mean by the factor :data:`SHIFT_MIN_RATIO`
(either way) and the baseline had demand in at least :data:`SHIFT_MIN_ACTIVE_WEEKS`
weeks.

**Near-duplicate bills** (:func:`find_near_duplicates`). Bills of the same group
(company, supplier, currency) are compared pairwise when their dates are at most
:data:`DUPLICATE_MAX_DAYS` apart and their amounts differ by at most
:data:`DUPLICATE_MAX_AMOUNT_DIFFERENCE`; a pair is a near-duplicate when the vendor's
references, normalised (upper case, letters and digits only), are at least
:data:`DUPLICATE_MIN_SIMILARITY` similar by :class:`difflib.SequenceMatcher`. Bills
without a reference are not compared (there is nothing to say they are the same bill).

Scores are statistics and therefore floats; the amounts people read come from the
documents as exact decimals.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher

import numpy as np
from scipy import stats

# -- thresholds -------------------------------------------------------------------------------

ROBUST_Z_CUTOFF = 3.5
"""Robust z-score from which a value is unusual (Iglewicz & Hoaglin's modified z-score)."""
MIN_HISTORY = 8
"""Fewest baseline values a group needs before anything is said about it."""
LOOKBACK_DAYS = 365
"""How far back the baseline of purchases and adjustments reaches."""
RECENT_DAYS = 30
"""Documents dated in the last ``RECENT_DAYS`` days are judged against the days before."""
PRICE_RELATIVE_FLOOR = 0.02
"""A price's spread is at least 2 % of its median: ≥ 7 % off a constant price is unusual."""
TAIL_MARGIN = 1.5
"""An outlier lies this many times farther from the median than any baseline value."""
LOG_ABSOLUTE_FLOOR = 0.1
"""Spread floor on log scales (quantities, values): ≥ ×1.42 off a constant history."""

SHIFT_RECENT_WEEKS = 6
"""The recent demand weeks compared with the baseline."""
SHIFT_BASELINE_WEEKS = 26
"""The weeks before the recent ones that make the demand baseline."""
SHIFT_ALPHA = 1e-3
"""Largest Mann–Whitney p-value taken as a shift. With 6 recent against 26 baseline weeks
the normal approximation gives about 1.8e-4 when every recent week lies beyond every
baseline week, so this asks for (nearly) complete separation; many series are tested."""
SHIFT_MIN_RATIO = 1.5
"""The recent mean must be at least 1.5 × the baseline mean, or at most 1 / 1.5 of it."""
SHIFT_MIN_ACTIVE_WEEKS = MIN_HISTORY
"""Baseline weeks with demand a series needs before a shift is looked for."""

DUPLICATE_MAX_DAYS = 30
"""Bills further apart than this are not compared."""
DUPLICATE_MAX_AMOUNT_DIFFERENCE = Decimal("0.02")
"""Largest relative difference of the totals (2 % of the larger one)."""
DUPLICATE_MIN_SIMILARITY = 0.8
"""Smallest similarity of the normalised vendor references (0–1)."""
DUPLICATE_LOOKBACK_DAYS = 90
"""Pairs whose later bill is older than this are no longer raised."""

_NORMAL_MEAN_DEVIATION = float(np.sqrt(np.pi / 2))  # mean absolute deviation → normal SD


# -- outliers against a baseline ---------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """A group's baseline: how many values, their median, spread and range."""

    count: int
    median: float
    spread: float
    low: float
    high: float
    threshold: float

    @property
    def farthest(self) -> float:
        """The largest distance of a baseline value from the median."""
        return max(self.high - self.median, self.median - self.low)


@dataclass(frozen=True)
class Outlier:
    """A candidate value that is unusual against its group's baseline."""

    index: int
    group: int
    value: float
    z: float
    baseline: Baseline

    @property
    def direction(self) -> str:
        return "above" if self.z > 0 else "below"


def threshold_for(count: int, cutoff: float = ROBUST_Z_CUTOFF) -> float:
    """The robust z-score a value must reach against a baseline of ``count`` values."""
    return float(stats.t.ppf(stats.norm.cdf(cutoff), df=max(count - 1, 1)))


def baseline_of(
    values: np.ndarray,
    *,
    cutoff: float = ROBUST_Z_CUTOFF,
    relative_floor: float = 0.0,
    absolute_floor: float = 0.0,
    min_history: int = MIN_HISTORY,
) -> Baseline | None:
    """The baseline of ``values``, or ``None`` when there are fewer than ``min_history``."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < max(min_history, 2):
        return None
    median = float(np.median(values))
    spread = float(stats.median_abs_deviation(values, scale="normal"))
    if spread == 0.0:
        spread = float(np.mean(np.abs(values - median))) * _NORMAL_MEAN_DEVIATION
    spread = max(spread, relative_floor * abs(median), absolute_floor)
    if spread <= 0.0:  # every value 0 and no floor: nothing can be measured against it
        return None
    return Baseline(
        count=int(values.size),
        median=median,
        spread=spread,
        low=float(values.min()),
        high=float(values.max()),
        threshold=threshold_for(int(values.size), cutoff),
    )


def find_outliers(
    baseline_values: np.ndarray,
    baseline_groups: np.ndarray,
    candidate_values: np.ndarray,
    candidate_groups: np.ndarray,
    *,
    cutoff: float = ROBUST_Z_CUTOFF,
    min_history: int = MIN_HISTORY,
    relative_floor: float = 0.0,
    absolute_floor: float = 0.0,
) -> list[Outlier]:
    """The candidates that are unusual against the baseline of their group.

    ``*_groups`` are integer group numbers; a candidate whose group has fewer than
    ``min_history`` baseline values is never an outlier. Result in candidate order.
    """
    baseline_values = np.asarray(baseline_values, dtype=np.float64)
    baseline_groups = np.asarray(baseline_groups, dtype=np.int64)
    candidate_values = np.asarray(candidate_values, dtype=np.float64)
    candidate_groups = np.asarray(candidate_groups, dtype=np.int64)
    order = np.argsort(baseline_groups, kind="stable")
    sorted_groups = baseline_groups[order]
    sorted_values = baseline_values[order]
    found: list[Outlier] = []
    for group in np.unique(candidate_groups):
        start, stop = np.searchsorted(sorted_groups, [group, group + 1])
        baseline = baseline_of(
            sorted_values[start:stop],
            cutoff=cutoff,
            relative_floor=relative_floor,
            absolute_floor=absolute_floor,
            min_history=min_history,
        )
        if baseline is None:
            continue
        members = np.flatnonzero(candidate_groups == group)
        values = candidate_values[members]
        z = (values - baseline.median) / baseline.spread
        far = np.abs(values - baseline.median) > TAIL_MARGIN * baseline.farthest
        unusual = (np.abs(z) >= baseline.threshold) & far
        for index, value, score in zip(members[unusual], values[unusual], z[unusual], strict=True):
            found.append(Outlier(int(index), int(group), float(value), float(score), baseline))
    found.sort(key=lambda outlier: outlier.index)
    return found


# -- level shifts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelShift:
    """A series whose recent weeks differ from its baseline weeks."""

    row: int
    baseline_mean: float
    recent_mean: float
    p_value: float
    baseline_weeks: int
    recent_weeks: int

    @property
    def ratio(self) -> float:
        return self.recent_mean / self.baseline_mean if self.baseline_mean else float("inf")

    @property
    def direction(self) -> str:
        return "up" if self.recent_mean > self.baseline_mean else "down"


def find_level_shifts(
    weekly: np.ndarray,
    *,
    recent_weeks: int = SHIFT_RECENT_WEEKS,
    alpha: float = SHIFT_ALPHA,
    min_ratio: float = SHIFT_MIN_RATIO,
    min_active_weeks: int = SHIFT_MIN_ACTIVE_WEEKS,
) -> list[LevelShift]:
    """The rows of ``weekly`` (series × weeks, oldest first) whose last weeks shifted level."""
    weekly = np.asarray(weekly, dtype=np.float64)
    if weekly.ndim != 2 or weekly.shape[1] <= recent_weeks or weekly.shape[0] == 0:
        return []
    baseline, recent = weekly[:, :-recent_weeks], weekly[:, -recent_weeks:]
    if baseline.shape[1] < min_active_weeks:
        return []
    active = np.count_nonzero(baseline, axis=1) >= min_active_weeks
    baseline_mean = baseline.mean(axis=1)
    recent_mean = recent.mean(axis=1)
    big_enough = (recent_mean >= min_ratio * baseline_mean) | (
        recent_mean * min_ratio <= baseline_mean
    )
    rows = np.flatnonzero(active & big_enough & (baseline_mean > 0))
    if rows.size == 0:
        return []
    result = stats.mannwhitneyu(
        recent[rows], baseline[rows], axis=1, alternative="two-sided", method="asymptotic"
    )
    p_values = np.asarray(result.pvalue, dtype=np.float64)
    return [
        LevelShift(
            row=int(row),
            baseline_mean=float(baseline_mean[row]),
            recent_mean=float(recent_mean[row]),
            p_value=float(p),
            baseline_weeks=int(baseline.shape[1]),
            recent_weeks=recent_weeks,
        )
        for row, p in zip(rows, p_values, strict=True)
        if p < alpha
    ]


# -- near-duplicate bills ----------------------------------------------------------------------


@dataclass(frozen=True)
class BillFacts:
    """What a duplicate check needs of one bill."""

    id: int
    group: tuple[int | str, ...]
    date: datetime.date
    amount: Decimal
    reference: str


@dataclass(frozen=True)
class DuplicatePair:
    """Two bills that look like the same bill entered twice (``first`` is the earlier)."""

    first: BillFacts
    second: BillFacts
    similarity: float
    amount_difference: Decimal
    days_apart: int


def normalise_reference(reference: str) -> str:
    """Upper case, letters and digits only: ``inv-00 1043`` → ``INV001043``."""
    return re.sub(r"[^0-9A-Z]", "", reference.upper())


def reference_similarity(first: str, second: str) -> float:
    """Similarity (0–1) of two vendor references after :func:`normalise_reference`."""
    a, b = normalise_reference(first), normalise_reference(second)
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def relative_difference(first: Decimal, second: Decimal) -> Decimal:
    """``|first − second| / max(|first|, |second|)`` (0 when both are 0)."""
    larger = max(abs(first), abs(second))
    return abs(first - second) / larger if larger else Decimal(0)


def find_near_duplicates(
    bills: Sequence[BillFacts],
    *,
    max_days: int = DUPLICATE_MAX_DAYS,
    max_amount_difference: Decimal = DUPLICATE_MAX_AMOUNT_DIFFERENCE,
    min_similarity: float = DUPLICATE_MIN_SIMILARITY,
) -> list[DuplicatePair]:
    """Pairs of bills of one group, close in date and amount, with similar references."""
    ordered = sorted(
        (bill for bill in bills if normalise_reference(bill.reference)),
        key=lambda bill: (bill.group, bill.date, bill.id),
    )
    pairs: list[DuplicatePair] = []
    for position, first in enumerate(ordered):
        for second in ordered[position + 1 :]:
            if second.group != first.group:
                break
            days = (second.date - first.date).days
            if days > max_days:
                break
            difference = relative_difference(first.amount, second.amount)
            if difference > max_amount_difference:
                continue
            similarity = reference_similarity(first.reference, second.reference)
            if similarity >= min_similarity:
                pairs.append(DuplicatePair(first, second, similarity, difference, days))
    return pairs
