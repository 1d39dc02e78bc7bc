"""The replenishment run's inputs: what is planned, stock positions, demand history."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection
from django.db.models import Count, Max, Q

from crossdock.core.fields import QUANTITY_SCALE
from crossdock.masterdata.models import Product, Warehouse
from crossdock.planning.models import (
    DemandDay,
    PlanningExceptionKind,
    PlanningItem,
    PlanningSettings,
    ReorderPolicy,
    Suggestion,
    TransferLane,
)
from crossdock.planning.services import levels as calc
from crossdock.planning.services import writing
from crossdock.planning.services.positions import StockPosition, stock_positions

if TYPE_CHECKING:
    from crossdock.planning.services.run.items import Items


ZERO = Decimal(0)
LEVEL_PLACES = 2
HOLDOUT = 8
DAYS_PER_MONTH = 30.4375
MAX_PROBLEMS = 200
Kind = PlanningExceptionKind
Key = tuple[int, int]


@dataclass
class Inputs:
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
class Plan:
    items: Items | None = None
    suggestions: list[Suggestion] = field(default_factory=list)
    exceptions: dict[tuple[str, int, int], tuple[int, str, str]] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass
class Stock:
    """The stock positions of every item as stored integers (for whole-array tests), and
    the positions themselves (exact Decimals, for the items a message or decision needs)."""

    positions: dict[Key, StockPosition]
    keys: list[Key]
    on_hand: np.ndarray
    projected: np.ndarray
    projected_float: np.ndarray

    @classmethod
    def of(cls, inputs: Inputs) -> Stock:
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


# -- loading ----------------------------------------------------------------------------------


def load_inputs(company_id: int, as_of: datetime.date) -> Inputs:
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
    return Inputs(
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


def load_history(inputs: Inputs, product_ids: set[int] | None = None) -> calc.History:
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
    keys = item_numbers(inputs, data[:, 0], data[:, 1])
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


def item_numbers(inputs: Inputs, products: np.ndarray, warehouses: np.ndarray) -> np.ndarray:
    """The item number of each (product, warehouse) pair, -1 for pairs not planned."""
    known = inputs.product_of * (1 << 32) + inputs.warehouse_of  # ascending: keys are sorted
    wanted = products * (1 << 32) + warehouses
    if known.size == 0:
        return np.full(wanted.size, -1, dtype=np.int64)
    found = np.minimum(np.searchsorted(known, wanted), known.size - 1)
    return np.where(known[found] == wanted, found, -1).astype(np.int64)


def load_summary(inputs: Inputs) -> calc.History:
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


def raise_exception(
    plan: Plan,
    inputs: Inputs,
    kind: str,
    index: int,
    severity: int,
    message: str,
    action: str = "",
) -> None:
    product_id, warehouse_id = inputs.keys[index]
    plan.exceptions[(kind, product_id, warehouse_id)] = (severity, message[:300], action[:300])
