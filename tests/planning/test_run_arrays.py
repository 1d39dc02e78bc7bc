"""The run's whole-array helpers agree with the per item reference they replaced."""

from __future__ import annotations

import datetime

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.planning.services import levels as calc

# Every finite figure a quantity field can store (|value| × 10**6 within 64 bits), NaN and ±inf.
FIGURES = (
    st.floats(min_value=-1e12, max_value=1e12)
    | st.sampled_from([float("nan"), float("inf"), float("-inf")])
    | st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False).map(float)
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(
    values=st.lists(FIGURES, min_size=1, max_size=40),
    places=st.sampled_from([2, 3, 4]),
    scale=st.sampled_from([4, 6]),
)
def test_stored_integers_equal_to_decimal_per_value(values, places, scale):
    got = calc.stored_integers(np.array(values), places, scale).tolist()
    expected = [int(calc.to_decimal(v, places).scaleb(scale)) for v in values]
    assert got == expected


def test_stored_integers_round_ties_half_up_like_to_decimal():
    ties = np.array([0.125, -0.125, 2.675, 0.285, 1.005, -2.5e-3, 0.0, -0.0])
    assert calc.stored_integers(ties, 2, 6).tolist() == [
        int(calc.to_decimal(v, 2).scaleb(6)) for v in ties
    ]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 4),  # item (4 = not planned)
            st.integers(-3, 12),  # day offset (outside the window is dropped)
            st.integers(-2, 50),  # whole units
            st.booleans(),
            st.booleans(),
        ),
        max_size=60,
        unique_by=lambda r: (r[0], r[1]),
    )
)
def test_demand_matrix_from_columns_equals_the_row_by_row_build(rows):
    start = datetime.date(2026, 1, 1)
    index_of = {(p, 1): p for p in range(4)}
    records = [
        (p, 1, start + datetime.timedelta(days=d), q * 10**6, outlier, promotion)
        for p, d, q, outlier, promotion in rows
    ]
    reference = _row_by_row(index_of, 4, start, 10, records)
    keys = np.array([index_of.get((p, 1), -1) for p, *_ in rows], dtype=np.int64)
    found = calc.demand_matrix_of(
        keys,
        np.array([d for _, d, *_ in rows], dtype=np.int64),
        np.array([q for _, _, q, *_ in rows], dtype=np.float64),
        np.array([o or m for *_, o, m in rows], dtype=bool),
        4,
        10,
    )
    for name in ("daily", "rows", "anomalies", "flagged", "last_day"):
        assert np.array_equal(getattr(found, name), getattr(reference, name)), name


def _row_by_row(index_of, n, start, days, records):
    """The per row build the run used before (the reference)."""
    history = calc.History(
        np.zeros((n, days)),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.full(n, -1, dtype=np.int64),
    )
    normal: dict[int, list[float]] = {}
    replace = []
    for product, warehouse, day, stored, outlier, promotion in records:
        item = index_of.get((product, warehouse), -1)
        offset = (day - start).days
        if item < 0 or not 0 <= offset < days:
            continue
        quantity = stored / 10**6
        history.rows[item] += 1
        if quantity <= 0:
            history.anomalies[item] += 1
            continue
        history.last_day[item] = max(history.last_day[item], offset)
        if outlier or promotion:
            replace.append((item, offset))
        else:
            history.daily[item, offset] = quantity
            normal.setdefault(item, []).append(quantity)
    for item, offset in replace:
        history.flagged[item] += 1
        history.daily[item, offset] = float(np.median(normal[item])) if item in normal else 0.0
    return history
