"""The replenishment run: forecasts, levels, explained suggestions and exceptions.

Design overview
---------------
:func:`run_replenishment` plans a company's whole network in three phases:

1. **Start.** A :class:`ReplenishmentRun` row is committed as *running*, so a failed run
   leaves its error behind.
2. **Plan** (reads only). The items are every product × warehouse with demand in the
   window, stock, open supply, backorders, a policy or an earlier planning row. Demand is
   loaded in one query into an (items × days) array (:mod:`.levels` says how flagged days
   are treated); forecasts come from :func:`crossdock.planning.forecasting.forecast_demand`
   or, with ``reuse_forecasts``, from the forecasts stored on the items (items without one
   are forecast afresh). Planners' overrides are applied, then each item's lead time (the
   best supplier offer where the warehouse buys; the lane from the central warehouse where
   it is replenished by transfer) and its levels. Positions come from
   :func:`.positions.stock_positions`. Every product with a warehouse at or below its
   reorder point is handed to :func:`crossdock.planning.network.plan_product`, and all the
   decisions to :func:`~crossdock.planning.network.consolidate`.
3. **Write**, in one transaction: the items (one upsert), the suggestions (the previous
   runs' proposed ones are superseded), the exceptions (opened, refreshed, or closed when
   their cause is gone) and the run's report. Any error rolls all of it back and marks the
   run failed; bad data never stops a run, it becomes an exception in the report.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.fields import QUANTITY_SCALE
from crossdock.masterdata.models import Company, Product, Warehouse
from crossdock.planning.events import ReplenishmentRunFinished
from crossdock.planning.models import (
    DemandDay,
    ForecastOverride,
    PlanningException,
    PlanningExceptionKind,
    PlanningItem,
    PlanningSettings,
    ReorderPolicy,
    ReplenishmentRun,
    RunState,
    Suggestion,
    SuggestionState,
    TransferLane,
)
from crossdock.planning.services import levels as calc
from crossdock.planning.services.positions import StockPosition, stock_positions

logger = logging.getLogger(__name__)

ZERO = Decimal(0)
LEVEL_PLACES = 2
HOLDOUT = 8
DAYS_PER_MONTH = 30.4375
MAX_PROBLEMS = 200
Kind = PlanningExceptionKind
Key = tuple[int, int]


@dataclass
class _Inputs:
    company_id: int
    as_of: datetime.date
    settings: PlanningSettings
    warehouses: dict[int, tuple[str, bool]]  # id -> (code, is_central)
    central_id: int | None
    lanes: dict[tuple[int, int], int]
    keys: list[Key]
    index_of: dict[Key, int]
    positions: dict[Key, StockPosition]
    policies: dict[Key, ReorderPolicy]
    stored: dict[Key, dict[str, Any]]
    products: dict[int, tuple[str, int]]  # id -> (sku, unit decimal places)


@dataclass
class _Plan:
    items: list[PlanningItem] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    exceptions: dict[tuple[str, int, int], tuple[int, str, str]] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    over_lead: dict[Key, Decimal] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def run_replenishment(
    company: Company | int,
    *,
    actor: Actor | None = None,
    reuse_forecasts: bool = False,
    as_of: datetime.date | None = None,
) -> ReplenishmentRun:
    """Plan the company's network; the run (done or failed) is returned, never an error."""
    actor = actor or Actor.system("replenishment")
    company_id = company.pk if isinstance(company, Company) else int(company)
    as_of = as_of or timezone.localdate()
    clock = time.monotonic()
    with transaction.atomic():
        run = ReplenishmentRun.objects.create(
            company_id=company_id,
            reuse_forecasts=reuse_forecasts,
            as_of=as_of,
            started_at=timezone.now(),
            started_by=actor.user,
        )
    try:
        inputs = _load(company_id, as_of)
        plan = _plan(inputs, reuse_forecasts)
        _write(actor, run, inputs, plan, clock)
    except Exception as error:  # a failed run keeps its error; nothing of it was applied
        logger.exception("Replenishment run %s failed", run.pk)
        with transaction.atomic():
            ReplenishmentRun.objects.filter(pk=run.pk).update(
                state=RunState.FAILED,
                error=f"{type(error).__name__}: {error}"[:4000],
                finished_at=timezone.now(),
                seconds=round(time.monotonic() - clock, 3),
            )
            run.refresh_from_db()
            audit.record(actor, audit.Change("planning.run.fail", run, None, {"error": run.error}))
            events.publish(ReplenishmentRunFinished(run.pk, run.state, 0, 0, company_id=company_id))
    run.refresh_from_db()
    return run


