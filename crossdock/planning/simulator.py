"""Policy simulator: replay a stretch of daily demand under a reorder policy.

Design overview
---------------
Pure NumPy, no Django: the loop runs over days and every step works on all series
(SKU-locations) at once, so 150,000 series × 365 days take seconds.

Input layout: ``demand`` has one ROW PER DAY and one column per series, shape
(days, series) — each day's slice is then contiguous in memory. Pass ``history.T``
(and ``np.ascontiguousarray`` it) if yours is (series, days).

The order of events within a day ``t``:

1. **Receive** every order due on day ``t`` (placed on day ``t − L``).
2. **Serve**: first the backorders still open (oldest demand first), then today's
   demand, from the stock on hand. Demand not served today is backordered, or lost
   when ``lost_sales=True``.
3. **Review and order** (end of day) on review days: the inventory position is
   on hand + on order − backorders. The order is rounded with the policy's MOQ and
   multiple (and capped by ``max_capacity`` if given, see
   :func:`crossdock.planning.policy.round_order`) and arrives at the start of day
   ``t + L`` — ``t + 1`` for a lead time of 0, since today's demand is already served.

Policies (``PolicySpec.kind``):

- ``min_max`` — reviewed daily; when the position is at or below ``s`` (the min),
  order up to ``S`` (the max). The planner's manual rule.
- ``s_S`` — the same trigger with levels derived from the forecast; reviewed every
  ``review_days`` days (1 = daily, which is the default).
- ``R_S`` — every ``review_days`` days, order up to ``S`` whenever the position is
  below it (``s`` is ignored).

Review days are days ``t`` with ``t % R == 0`` (the first day is a review day).

Measures, per series and in total:

- **fill rate** — units served on the day they were demanded / units demanded
  (backorders filled later do not count as filled on time); 1 where nothing was
  demanded;
- **stockout days** — days on which some of the day's demand went unserved;
- **average inventory value** — mean over days of end-of-day on-hand × unit cost;
- **turns** — cost of all units shipped (including late backorders) over the average
  inventory value, annualised (× 365 / days); NaN where the average inventory is 0;
- **orders placed**, and the backorders still open at the end or the units lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crossdock.planning.policy import PolicyError, round_order_unchecked

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
PolicyKind = Literal["min_max", "s_S", "R_S"]
KINDS = ("min_max", "s_S", "R_S")
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class PolicySpec:
    """A reorder policy for every series: levels, cadence, lead times and pack rules.

    ``s`` is the reorder point (the min for ``min_max``), ``S`` the order-up-to level
    (the max); ``review_days`` an int or one per series; ``lead_days`` whole days per
    series; ``moq`` and ``multiple`` per series (multiple 1 = single units);
    ``max_capacity`` optional per series (``inf`` = no limit).
    """

    kind: PolicyKind
    s: FloatArray
    S: FloatArray
    lead_days: IntArray
    moq: FloatArray
    multiple: FloatArray
    review_days: int | IntArray = 1
    max_capacity: FloatArray | None = None


@dataclass(frozen=True)
class SimulationTotals:
    """The whole population of series in one line."""

    series: int
    days: int
    demanded: float
    served_on_time: float
    fill_rate: float
    stockout_days: int
    series_with_stockouts: int
    average_inventory_value: float
    turns: float
    orders_placed: int
    lost: float
    backordered_at_end: float


@dataclass(frozen=True)
class SimulationResult:
    """Per-series measures of one replay (arrays of length ``series``)."""

    days: int
    demanded: FloatArray
    served_on_time: FloatArray
    shipped: FloatArray
    lost: FloatArray
    backordered_at_end: FloatArray
    stockout_days: IntArray
    orders_placed: IntArray
    average_inventory_value: FloatArray
    cost_of_goods_shipped: FloatArray
    ending_on_hand: FloatArray

    @property
    def fill_rate(self) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(self.demanded > 0, self.served_on_time / self.demanded, 1.0)
        return np.asarray(rate)

    @property
    def turns(self) -> FloatArray:
        scale = DAYS_PER_YEAR / self.days
        with np.errstate(divide="ignore", invalid="ignore"):
            turns = np.where(
                self.average_inventory_value > 0,
                self.cost_of_goods_shipped / self.average_inventory_value * scale,
                np.nan,
            )
        return np.asarray(turns)

    def totals(self) -> SimulationTotals:
        demanded = float(self.demanded.sum())
        served = float(self.served_on_time.sum())
        inventory = float(self.average_inventory_value.sum())
        cost = float(self.cost_of_goods_shipped.sum())
        return SimulationTotals(
            series=int(self.demanded.size),
            days=self.days,
            demanded=demanded,
            served_on_time=served,
            fill_rate=served / demanded if demanded > 0 else 1.0,
            stockout_days=int(self.stockout_days.sum()),
            series_with_stockouts=int((self.stockout_days > 0).sum()),
            average_inventory_value=inventory,
            turns=cost / inventory * DAYS_PER_YEAR / self.days if inventory > 0 else float("nan"),
            orders_placed=int(self.orders_placed.sum()),
            lost=float(self.lost.sum()),
            backordered_at_end=float(self.backordered_at_end.sum()),
        )


def _per_series(
    value: ArrayLike, n: int, field: str, *, positive: bool = False, whole: bool = False
) -> FloatArray:
    try:
        array = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
    except (TypeError, ValueError) as error:
        raise PolicyError(field, f"needs one number per series ({n}).") from error
    bad = ~np.isfinite(array) | ((array <= 0) if positive else (array < 0))
    if bad.any():
        reason = "must be more than zero" if positive else "cannot be negative"
        raise PolicyError(field, f"{reason} (series {int(np.flatnonzero(bad)[0])}).")
    if whole and (array != np.round(array)).any():
        first = int(np.flatnonzero(array != np.round(array))[0])
        raise PolicyError(field, f"must be whole days (series {first}).")
    return np.ascontiguousarray(array)


def _check(
    demand: np.ndarray, initial_on_hand: ArrayLike, unit_cost: ArrayLike, policy: PolicySpec
) -> tuple[FloatArray, FloatArray, FloatArray]:
    if policy.kind not in KINDS:
        raise PolicyError("kind", f"must be one of {', '.join(KINDS)}.")
    try:
        demand = np.asarray(demand, dtype=np.float64)  # no copy when already float64
    except (TypeError, ValueError) as error:
        raise PolicyError("demand", "must hold numbers.") from error
    if demand.ndim != 2 or 0 in demand.shape:
        raise PolicyError(
            "demand", "needs shape (days, series) with at least one day and one series."
        )
    n = demand.shape[1]
    # Two reductions instead of full-size masks (NaN fails both comparisons).
    if not (np.min(demand) >= 0 and np.max(demand) < np.inf):
        bad = ~np.isfinite(demand) | (demand < 0)
        day, series = (int(i) for i in np.argwhere(bad)[0])
        raise PolicyError("demand", f"must be a non-negative number (series {series}, day {day}).")
    on_hand = _per_series(initial_on_hand, n, "initial_on_hand")
    cost = _per_series(unit_cost, n, "unit_cost")
    low = _per_series(policy.s, n, "s")
    high = _per_series(policy.S, n, "S")
    if policy.kind != "R_S" and (low > high).any():
        first = int(np.flatnonzero(low > high)[0])
        raise PolicyError("s", f"is above S (series {first}).")
    _per_series(policy.lead_days, n, "lead_days", whole=True)
    _per_series(policy.moq, n, "moq")
    _per_series(policy.multiple, n, "multiple", positive=True)
    _per_series(policy.review_days, n, "review_days", positive=True, whole=True)
    if policy.max_capacity is not None:
        capacity = np.broadcast_to(np.asarray(policy.max_capacity, dtype=np.float64), (n,))
        if np.isnan(capacity).any() or (capacity < 0).any():
            raise PolicyError("max_capacity", "cannot be negative.")
    return demand, on_hand, cost


@dataclass(frozen=True)
class _Plan:
    """The policy's per-series arrays, broadcast and typed once before the loop."""

    kind: PolicyKind
    reorder_at: FloatArray
    order_up_to: FloatArray
    lead: IntArray
    moq: FloatArray
    pack: FloatArray
    capacity: FloatArray | None
    review: IntArray
    uniform_review: int | None

    @classmethod
    def of(cls, policy: PolicySpec, n: int) -> _Plan:
        def floats(value: ArrayLike) -> FloatArray:
            return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))

        def ints(value: ArrayLike) -> IntArray:
            return np.broadcast_to(np.asarray(value, dtype=np.int64), (n,))

        review = ints(1 if policy.kind == "min_max" else policy.review_days)
        return cls(
            kind=policy.kind,
            reorder_at=floats(policy.s),
            order_up_to=floats(policy.S),
            # an order placed after today's demand can arrive tomorrow at the earliest
            lead=np.maximum(ints(policy.lead_days), 1),
            moq=floats(policy.moq),
            pack=floats(policy.multiple),
            capacity=None if policy.max_capacity is None else floats(policy.max_capacity),
            review=review,
            uniform_review=int(review[0]) if (review == review[0]).all() else None,
        )

    def ordering_rows(
        self, day: int, position: FloatArray, scratch: NDArray[np.bool_]
    ) -> IntArray | None:
        """The series that review today and whose position calls for an order (None on a
        day without review)."""
        if self.uniform_review is not None:
            if day % self.uniform_review:
                return None
            if self.kind == "R_S":
                np.less(position, self.order_up_to, out=scratch)
            else:
                np.less_equal(position, self.reorder_at, out=scratch)
            return np.flatnonzero(scratch)
        reviewing = np.flatnonzero(day % self.review == 0)
        if self.kind == "R_S":
            wants = position[reviewing] < self.order_up_to[reviewing]
        else:
            wants = position[reviewing] <= self.reorder_at[reviewing]
        return reviewing[wants]

    def order_quantities(self, rows: IntArray, position: FloatArray) -> FloatArray:
        """Up to S, rounded to MOQ and packs and capped by capacity (see round_order)."""
        at = position[rows]
        return round_order_unchecked(
            self.order_up_to[rows] - at,
            self.moq[rows],
            self.pack[rows],
            None if self.capacity is None else self.capacity[rows],
            at,
        ).quantity


