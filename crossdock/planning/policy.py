"""Reorder-policy maths: safety stock, reorder points, order-up-to levels, order rounding.

Design overview
---------------
Everything here is pure: no Django, no database. The replenishment run calls these
functions from worker code with NumPy arrays holding every SKU-location at once
(150,000 rows at seed scale), so each function is vectorised and broadcasts its
arguments. Exact-Decimal single-item versions exist where a figure is shown to a
planner or checked by hand (``safety_stock_cycle_exact``, ``round_order_exact``,
``ManualMinMax``); array results are turned into Decimals with :func:`to_quantities`
before they are stored or displayed.

Units: demand is a daily rate (units per day), lead times and review periods are in
days. ``demand_sd`` is the standard deviation of one day's demand, ``lead_sd`` the
standard deviation of the supplier lead time (from the supplier scorecard).

Protection interval
    An order placed now must cover demand until the next order can arrive: the lead
    time L plus the review period R (R = 0 for continuous review). With daily demand
    independent from day to day and independent of the lead time, demand over the
    interval has mean ``d·(L+R)`` and standard deviation

        σ_X = sqrt((L + R)·σd² + d²·σL²)

    (the review period is fixed, so only the lead time contributes the second term).

Cycle service level (probability of no stockout in a replenishment cycle)
    ``SS = z·σ_X`` with ``z = Φ⁻¹(CSL)``.

Fill rate β (share of demand served from stock)
    Expected units short per cycle are ``σ_X·G(k)``, with the standard normal loss
    function ``G(k) = φ(k) − k·(1 − Φ(k))``. Setting them to ``(1 − β)·Q`` gives
    ``G(k) = (1 − β)·Q / σ_X``; ``k`` is found with Newton's method (scipy) and
    ``SS = k·σ_X``. When the order quantity is so large that the target is met with
    ``k < 0`` (``G(0) ≈ 0.3989``), ``k`` is clamped at 0: a negative safety stock would
    plan to be short before every receipt, and the normal approximation of the loss
    is poor in that region. Planners see "no safety stock needed", not a negative one.

Levels
    ``reorder_point = d·L + SS`` (the ``s`` of an (s, S) policy, SS computed with R = 0).
    ``order_up_to = d·(L + R) + SS + Q``: for (R, S) pass the review period and Q = 0;
    for (s, S) pass R = 0 and the order quantity Q, so ``S = s + Q``.
    Seasonal policies replace the flat rate ``d`` by the daily rates of the protection
    interval (from a per-month profile or the forecast per bucket), see
    :func:`seasonal_levels`.

Order rounding
    :func:`round_order`: raise to the MOQ, then up to a whole number of packs (the
    order multiple); if a maximum capacity is given, cap so that position + order
    never exceeds it, rounding the capped quantity DOWN to whole packs; if that falls
    under the MOQ the order becomes 0 and the flags say why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from enum import IntFlag
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

FloatArray = NDArray[np.float64]

#: Decimal places of stored quantities; mirrors ``crossdock.core.fields.QUANTITY_SCALE``
#: (this module imports no Django; a test keeps the two equal).
QUANTITY_PLACES = 6

#: Tolerance, in packs, when rounding float quantities to whole packs: 3.0000000001
#: packs is 3 packs, not 4 (float division noise), while 3.001 packs is 4.
PACK_TOLERANCE = 1e-9

#: Largest safety factor the fill-rate solver returns (G(6) ≈ 1.6e-10 units short per
#: unit of σ — beyond it the target is indistinguishable from "never short").
MAX_SAFETY_FACTOR = 6.0


class PolicyError(ValueError):
    """A policy figure is unusable; ``field`` names it, ``message`` says why.

    Callers in the Django layer turn it into a ``DomainError`` with
    ``fields={error.field: [error.message]}``; the replenishment run lists it in its
    report as an exception for the row instead of stopping.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    @property
    def fields(self) -> dict[str, list[str]]:
        return {self.field: [self.message]}


# -- input checks -------------------------------------------------------------


