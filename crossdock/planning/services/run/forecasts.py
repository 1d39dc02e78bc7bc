"""The run's forecasts: fitted afresh, or read back from the items; planners' overrides."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from types import SimpleNamespace
from typing import Any

import numpy as np
from django.db import connection

from crossdock.core.fields import PERCENT_SCALE, QUANTITY_SCALE
from crossdock.planning.models import (
    ForecastOverride,
    PlanningItem,
)
from crossdock.planning.services import levels as calc
from crossdock.planning.services.run.inputs import (
    HOLDOUT,
    Inputs,
    item_numbers,
    load_history,
    load_summary,
)

# -- forecasting ------------------------------------------------------------------------------


def stored_forecasts(inputs: Inputs, horizon: int) -> SimpleNamespace:
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
        resized=np.zeros(n, dtype=bool),
    )
    if not records:
        return found
    products, warehouses, models, texts, sds, mases, biases = zip(*records, strict=True)
    index = item_numbers(
        inputs, np.array(products, dtype=np.int64), np.array(warehouses, dtype=np.int64)
    )
    texts = tuple(t if isinstance(t, str) else json.dumps(t) for t in texts)
    lengths = np.array([0 if t.strip() == "[]" else t.count(",") + 1 for t in texts])
    keep = np.flatnonzero((index >= 0) & (lengths > 0))
    if keep.size == 0 or horizon == 0:
        found.usable[index[keep]] = True
        return found
    body = ",".join(texts[i].strip()[1:-1] for i in keep.tolist()).replace('"', "")
    values = np.fromstring(body, dtype=np.float64, sep=",")
    starts = np.concatenate(([0], np.cumsum(lengths[keep])[:-1]))
    columns = np.minimum(np.arange(horizon)[None, :], lengths[keep][:, None] - 1)
    items = index[keep]
    found.usable[items] = True
    found.resized[items] = lengths[keep] != horizon
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


def forecast_items(
    inputs: Inputs, reuse: bool, report: dict[str, Any]
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
    rewrite = fresh
    if reuse:
        stored = stored_forecasts(inputs, horizon)
        fresh = ~stored.usable
        rewrite = fresh | stored.resized  # a reused forecast is stored again only when cut
        mean, sd, model = stored.mean, stored.sd, stored.model
        mase, bias = stored.mase, stored.bias
    history = (
        load_history(inputs)
        if not reuse
        else load_history(inputs, {inputs.keys[i][0] for i in np.flatnonzero(fresh)})
        if fresh.any()
        else load_summary(inputs)
    )
    if reuse and fresh.any():
        summary = load_summary(inputs)
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
            bucket_days=7,
            mean=mean,
            sd=sd,
            model=model,
            mase=mase,
            bias=bias,
            fresh=fresh,
            rewrite=rewrite,
        ),
        history,
    )


def overrides_of(inputs: Inputs, horizon_days: int) -> list[calc.OverrideRow]:
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
