"""The replenishment run's inputs: what is planned, stock positions, demand history."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from crossdock.core.fields import QUANTITY_SCALE
from crossdock.masterdata.models import Product, Warehouse
from crossdock.planning.models import (
    PlanningExceptionKind,
    PlanningItem,
    PlanningSettings,
    ReorderPolicy,
    TransferLane,
)
from crossdock.planning.services import levels as calc
from crossdock.planning.services import writing
from crossdock.planning.services.positions import StockPosition, stock_positions
from crossdock.planning.services.run import demand

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
    rows: np.ndarray | None = None  # the window's demand rows (a full run), see .demand
    summary: np.ndarray | None = None  # the window's summary per series (a reuse run)

    @property
    def start(self) -> datetime.date:
        """The first day of the demand window (the window ends the day before as_of)."""
        return self.as_of - datetime.timedelta(days=self.settings.history_days)

    def __post_init__(self) -> None:
        pairs = np.array(self.keys, dtype=np.int64).reshape(len(self.keys), 2)
        self.product_of, self.warehouse_of = pairs[:, 0].copy(), pairs[:, 1].copy()


@dataclass(slots=True)
class SuggestionRow:
    """One suggestion as the run writes it (a plain record: no model instance per row)."""

    product_id: int
    warehouse_id: int
    action: str
    quantity: Decimal
    source_warehouse_id: int | None
    supplier_id: int | None
    unit_cost: Decimal | None
    lead_time_days: int
    order_by: datetime.date
    arrives_on: datetime.date
    on_hand: Decimal
    reserved: Decimal
    open_supply: Decimal
    backordered: Decimal
    projected: Decimal
    demand_over_lead_time: Decimal
    safety_stock: Decimal
    reorder_point: Decimal
    order_up_to: Decimal
    reason: str


@dataclass
class Plan:
    items: Items | None = None
    suggestions: list[SuggestionRow] = field(default_factory=list)
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


def load_inputs(company_id: int, as_of: datetime.date, *, reuse: bool = False) -> Inputs:
    """Everything a run plans from; the demand window is read once, as rows for a full run
    and as a summary per series for a run reusing forecasts (see :mod:`.demand`)."""
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
    rows = summary = None
    if reuse:
        summary = demand.window_summary(company_id, start, as_of)
        pairs = summary[:, :2]
    else:
        rows = demand.window_rows(company_id, start, as_of)
        pairs = np.unique(rows[:, :2], axis=0)
    active = np.isin(pairs[:, 1], np.fromiter(warehouses, np.int64, len(warehouses)))
    demanded = set(map(tuple, pairs[active].tolist()))
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
        rows=rows,
        summary=summary,
    )


def load_history(inputs: Inputs, product_ids: set[int] | None = None) -> calc.History:
    """The demand window of the items (of ``product_ids`` only, when given), matched to
    items with NumPy; the rows :func:`load_inputs` read, or read now."""
    days = inputs.settings.history_days
    start = inputs.start
    data = inputs.rows
    if data is None:
        data = demand.window_rows(inputs.company_id, start, inputs.as_of)
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
    found = inputs.summary
    if found is None:
        found = demand.window_summary(inputs.company_id, inputs.start, inputs.as_of)
    index = item_numbers(inputs, found[:, 0], found[:, 1])
    known = index >= 0
    index, found = index[known], found[known]
    summary.rows[index] = found[:, 2]
    summary.anomalies[index] = found[:, 3]
    summary.flagged[index] = found[:, 5]
    last = found[:, 4]
    summary.last_day[index] = np.where(last >= 0, last - inputs.start.toordinal(), -1)
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