def simulate(
    demand: np.ndarray,
    initial_on_hand: ArrayLike,
    unit_cost: ArrayLike,
    policy: PolicySpec,
    lost_sales: bool = False,
) -> SimulationResult:
    """Replay ``demand`` (days × series) under ``policy``; see the module notes."""
    demand, on_hand, cost = _check(demand, initial_on_hand, unit_cost, policy)
    days, n = demand.shape
    plan = _Plan.of(policy, n)
    on_hand = on_hand.copy()
    # Orders in transit, in a ring indexed by arrival day modulo its length.
    ring = int(plan.lead.max()) + 1
    pipeline = np.zeros((ring, n))
    on_order = np.zeros(n)
    backlog = np.zeros(n)
    # Per-day work arrays, reused (out=) so the loop allocates almost nothing.
    late, served, short, position = (np.empty(n) for _ in range(4))
    scratch = np.empty(n, dtype=np.bool_)
    short_units = np.zeros(n)
    stockout_days = np.zeros(n, dtype=np.int64)
    orders = np.zeros(n, dtype=np.int64)
    inventory_units_days = np.zeros(n)

    for day in range(days):
        # 1. receive
        arriving = pipeline[day % ring]
        on_hand += arriving
        on_order -= arriving
        arriving.fill(0.0)
        # 2. serve open backorders, then today's demand
        if not lost_sales:
            np.minimum(backlog, on_hand, out=late)
            on_hand -= late
            backlog -= late
        wanted = demand[day]
        np.minimum(wanted, on_hand, out=served)
        on_hand -= served
        np.subtract(wanted, served, out=short)
        if not lost_sales:
            backlog += short
        short_units += short
        stockout_days += np.greater(short, 0, out=scratch)
        inventory_units_days += on_hand
        # 3. review and order (end of day)
        np.add(on_hand, on_order, out=position)
        position -= backlog
        rows = plan.ordering_rows(day, position, scratch)
        if rows is None or rows.size == 0:
            continue
        quantity = plan.order_quantities(rows, position)
        placed = quantity > 0
        rows, quantity = rows[placed], quantity[placed]
        pipeline[(day + plan.lead[rows]) % ring, rows] += quantity
        on_order[rows] += quantity
        orders[rows] += 1

    demanded = demand.sum(axis=0)
    # Every unit demanded was served on time, served late, is still backordered or lost.
    shipped = demanded - backlog - (short_units if lost_sales else 0.0)
    return SimulationResult(
        days=days,
        demanded=demanded,
        served_on_time=demanded - short_units,
        shipped=shipped,
        lost=short_units if lost_sales else np.zeros(n),
        backordered_at_end=backlog,
        stockout_days=stockout_days,
        orders_placed=orders,
        average_inventory_value=inventory_units_days / days * cost,
        cost_of_goods_shipped=shipped * cost,
        ending_on_hand=on_hand,
    )


