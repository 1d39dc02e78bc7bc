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
import json
import logging
import time
from collections import Counter
from collections.abc import Iterator, Mapping
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
from crossdock.core.fields import PERCENT_SCALE, QUANTITY_SCALE
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
from crossdock.planning.services import writing
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
    product_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    warehouse_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        pairs = np.array(self.keys, dtype=np.int64).reshape(len(self.keys), 2)
        self.product_of, self.warehouse_of = pairs[:, 0].copy(), pairs[:, 1].copy()


@dataclass
class _Plan:
    items: _Items | None = None
    suggestions: list[Suggestion] = field(default_factory=list)
    exceptions: dict[tuple[str, int, int], tuple[int, str, str]] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass
class _Stock:
    """The stock positions of every item as stored integers (for whole-array tests), and
    the positions themselves (exact Decimals, for the items a message or decision needs)."""

    positions: dict[Key, StockPosition]
    keys: list[Key]
    on_hand: np.ndarray
    projected: np.ndarray
    projected_float: np.ndarray

    @classmethod
    def of(cls, inputs: _Inputs) -> _Stock:
        n = len(inputs.keys)
        on_hand = np.zeros(n, dtype=np.int64)
        projected = np.zeros(n, dtype=np.int64)
        for key, position in inputs.positions.items():
            index = inputs.index_of.get(key)
            if index is not None:
                on_hand[index] = writing.stored(position.on_hand)
                projected[index] = writing.stored(position.projected)
        return cls(
            inputs.positions, inputs.keys, on_hand, projected, projected / 10**QUANTITY_SCALE
        )

    def position(self, index: int) -> StockPosition:
        key = self.keys[index]
        return self.positions.get(key) or StockPosition(*key)

    def decimal(self, values: np.ndarray, index: int) -> Decimal:
        return Decimal(int(values[index])).scaleb(-QUANTITY_SCALE)


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
        .order_by()  # the model's ordering would make DISTINCT return every row
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
    """The demand window of the items (of ``product_ids`` only, when given) in one query of
    integers (the day as an ordinal, the stored quantity), matched to items with NumPy."""
    from crossdock.planning.services.classify import day_ordinal_sql

    days = inputs.settings.history_days
    start = inputs.as_of - datetime.timedelta(days=days)
    table = DemandDay._meta.db_table
    sql = (
        f"SELECT product_id, warehouse_id, {day_ordinal_sql()}, quantity, "  # noqa: S608
        "CASE WHEN is_outlier OR is_promotion THEN 1 ELSE 0 END "
        f"FROM {table} WHERE company_id = %s AND day >= %s AND day < %s"
    )
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                inputs.company_id,
                ops.adapt_datefield_value(start),
                ops.adapt_datefield_value(inputs.as_of),
            ],
        )
        data = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 5)
    keys = _item_numbers(inputs, data[:, 0], data[:, 1])
    if product_ids is not None:
        wanted = np.isin(data[:, 0], np.fromiter(product_ids, np.int64, len(product_ids)))
        keys = np.where(wanted, keys, -1)
    return calc.demand_matrix_of(
        keys,
        data[:, 2] - start.toordinal(),
        data[:, 3] / 10**QUANTITY_SCALE,
        data[:, 4] > 0,
        len(inputs.keys),
        days,
    )


def _item_numbers(inputs: _Inputs, products: np.ndarray, warehouses: np.ndarray) -> np.ndarray:
    """The item number of each (product, warehouse) pair, -1 for pairs not planned."""
    known = inputs.product_of * (1 << 32) + inputs.warehouse_of  # ascending: keys are sorted
    wanted = products * (1 << 32) + warehouses
    if known.size == 0:
        return np.full(wanted.size, -1, dtype=np.int64)
    found = np.minimum(np.searchsorted(known, wanted), known.size - 1)
    return np.where(known[found] == wanted, found, -1).astype(np.int64)


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