# -- loading ----------------------------------------------------------------------------------


def _load(company_id: int, as_of: datetime.date) -> _Inputs:
    settings = PlanningSettings.objects.filter(company_id=company_id).first()
    settings = settings or PlanningSettings(company_id=company_id)
    warehouses = {
        pk: (code, central)
        for pk, code, central in Warehouse.objects.filter(
            company_id=company_id, active=True
        ).values_list("pk", "code", "is_central")
    }
    centrals = sorted(pk for pk, (_, central) in warehouses.items() if central)
    lanes = {
        (a, b): days
        for a, b, days in TransferLane.objects.filter(
            company_id=company_id,
            is_active=True,
            from_warehouse_id__in=list(warehouses),
            to_warehouse_id__in=list(warehouses),
        ).values_list("from_warehouse_id", "to_warehouse_id", "lead_time_days")
    }
    positions = stock_positions(company_id, as_of=as_of, warehouse_ids=list(warehouses))
    policies = {
        (p.product_id, p.warehouse_id): p
        for p in ReorderPolicy.objects.filter(
            company_id=company_id, warehouse_id__in=list(warehouses)
        )
    }
    stored: dict[Key, dict[str, Any]] = {
        (row["product_id"], row["warehouse_id"]): dict(row)
        for row in PlanningItem.objects.filter(
            company_id=company_id, warehouse_id__in=list(warehouses)
        ).values(
            "product_id",
            "warehouse_id",
            "abc",
            "forecast_model",
            "bucket_days",
            "forecast",
            "forecast_sd",
            "mase",
            "bias",
            "forecasted_at",
            "history_end",
        )
    }
    start = as_of - datetime.timedelta(days=settings.history_days)
    demanded = set(
        DemandDay.objects.filter(
            company_id=company_id,
            warehouse_id__in=list(warehouses),
            day__gte=start,
            day__lt=as_of,
        )
        .values_list("product_id", "warehouse_id")
        .distinct()
    )
    keys = sorted(demanded | set(positions) | set(policies) | set(stored))
    products = {
        pk: (sku, places)
        for pk, sku, places in Product.objects.filter(pk__in={p for p, _ in keys}).values_list(
            "pk", "sku", "base_unit__decimal_places"
        )
    }
    return _Inputs(
        company_id,
        as_of,
        settings,
        warehouses,
        centrals[0] if centrals else None,
        lanes,
        keys,
        {key: index for index, key in enumerate(keys)},
        positions,
        policies,
        stored,
        products,
    )


