"""Every item's figures as arrays, and one item's exact Decimals where a decision needs them."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from crossdock.core.fields import PERCENT_SCALE, QUANTITY_SCALE
from crossdock.planning.services import levels as calc
from crossdock.planning.services import writing
from crossdock.planning.services.run.inputs import LEVEL_PLACES, ZERO, Inputs, Stock

LEVEL_STEP = 10 ** (QUANTITY_SCALE - LEVEL_PLACES)


def level_of(stored: int) -> Decimal:
    """A stored level as the Decimal ``to_decimal(value, LEVEL_PLACES)`` gave for it."""
    whole = int(stored)
    return Decimal(whole // LEVEL_STEP).scaleb(-LEVEL_PLACES) if whole else ZERO


class Items:
    """Every item's figures: whole arrays for the rows written, and one item's exact
    Decimals (as :class:`PlanningItem`) where a decision or its explanation needs them."""

    def __init__(
        self,
        inputs: Inputs,
        forecast: SimpleNamespace,
        figures: calc.Levels,
        level_inputs: calc.LevelInputs,
        stock: Stock,
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
        over_lead = np.maximum(np.asarray(figures.demand_over_lead, dtype=np.float64), 0)
        self._over_lead = calc.stored_integers(over_lead, LEVEL_PLACES, scale)
        self._cache: dict[int, SimpleNamespace] = {}

    def __len__(self) -> int:
        return len(self.inputs.keys)

    def short(self, plannable: np.ndarray) -> np.ndarray:
        """Plannable items at or below their reorder point with room up to S."""
        projected = self.stock.projected
        return plannable & (projected <= self.reorder_point) & (self.order_up_to > projected)

    def over_lead(self, index: int) -> Decimal:
        """Demand over the lead time as ``to_decimal(max(figure, 0), LEVEL_PLACES)``."""
        return level_of(self._over_lead[index])

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
                safety_stock=level_of(self.safety_stock[index]),
                reorder_point=level_of(self.reorder_point[index]),
                order_up_to=level_of(self.order_up_to[index]),
                lead_time_days=int(level_inputs.lead_days[index]),
                service_level=calc.to_decimal(level_inputs.service_level[index] * 100, 4),
            )
        return found

    def rows(self, indices: np.ndarray, *, with_forecast: bool) -> list[tuple[Any, ...]]:
        """The items at ``indices`` as the stored values of ``ROW_FIELDS`` (of
        ``LEVEL_ROW_FIELDS`` without the forecast), built column by column."""
        inputs, level_inputs = self.inputs, self.level_inputs
        n = int(indices.size)
        ops = connection.ops
        now = ops.adapt_datetimefield_value(self.now)
        keys = [inputs.keys[i] for i in indices.tolist()]
        columns = [
            [inputs.company_id] * n,
            inputs.product_of[indices].tolist(),
            inputs.warehouse_of[indices].tolist(),
        ]
        if with_forecast:
            columns += self._forecast_columns(indices, now)
        lead_days = np.asarray(level_inputs.lead_days)[indices].astype(np.int64)
        columns += [
            calc.stored_integers(
                np.asarray(self.figures.daily_rate)[indices], 4, QUANTITY_SCALE
            ).tolist(),
            lead_days.tolist(),
            calc.stored_integers(level_inputs.lead_sd[indices], 4, PERCENT_SCALE).tolist(),
            calc.stored_integers(
                level_inputs.service_level[indices] * 100, 4, PERCENT_SCALE
            ).tolist(),
            self.safety_stock[indices].tolist(),
            self.reorder_point[indices].tolist(),
            self.order_up_to[indices].tolist(),
            [now] * n,
            [str(m) for m in level_inputs.method[indices]],
            *writing.position_columns(keys, inputs.positions),
            self.needs_action[indices].tolist(),
        ]
        return list(zip(*columns, strict=True))

    def _forecast_columns(self, indices: np.ndarray, now: Any) -> list[list[Any]]:
        inputs, forecast = self.inputs, self.forecast
        n = int(indices.size)
        ops = connection.ops
        as_of = ops.adapt_datefield_value(inputs.as_of)
        fresh = np.asarray(forecast.fresh, dtype=bool)[indices]
        history_end: list[Any] = [as_of] * n
        forecasted_at: list[Any] = [now] * n
        for position in np.flatnonzero(~fresh).tolist():
            stored = inputs.stored.get(inputs.keys[int(indices[position])]) or {}
            history_end[position] = ops.adapt_datefield_value(stored.get("history_end"))
            forecasted_at[position] = ops.adapt_datetimefield_value(stored.get("forecasted_at"))
        mase = np.asarray(forecast.mase, dtype=np.float64)[indices]
        bias = np.asarray(forecast.bias, dtype=np.float64)[indices]
        mase_stored = calc.stored_integers(mase, 4, PERCENT_SCALE).tolist()
        bias_stored = calc.stored_integers(bias * 100, 4, PERCENT_SCALE).tolist()
        mase_finite, bias_finite = np.isfinite(mase).tolist(), np.isfinite(bias).tolist()
        return [
            [str(m)[:20] for m in forecast.model[indices]],
            [forecast.bucket_days] * n,
            writing.forecast_texts(np.asarray(forecast.mean)[indices]),
            calc.stored_integers(np.asarray(forecast.sd)[indices], 3, QUANTITY_SCALE).tolist(),
            [v if ok else None for v, ok in zip(mase_stored, mase_finite, strict=True)],
            [v if ok else None for v, ok in zip(bias_stored, bias_finite, strict=True)],
            history_end,
            forecasted_at,
        ]


# -- writing ----------------------------------------------------------------------------------

FORECAST_FIELDS = [
    "forecast_model",
    "bucket_days",
    "forecast",
    "forecast_sd",
    "mase",
    "bias",
    "history_end",
    "forecasted_at",
]
LEVEL_FIELDS = [
    "daily_demand",
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
ITEM_FIELDS = [*FORECAST_FIELDS, *LEVEL_FIELDS]
ROW_FIELDS = ["company_id", "product_id", "warehouse_id", *ITEM_FIELDS]
LEVEL_ROW_FIELDS = ["company_id", "product_id", "warehouse_id", *LEVEL_FIELDS]
