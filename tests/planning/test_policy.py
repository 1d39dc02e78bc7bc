"""Reorder-policy maths on textbook worked examples, order rounding and refused input."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.core.fields import QUANTITY_SCALE
from crossdock.planning import policy
from crossdock.planning.policy import ManualMinMax, OrderAdjustment, PolicyError

D = Decimal

# d = 100/day, σd = 20, L = 4 days, σL = 1 day: σ_X = sqrt(4·20² + 100²·1²) = sqrt(11600)
SIGMA_X = 107.70329614269008


def test_demand_spread_over_lead_time_combines_demand_and_lead_time_variability():
    assert policy.demand_sd_over_interval(100, 20, 4, 1) == pytest.approx(SIGMA_X, abs=1e-12)
    # with a 7-day review: sqrt(11·400 + 10000) = sqrt(14400) = 120 exactly
    assert policy.demand_sd_over_interval(100, 20, 4, 1, review_days=7) == 120.0


def test_cycle_service_level_safety_stock_worked_example():
    # z(95 %) = 1.6448536…; SS = 1.6448536 · 107.7033 = 177.156
    safety = policy.safety_stock_cycle(0.95, 100, 20, 4, 1)
    assert round(float(safety)) == 177
    assert float(safety) == pytest.approx(177.156157, abs=1e-6)
    assert policy.safety_stock_cycle_exact("0.95", "100", "20", "4", "1") == D("177.156157")
    assert policy.safety_stock_cycle_exact("0.95", "100", "20", "4", "1", places=0) == D("177")


def test_cycle_service_level_with_review_period_and_no_lead_time_variability():
    # (R, S) with R = 7: SS = 1.6448536 · 120 = 197.382
    assert policy.safety_stock_cycle_exact("0.95", 100, 20, 4, 1, review_days=7) == D("197.382435")
    # σL = 0 leaves z·σd·sqrt(L): 1.6448536 · 20 · 2 = 65.794145
    assert float(policy.safety_stock_cycle(0.95, 100, 20, 4, 0)) == pytest.approx(
        65.794145, abs=1e-6
    )
    # no uncertainty at all → no safety stock
    assert float(policy.safety_stock_cycle(0.99, 100, 0, 4, 0)) == 0.0


def test_cycle_service_level_is_vectorised_over_rows():
    safety = policy.safety_stock_cycle(
        np.array([0.95, 0.5, 0.95]), np.array([100, 100, 0]), 20, 4, np.array([1, 1, 0])
    )
    assert safety.shape == (3,)
    assert np.round(safety, 6).tolist() == [177.156157, 0.0, 65.794145]


def test_fill_rate_safety_stock_worked_examples():
    # σ_X = 100 (σd = 50 over L = 4, σL = 0), Q = 500, β = 99 %:
    # G(k) = 0.01·500/100 = 0.05 → k = 1.2556 (tables: G(1.25) = 0.0506, G(1.26) = 0.0493)
    safety = float(policy.safety_stock_fill_rate(0.99, 500, 100, 50, 4, 0))
    assert safety == pytest.approx(125.558172, abs=1e-6)
    # d = 100, σd = 20, L = 4, σL = 1, Q = 1000, β = 98 %: G(k) = 20/107.7033 = 0.18570
    safety = float(policy.safety_stock_fill_rate(0.98, 1000, 100, 20, 4, 1))
    assert round(safety) == 58
    assert safety == pytest.approx(58.174209, abs=1e-6)
    k = safety / SIGMA_X
    assert float(policy.normal_loss(k)) == pytest.approx(0.02 * 1000 / SIGMA_X, abs=1e-12)


def test_fill_rate_safety_factor_is_clamped_at_zero_for_large_orders():
    # (1 − β)·Q/σ = 0.1·1000/107.7 = 0.93 > G(0) = 0.3989: the order alone meets the target
    assert float(policy.safety_stock_fill_rate(0.9, 1000, 100, 20, 4, 1)) == 0.0
    # and no uncertainty needs no safety stock
    assert float(policy.safety_stock_fill_rate(0.99, 10, 100, 0, 4, 0)) == 0.0
    mixed = policy.safety_stock_fill_rate([0.98, 0.9], [1000, 1000], 100, 20, 4, 1)
    assert np.round(mixed, 6).tolist() == [58.174209, 0.0]


def test_normal_loss_function_matches_tables():
    assert np.round(policy.normal_loss([0.0, 1.0, 2.0]), 4).tolist() == [0.3989, 0.0833, 0.0085]


def test_levels_for_s_S_and_R_S():
    safety = policy.safety_stock_cycle(0.95, 100, 20, 4, 1)
    s = policy.reorder_point(100, 4, safety)
    assert float(s) == pytest.approx(577.156157, abs=1e-6)
    # (s, S) with Q = 1000: S = s + Q
    assert float(policy.order_up_to(100, 4, safety, order_quantity=1000)) == pytest.approx(
        1577.156157, abs=1e-6
    )
    # (R, S) with R = 7: S = 100·11 + 197.382435
    safety_r = policy.safety_stock_cycle(0.95, 100, 20, 4, 1, review_days=7)
    assert float(policy.order_up_to(100, 4, safety_r, review_days=7)) == pytest.approx(
        1297.382435, abs=1e-6
    )


def test_seasonal_levels_sum_the_rates_of_the_protection_interval():
    profile = np.ones(12)
    profile[1] = 2.0  # February sells double
    rates = policy.rates_from_month_profile(np.array([10.0]), profile, first_month=1, days=60)
    assert rates.shape == (1, 60)
    assert rates[0, 30] == 10.0  # 31 January
    assert rates[0, 31] == 20.0  # 1 February
    levels = policy.seasonal_levels(rates, 5, 40, 2, 0.95)
    # demand over 40 days: 31·10 + 9·20 = 490; mean rate 12.25;
    # SS = 1.6448536·sqrt(40·25 + 12.25²·4) = 65.799285
    assert float(levels.safety_stock[0]) == pytest.approx(65.799285, abs=1e-6)
    assert float(levels.reorder_point[0]) == pytest.approx(555.799285, abs=1e-6)
    assert float(levels.order_up_to[0]) == pytest.approx(555.799285, abs=1e-6)
    # a flat profile gives back the flat-rate figures
    flat = policy.rates_from_month_profile(np.array([100.0]), np.ones(12), 3, 30)
    flat_levels = policy.seasonal_levels(flat, 20, 4, 1, 0.95, review_days=7)
    assert float(flat_levels.order_up_to[0]) == pytest.approx(1297.382435, abs=1e-6)


def test_rates_from_forecast_buckets_and_fractional_horizons():
    rates = policy.rates_from_buckets(np.array([[70.0, 140.0]]), bucket_days=7)
    assert rates.tolist() == [[10.0] * 7 + [20.0] * 7]
    # 10.5 days: 7·10 + 3·20 + 0.5·20
    assert policy.demand_over(rates, 10.5).tolist() == [140.0]
    with pytest.raises(PolicyError) as error:
        policy.demand_over(rates, 15)
    assert error.value.field == "forecast"
    assert "covers 14 days" in error.value.message


ROUNDING_CASES = [
    # quantity, moq, multiple, capacity, position → quantity, flags
    ("0", "10", "4", None, None, "0", OrderAdjustment.NONE),
    ("-3", "10", "4", None, None, "0", OrderAdjustment.NONE),
    ("5", "10", "1", None, None, "10", OrderAdjustment.RAISED_TO_MOQ),
    ("13", "0", "6", None, None, "18", OrderAdjustment.ROUNDED_UP_TO_MULTIPLE),
    ("18", "0", "6", None, None, "18", OrderAdjustment.NONE),
    (
        "5",
        "10",
        "4",
        None,
        None,
        "12",
        OrderAdjustment.RAISED_TO_MOQ | OrderAdjustment.ROUNDED_UP_TO_MULTIPLE,
    ),
    ("0.3", "0", "0.1", None, None, "0.3", OrderAdjustment.NONE),
    ("30", "10", "4", "100", "0", "32", OrderAdjustment.ROUNDED_UP_TO_MULTIPLE),
    (
        "30",
        "10",
        "4",
        "100",
        "75",
        "24",
        OrderAdjustment.ROUNDED_UP_TO_MULTIPLE | OrderAdjustment.CAPPED_AT_CAPACITY,
    ),
    (
        "30",
        "10",
        "4",
        "100",
        "92",
        "0",
        OrderAdjustment.ROUNDED_UP_TO_MULTIPLE | OrderAdjustment.DROPPED_BELOW_MOQ_AFTER_CAP,
    ),
    ("8", "0", "4", "100", "100", "0", OrderAdjustment.NO_ROOM),
    ("8", "0", "4", "100", "103", "0", OrderAdjustment.NO_ROOM),
    ("8", "0", "4", "100", "97", "0", OrderAdjustment.NO_ROOM),
]


@pytest.mark.parametrize(
    ("quantity", "moq", "multiple", "capacity", "position", "expected", "flags"), ROUNDING_CASES
)
def test_round_order_exact(quantity, moq, multiple, capacity, position, expected, flags):
    rounded = policy.round_order_exact(D(quantity), D(moq), D(multiple), capacity, position)
    assert rounded.quantity == D(expected)
    assert rounded.adjustment == flags


def test_round_order_vectorised_agrees_with_exact_cases():
    columns = list(zip(*ROUNDING_CASES, strict=True))
    quantity, moq, multiple = (np.array(c, dtype=float) for c in columns[:3])
    capacity = np.array([np.inf if c is None else float(c) for c in columns[3]])
    position = np.array([0.0 if p is None else float(p) for p in columns[4]])
    rounded = policy.round_order(quantity, moq, multiple, capacity, position)
    assert policy.to_quantities(rounded.quantity) == [D(e) for e in columns[5]]
    assert rounded.adjustment.tolist() == [int(f) for f in columns[6]]


quarters = st.integers(min_value=-40, max_value=4000).map(lambda q: D(q) / 4)


@given(
    quantity=quarters,
    moq=st.integers(min_value=0, max_value=200).map(D),
    multiple=st.sampled_from([D(1), D(2), D(5), D(12), D("0.5"), D("0.25")]),
    capacity=st.none() | st.integers(min_value=0, max_value=1200).map(D),
    position=st.integers(min_value=-50, max_value=1200).map(D),
)
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a busy machine is slow
def test_round_order_vectorised_matches_exact(quantity, moq, multiple, capacity, position):
    exact = policy.round_order_exact(quantity, moq, multiple, capacity, position)
    rounded = policy.round_order(
        float(quantity),
        float(moq),
        float(multiple),
        None if capacity is None else float(capacity),
        float(position),
    )
    assert policy.quantity_of(float(rounded.quantity)) == exact.quantity
    assert int(rounded.adjustment) == int(exact.adjustment)
    if exact.quantity > 0:
        assert exact.quantity >= moq
        assert exact.quantity % multiple == 0
        if capacity is not None:
            assert position + exact.quantity <= capacity


def test_round_order_explains_its_adjustments():
    rounded = policy.round_order_exact(D(30), D(10), D(4), D(100), D(92))
    assert rounded.reasons == [
        "rounded up to whole packs",
        "not ordered: the room left under the maximum capacity is below the minimum order quantity",
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"multiple": 0}, "multiple"),
        ({"multiple": -2}, "multiple"),
        ({"moq": -1}, "moq"),
        ({"max_capacity": -5}, "max_capacity"),
        ({"quantity": float("nan")}, "quantity"),
        ({"quantity": float("inf")}, "quantity"),
    ],
)
def test_round_order_refuses_bad_constraints(kwargs, field):
    arguments = {"quantity": 5, "moq": 0, "multiple": 1, **kwargs}
    with pytest.raises(PolicyError) as error:
        policy.round_order(**arguments)
    assert error.value.field == field
    exact_arguments = {k: v if isinstance(v, float) else D(v) for k, v in arguments.items()}
    with pytest.raises(PolicyError) as exact_error:
        policy.round_order_exact(**exact_arguments)
    assert exact_error.value.field == field


def test_exact_helpers_refuse_floats():
    with pytest.raises(PolicyError) as error:
        policy.round_order_exact(D(5), 0.5, D(1))
    assert (error.value.field, error.value.message) == (
        "moq",
        'give an exact decimal (a string such as "12.5").',
    )


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        (("abc", D(0), D(1)), "quantity", "'abc' is not a number."),
        ((D("NaN"), D(0), D(1)), "quantity", "must be a finite number."),
        ((D(5), D(0), D(1), D(10), "x"), "on_hand_position", "'x' is not a number."),
    ],
)
def test_round_order_exact_refuses_unreadable_figures(arguments, field, message):
    with pytest.raises(PolicyError) as error:
        policy.round_order_exact(*arguments)
    assert (error.value.field, error.value.message) == (field, message)


def test_invalid_order_constraints_marks_rows_to_report():
    bad = policy.invalid_order_constraints(
        np.array([0, -1, 5, 5]), np.array([1, 1, 0, 2]), np.array([10, 10, 10, -1])
    )
    assert bad.tolist() == [False, True, True, True]


def test_manual_min_max_orders_up_to_max_in_whole_packs():
    rule = ManualMinMax(D(20), D(50), D(12))
    assert rule.order_quantity(D(21)).quantity == D(0)
    # at the min: 50 − 20 = 30 → 3 packs of 12 = 36
    assert rule.order_quantity(D(20)).quantity == D(36)
    assert rule.order_quantity(D(-4), moq=D(60)).quantity == D(60)
    assert ManualMinMax("2", "2", "1").max_quantity == D(2)


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        ((D(60), D(50), D(1)), "min_quantity", "60 is above the maximum 50."),
        ((D(-1), D(50), D(1)), "min_quantity", "cannot be negative."),
        ((D(0), D(-5), D(1)), "max_quantity", "cannot be negative."),
        ((D(0), D(5), D(0)), "multiple", "must be more than zero."),
        ((D(0), D(5), D(-6)), "multiple", "must be more than zero."),
        ((D(0), "abc", D(1)), "max_quantity", "'abc' is not a number."),
        ((D(0), D("Infinity"), D(1)), "max_quantity", "must be a finite number."),
        ((1.5, D(5), D(1)), "min_quantity", 'give an exact decimal (a string such as "12.5").'),
    ],
)
def test_manual_min_max_refuses_bad_rules_naming_the_field(arguments, field, message):
    with pytest.raises(PolicyError) as error:
        ManualMinMax(*arguments)
    assert (error.value.field, error.value.message) == (field, message)
    assert error.value.fields == {field: [message]}
    assert str(error.value) == f"{field}: {message}"


def test_check_manual_rules_reports_each_bad_row_without_stopping():
    problems = policy.check_manual_rules([(D(1), D(2), D(1)), (D(5), D(2), D(1)), (0, 0, 0)])
    assert sorted(problems) == [1, 2]
    assert problems[1].field == "min_quantity"
    assert problems[2].field == "multiple"


@pytest.mark.parametrize("p", [0, 1, 1.5, -0.2, float("nan")])
def test_service_level_must_lie_strictly_between_zero_and_one(p):
    with pytest.raises(PolicyError) as error:
        policy.service_level_z(p)
    assert error.value.field == "service_level"
    assert error.value.message == "must be between 0 and 1, both excluded."


def test_service_level_z_values_and_bad_row_named():
    assert policy.service_level_z([0.5, 0.95]).round(6).tolist() == [0.0, 1.644854]
    assert round(float(policy.service_level_z(D("0.99"))), 6) == 2.326348
    with pytest.raises(PolicyError) as error:
        policy.service_level_z([0.9, 0.95, 1.0])
    assert error.value.message == "must be between 0 and 1, both excluded (row 2)."


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ((0.95, -1, 20, 4, 1), "demand_mean"),
        ((0.95, 100, -20, 4, 1), "demand_sd"),
        ((0.95, 100, 20, np.nan, 1), "lead_mean"),
        ((0.95, 100, 20, 4, -1), "lead_sd"),
    ],
)
def test_safety_stock_refuses_negative_or_missing_figures(arguments, field):
    with pytest.raises(PolicyError) as error:
        policy.safety_stock_cycle(*arguments)
    assert error.value.field == field


def test_fill_rate_needs_a_positive_order_quantity():
    with pytest.raises(PolicyError) as error:
        policy.safety_stock_fill_rate(0.98, 0, 100, 20, 4, 1)
    assert error.value.field == "order_quantity"
    with pytest.raises(PolicyError) as error:
        policy.safety_stock_fill_rate(1.0, 100, 100, 20, 4, 1)
    assert error.value.field == "fill_rate"


def test_quantities_are_rounded_to_the_stored_scale():
    assert policy.QUANTITY_PLACES == QUANTITY_SCALE
    assert policy.to_quantities(np.array([177.15615729, 0.1 + 0.2])) == [
        D("177.156157"),
        D("0.300000"),
    ]


def test_policy_modules_import_no_django():
    code = (
        "import sys; import crossdock.planning.policy, crossdock.planning.simulator;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