def _array(value: ArrayLike, field: str, *, positive: bool = False) -> FloatArray:
    """A float array of finite, non-negative (or positive) figures; PolicyError otherwise."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise PolicyError(field, "must be a number.") from error
    bad = ~np.isfinite(array)
    if bad.any():
        raise PolicyError(field, f"must be a finite number{_where(bad)}.")
    bad = array <= 0 if positive else array < 0
    if bad.any():
        reason = "must be more than zero" if positive else "cannot be negative"
        raise PolicyError(field, f"{reason}{_where(bad)}.")
    return array


def _where(bad: NDArray[np.bool_]) -> str:
    if bad.ndim == 0:
        return ""
    count = int(bad.sum())
    first = int(np.flatnonzero(bad)[0])
    return f" (row {first}{f' and {count - 1} more' if count > 1 else ''})"


def _probability(value: ArrayLike, field: str) -> FloatArray:
    array = np.asarray(value, dtype=np.float64)
    bad = ~(np.isfinite(array) & (array > 0) & (array < 1))
    if bad.any():
        raise PolicyError(field, f"must be between 0 and 1, both excluded{_where(bad)}.")
    return array


def service_level_z(p: ArrayLike) -> FloatArray:
    """The safety factor z = Φ⁻¹(p) for a cycle service level p in (0, 1)."""
    return np.asarray(special.ndtri(_probability(p, "service_level")), dtype=np.float64)


# -- safety stock ----------------------------------------------------------------


def demand_sd_over_interval(
    demand_mean: ArrayLike,
    demand_sd: ArrayLike,
    lead_mean: ArrayLike,
    lead_sd: ArrayLike,
    review_days: ArrayLike = 0,
) -> FloatArray:
    """σ_X = sqrt((L+R)·σd² + d²·σL²), the spread of demand over lead time plus review."""
    d = _array(demand_mean, "demand_mean")
    sd = _array(demand_sd, "demand_sd")
    lead = _array(lead_mean, "lead_mean")
    lead_spread = _array(lead_sd, "lead_sd")
    review = _array(review_days, "review_days")
    return np.asarray(np.sqrt((lead + review) * sd**2 + d**2 * lead_spread**2))


def safety_stock_cycle(
    service_level: ArrayLike,
    demand_mean: ArrayLike,
    demand_sd: ArrayLike,
    lead_mean: ArrayLike,
    lead_sd: ArrayLike,
    review_days: ArrayLike = 0,
) -> FloatArray:
    """Safety stock for a cycle service level: z·sqrt((L+R)·σd² + d²·σL²)."""
    z = service_level_z(service_level)
    sigma = demand_sd_over_interval(demand_mean, demand_sd, lead_mean, lead_sd, review_days)
    return np.asarray(z * sigma)


def normal_loss(k: ArrayLike) -> FloatArray:
    """The standard normal loss function G(k) = φ(k) − k·(1 − Φ(k))."""
    k = np.asarray(k, dtype=np.float64)
    density = np.exp(-0.5 * k * k) / math.sqrt(2 * math.pi)
    return np.asarray(density - k * special.ndtr(-k))


def fill_rate_safety_factor(
    fill_rate: ArrayLike, order_quantity: ArrayLike, sigma: ArrayLike
) -> FloatArray:
    """k with G(k) = (1 − β)·Q/σ_X, clamped to [0, MAX_SAFETY_FACTOR].

    G is convex and decreasing, so Newton's method started at k = 0 (left of the
    root whenever the target is below G(0)) climbs to the root without overshooting.
    A zero σ_X (no uncertainty) needs no safety stock: k = 0.
    """
    beta = _probability(fill_rate, "fill_rate")
    quantity = _array(order_quantity, "order_quantity", positive=True)
    sigma = np.asarray(sigma, dtype=np.float64)
    shape = np.broadcast_shapes(beta.shape, quantity.shape, sigma.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        target = np.broadcast_to(np.where(sigma > 0, (1 - beta) * quantity / sigma, np.inf), shape)
    floor = float(normal_loss(MAX_SAFETY_FACTOR))
    needed = target < float(normal_loss(0.0))
    k = np.zeros(shape)
    if needed.any():
        goal = np.maximum(target[needed], floor)
        k[needed] = optimize.newton(
            lambda x: normal_loss(x) - goal,
            np.zeros(goal.shape),
            fprime=lambda x: -special.ndtr(-x),
            tol=1e-12,
            maxiter=100,
        )
    return np.asarray(np.clip(k, 0.0, MAX_SAFETY_FACTOR))


def safety_stock_fill_rate(
    fill_rate: ArrayLike,
    order_quantity: ArrayLike,
    demand_mean: ArrayLike,
    demand_sd: ArrayLike,
    lead_mean: ArrayLike,
    lead_sd: ArrayLike,
    review_days: ArrayLike = 0,
) -> FloatArray:
    """Safety stock for a fill rate β with order quantity Q: k·σ_X where G(k) = (1−β)·Q/σ_X.

    Q is the quantity that arrives per replenishment cycle: the order quantity of an
    (s, S) policy, or the expected demand per review period (d·R) of an (R, S) policy.
    """
    sigma = demand_sd_over_interval(demand_mean, demand_sd, lead_mean, lead_sd, review_days)
    return np.asarray(fill_rate_safety_factor(fill_rate, order_quantity, sigma) * sigma)


# -- levels ----------------------------------------------------------------------


def reorder_point(
    demand_mean: ArrayLike, lead_mean: ArrayLike, safety_stock: ArrayLike
) -> FloatArray:
    """s = d·L + SS: order when the inventory position falls to this level."""
    d = _array(demand_mean, "demand_mean")
    lead = _array(lead_mean, "lead_mean")
    return np.asarray(d * lead + _array(safety_stock, "safety_stock"))


def order_up_to(
    demand_mean: ArrayLike,
    lead_mean: ArrayLike,
    safety_stock: ArrayLike,
    review_days: ArrayLike = 0,
    order_quantity: ArrayLike = 0,
) -> FloatArray:
    """S = d·(L+R) + SS + Q.

    (R, S): pass the review period R and Q = 0 (SS computed with the same R).
    (s, S): pass R = 0 and the order quantity Q, giving S = s + Q.
    """
    d = _array(demand_mean, "demand_mean")
    interval = _array(lead_mean, "lead_mean") + _array(review_days, "review_days")
    extra = _array(safety_stock, "safety_stock") + _array(order_quantity, "order_quantity")
    return np.asarray(d * interval + extra)


def rates_from_month_profile(
    daily_mean: ArrayLike, profile: ArrayLike, first_month: int, days: int
) -> FloatArray:
    """Daily rates for ``days`` days from a base daily mean and a 12-month profile.

    ``profile`` holds one factor per calendar month (shape (12,) for all rows or
    (n, 12) per row; 1.0 = an average month); ``first_month`` (1–12) is the month of
    day 0. Months are taken as 30.4375 days — close enough for a protection interval.
    """
    if not 1 <= first_month <= 12:
        raise PolicyError("first_month", "must be a month number from 1 to 12.")
    base = _array(daily_mean, "demand_mean")
    factors = _array(profile, "profile")
    if factors.shape[-1] != 12:
        raise PolicyError("profile", "needs one factor per month (12 columns).")
    month_of_day = (first_month - 1 + (np.arange(days) / 30.4375).astype(np.int64)) % 12
    return np.asarray(base[..., np.newaxis] * factors[..., month_of_day])


def rates_from_buckets(bucket_totals: ArrayLike, bucket_days: int) -> FloatArray:
    """Daily rates from forecast totals per bucket (for example weeks), spread evenly."""
    if bucket_days < 1:
        raise PolicyError("bucket_days", "must be at least one day.")
    totals = _array(bucket_totals, "forecast")
    return np.asarray(np.repeat(totals / bucket_days, bucket_days, axis=-1))


def demand_over(daily_rates: ArrayLike, horizon_days: ArrayLike) -> FloatArray:
    """Expected demand over the first ``horizon_days`` days (fractional days pro rata)."""
    rates = np.atleast_2d(_array(daily_rates, "forecast"))
    horizon = np.broadcast_to(_array(horizon_days, "horizon_days"), rates.shape[:1])
    if (horizon > rates.shape[1]).any():
        raise PolicyError(
            "forecast", f"covers {rates.shape[1]} days, fewer than lead time plus review."
        )
    cumulative = np.concatenate([np.zeros((rates.shape[0], 1)), np.cumsum(rates, axis=1)], axis=1)
    whole = np.floor(horizon).astype(np.int64)
    rows = np.arange(rates.shape[0])
    partial = rates[rows, np.minimum(whole, rates.shape[1] - 1)] * (horizon - whole)
    return np.asarray(cumulative[rows, whole] + partial)


@dataclass(frozen=True)
class PolicyLevels:
    """Safety stock, reorder point and order-up-to level for each row."""

    safety_stock: FloatArray
    reorder_point: FloatArray
    order_up_to: FloatArray


def seasonal_levels(
    daily_rates: ArrayLike,
    demand_sd: ArrayLike,
    lead_mean: ArrayLike,
    lead_sd: ArrayLike,
    service_level: ArrayLike,
    review_days: ArrayLike = 0,
    order_quantity: ArrayLike = 0,
) -> PolicyLevels:
    """Levels when the demand rate changes over the protection interval.

    ``daily_rates`` (n, days) holds the expected demand of each coming day (from
    :func:`rates_from_month_profile` or :func:`rates_from_buckets`). Demand over the
    lead time is the sum of those rates (not d·L); the lead-time variability term of
    the safety stock uses the mean rate over the interval.
    """
    lead = _array(lead_mean, "lead_mean")
    review = _array(review_days, "review_days")
    over_lead = demand_over(daily_rates, lead)
    over_interval = demand_over(daily_rates, lead + review)
    interval = np.broadcast_to(lead + review, over_interval.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_rate = np.where(interval > 0, over_interval / interval, 0.0)
    safety = safety_stock_cycle(service_level, mean_rate, demand_sd, lead, lead_sd, review)
    quantity = _array(order_quantity, "order_quantity")
    return PolicyLevels(
        safety_stock=np.asarray(safety),
        reorder_point=np.asarray(over_lead + safety),
        order_up_to=np.asarray(over_interval + safety + quantity),
    )


# -- order rounding --------------------------------------------------------------


class OrderAdjustment(IntFlag):
    """What :func:`round_order` did to a suggested quantity (flags combine)."""

    NONE = 0
    RAISED_TO_MOQ = 1
    ROUNDED_UP_TO_MULTIPLE = 2
    CAPPED_AT_CAPACITY = 4
    DROPPED_BELOW_MOQ_AFTER_CAP = 8
    NO_ROOM = 16


ADJUSTMENT_REASONS = {
    OrderAdjustment.RAISED_TO_MOQ: "raised to the minimum order quantity",
    OrderAdjustment.ROUNDED_UP_TO_MULTIPLE: "rounded up to whole packs",
    OrderAdjustment.CAPPED_AT_CAPACITY: "capped at the maximum capacity",
    OrderAdjustment.DROPPED_BELOW_MOQ_AFTER_CAP: (
        "not ordered: the room left under the maximum capacity is below the minimum order quantity"
    ),
    OrderAdjustment.NO_ROOM: "not ordered: no room for a whole pack under the maximum capacity",
}


def explain(adjustment: OrderAdjustment | int) -> list[str]:
    """The reasons behind an adjustment, in words for the planner."""
    flags = OrderAdjustment(int(adjustment))
    return [text for flag, text in ADJUSTMENT_REASONS.items() if flag in flags]


@dataclass(frozen=True)
class RoundedOrders:
    """Rounded quantities and, per row, the :class:`OrderAdjustment` flags applied."""

    quantity: FloatArray
    adjustment: NDArray[np.uint8]


def invalid_order_constraints(
    moq: ArrayLike, multiple: ArrayLike, max_capacity: ArrayLike | None = None
) -> NDArray[np.bool_]:
    """Rows whose MOQ, multiple or capacity would be refused — to report, not to crash."""
    moq_a = np.asarray(moq, dtype=np.float64)
    multiple_a = np.asarray(multiple, dtype=np.float64)
    bad = ~np.isfinite(moq_a) | (moq_a < 0) | ~np.isfinite(multiple_a) | (multiple_a <= 0)
    if max_capacity is not None:
        capacity = np.asarray(max_capacity, dtype=np.float64)
        bad = bad | np.isnan(capacity) | (capacity < 0)
    return np.asarray(bad)


def round_order(
    quantity: ArrayLike,
    moq: ArrayLike,
    multiple: ArrayLike,
    max_capacity: ArrayLike | None = None,
    on_hand_position: ArrayLike | None = None,
) -> RoundedOrders:
    """Round suggested order quantities to MOQ, packs and capacity (see the module notes).

    A quantity ≤ 0 stays 0. ``max_capacity`` may hold ``inf`` for rows without a limit;
    ``on_hand_position`` (inventory position before the order) defaults to 0.
    """
    wanted = np.asarray(quantity, dtype=np.float64)
    if not np.isfinite(wanted).all():
        raise PolicyError("quantity", "must be a finite number.")
    moq_a = _array(moq, "moq")
    pack = _array(multiple, "multiple", positive=True)
    capacity = None
    if max_capacity is not None:
        capacity = np.asarray(max_capacity, dtype=np.float64)
        if np.isnan(capacity).any() or (capacity < 0).any():
            raise PolicyError("max_capacity", "cannot be negative.")
    position = None if on_hand_position is None else np.asarray(on_hand_position, np.float64)
    return round_order_unchecked(wanted, moq_a, pack, capacity, position)


def round_order_unchecked(
    wanted: FloatArray,
    moq: FloatArray,
    pack: FloatArray,
    capacity: FloatArray | None,
    position: FloatArray | None,
) -> RoundedOrders:
    """:func:`round_order` without input checks, for hot loops that checked once."""
    shape = np.broadcast_shapes(
        wanted.shape,
        moq.shape,
        pack.shape,
        () if capacity is None else capacity.shape,
        () if position is None else position.shape,
    )
    wanted = np.broadcast_to(wanted, shape)
    ordering = wanted > 0
    raised = ordering & (wanted < moq)
    amount = np.where(ordering, np.maximum(wanted, moq), 0.0)
    packs = np.ceil(amount / pack - PACK_TOLERANCE)
    rounded = packs * pack
    up = ordering & (rounded > amount + PACK_TOLERANCE * pack)
    amount = np.maximum(rounded, 0.0)
    flags = np.where(raised, OrderAdjustment.RAISED_TO_MOQ, 0) | np.where(
        up, OrderAdjustment.ROUNDED_UP_TO_MULTIPLE, 0
    )
    if capacity is not None:
        room = capacity - (0.0 if position is None else position)
        over = ordering & (amount > room)
        capped = np.floor(np.maximum(room, 0.0) / pack + PACK_TOLERANCE) * pack
        no_room = over & (capped <= 0)
        too_small = over & ~no_room & (capped < moq)
        amount = np.where(over, np.where(no_room | too_small, 0.0, capped), amount)
        flags = (
            flags
            | np.where(over & ~no_room & ~too_small, OrderAdjustment.CAPPED_AT_CAPACITY, 0)
            | np.where(too_small, OrderAdjustment.DROPPED_BELOW_MOQ_AFTER_CAP, 0)
            | np.where(no_room, OrderAdjustment.NO_ROOM, 0)
        )
    return RoundedOrders(
        quantity=np.asarray(np.broadcast_to(amount, shape), dtype=np.float64),
        adjustment=np.asarray(np.broadcast_to(flags, shape), dtype=np.uint8),
    )


# -- exact single-item helpers ---------------------------------------------------


def _signed_decimal(value: Any, field: str) -> Decimal:
    """An exact, finite Decimal of either sign; floats are refused (they are not exact)."""
    if isinstance(value, float | bool) or value is None:
        raise PolicyError(field, 'give an exact decimal (a string such as "12.5").')
    try:
        number = Decimal(str(value))
    except ArithmeticError as error:
        raise PolicyError(field, f"{value!r} is not a number.") from error
    if not number.is_finite():
        raise PolicyError(field, "must be a finite number.")
    return number


def _decimal(value: Any, field: str, *, positive: bool = False) -> Decimal:
    """An exact, finite, non-negative (or positive) Decimal."""
    number = _signed_decimal(value, field)
    if positive and number <= 0:
        raise PolicyError(field, "must be more than zero.")
    if number < 0:
        raise PolicyError(field, "cannot be negative.")
    return number


def quantity_of(value: float, places: int = QUANTITY_PLACES) -> Decimal:
    """One float figure as an exact Decimal rounded half-up to ``places``."""
    if not math.isfinite(value):
        raise PolicyError("quantity", "must be a finite number.")
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def to_quantities(values: ArrayLike, places: int = QUANTITY_PLACES) -> list[Decimal]:
    """Array results as exact Decimals, ready to store in a QuantityField or show."""
    return [quantity_of(float(v), places) for v in np.asarray(values, dtype=np.float64).ravel()]


def safety_stock_cycle_exact(
    service_level: Any,
    demand_mean: Any,
    demand_sd: Any,
    lead_mean: Any,
    lead_sd: Any,
    review_days: Any = 0,
    places: int = QUANTITY_PLACES,
) -> Decimal:
    """One safety stock in Decimal arithmetic (z read from scipy to 12 decimal places)."""
    level = _decimal(service_level, "service_level")
    if not 0 < level < 1:
        raise PolicyError("service_level", "must be between 0 and 1, both excluded.")
    d = _decimal(demand_mean, "demand_mean")
    sd = _decimal(demand_sd, "demand_sd")
    lead = _decimal(lead_mean, "lead_mean")
    lead_spread = _decimal(lead_sd, "lead_sd")
    review = _decimal(review_days, "review_days")
    z = Decimal(repr(float(special.ndtri(float(level))))).quantize(Decimal("1e-12"))
    with localcontext() as context:
        context.prec = 40
        variance = (lead + review) * sd * sd + d * d * lead_spread * lead_spread
        result = z * variance.sqrt()
    return result.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


@dataclass(frozen=True)
class RoundedOrder:
    """One rounded order quantity with the adjustments made and their reasons."""

    quantity: Decimal
    adjustment: OrderAdjustment

    @property
    def reasons(self) -> list[str]:
        return explain(self.adjustment)


def round_order_exact(
    quantity: Any,
    moq: Any,
    multiple: Any,
    max_capacity: Any = None,
    on_hand_position: Any = None,
) -> RoundedOrder:
    """:func:`round_order` for one line in exact Decimals."""
    wanted = _signed_decimal(quantity, "quantity")
    minimum = _decimal(moq, "moq")
    pack = _decimal(multiple, "multiple", positive=True)
    if wanted <= 0:
        return RoundedOrder(Decimal(0), OrderAdjustment.NONE)
    flags = OrderAdjustment.NONE
    amount = wanted
    if amount < minimum:
        amount, flags = minimum, flags | OrderAdjustment.RAISED_TO_MOQ
    rounded = (amount / pack).to_integral_value(ROUND_CEILING) * pack
    if rounded != amount:
        flags |= OrderAdjustment.ROUNDED_UP_TO_MULTIPLE
    amount = rounded
    if max_capacity is not None:
        capacity = _decimal(max_capacity, "max_capacity")
        position = (
            Decimal(0)
            if on_hand_position is None
            else _signed_decimal(on_hand_position, "on_hand_position")
        )
        room = capacity - position
        if amount > room:
            capped = (max(room, Decimal(0)) / pack).to_integral_value(ROUND_FLOOR) * pack
            if capped <= 0:
                return RoundedOrder(Decimal(0), flags | OrderAdjustment.NO_ROOM)
            if capped < minimum:
                return RoundedOrder(Decimal(0), flags | OrderAdjustment.DROPPED_BELOW_MOQ_AFTER_CAP)
            amount, flags = capped, flags | OrderAdjustment.CAPPED_AT_CAPACITY
    return RoundedOrder(amount, flags)


@dataclass(frozen=True)
class ManualMinMax:
    """A planner's manual min/max rule: when the position falls to ``min_quantity`` or
    below, order up to ``max_quantity``, in whole packs of ``multiple`` (rounded up, as a
    pack cannot be split; a capacity limit is applied by :func:`round_order_exact`)."""

    min_quantity: Decimal
    max_quantity: Decimal
    multiple: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        low = _decimal(self.min_quantity, "min_quantity")
        high = _decimal(self.max_quantity, "max_quantity")
        pack = _decimal(self.multiple, "multiple", positive=True)
        object.__setattr__(self, "min_quantity", low)
        object.__setattr__(self, "max_quantity", high)
        object.__setattr__(self, "multiple", pack)
        if low > high:
            raise PolicyError("min_quantity", f"{low} is above the maximum {high}.")

    def order_quantity(self, position: Decimal, moq: Decimal = Decimal(0)) -> RoundedOrder:
        """What to order at this inventory position (0 while above the minimum)."""
        position = _signed_decimal(position, "position")
        if position > self.min_quantity:
            return RoundedOrder(Decimal(0), OrderAdjustment.NONE)
        return round_order_exact(self.max_quantity - position, moq, self.multiple)


def check_manual_rules(rows: Sequence[tuple[Any, Any, Any]]) -> dict[int, PolicyError]:
    """Validate many (min, max, multiple) rules; the refused ones by row index."""
    problems: dict[int, PolicyError] = {}
    for index, (low, high, multiple) in enumerate(rows):
        try:
            ManualMinMax(low, high, multiple)
        except PolicyError as error:
            problems[index] = error
    return problems