def _history(inputs: _Inputs, product_ids: set[int] | None = None) -> calc.History:
    """The demand window of the items (of ``product_ids`` only, when given) in one query."""
    days = inputs.settings.history_days
    start = inputs.as_of - datetime.timedelta(days=days)
    table = DemandDay._meta.db_table
    sql = (
        f"SELECT product_id, warehouse_id, day, quantity, is_outlier, is_promotion "  # noqa: S608
        f"FROM {table} WHERE company_id = %s AND day >= %s AND day < %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [inputs.company_id, start, inputs.as_of])
        records = cursor.fetchall()
    if product_ids is not None:
        records = [r for r in records if r[0] in product_ids]
    return calc.demand_matrix(
        inputs.index_of, len(inputs.keys), start, days, records, 10**QUANTITY_SCALE
    )


def _history_summary(inputs: _Inputs) -> calc.History:
    """Rows, anomalies and the last demand day per item without loading the days."""
    n = len(inputs.keys)
    summary = calc.History(
        np.zeros((n, 0)),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.full(n, -1, dtype=np.int64),
    )
    start = inputs.as_of - datetime.timedelta(days=inputs.settings.history_days)
    rows = (
        DemandDay.objects.filter(company_id=inputs.company_id, day__gte=start, day__lt=inputs.as_of)
        .values_list("product_id", "warehouse_id")
        .annotate(
            n=Count("pk"),
            bad=Count("pk", filter=Q(quantity__lte=0)),
            last=Max("day", filter=Q(quantity__gt=0)),
            flagged=Count("pk", filter=Q(is_outlier=True) | Q(is_promotion=True)),
        )
    )
    for product_id, warehouse_id, count, bad, last, flagged in rows:
        index = inputs.index_of.get((product_id, warehouse_id))
        if index is None:
            continue
        summary.rows[index] = count
        summary.anomalies[index] = bad
        summary.flagged[index] = flagged
        if last is not None:
            summary.last_day[index] = (calc._as_date(last) - start).days
    return summary


# -- forecasting ------------------------------------------------------------------------------


def _stored_forecast(row: dict[str, Any] | None, horizon: int) -> np.ndarray | None:
    if not row or not row["forecast"] or row["forecasted_at"] is None or row["bucket_days"] != 7:
        return None
    values = [float(x) for x in row["forecast"][:horizon]]
    return np.array(values + [values[-1]] * (horizon - len(values)))


def _forecast(
    inputs: _Inputs, reuse: bool, report: dict[str, Any]
) -> tuple[SimpleNamespace, calc.History]:
    """Forecast buckets, error, model and accuracy per item, and the history behind them."""
    from crossdock.planning.forecasting import forecast_demand

    n = len(inputs.keys)
    horizon = inputs.settings.horizon_weeks
    mean = np.zeros((n, horizon))
    sd = np.zeros(n)
    model = np.full(n, "", dtype=object)
    mase = np.full(n, np.nan)
    bias = np.full(n, np.nan)
    fresh = np.ones(n, dtype=bool)
    if reuse:
        for index, key in enumerate(inputs.keys):
            row = inputs.stored.get(key)
            stored = _stored_forecast(row, horizon)
            if stored is None or row is None:
                continue
            fresh[index] = False
            mean[index] = stored
            sd[index] = float(row["forecast_sd"])
            model[index] = row["forecast_model"]
            mase[index] = np.nan if row["mase"] is None else float(row["mase"])
            bias[index] = np.nan if row["bias"] is None else float(row["bias"]) / 100
    history = (
        _history(inputs)
        if not reuse
        else _history(inputs, {inputs.keys[i][0] for i in np.flatnonzero(fresh)})
        if fresh.any()
        else _history_summary(inputs)
    )
    if reuse and fresh.any():
        summary = _history_summary(inputs)
        history.rows, history.anomalies = summary.rows, summary.anomalies
        history.flagged, history.last_day = summary.flagged, summary.last_day
    rows = np.flatnonzero(fresh)
    if rows.size:
        result = forecast_demand(
            history.daily[rows],
            np.asarray(rows),
            bucket_days=7,
            horizon=horizon,
            holdout=HOLDOUT,
            n_jobs=2,
        )
        mean[rows] = result.mean
        sd[rows] = result.sd
        model[rows] = result.model
        mase[rows] = result.mase
        bias[rows] = result.bias
    report["forecasts"] = {
        "fresh": int(rows.size),
        "reused": int(n - rows.size),
        "models": dict(Counter(str(m) for m in model if m)),
    }
    return (
        SimpleNamespace(
            bucket_days=7, mean=mean, sd=sd, model=model, mase=mase, bias=bias, fresh=fresh
        ),
        history,
    )


def _overrides(inputs: _Inputs, horizon_days: int) -> list[calc.OverrideRow]:
    until = inputs.as_of + datetime.timedelta(days=horizon_days)
    found = ForecastOverride.objects.filter(
        company_id=inputs.company_id,
        is_active=True,
        ends_on__gte=inputs.as_of,
        starts_on__lt=until,
    ).values_list(
        "product_id", "warehouse_id", "starts_on", "ends_on", "daily_quantity", "change_percent"
    )
    rows = []
    for product_id, warehouse_id, starts, ends, daily, percent in found:
        index = inputs.index_of.get((product_id, warehouse_id))
        if index is not None:
            rows.append(calc.OverrideRow(index, starts, ends, daily, percent))
    return rows


# -- lead times, policies, levels -------------------------------------------------------------


def _buys(inputs: _Inputs, warehouse_id: int) -> bool:
    """Whether the warehouse buys from suppliers (central, or no lane from central)."""
    central = inputs.central_id
    return central is None or warehouse_id == central or (central, warehouse_id) not in inputs.lanes


def _level_inputs(
    inputs: _Inputs, offers: dict[int, list[Any]], plan: _Plan
) -> tuple[calc.LevelInputs, np.ndarray]:
    """Per item policy inputs, and which items can be planned at all."""
    from crossdock.planning.policy import check_manual_rules

    settings = inputs.settings
    n = len(inputs.keys)
    by_class = {
        "A": float(settings.service_level_a),
        "B": float(settings.service_level_b),
        "C": float(settings.service_level_c),
    }
    method = np.full(n, "s_S", dtype=object)
    service = np.zeros(n)
    fill_rate = np.zeros(n, dtype=bool)
    lead = np.zeros(n)
    lead_sd = np.zeros(n)
    review = np.full(n, float(settings.review_period_days))
    minimum = np.full(n, np.nan)
    maximum = np.full(n, np.nan)
    capacity = np.full(n, np.inf)
    plannable = np.ones(n, dtype=bool)
    manual_rows: list[tuple[int, Any, Any, Any]] = []
    for index, key in enumerate(inputs.keys):
        product_id, warehouse_id = key
        policy = inputs.policies.get(key)
        stored = inputs.stored.get(key) or {}
        level = by_class.get(stored.get("abc") or "B", by_class["B"])
        measure = settings.service_measure
        if policy is not None:
            method[index] = policy.method
            if policy.service_level is not None:
                level = float(policy.service_level)
            measure = policy.service_measure or measure
            if policy.review_period_days:
                review[index] = float(policy.review_period_days)
            if policy.max_capacity is not None:
                capacity[index] = float(policy.max_capacity)
            if policy.method == "manual":
                manual_rows.append(
                    (index, policy.min_quantity, policy.max_quantity, policy.pack_multiple or 1)
                )
        service[index] = level / 100
        fill_rate[index] = measure == "fill_rate"
        if _buys(inputs, warehouse_id):
            choices = offers.get(product_id) or []
            if choices:
                best = choices[0]
                lead[index] = float(best.lead_time_days)
                lead_sd[index] = float(best.lead_time_sd_days or 0)
        else:
            lead[index] = float(inputs.lanes[(inputs.central_id, warehouse_id)])  # type: ignore[index]
    refused = check_manual_rules([(low, high, pack) for _, low, high, pack in manual_rows])
    for position, (index, low, high, _) in enumerate(manual_rows):
        error = refused.get(position)
        if low is None or high is None:
            _raise(
                plan,
                inputs,
                Kind.INVALID_POLICY,
                index,
                2,
                "The manual min/max policy has no minimum or no maximum; it is not planned.",
                "Give both a minimum and a maximum, or choose an automatic policy.",
            )
            plannable[index] = False
        elif error is not None:
            _raise(
                plan,
                inputs,
                Kind.INVALID_POLICY,
                index,
                3,
                f"The manual policy is refused ({error.field}: {error.message}); "
                "it is not planned.",
                "Correct the minimum, maximum or pack multiple.",
            )
            plannable[index] = False
        else:
            minimum[index], maximum[index] = float(low), float(high)
    return (
        calc.LevelInputs(
            method, service, fill_rate, lead, lead_sd, review, minimum, maximum, capacity
        ),
        plannable,
    )


# -- the plan ---------------------------------------------------------------------------------


def _raise(
    plan: _Plan,
    inputs: _Inputs,
    kind: str,
    index: int,
    severity: int,
    message: str,
    action: str = "",
) -> None:
    product_id, warehouse_id = inputs.keys[index]
    plan.exceptions[(kind, product_id, warehouse_id)] = (severity, message[:300], action[:300])


def _plan(inputs: _Inputs, reuse: bool) -> _Plan:
    from crossdock.planning.offers import load_offers

    plan = _Plan()
    report = plan.report
    settings = inputs.settings
    report["as_of"] = inputs.as_of.isoformat()
    report["items"] = len(inputs.keys)
    report["flagged_days"] = "replaced by the median of the series' unflagged demand days"
    clock = time.monotonic()
    forecast, history = _forecast(inputs, reuse, report)
    report["seconds_forecast"] = round(time.monotonic() - clock, 3)
    horizon_days = settings.horizon_weeks * 7
    mean = calc.apply_overrides(
        forecast.mean, forecast.bucket_days, inputs.as_of, _overrides(inputs, horizon_days)
    )
    offers = load_offers(
        inputs.company_id, {p for p, _ in inputs.keys}, on=inputs.as_of, problems=plan.problems
    )
    level_inputs, plannable = _level_inputs(inputs, offers, plan)
    figures = calc.compute_levels(forecast, mean, level_inputs, horizon_days)
    projected = np.array(
        [float(inputs.positions.get(k, StockPosition(*k)).projected) for k in inputs.keys]
    )
    _detect(inputs, plan, forecast, history, figures, level_inputs, projected, offers, plannable)
    decimals = {pk: places for pk, (_, places) in inputs.products.items()}
    items = _items(inputs, forecast, figures, level_inputs)
    plan.items = items
    plan.over_lead = {
        key: calc.to_decimal(max(figures.demand_over_lead[index], 0), LEVEL_PLACES)
        for index, key in enumerate(inputs.keys)
    }
    decisions = _network(inputs, plan, items, plannable, offers, decimals)
    _suggestions(inputs, plan, items, decisions)
    report["problems_total"] = len(plan.problems)
    report["problems"] = plan.problems[:MAX_PROBLEMS]
    return plan


def _detect(
    inputs: _Inputs,
    plan: _Plan,
    forecast: SimpleNamespace,
    history: calc.History,
    figures: calc.Levels,
    level_inputs: calc.LevelInputs,
    projected: np.ndarray,
    offers: dict[int, list[Any]],
    plannable: np.ndarray,
) -> None:
    """The exceptions of every item (bad data included), as messages a planner can act on."""
    settings = inputs.settings
    window = settings.history_days
    dead_after = settings.dead_stock_days
    cover_months = settings.excess_cover_months
    bias_limit = float(settings.bias_limit_percent) / 100
    for index, key in enumerate(inputs.keys):
        product_id, warehouse_id = key
        position = inputs.positions.get(key) or StockPosition(product_id, warehouse_id)
        rate = float(figures.daily_rate[index])
        manual = level_inputs.method[index] == "manual"
        over_lead = float(figures.demand_over_lead[index])
        lead = int(level_inputs.lead_days[index])
        if history.anomalies[index]:
            _raise(
                plan,
                inputs,
                Kind.NEGATIVE_DEMAND,
                index,
                2,
                f"{int(history.anomalies[index])} demand day(s) of zero or negative quantity in "
                "the history; they are ignored.",
                "Correct the demand history (returns recorded as demand?).",
            )
        if history.rows[index] == 0 and not manual:
            _raise(
                plan,
                inputs,
                Kind.NO_HISTORY,
                index,
                1,
                f"No demand in the last {window} days: no forecast, no safety stock.",
                "Set a manual min/max policy if the item must be stocked.",
            )
        if _buys(inputs, warehouse_id) and (rate > 0 or manual):
            choices = offers.get(product_id) or []
            if not choices:
                _raise(
                    plan,
                    inputs,
                    Kind.NO_SUPPLIER,
                    index,
                    3,
                    "No supplier offer with a price for this product: nothing can be bought.",
                    "Add a supplier catalogue entry.",
                )
            elif choices[0].lead_time_days < 1:
                _raise(
                    plan,
                    inputs,
                    Kind.NO_LEAD_TIME,
                    index,
                    2,
                    f"The offer of {choices[0].supplier_name} has no lead time; levels assume "
                    "delivery the same day.",
                    "Enter the supplier's lead time in the catalogue.",
                )
        if not plannable[index]:
            continue
        amount = float(projected[index])
        if rate > 0 and amount < over_lead:
            _raise(
                plan,
                inputs,
                Kind.STOCKOUT_RISK,
                index,
                3,
                f"Projected stock {_text(amount)} is below the {_text(over_lead)} expected "
                f"over the {lead}-day lead time: a stockout is likely before new stock arrives.",
                "Expedite open supply or transfer stock from another warehouse.",
            )
        cover = rate * DAYS_PER_MONTH * cover_months
        if rate > 0 and amount > max(cover, float(figures.order_up_to[index])):
            _raise(
                plan,
                inputs,
                Kind.EXCESS,
                index,
                1,
                f"Projected stock {_text(amount)} is more than {cover_months} months of "
                f"demand ({_text(cover)}).",
                "Move stock to a warehouse short of it, or stop buying.",
            )
        last = int(history.last_day[index])
        idle = window - last if last >= 0 else None
        if (
            position.on_hand > 0
            and rate == 0
            and not manual
            and (idle is None or idle >= dead_after)
        ):
            since = f"in {idle} days" if idle is not None else f"in the last {window} days"
            _raise(
                plan,
                inputs,
                Kind.DEAD_STOCK,
                index,
                2,
                f"{_text(float(position.on_hand))} on hand and no demand {since}.",
                "Return, sell off or scrap the stock.",
            )
        bias = forecast.bias[index]
        if np.isfinite(bias) and abs(bias) > bias_limit and forecast.model[index] != "zero":
            direction = "over" if bias > 0 else "under"
            _raise(
                plan,
                inputs,
                Kind.FORECAST_BIAS,
                index,
                2,
                f"The {forecast.model[index]} forecast {direction}-forecast the backtest by "
                f"{abs(bias) * 100:.1f} % (limit {bias_limit * 100:.0f} %).",
                "Review the forecast or override it.",
            )


def _text(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _items(
    inputs: _Inputs,
    forecast: SimpleNamespace,
    figures: calc.Levels,
    level_inputs: calc.LevelInputs,
) -> list[PlanningItem]:
    now = timezone.now()
    items = []
    to_decimal = calc.to_decimal
    for index, key in enumerate(inputs.keys):
        product_id, warehouse_id = key
        position = inputs.positions.get(key) or StockPosition(product_id, warehouse_id)
        stored = inputs.stored.get(key) or {}
        fresh = bool(forecast.fresh[index])
        mase, bias = forecast.mase[index], forecast.bias[index]
        items.append(
            PlanningItem(
                company_id=inputs.company_id,
                product_id=product_id,
                warehouse_id=warehouse_id,
                forecast_model=str(forecast.model[index])[:20],
                bucket_days=forecast.bucket_days,
                forecast=[f"{v:.3f}" for v in forecast.mean[index]],
                forecast_sd=to_decimal(forecast.sd[index], 3),
                daily_demand=to_decimal(figures.daily_rate[index], 4),
                mase=None if not np.isfinite(mase) else to_decimal(mase, 4),
                bias=None if not np.isfinite(bias) else to_decimal(bias * 100, 4),
                history_end=(inputs.as_of if fresh else stored.get("history_end")),
                forecasted_at=(now if fresh else stored.get("forecasted_at")),
                lead_time_days=int(level_inputs.lead_days[index]),
                lead_time_sd_days=to_decimal(level_inputs.lead_sd[index], 4),
                service_level=to_decimal(level_inputs.service_level[index] * 100, 4),
                safety_stock=to_decimal(max(figures.safety_stock[index], 0), LEVEL_PLACES),
                reorder_point=to_decimal(figures.reorder_point[index], LEVEL_PLACES)
                if np.isfinite(figures.reorder_point[index])
                else ZERO,
                order_up_to=to_decimal(figures.order_up_to[index], LEVEL_PLACES)
                if np.isfinite(figures.order_up_to[index])
                else ZERO,
                levels_at=now,
                policy_method=str(level_inputs.method[index]),
                on_hand=position.on_hand,
                open_supply=position.open_supply,
                backordered=position.backordered,
                projected=position.projected,
            )
        )
    return items


def _network(
    inputs: _Inputs,
    plan: _Plan,
    items: list[PlanningItem],
    plannable: np.ndarray,
    offers: dict[int, list[Any]],
    decimals: dict[int, int],
) -> list[Any]:
    from crossdock.planning.network import Lane, Position, consolidate, plan_product

    positions: dict[int, list[Any]] = defaultdict(list)
    short: set[int] = set()
    for index, item in enumerate(items):
        if not plannable[index]:
            continue
        code = inputs.warehouses[item.warehouse_id][0]
        positions[item.product_id].append(
            Position(
                warehouse_id=item.warehouse_id,
                is_central=item.warehouse_id == inputs.central_id,
                available=item.projected,
                reorder_point=item.reorder_point,
                order_up_to=item.order_up_to,
                safety_stock=item.safety_stock,
                demand_over_lead_time=plan.over_lead[(item.product_id, item.warehouse_id)],
                name=code,
            )
        )
        if item.projected <= item.reorder_point and item.order_up_to > item.projected:
            short.add(item.product_id)
    lanes = [Lane(a, b, days) for (a, b), days in sorted(inputs.lanes.items())]
    decisions: list[Any] = []
    for product_id in sorted(short):
        found, problems = plan_product(
            product_id,
            positions[product_id],
            lanes,
            offers.get(product_id) or [],
            unit_decimals=decimals.get(product_id, 0),
        )
        decisions.extend(found)
        sku = inputs.products.get(product_id, (str(product_id), 0))[0]
        plan.problems.extend(f"{sku}: {p}" for p in problems)
    return consolidate(decisions, offers, positions_by_product=positions, unit_decimals=decimals)


def _suggestions(
    inputs: _Inputs, plan: _Plan, items: list[PlanningItem], decisions: list[Any]
) -> None:
    by_key = {(i.product_id, i.warehouse_id): i for i in items}
    counts: Counter[str] = Counter()
    for decision in decisions:
        if decision.quantity <= 0:
            continue
        item = by_key.get((decision.product_id, decision.warehouse_id))
        if item is None:
            continue
        counts[decision.action] += 1
        lead = int(decision.lead_time_days or 0)
        plan.suggestions.append(
            Suggestion(
                company_id=inputs.company_id,
                product_id=decision.product_id,
                warehouse_id=decision.warehouse_id,
                action=decision.action,
                quantity=decision.quantity,
                source_warehouse_id=decision.source_warehouse_id,
                supplier_id=decision.supplier_id,
                unit_cost=decision.unit_cost,
                lead_time_days=lead,
                order_by=inputs.as_of,
                arrives_on=inputs.as_of + datetime.timedelta(days=lead),
                on_hand=item.on_hand,
                reserved=item.on_hand - (item.projected - item.open_supply + item.backordered),
                open_supply=item.open_supply,
                backordered=item.backordered,
                projected=item.projected,
                demand_over_lead_time=plan.over_lead[(item.product_id, item.warehouse_id)],
                safety_stock=item.safety_stock,
                reorder_point=item.reorder_point,
                order_up_to=item.order_up_to,
                reason=_explain(item, decision),
            )
        )
    plan.report["suggestions"] = dict(counts)


def _explain(item: PlanningItem, decision: Any) -> str:
    available = item.projected - item.open_supply + item.backordered
    figures = (
        f"Projected stock {_q(item.projected)} (available {_q(available)} + open supply "
        f"{_q(item.open_supply)} − backorders {_q(item.backordered)}); reorder point "
        f"{_q(item.reorder_point)} = demand over the {item.lead_time_days}-day lead time "
        f"{_q(item.reorder_point - item.safety_stock)} + safety stock {_q(item.safety_stock)} "
        f"at {_q(item.service_level or ZERO)} % service; order-up-to {_q(item.order_up_to)}."
    )
    return f"{figures} {decision.reason}".strip()


def _q(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"


# -- writing ----------------------------------------------------------------------------------

ITEM_FIELDS = [
    "forecast_model",
    "bucket_days",
    "forecast",
    "forecast_sd",
    "daily_demand",
    "mase",
    "bias",
    "history_end",
    "forecasted_at",
    "lead_time_days",
    "lead_time_sd_days",
    "service_level",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "levels_at",
    "policy_method",
    "on_hand",
    "open_supply",
    "backordered",
    "projected",
    "needs_action",
]


def _write(actor: Actor, run: ReplenishmentRun, inputs: _Inputs, plan: _Plan, clock: float) -> None:
    now = timezone.now()
    flagged = {(s.product_id, s.warehouse_id) for s in plan.suggestions} | {
        (p, w) for (kind, p, w), (severity, _, _) in plan.exceptions.items() if severity >= 3
    }
    for item in plan.items:
        item.needs_action = (item.product_id, item.warehouse_id) in flagged
    with transaction.atomic():
        ReplenishmentRun.objects.select_for_update().filter(pk=run.pk).first()
        PlanningItem.objects.bulk_create(
            plan.items,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["product", "warehouse"],
            update_fields=ITEM_FIELDS,
        )
        superseded = (
            Suggestion.objects.filter(company_id=inputs.company_id, state=SuggestionState.PROPOSED)
            .exclude(run=run)
            .update(state=SuggestionState.SUPERSEDED, updated_at=now)
        )
        for suggestion in plan.suggestions:
            suggestion.run = run
        Suggestion.objects.bulk_create(plan.suggestions, batch_size=2000)
        opened, closed = _write_exceptions(run, inputs, plan, now)
        plan.report["superseded"] = superseded
        plan.report["exceptions"] = dict(Counter(kind for kind, _, _ in plan.exceptions))
        plan.report["exceptions_opened"] = opened
        plan.report["exceptions_closed"] = closed
        run.state = RunState.DONE
        run.items = len(plan.items)
        run.suggestions_count = len(plan.suggestions)
        run.exceptions_count = len(plan.exceptions)
        run.finished_at = timezone.now()
        run.seconds = round(time.monotonic() - clock, 3)
        run.report = plan.report
        run.save(
            update_fields=[
                "state",
                "items",
                "suggestions_count",
                "exceptions_count",
                "finished_at",
                "seconds",
                "report",
                "updated_at",
            ]
        )
        audit.record(
            actor,
            audit.Change(
                "planning.run.finish",
                run,
                None,
                {
                    "items": run.items,
                    "suggestions": run.suggestions_count,
                    "exceptions": run.exceptions_count,
                    "superseded": superseded,
                },
            ),
        )
        events.publish(
            ReplenishmentRunFinished(
                run.pk,
                run.state,
                run.suggestions_count,
                run.exceptions_count,
                company_id=inputs.company_id,
            )
        )


def _write_exceptions(
    run: ReplenishmentRun, inputs: _Inputs, plan: _Plan, now: datetime.datetime
) -> tuple[int, int]:
    """Open new exceptions, refresh those still true, close those whose cause is gone."""
    current = {
        (e.kind, e.product_id, e.warehouse_id): e
        for e in PlanningException.objects.filter(
            company_id=inputs.company_id, closed_at__isnull=True
        )
    }
    gone = [e.pk for key, e in current.items() if key not in plan.exceptions]
    PlanningException.objects.filter(pk__in=gone).update(closed_at=now, updated_at=now)
    kept, new = [], []
    for key, (severity, message, action) in plan.exceptions.items():
        kind, product_id, warehouse_id = key
        found = current.get(key)
        if found is not None:
            found.run = run
            found.severity, found.message, found.suggested_action = severity, message, action
            found.updated_at = now
            kept.append(found)
        else:
            new.append(
                PlanningException(
                    company_id=inputs.company_id,
                    run=run,
                    kind=kind,
                    product_id=product_id,
                    warehouse_id=warehouse_id,
                    severity=severity,
                    message=message,
                    suggested_action=action,
                    opened_at=now,
                )
            )
    PlanningException.objects.bulk_update(
        kept, ["run", "severity", "message", "suggested_action", "updated_at"], batch_size=2000
    )
    PlanningException.objects.bulk_create(new, batch_size=2000)
    return len(new), len(gone)
