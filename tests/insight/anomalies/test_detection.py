"""The pure detection functions on synthetic data: seeded anomalies found, normal data quiet."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.insight.anomalies import detection
from crossdock.insight.anomalies.detection import (
    BillFacts,
    baseline_of,
    find_level_shifts,
    find_near_duplicates,
    find_outliers,
    reference_similarity,
    threshold_for,
)

D = Decimal


def groups_of(draw, groups: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    values = np.concatenate([draw(size) for _ in range(groups)])
    return values, np.repeat(np.arange(groups), size)


# -- robust outliers ---------------------------------------------------------------------------


def test_a_seeded_price_jump_is_found_with_its_baseline():
    rng = np.random.default_rng(7)
    history = rng.normal(9.10, 0.15, 27)
    found = find_outliers(history, np.zeros(27), np.array([9.2, 14.2]), np.zeros(2))
    assert [o.index for o in found] == [1]
    outlier = found[0]
    assert outlier.direction == "above"
    assert outlier.baseline.count == 27
    assert outlier.baseline.median == pytest.approx(float(np.median(history)))
    assert outlier.z == pytest.approx((14.2 - outlier.baseline.median) / outlier.baseline.spread)
    assert outlier.z >= outlier.baseline.threshold == pytest.approx(threshold_for(27))


def test_an_unusually_low_value_is_found_below():
    history = np.array([100.0, 102, 98, 101, 99, 100, 103, 97, 100, 101])
    (outlier,) = find_outliers(history, np.zeros(10), np.array([60.0]), np.zeros(1))
    assert outlier.direction == "below"
    assert outlier.z < -outlier.baseline.threshold


def test_not_enough_history_says_nothing():
    history = np.full(detection.MIN_HISTORY - 1, 10.0)
    assert find_outliers(history, np.zeros(history.size), np.array([1000.0]), np.zeros(1)) == []
    assert baseline_of(np.array([1.0, 2.0])) is None


def test_a_candidate_without_a_baseline_group_is_quiet():
    history = np.full(20, 10.0)
    assert find_outliers(history, np.zeros(20), np.array([1000.0]), np.array([5])) == []


def test_a_constant_history_uses_the_relative_floor():
    """On a constant price a small move is quiet and a large one found, by the floor."""
    history = np.full(12, 9.10)
    threshold = threshold_for(12)
    edge = 9.10 * detection.PRICE_RELATIVE_FLOOR * threshold
    candidates = np.array([9.10 + edge * 0.95, 9.10 + edge * 1.05])
    found = find_outliers(
        history,
        np.zeros(12),
        candidates,
        np.zeros(2),
        relative_floor=detection.PRICE_RELATIVE_FLOOR,
    )
    assert [o.index for o in found] == [1]
    assert found[0].baseline.spread == pytest.approx(9.10 * detection.PRICE_RELATIVE_FLOOR)


def test_the_threshold_edge_is_inclusive():
    history = np.array([10.0, 11, 9, 10, 12, 8, 10, 10, 11, 9])
    base = baseline_of(history)
    assert base is not None
    at = base.median + base.threshold * base.spread
    found = find_outliers(history, np.zeros(10), np.array([at, at - 1e-6]), np.zeros(2))
    assert [o.index for o in found] == [0]


def test_the_threshold_widens_for_small_baselines():
    assert threshold_for(8) > threshold_for(30) > threshold_for(100) > detection.ROBUST_Z_CUTOFF
    assert threshold_for(100_000) == pytest.approx(detection.ROBUST_Z_CUTOFF, abs=0.01)


def test_a_deviation_the_history_has_already_seen_is_quiet():
    """Far by z, but less than 1.5 × as far from the median as a value the baseline holds."""
    history = np.array([10.0] * 10 + [11, 9, 30])
    found = find_outliers(history, np.zeros(13), np.array([30.0, 39.0]), np.zeros(2))
    assert [o.index for o in found] == []
    found = find_outliers(history, np.zeros(13), np.array([61.0]), np.zeros(1))
    assert [o.index for o in found] == [0]


def test_groups_are_judged_against_their_own_baseline():
    history = np.concatenate([np.full(10, 10.0) + np.arange(10) * 0.01, np.full(10, 50.0)])
    groups = np.repeat([0, 1], 10)
    floor = {"relative_floor": detection.PRICE_RELATIVE_FLOOR}
    found = find_outliers(history, groups, np.array([50.0, 10.0]), np.array([0, 1]), **floor)
    assert sorted(o.index for o in found) == [0, 1]
    found = find_outliers(history, groups, np.array([10.0, 50.0]), np.array([0, 1]), **floor)
    assert found == []


def test_a_constant_history_without_a_floor_says_nothing():
    """Every value equal and no floor: there is no spread to measure a distance in."""
    assert baseline_of(np.full(10, 5.0)) is None
    assert find_outliers(np.full(10, 5.0), np.zeros(10), np.array([9.0]), np.zeros(1)) == []


@pytest.mark.parametrize("size", [8, 12, 30, 100])
def test_normal_data_is_quiet(size):
    rng = np.random.default_rng(size)
    history, groups = groups_of(lambda n: rng.normal(50, 5, n), 400, size)
    candidates, candidate_groups = groups_of(lambda n: rng.normal(50, 5, n), 400, 5)
    found = find_outliers(history, groups, candidates, candidate_groups)
    assert len(found) / candidates.size < 0.01


@pytest.mark.parametrize("size", [8, 30, 100])
def test_log_normal_quantities_on_a_log_scale_are_quiet(size):
    """Order quantities are skewed (heavy right tail); on a log scale they are ordinary."""
    rng = np.random.default_rng(100 + size)
    history, groups = groups_of(lambda n: rng.lognormal(3, 0.8, n), 400, size)
    candidates, candidate_groups = groups_of(lambda n: rng.lognormal(3, 0.8, n), 400, 5)
    found = find_outliers(
        np.log(history),
        groups,
        np.log(candidates),
        candidate_groups,
        absolute_floor=detection.LOG_ABSOLUTE_FLOOR,
    )
    assert len(found) / candidates.size < 0.01


@pytest.mark.parametrize("size", [12, 30, 100])
def test_heavy_tailed_data_raises_few_items(size):
    """Student t with 3 degrees of freedom: the tail margin keeps false alarms rare.

    A plain robust z-score cut at 3.5 flags about 3 % of such values (measured); the
    widened threshold and the tail margin keep it under 2 %.
    """
    rng = np.random.default_rng(200 + size)
    history, groups = groups_of(lambda n: 50 + 5 * rng.standard_t(3, n), 400, size)
    candidates, candidate_groups = groups_of(lambda n: 50 + 5 * rng.standard_t(3, n), 400, 5)
    found = find_outliers(history, groups, candidates, candidate_groups)
    assert len(found) / candidates.size < 0.02


def test_seeded_anomalies_in_many_groups_are_found():
    rng = np.random.default_rng(3)
    history, groups = groups_of(lambda n: rng.normal(20, 1, n), 50, 30)
    candidates = rng.normal(20, 1, 50)
    seeded = [3, 17, 41]
    candidates[seeded] = [35.0, 2.0, 40.0]
    found = find_outliers(history, groups, candidates, np.arange(50))
    assert {o.index for o in found} >= set(seeded)
    assert len(found) <= len(seeded) + 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(1, 1000, allow_nan=False), min_size=8, max_size=40),
    st.floats(1, 1000, allow_nan=False),
)
def test_a_value_inside_the_baseline_range_is_never_an_outlier(values, probe):
    history = np.array(values)
    inside = float(np.clip(probe, history.min(), history.max()))
    assert find_outliers(history, np.zeros(history.size), np.array([inside]), np.zeros(1)) == []


# -- level shifts ------------------------------------------------------------------------------


def weekly_series(rng, rows: int, level: float = 40.0) -> np.ndarray:
    weeks = detection.SHIFT_BASELINE_WEEKS + detection.SHIFT_RECENT_WEEKS
    return rng.poisson(level, size=(rows, weeks)).astype(float)


def test_a_level_shift_up_is_found_with_its_means():
    rng = np.random.default_rng(11)
    weekly = weekly_series(rng, 20)
    weekly[4, -detection.SHIFT_RECENT_WEEKS :] = rng.poisson(100, detection.SHIFT_RECENT_WEEKS)
    (shift,) = find_level_shifts(weekly)
    assert shift.row == 4
    assert shift.direction == "up"
    assert shift.recent_mean == pytest.approx(weekly[4, -detection.SHIFT_RECENT_WEEKS :].mean())
    assert shift.baseline_mean == pytest.approx(weekly[4, : -detection.SHIFT_RECENT_WEEKS].mean())
    assert shift.ratio > detection.SHIFT_MIN_RATIO
    assert shift.p_value < detection.SHIFT_ALPHA


def test_demand_dropping_to_nothing_is_a_shift_down():
    rng = np.random.default_rng(12)
    weekly = weekly_series(rng, 5)
    weekly[2, -detection.SHIFT_RECENT_WEEKS :] = 0
    (shift,) = find_level_shifts(weekly)
    assert (shift.row, shift.direction, shift.recent_mean) == (2, "down", 0.0)


def test_steady_demand_is_quiet():
    rng = np.random.default_rng(13)
    assert find_level_shifts(weekly_series(rng, 2000)) == []


def test_heavy_tailed_intermittent_demand_is_quiet():
    """Lumpy demand: most weeks nothing, now and then a large order."""
    rng = np.random.default_rng(14)
    weeks = detection.SHIFT_BASELINE_WEEKS + detection.SHIFT_RECENT_WEEKS
    orders = rng.random((2000, weeks)) < 0.45
    weekly = np.where(orders, rng.lognormal(2, 1.2, (2000, weeks)).round(), 0.0)
    assert len(find_level_shifts(weekly)) <= 2


def test_a_small_shift_is_quiet_however_significant():
    """A 20 % rise is real but below the ratio a planner needs to hear about."""
    weeks = detection.SHIFT_BASELINE_WEEKS + detection.SHIFT_RECENT_WEEKS
    weekly = np.full((1, weeks), 100.0) + np.arange(weeks) % 3
    weekly[0, -detection.SHIFT_RECENT_WEEKS :] = 120
    assert find_level_shifts(weekly) == []
    weekly[0, -detection.SHIFT_RECENT_WEEKS :] = 160  # 1.58 × the baseline mean of 101
    assert [s.row for s in find_level_shifts(weekly)] == [0]


def test_a_series_with_too_few_active_weeks_is_quiet():
    weeks = detection.SHIFT_BASELINE_WEEKS + detection.SHIFT_RECENT_WEEKS
    weekly = np.zeros((1, weeks))
    weekly[0, : detection.SHIFT_MIN_ACTIVE_WEEKS - 1] = 10
    weekly[0, -detection.SHIFT_RECENT_WEEKS :] = 500
    assert find_level_shifts(weekly) == []
    weekly[0, : detection.SHIFT_MIN_ACTIVE_WEEKS] = 10
    assert [s.row for s in find_level_shifts(weekly)] == [0]


def test_too_short_a_matrix_is_quiet():
    assert find_level_shifts(np.ones((3, detection.SHIFT_RECENT_WEEKS))) == []
    assert find_level_shifts(np.zeros((0, 32))) == []


# -- near-duplicate bills ----------------------------------------------------------------------

DAY = datetime.date(2026, 11, 20)


def bill(id_, reference, amount, days=0, group=(1, 7, "EUR")):
    return BillFacts(id_, group, DAY + datetime.timedelta(days=days), D(amount), reference)


def test_a_near_duplicate_bill_is_found_with_its_figures():
    pairs = find_near_duplicates(
        [bill(1, "INV-10043", "1250.00"), bill(2, "INV10043/A", "1250.00", days=5)]
    )
    (pair,) = pairs
    assert (pair.first.id, pair.second.id, pair.days_apart) == (1, 2, 5)
    assert pair.amount_difference == 0
    assert pair.similarity == pytest.approx(reference_similarity("INV-10043", "INV10043/A"))
    assert pair.similarity >= detection.DUPLICATE_MIN_SIMILARITY


@pytest.mark.parametrize(
    ("other", "why"),
    [
        (bill(2, "INV-10043A", "1400.00", days=3), "amount differs by more than 2 %"),
        (bill(2, "INV-10043A", "1250.00", days=31), "more than 30 days apart"),
        (bill(2, "CN-77812", "1250.00", days=3), "references differ"),
        (bill(2, "INV-10043A", "1250.00", days=3, group=(1, 8, "EUR")), "another supplier"),
        (bill(2, "INV-10043A", "1250.00", days=3, group=(1, 7, "USD")), "another currency"),
        (bill(2, "", "1250.00", days=3), "no reference"),
    ],
)
def test_bills_that_differ_are_quiet(other, why):
    assert find_near_duplicates([bill(1, "INV-10043", "1250.00"), other]) == [], why


def test_the_amount_edge_is_inclusive():
    first = bill(1, "INV-500", "100.00")  # 2 % of the larger total
    assert len(find_near_duplicates([first, bill(2, "INV-500B", "98.00")])) == 1
    assert find_near_duplicates([first, bill(2, "INV-500B", "97.99")]) == []


def test_ordinary_bills_of_one_supplier_are_quiet():
    rng = np.random.default_rng(5)
    bills = [
        bill(i, f"INV-{20000 + 137 * i}", f"{rng.uniform(100, 5000):.2f}", days=i)
        for i in range(60)
    ]
    assert find_near_duplicates(bills) == []


def test_reference_similarity_ignores_case_and_punctuation():
    assert reference_similarity("inv-00 1043", "INV001043") == 1.0
    assert reference_similarity("", "INV1") == 0.0
