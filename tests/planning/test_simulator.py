"""The policy simulator on short histories worked out by hand, day by day."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from crossdock.planning.policy import PolicyError
from crossdock.planning.simulator import PolicySpec, compare, simulate

# Two series, ten days, one row per day.
DEMAND = np.array(
    [
        # A  B
        [3, 2],
        [5, 3],
        [6, 0],
        [6, 4],
        [2, 1],
        [0, 5],
        [7, 2],
        [5, 0],
        [3, 3],
        [4, 1],
    ],
    dtype=float,
)
ON_HAND = np.array([12.0, 6.0])
UNIT_COST = np.array([2.0, 10.0])
# A: min 5, max 20, lead 2 days, packs of 5.  B: min 2, max 10, lead 3 days, MOQ 8.
MIN_MAX = PolicySpec(
    kind="min_max",
    s=np.array([5.0, 2.0]),
    S=np.array([20.0, 10.0]),
    lead_days=np.array([2, 3]),
    moq=np.array([0.0, 8.0]),
    multiple=np.array([5.0, 1.0]),
)


def single(kind="min_max", s=0.0, S=10.0, lead=3, **extra):
    return PolicySpec(
        kind=kind,
        s=np.array([s]),
        S=np.array([S]),
        lead_days=np.array([lead]),
        moq=np.array([0.0]),
        multiple=np.array([1.0]),
        **extra,
    )


def test_min_max_with_backorders_on_a_hand_computed_history():
    # A, end of day on hand (backlog): 9, 4 (order 16→20 packs, due day 3), 0 (2 short),
    #   12 (20 in, 2 late, 6 out), 10, 10, 3 (order 17→20, due day 8), 0 (2 short),
    #   15, 11.
    # B: 4, 1 (order 9, due day 4), 1, 0 (3 short), 5 (9 in, 3 late, 1 out),
    #   0 (order 10, due day 8), 0 (2 short), 0, 5, 4.
    result = simulate(DEMAND, ON_HAND, UNIT_COST, MIN_MAX)
    assert result.demanded.tolist() == [41.0, 21.0]
    assert result.served_on_time.tolist() == [37.0, 16.0]
    assert result.shipped.tolist() == [41.0, 21.0]
    assert result.lost.tolist() == [0.0, 0.0]
    assert result.backordered_at_end.tolist() == [0.0, 0.0]
    assert result.stockout_days.tolist() == [2, 2]
    assert result.orders_placed.tolist() == [2, 2]
    assert result.ending_on_hand.tolist() == [11.0, 4.0]
    assert result.fill_rate.tolist() == [37 / 41, 16 / 21]
    # average on hand: A 74/10 = 7.4 units × 2 = 14.8; B 20/10 = 2 units × 10 = 20
    assert result.average_inventory_value.tolist() == pytest.approx([14.8, 20.0], abs=1e-12)
    # turns: A 82/14.8 × 36.5 = 202.2297…; B 210/20 × 36.5 = 383.25
    assert result.turns.tolist() == pytest.approx([82 / 14.8 * 36.5, 383.25], abs=1e-9)
    totals = result.totals()
    assert (totals.demanded, totals.served_on_time) == (62.0, 53.0)
    assert totals.fill_rate == 53 / 62
    assert (totals.stockout_days, totals.series_with_stockouts, totals.orders_placed) == (4, 2, 4)
    assert totals.average_inventory_value == pytest.approx(34.8, abs=1e-12)
    assert totals.turns == pytest.approx(292 / 34.8 * 36.5, abs=1e-9)


def test_lost_sales_are_lost_not_carried():
    # A: day 2 loses 2; with no backlog the position on day 6 is 5 → order 15 (due day 8);
    #   day 7 sells the last 5. End of day: 9, 4, 0, 14, 12, 12, 5, 0, 12, 8.
    # B: day 3 loses 3, day 4 on hand 9 − 1 = 8; day 5 sells 5 → 3, no order (3 > 2);
    #   day 6 → 1, order 9 (due day 9); day 7 1; day 8 loses 2 → 0; day 9 9 in, 1 out → 8.
    result = simulate(DEMAND, ON_HAND, UNIT_COST, MIN_MAX, lost_sales=True)
    assert result.lost.tolist() == [2.0, 5.0]
    assert result.served_on_time.tolist() == [39.0, 16.0]
    assert result.shipped.tolist() == [39.0, 16.0]
    assert result.backordered_at_end.tolist() == [0.0, 0.0]
    assert result.stockout_days.tolist() == [1, 2]
    assert result.orders_placed.tolist() == [2, 2]
    assert result.ending_on_hand.tolist() == [8.0, 8.0]
    assert result.average_inventory_value.tolist() == pytest.approx([15.2, 27.0], abs=1e-12)


def test_orders_arrive_at_the_start_of_day_t_plus_lead_time():
    # Ordered at the end of day 0 with a 3-day lead time: on hand from day 3, before demand.
    on_time = simulate(np.array([[0.0], [0], [0], [5]]), [0.0], [1.0], single(lead=3))
    assert on_time.fill_rate.tolist() == [1.0]
    assert on_time.orders_placed.tolist() == [1]
    assert on_time.ending_on_hand.tolist() == [5.0]
    too_early = simulate(np.array([[0.0], [0], [5], [0]]), [0.0], [1.0], single(lead=3))
    assert too_early.fill_rate.tolist() == [0.0]
    assert too_early.stockout_days.tolist() == [1]
    assert too_early.backordered_at_end.tolist() == [0.0]  # served late on day 3
    assert too_early.ending_on_hand.tolist() == [5.0]
    # a lead time of 0 still arrives the next morning: today's demand is already served
    same_day = simulate(np.array([[5.0], [5]]), [0.0], [1.0], single(lead=0))
    assert same_day.served_on_time.tolist() == [5.0]
    assert same_day.stockout_days.tolist() == [1]


def test_R_S_orders_only_on_review_days():
    # 2 a day, S = 10, lead 1: every 3 days → orders on days 0, 3, 6 (2, 6, 6 units);
    # every 2 days → days 0, 2, 4, 6 (2, 4, 4, 4 units).
    demand = np.full((7, 2), 2.0)
    policy = PolicySpec(
        kind="R_S",
        s=np.zeros(2),
        S=np.array([10.0, 10.0]),
        lead_days=np.array([1, 1]),
        moq=np.zeros(2),
        multiple=np.ones(2),
        review_days=np.array([3, 2]),
    )
    result = simulate(demand, [10.0, 10.0], [1.0, 1.0], policy)
    assert result.orders_placed.tolist() == [3, 4]
    assert result.ending_on_hand.tolist() == [4.0, 6.0]
    assert result.fill_rate.tolist() == [1.0, 1.0]
    weekly = simulate(demand[:, :1], [10.0], [1.0], single("R_S", S=10.0, lead=1, review_days=7))
    assert weekly.orders_placed.tolist() == [1]
    assert weekly.stockout_days.tolist() == [1]  # day 5 sells the last 2; day 6 runs dry


def test_s_S_reviews_on_its_cadence_while_min_max_reviews_daily():
    daily = simulate(DEMAND, ON_HAND, UNIT_COST, MIN_MAX)
    same = simulate(DEMAND, ON_HAND, UNIT_COST, PolicySpec(**{**MIN_MAX.__dict__, "kind": "s_S"}))
    assert same.orders_placed.tolist() == daily.orders_placed.tolist()
    assert same.served_on_time.tolist() == daily.served_on_time.tolist()
    # reviewed on even days only — A: day 2 short 2, position −2 → order 22 → 25 (due day 4),
    # day 3 short 6, day 8 position 0 → order 20, day 9 short 4: 29 served on time.
    # B: day 2 order 9 (due day 5), days 3, 4 short 3, 1; day 6 short 2 → order 12 (due
    # day 9); day 8 short 3: 12 served on time.
    every_other = simulate(
        DEMAND,
        ON_HAND,
        UNIT_COST,
        PolicySpec(**{**MIN_MAX.__dict__, "kind": "s_S", "review_days": 2}),
    )
    assert every_other.served_on_time.tolist() == [29.0, 12.0]
    assert every_other.orders_placed.tolist() == [2, 2]


def test_orders_respect_capacity_in_whole_packs():
    # wants 20, capacity 12, packs of 5 → 10
    policy = PolicySpec(
        kind="min_max",
        s=np.array([0.0]),
        S=np.array([20.0]),
        lead_days=np.array([1]),
        moq=np.array([0.0]),
        multiple=np.array([5.0]),
        max_capacity=np.array([12.0]),
    )
    result = simulate(np.zeros((3, 1)), [0.0], [1.0], policy)
    assert result.orders_placed.tolist() == [1]
    assert result.ending_on_hand.tolist() == [10.0]


def test_compare_rounds_totals_for_display():
    rows = compare(
        {
            "current min/max": simulate(DEMAND, ON_HAND, UNIT_COST, MIN_MAX),
            "lost sales": simulate(DEMAND, ON_HAND, UNIT_COST, MIN_MAX, lost_sales=True),
        }
    )
    assert [row.name for row in rows] == ["current min/max", "lost sales"]
    first, second = rows
    assert first.fill_rate == Decimal("0.8548")  # 53/62
    assert first.average_inventory_value == Decimal("34.80")
    assert first.turns == Decimal("306.26")  # 292/34.8 × 36.5
    assert (first.stockout_days, first.series_with_stockouts, first.orders_placed) == (4, 2, 4)
    assert first.lost == Decimal("0.000000")
    assert second.fill_rate == Decimal("0.8871")  # 55/62
    assert second.lost == Decimal("7.000000")
    assert second.average_inventory_value == Decimal("42.20")


def test_turns_are_absent_without_inventory():
    result = simulate(np.full((2, 1), 3.0), [0.0], [4.0], single(S=0.0))
    assert np.isnan(result.turns[0])
    assert result.totals().fill_rate == 0.0
    assert compare({"empty shelf": result})[0].turns is None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"demand": np.array([[1.0, -2.0]])}, "demand", "series 1, day 0"),
        ({"demand": np.array([[1.0, np.nan]])}, "demand", "series 1, day 0"),
        ({"demand": np.array([1.0, 2.0])}, "demand", "shape (days, series)"),
        ({"demand": np.zeros((0, 2))}, "demand", "at least one day and one series"),
        ({"demand": np.array([[1.0, np.inf]])}, "demand", "series 1, day 0"),
        ({"demand": [["a", "b"]]}, "demand", "must hold numbers"),
        ({"kind": "weekly"}, "kind", "must be one of"),
        ({"s": np.array([5.0, 20.0])}, "s", "above S (series 1)"),
        ({"multiple": np.array([5.0, 0.0])}, "multiple", "more than zero (series 1)"),
        ({"moq": np.array([-1.0, 0.0])}, "moq", "cannot be negative (series 0)"),
        ({"lead_days": np.array([2, -1])}, "lead_days", "cannot be negative (series 1)"),
        ({"review_days": 0}, "review_days", "more than zero"),
        ({"review_days": 1.5}, "review_days", "whole days"),
        ({"lead_days": np.array([2.0, 2.5])}, "lead_days", "whole days (series 1)"),
        ({"initial_on_hand": np.array([1.0, 2.0, 3.0])}, "initial_on_hand", "one number per"),
        ({"unit_cost": np.array([1.0, -1.0])}, "unit_cost", "cannot be negative"),
    ],
)
def test_bad_input_is_refused_naming_the_field(change, field, message):
    arguments = {"demand": DEMAND, "initial_on_hand": ON_HAND, "unit_cost": UNIT_COST}
    policy_fields = {**MIN_MAX.__dict__}
    for key, value in change.items():
        (arguments if key in arguments else policy_fields)[key] = value
    with pytest.raises(PolicyError) as error:
        simulate(
            arguments["demand"],
            arguments["initial_on_hand"],
            arguments["unit_cost"],
            PolicySpec(**policy_fields),
        )
    assert error.value.field == field
    assert message in error.value.message


def test_compare_refuses_nothing_or_mismatched_replays():
    with pytest.raises(PolicyError) as error:
        compare({})
    assert error.value.field == "results"
    short = simulate(DEMAND[:5], ON_HAND, UNIT_COST, MIN_MAX)
    full = simulate(DEMAND, ON_HAND, UNIT_COST, MIN_MAX)
    with pytest.raises(PolicyError) as error:
        compare({"short": short, "full": full})
    assert error.value.message == "simulations cover different days or series."