@dataclass(frozen=True)
class ComparisonRow:
    """One policy's totals, rounded to exact Decimals for display."""

    name: str
    fill_rate: Decimal
    stockout_days: int
    series_with_stockouts: int
    average_inventory_value: Decimal
    turns: Decimal | None
    orders_placed: int
    lost: Decimal
    backordered_at_end: Decimal


def _exact(value: float, places: str) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(places), ROUND_HALF_UP)


def compare(results: dict[str, SimulationResult]) -> list[ComparisonRow]:
    """Totals of several replays side by side, in the given order (the first is the
    baseline, for example the current min/max against the forecast-driven policy).

    Fill rate to 4 places (0.9731 = 97.31 %), inventory value to 2, turns to 2
    (None when the average inventory is 0), units to 6 places.
    """
    if not results:
        raise PolicyError("results", "give at least one simulation to compare.")
    shapes = {(r.days, r.demanded.size) for r in results.values()}
    if len(shapes) > 1:
        raise PolicyError("results", "simulations cover different days or series.")
    rows = []
    for name, result in results.items():
        totals = result.totals()
        rows.append(
            ComparisonRow(
                name=name,
                fill_rate=_exact(totals.fill_rate, "0.0001"),
                stockout_days=totals.stockout_days,
                series_with_stockouts=totals.series_with_stockouts,
                average_inventory_value=_exact(totals.average_inventory_value, "0.01"),
                turns=None if np.isnan(totals.turns) else _exact(totals.turns, "0.01"),
                orders_placed=totals.orders_placed,
                lost=_exact(totals.lost, "0.000001"),
                backordered_at_end=_exact(totals.backordered_at_end, "0.000001"),
            )
        )
    return rows