def _stored_forecasts(inputs: _Inputs, horizon: int) -> SimpleNamespace:
    """The forecasts stored on the items, in one query, as arrays over every item.

    An item reuses its forecast when it has one (weekly buckets, at least one, and a
    forecast time); its buckets are cut to the horizon, the last repeated to fill it."""
    n = len(inputs.keys)
    table = PlanningItem._meta.db_table
    sql = (
        "SELECT product_id, warehouse_id, forecast_model, forecast, forecast_sd, mase, bias "  # noqa: S608
        f"FROM {table} WHERE company_id = %s AND bucket_days = 7 "
        "AND forecasted_at IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [inputs.company_id])
        records = cursor.fetchall()
    found = SimpleNamespace(
        usable=np.zeros(n, dtype=bool),
        mean=np.zeros((n, horizon)),
        sd=np.zeros(n),
        model=np.full(n, "", dtype=object),
        mase=np.full(n, np.nan),
        bias=np.full(n, np.nan),
    )
    if not records:
        return found
    products, warehouses, models, texts, sds, mases, biases = zip(*records, strict=True)
    index = _item_numbers(
        inputs, np.array(products, dtype=np.int64), np.array(warehouses, dtype=np.int64)
    )
    texts = tuple(t if isinstance(t, str) else json.dumps(t) for t in texts)
    lengths = np.array([0 if t.strip() == "[]" else t.count(",") + 1 for t in texts])
    keep = np.flatnonzero((index >= 0) & (lengths > 0))
    if keep.size == 0 or horizon == 0:
        found.usable[index[keep]] = True
        return found
    body = ",".join(texts[i].strip()[1:-1] for i in keep.tolist()).replace('"', "")
    values = np.array(body.split(","), dtype=np.float64)
    starts = np.concatenate(([0], np.cumsum(lengths[keep])[:-1]))
    columns = np.minimum(np.arange(horizon)[None, :], lengths[keep][:, None] - 1)
    items = index[keep]
    found.usable[items] = True
    found.mean[items] = values[starts[:, None] + columns]
    found.sd[items] = (
        np.array([sds[i] for i in keep.tolist()], dtype=np.float64) / 10**QUANTITY_SCALE
    )
    found.model[items] = [models[i] for i in keep.tolist()]
    for target, raw, divisor in ((found.mase, mases, 1), (found.bias, biases, 100)):
        picked = [raw[i] for i in keep.tolist()]
        known = np.array([v is not None for v in picked], dtype=bool)
        numbers = np.array([v or 0 for v in picked], dtype=np.float64) / 10**PERCENT_SCALE
        target[items] = np.where(known, numbers / divisor if divisor != 1 else numbers, np.nan)
    return found


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
        stored = _stored_forecasts(inputs, horizon)
        fresh = ~stored.usable
        mean, sd, model = stored.mean, stored.sd, stored.model
        mase, bias = stored.mase, stored.bias
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


def _buying(inputs: _Inputs) -> np.ndarray:
    """:func:`_buys` of every item."""
    buying = {w: _buys(inputs, w) for w in inputs.warehouses}
    return np.array([buying.get(w, True) for w in inputs.warehouse_of.tolist()], dtype=bool)


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
    abc = [(inputs.stored.get(key) or {}).get("abc") or "B" for key in inputs.keys]
    service = np.array([by_class.get(c, by_class["B"]) for c in abc], dtype=np.float64) / 100
    fill_rate = np.full(n, settings.service_measure == "fill_rate", dtype=bool)
    review = np.full(n, float(settings.review_period_days))
    minimum = np.full(n, np.nan)
    maximum = np.full(n, np.nan)
    capacity = np.full(n, np.inf)
    plannable = np.ones(n, dtype=bool)
    manual_rows: list[tuple[int, Any, Any, Any]] = []
    for key, policy in sorted(inputs.policies.items()):
        index = inputs.index_of[key]
        method[index] = policy.method
        if policy.service_level is not None:
            service[index] = float(policy.service_level) / 100
        fill_rate[index] = (policy.service_measure or settings.service_measure) == "fill_rate"
        if policy.review_period_days:
            review[index] = float(policy.review_period_days)
        if policy.max_capacity is not None:
            capacity[index] = float(policy.max_capacity)
        if policy.method == "manual":
            manual_rows.append(
                (index, policy.min_quantity, policy.max_quantity, policy.pack_multiple or 1)
            )
    manual_rows.sort()
    buys = _buying(inputs)
    best = {
        product_id: (float(choices[0].lead_time_days), float(choices[0].lead_time_sd_days or 0))
        for product_id, choices in offers.items()
        if choices
    }
    found = [best.get(p, (0.0, 0.0)) for p in inputs.product_of.tolist()]
    offered = np.array(found, dtype=np.float64).reshape(n, 2)
    lane = np.array(
        [float(inputs.lanes.get((inputs.central_id, w), 0)) for w in inputs.warehouse_of.tolist()]
        if inputs.central_id is not None
        else np.zeros(n)
    )
    lead = np.where(buys, offered[:, 0], lane)
    lead_sd = np.where(buys, offered[:, 1], 0.0)
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
    stock = _Stock.of(inputs)
    _detect(inputs, plan, forecast, history, figures, level_inputs, stock, offers, plannable)
    decimals = {pk: places for pk, (_, places) in inputs.products.items()}
    plan.items = _Items(inputs, forecast, figures, level_inputs, stock)
    decisions = _network(inputs, plan, plannable, offers, decimals)
    _suggestions(inputs, plan, decisions)
    report["problems_total"] = len(plan.problems)
    report["problems"] = plan.problems[:MAX_PROBLEMS]
    return plan


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


def _detect(
    inputs: _Inputs,
    plan: _Plan,
    forecast: SimpleNamespace,
    history: calc.History,
    figures: calc.Levels,
    level_inputs: calc.LevelInputs,
    stock: _Stock,
    offers: dict[int, list[Any]],
    plannable: np.ndarray,
) -> None:
    """The exceptions of every item (bad data included), as messages a planner can act on.

    Which items have which exception is decided on whole arrays; only the items found get a
    message (in item order, then the order of :data:`DETECTED`)."""
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
    buying = _buying(inputs) & (moving | manual)
    cover = rate * DAYS_PER_MONTH * cover_months
    up_to = np.asarray(figures.order_up_to, dtype=np.float64)
    last = history.last_day
    idle = window - last
    bias = np.asarray(forecast.bias, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        found = {
            Kind.NEGATIVE_DEMAND: history.anomalies > 0,
            Kind.NO_HISTORY: (history.rows == 0) & ~manual,
            Kind.NO_SUPPLIER: buying & ~offered,
            Kind.NO_LEAD_TIME: buying & no_lead,
            Kind.STOCKOUT_RISK: plannable & moving & (amount < over_lead),
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
        severity, message, action = _describe(
            kind, index, inputs, forecast, history, figures, level_inputs, stock, offers
        )
        _raise(plan, inputs, kind, index, severity, message, action)


def _describe(
    kind: str,
    index: int,
    inputs: _Inputs,
    forecast: SimpleNamespace,
    history: calc.History,
    figures: calc.Levels,
    level_inputs: calc.LevelInputs,
    stock: _Stock,
    offers: dict[int, list[Any]],
) -> tuple[int, str, str]:
    """Severity, message and suggested action of one exception of one item."""
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
        return (
            3,
            f"Projected stock {_text(amount)} is below the {_text(over_lead)} expected "
            f"over the {lead}-day lead time: a stockout is likely before new stock arrives.",
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


LEVEL_STEP = 10 ** (QUANTITY_SCALE - LEVEL_PLACES)


def _level(stored: int) -> Decimal:
    """A stored level as the Decimal ``to_decimal(value, LEVEL_PLACES)`` gave for it."""
    whole = int(stored)
    return Decimal(whole // LEVEL_STEP).scaleb(-LEVEL_PLACES) if whole else ZERO


class _Items:
    """Every item's figures: whole arrays for the rows written, and one item's exact
    Decimals (as :class:`PlanningItem`) where a decision or its explanation needs them."""

    def __init__(
        self,
        inputs: _Inputs,
        forecast: SimpleNamespace,
        figures: calc.Levels,
        level_inputs: calc.LevelInputs,
        stock: _Stock,
    ) -> None:
        self.inputs, self.forecast, self.figures = inputs, forecast, figures
        self.level_inputs, self.stock = level_inputs, stock
        self.now = timezone.now()
        scale = QUANTITY_SCALE
        safety = np.asarray(figures.safety_stock, dtype=np.float64)
        self.safety_stock = calc.stored_integers(
            np.where(safety < 0, 0, safety), LEVEL_PLACES, scale
        )
        self.reorder_point = calc.stored_integers(figures.reorder_point, LEVEL_PLACES, scale)
        self.order_up_to = calc.stored_integers(figures.order_up_to, LEVEL_PLACES, scale)
        self.needs_action = np.zeros(len(inputs.keys), dtype=bool)
        self._cache: dict[int, SimpleNamespace] = {}

    def __len__(self) -> int:
        return len(self.inputs.keys)

    def short(self, plannable: np.ndarray) -> np.ndarray:
        """Plannable items at or below their reorder point with room up to S."""
        projected = self.stock.projected
        return plannable & (projected <= self.reorder_point) & (self.order_up_to > projected)

    def over_lead(self, index: int) -> Decimal:
        return calc.to_decimal(max(self.figures.demand_over_lead[index], 0), LEVEL_PLACES)

    def item(self, index: int) -> SimpleNamespace:
        """The figures of the item at ``index`` a decision and its explanation use, as the
        exact Decimals the row is written with."""
        found = self._cache.get(index)
        if found is None:
            product_id, warehouse_id = self.inputs.keys[index]
            position = self.stock.position(index)
            level_inputs = self.level_inputs
            found = self._cache[index] = SimpleNamespace(
                product_id=product_id,
                warehouse_id=warehouse_id,
                on_hand=position.on_hand,
                open_supply=position.open_supply,
                backordered=position.backordered,
                projected=position.projected,
                safety_stock=_level(self.safety_stock[index]),
                reorder_point=_level(self.reorder_point[index]),
                order_up_to=_level(self.order_up_to[index]),
                lead_time_days=int(level_inputs.lead_days[index]),
                service_level=calc.to_decimal(level_inputs.service_level[index] * 100, 4),
            )
        return found

    def rows(self) -> list[tuple[Any, ...]]:
        """Every item as the stored values of ``ROW_FIELDS``, built column by column."""
        inputs, forecast, figures, level_inputs = (
            self.inputs,
            self.forecast,
            self.figures,
            self.level_inputs,
        )
        n = len(inputs.keys)
        ops = connection.ops
        now = ops.adapt_datetimefield_value(self.now)
        as_of = ops.adapt_datefield_value(inputs.as_of)
        fresh = np.asarray(forecast.fresh, dtype=bool)
        history_end: list[Any] = [as_of] * n
        forecasted_at: list[Any] = [now] * n
        for index in np.flatnonzero(~fresh).tolist():
            stored = inputs.stored.get(inputs.keys[index]) or {}
            history_end[index] = ops.adapt_datefield_value(stored.get("history_end"))
            forecasted_at[index] = ops.adapt_datetimefield_value(stored.get("forecasted_at"))
        mase = np.asarray(forecast.mase, dtype=np.float64)
        bias = np.asarray(forecast.bias, dtype=np.float64)
        mase_stored = calc.stored_integers(mase, 4, PERCENT_SCALE).tolist()
        bias_stored = calc.stored_integers(bias * 100, 4, PERCENT_SCALE).tolist()
        mase_finite, bias_finite = np.isfinite(mase).tolist(), np.isfinite(bias).tolist()
        positions = writing.position_columns(inputs.keys, inputs.positions)
        columns = [
            [inputs.company_id] * n,
            inputs.product_of.tolist(),
            inputs.warehouse_of.tolist(),
            [str(m)[:20] for m in forecast.model],
            [forecast.bucket_days] * n,
            writing.forecast_texts(forecast.mean),
            calc.stored_integers(forecast.sd, 3, QUANTITY_SCALE).tolist(),
            calc.stored_integers(figures.daily_rate, 4, QUANTITY_SCALE).tolist(),
            [v if ok else None for v, ok in zip(mase_stored, mase_finite, strict=True)],
            [v if ok else None for v, ok in zip(bias_stored, bias_finite, strict=True)],
            history_end,
            forecasted_at,
            np.asarray(level_inputs.lead_days).astype(np.int64).tolist(),
            calc.stored_integers(level_inputs.lead_sd, 4, PERCENT_SCALE).tolist(),
            calc.stored_integers(level_inputs.service_level * 100, 4, PERCENT_SCALE).tolist(),
            self.safety_stock.tolist(),
            self.reorder_point.tolist(),
            self.order_up_to.tolist(),
            [now] * n,
            [str(m) for m in level_inputs.method],
            *positions,
            self.needs_action.tolist(),
        ]
        return list(zip(*columns, strict=True))


class _Sites(Mapping[int, list[Any]]):
    """The network positions of each product's plannable items, built when first asked for
    (consolidation looks at the products near their reorder point only when a supplier
    offers free freight)."""

    def __init__(self, inputs: _Inputs, items: _Items, plannable: np.ndarray) -> None:
        self.inputs, self.figures, self.plannable = inputs, items, plannable
        products = inputs.product_of[plannable]
        self.ids = np.unique(products)
        self._built: dict[int, list[Any]] = {}

    def __getitem__(self, product_id: int) -> list[Any]:
        from crossdock.planning.network import Position

        found = self._built.get(product_id)
        if found is not None:
            return found
        inputs, items = self.inputs, self.figures
        low = int(np.searchsorted(inputs.product_of, product_id, side="left"))
        high = int(np.searchsorted(inputs.product_of, product_id, side="right"))
        sites = []
        for index in range(low, high):
            if not self.plannable[index]:
                continue
            item = items.item(index)
            sites.append(
                Position(
                    warehouse_id=item.warehouse_id,
                    is_central=item.warehouse_id == inputs.central_id,
                    available=item.projected,
                    reorder_point=item.reorder_point,
                    order_up_to=item.order_up_to,
                    safety_stock=item.safety_stock,
                    demand_over_lead_time=items.over_lead(index),
                    name=inputs.warehouses[item.warehouse_id][0],
                )
            )
        if not sites:
            raise KeyError(product_id)
        self._built[product_id] = sites
        return sites

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids.tolist())

    def __len__(self) -> int:
        return int(self.ids.size)


def _network(
    inputs: _Inputs,
    plan: _Plan,
    plannable: np.ndarray,
    offers: dict[int, list[Any]],
    decimals: dict[int, int],
) -> list[Any]:
    from crossdock.planning.network import Lane, consolidate, plan_product

    assert plan.items is not None
    sites = _Sites(inputs, plan.items, plannable)
    short = np.unique(inputs.product_of[plan.items.short(plannable)]).tolist()
    lanes = [Lane(a, b, days) for (a, b), days in sorted(inputs.lanes.items())]
    decisions: list[Any] = []
    for product_id in short:
        found, problems = plan_product(
            product_id,
            sites[product_id],
            lanes,
            offers.get(product_id) or [],
            unit_decimals=decimals.get(product_id, 0),
        )
        decisions.extend(found)
        sku = inputs.products.get(product_id, (str(product_id), 0))[0]
        plan.problems.extend(f"{sku}: {p}" for p in problems)
    return consolidate(decisions, offers, positions_by_product=sites, unit_decimals=decimals)


def _suggestions(inputs: _Inputs, plan: _Plan, decisions: list[Any]) -> None:
    assert plan.items is not None
    counts: Counter[str] = Counter()
    for decision in decisions:
        if decision.quantity <= 0:
            continue
        index = inputs.index_of.get((decision.product_id, decision.warehouse_id))
        if index is None:
            continue
        item = plan.items.item(index)
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
                demand_over_lead_time=plan.items.over_lead(index),
                safety_stock=item.safety_stock,
                reorder_point=item.reorder_point,
                order_up_to=item.order_up_to,
                reason=_explain(item, decision),
            )
        )
    plan.report["suggestions"] = dict(counts)


def _explain(item: Any, decision: Any) -> str:
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


ROW_FIELDS = ["company_id", "product_id", "warehouse_id", *ITEM_FIELDS]


def _write(actor: Actor, run: ReplenishmentRun, inputs: _Inputs, plan: _Plan, clock: float) -> None:
    now = timezone.now()
    assert plan.items is not None
    flagged = {(s.product_id, s.warehouse_id) for s in plan.suggestions} | {
        (p, w) for (kind, p, w), (severity, _, _) in plan.exceptions.items() if severity >= 3
    }
    for key in flagged:
        index = inputs.index_of.get(key)
        if index is not None:
            plan.items.needs_action[index] = True
    rows = plan.items.rows()
    with transaction.atomic():
        ReplenishmentRun.objects.select_for_update().filter(pk=run.pk).first()
        writing.upsert_items(ROW_FIELDS, ITEM_FIELDS, rows)
        del rows
        superseded = (
            Suggestion.objects.filter(company_id=inputs.company_id, state=SuggestionState.PROPOSED)
            .exclude(run=run)
            .update(state=SuggestionState.SUPERSEDED, updated_at=now)
        )
        _write_suggestions(run, plan.suggestions, now)
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


SUGGESTION_FIELDS = [
    "run",
    "company",
    "product",
    "warehouse",
    "action",
    "state",
    "quantity",
    "source_warehouse",
    "supplier",
    "unit_cost",
    "lead_time_days",
    "order_by",
    "arrives_on",
    "on_hand",
    "reserved",
    "open_supply",
    "backordered",
    "projected",
    "demand_over_lead_time",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "reason",
    "version",
    "created_at",
    "updated_at",
]


def _write_suggestions(
    run: ReplenishmentRun, suggestions: list[Suggestion], now: datetime.datetime
) -> None:
    """Insert the run's suggestions with one prepared statement."""
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    quantity = writing.stored
    price_scale = Suggestion._meta.get_field("unit_cost").scale
    rows = [
        (
            run.pk,
            s.company_id,
            s.product_id,
            s.warehouse_id,
            s.action,
            SuggestionState.PROPOSED,
            quantity(s.quantity),
            s.source_warehouse_id,
            s.supplier_id,
            None if s.unit_cost is None else quantity(s.unit_cost, price_scale),
            s.lead_time_days,
            ops.adapt_datefield_value(s.order_by),
            ops.adapt_datefield_value(s.arrives_on),
            quantity(s.on_hand),
            quantity(s.reserved),
            quantity(s.open_supply),
            quantity(s.backordered),
            quantity(s.projected),
            quantity(s.demand_over_lead_time),
            quantity(s.safety_stock),
            quantity(s.reorder_point),
            quantity(s.order_up_to),
            s.reason,
            1,
            stamp,
            stamp,
        )
        for s in suggestions
    ]
    writing.insert_rows(Suggestion, SUGGESTION_FIELDS, rows)


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


def _write_exceptions(
    run: ReplenishmentRun, inputs: _Inputs, plan: _Plan, now: datetime.datetime
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
