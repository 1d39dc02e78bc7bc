"""The run's exceptions: found on whole arrays, described per item, written as a set."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

import numpy as np
from django.db import connection

from crossdock.planning.models import (
    PlanningException,
    ReplenishmentRun,
)
from crossdock.planning.services import levels as calc
from crossdock.planning.services import writing
from crossdock.planning.services.run.inputs import (
    DAYS_PER_MONTH,
    Inputs,
    Kind,
    Plan,
    Stock,
    raise_exception,
)
from crossdock.planning.services.run.lead_times import buying_items

#: Stockout risk is raised when a stockout inside the lead time is at least as likely as
#: not (see :func:`crossdock.planning.services.levels.stockout_probability`).
LIKELY = 0.5

DETECTED = (
    Kind.NEGATIVE_DEMAND,
    Kind.NO_HISTORY,
    Kind.NO_SUPPLIER,
    Kind.NO_LEAD_TIME,
    Kind.STOCKOUT_RISK,
    Kind.EXCESS,
    Kind.DEAD_STOCK,
    Kind.FORECAST_BIAS,
)


def detect(
    inputs: Inputs,
    plan: Plan,
    forecast: SimpleNamespace,
    history: calc.History,
    figures: calc.Levels,
    level_inputs: calc.LevelInputs,
    stock: Stock,
    offers: dict[int, list[Any]],
    plannable: np.ndarray,
) -> None:
    """The exceptions of every item (bad data included), as messages a planner can act on.

    Which items have which exception is decided on whole arrays; only the items found get a
    message (in item order, then the order of :data:`DETECTED`)."""
    from crossdock.planning.forecasting.result import INTERMITTENT_MODELS

    settings = inputs.settings
    window = settings.history_days
    dead_after = settings.dead_stock_days
    cover_months = settings.excess_cover_months
    bias_limit = float(settings.bias_limit_percent) / 100
    rate = np.asarray(figures.daily_rate, dtype=np.float64)
    over_lead = np.asarray(figures.demand_over_lead, dtype=np.float64)
    manual = level_inputs.method == "manual"
    moving = rate > 0
    amount = stock.projected_float
    first = {p: choices[0] for p, choices in offers.items() if choices}
    offered = np.array([p in first for p in inputs.product_of.tolist()], dtype=bool)
    no_lead = np.array(
        [p in first and first[p].lead_time_days < 1 for p in inputs.product_of.tolist()],
        dtype=bool,
    )
    buying = buying_items(inputs) & (moving | manual)
    cover = rate * DAYS_PER_MONTH * cover_months
    up_to = np.asarray(figures.order_up_to, dtype=np.float64)
    last = history.last_day
    idle = window - last
    bias = np.asarray(forecast.bias, dtype=np.float64)
    places = np.array([inputs.products[p][1] for p in inputs.product_of.tolist()], dtype=np.int64)
    stockout = calc.stockout_probability(
        over_lead,
        figures.demand_sd_over_lead,
        amount,
        counted=np.isin(forecast.model, INTERMITTENT_MODELS),
        whole_units=places == 0,
    )
    with np.errstate(invalid="ignore"):
        found = {
            Kind.NEGATIVE_DEMAND: history.anomalies > 0,
            Kind.NO_HISTORY: (history.rows == 0) & ~manual,
            Kind.NO_SUPPLIER: buying & ~offered,
            Kind.NO_LEAD_TIME: buying & no_lead,
            Kind.STOCKOUT_RISK: plannable & moving & (stockout >= LIKELY),
            Kind.EXCESS: plannable & moving & (amount > np.where(up_to > cover, up_to, cover)),
            Kind.DEAD_STOCK: plannable
            & (stock.on_hand > 0)
            & (rate == 0)
            & ~manual
            & ((last < 0) | (idle >= dead_after)),
            Kind.FORECAST_BIAS: plannable
            & np.isfinite(bias)
            & (np.abs(bias) > bias_limit)
            & (forecast.model != "zero"),
        }
    hits = sorted(
        (int(index), order)
        for order, kind in enumerate(DETECTED)
        for index in np.flatnonzero(found[kind])
    )
    for index, order in hits:
        kind = DETECTED[order]
        severity, message, action = describe(
            kind, index, inputs, forecast, history, figures, level_inputs, stock, offers, stockout
        )
        raise_exception(plan, inputs, kind, index, severity, message, action)


def describe(
    kind: str,
    index: int,
    inputs: Inputs,
    forecast: SimpleNamespace,
    history: calc.History,
    figures: calc.Levels,
    level_inputs: calc.LevelInputs,
    stock: Stock,
    offers: dict[int, list[Any]],
    stockout: np.ndarray,
) -> tuple[int, str, str]:
    """Severity, message and suggested action of one exception of one item (``stockout``:
    every item's chance of a stockout inside the lead time)."""
    settings = inputs.settings
    window = settings.history_days
    if kind == Kind.NEGATIVE_DEMAND:
        return (
            2,
            f"{int(history.anomalies[index])} demand day(s) of zero or negative quantity in "
            "the history; they are ignored.",
            "Correct the demand history (returns recorded as demand?).",
        )
    if kind == Kind.NO_HISTORY:
        return (
            1,
            f"No demand in the last {window} days: no forecast, no safety stock.",
            "Set a manual min/max policy if the item must be stocked.",
        )
    if kind == Kind.NO_SUPPLIER:
        return (
            3,
            "No supplier offer with a price for this product: nothing can be bought.",
            "Add a supplier catalogue entry.",
        )
    if kind == Kind.NO_LEAD_TIME:
        choice = offers[inputs.keys[index][0]][0]
        return (
            2,
            f"The offer of {choice.supplier_name} has no lead time; levels assume "
            "delivery the same day.",
            "Enter the supplier's lead time in the catalogue.",
        )
    amount = float(stock.projected_float[index])
    rate = float(figures.daily_rate[index])
    if kind == Kind.STOCKOUT_RISK:
        over_lead = float(figures.demand_over_lead[index])
        lead = int(level_inputs.lead_days[index])
        chance = float(stockout[index]) * 100
        return (
            3,
            f"Projected stock {_text(amount)} against {_text(over_lead)} expected over the "
            f"{lead}-day lead time: a stockout before new stock arrives has a {chance:.0f} % "
            "chance.",
            "Expedite open supply or transfer stock from another warehouse.",
        )
    if kind == Kind.EXCESS:
        cover_months = settings.excess_cover_months
        cover = rate * DAYS_PER_MONTH * cover_months
        return (
            1,
            f"Projected stock {_text(amount)} is more than {cover_months} months of "
            f"demand ({_text(cover)}).",
            "Move stock to a warehouse short of it, or stop buying.",
        )
    if kind == Kind.DEAD_STOCK:
        last = int(history.last_day[index])
        idle = window - last if last >= 0 else None
        since = f"in {idle} days" if idle is not None else f"in the last {window} days"
        on_hand = stock.decimal(stock.on_hand, index)
        return (
            2,
            f"{_text(float(on_hand))} on hand and no demand {since}.",
            "Return, sell off or scrap the stock.",
        )
    bias = float(forecast.bias[index])
    bias_limit = float(settings.bias_limit_percent) / 100
    direction = "over" if bias > 0 else "under"
    return (
        2,
        f"The {forecast.model[index]} forecast {direction}-forecast the backtest by "
        f"{abs(bias) * 100:.1f} % (limit {bias_limit * 100:.0f} %).",
        "Review the forecast or override it.",
    )


def _text(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


EXCEPTION_FIELDS = [
    "company",
    "run",
    "kind",
    "product",
    "warehouse",
    "owner_role",
    "severity",
    "message",
    "suggested_action",
    "opened_at",
    "version",
    "created_at",
    "updated_at",
]


def write_exceptions(
    run: ReplenishmentRun, inputs: Inputs, plan: Plan, now: datetime.datetime
) -> tuple[int, int]:
    """Open new exceptions, refresh those still true, close those whose cause is gone:
    one UPDATE closes, one UPDATE moves the kept ones to this run, a prepared UPDATE per
    row only where the text changed, one prepared INSERT for the new ones."""
    open_rows = PlanningException.objects.filter(
        company_id=inputs.company_id, closed_at__isnull=True
    )
    current = {
        (kind, product_id, warehouse_id): (pk, (severity, message, action))
        for pk, kind, product_id, warehouse_id, severity, message, action in open_rows.values_list(
            "pk", "kind", "product_id", "warehouse_id", "severity", "message", "suggested_action"
        )
    }
    gone = sorted(pk for key, (pk, _) in current.items() if key not in plan.exceptions)
    for start in range(0, len(gone), writing.BATCH):
        PlanningException.objects.filter(pk__in=gone[start : start + writing.BATCH]).update(
            closed_at=now, updated_at=now
        )
    open_rows.update(run=run, updated_at=now)
    changed, new = [], []
    stamp = connection.ops.adapt_datetimefield_value(now)
    owner = PlanningException._meta.get_field("owner_role").get_default()
    for key, text in plan.exceptions.items():
        found = current.get(key)
        if found is not None:
            if found[1] != text:
                changed.append((*text, found[0]))
            continue
        kind, product_id, warehouse_id = key
        severity, message, action = text
        new.append(
            (inputs.company_id, run.pk, kind, product_id, warehouse_id, owner, severity,
             message, action, stamp, 1, stamp, stamp)
        )  # fmt: skip
    writing.update_rows(PlanningException, ["severity", "message", "suggested_action"], changed)
    writing.insert_rows(PlanningException, EXCEPTION_FIELDS, new)
    return len(new), len(gone)
