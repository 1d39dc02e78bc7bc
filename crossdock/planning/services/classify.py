"""Flagging and classifying a company's demand history (set-based, NumPy).

Design overview
---------------
:func:`load_history` reads a company's demand rows in one raw query into flat arrays (row
id, series number, day ordinal, quantity in millionths — the stored integers, so nothing
is converted row by row). :func:`classify_items` hands them to the pure
:mod:`crossdock.planning.classification` and writes one
:class:`~crossdock.planning.models.PlanningItem` per product × warehouse with one prepared
``INSERT … ON CONFLICT DO UPDATE`` run with ``executemany`` (the forecast and level columns
of an existing item are left as they are).

Value for ABC is annual quantity × the unit cost inventory values stock at: the company's
average cost (its cost pool) when it holds the product, else the product's standard cost
in the company's currency — the same rule sales uses for expected cost
(:func:`crossdock.sales.services.pricing.unit_costs`).

:func:`flag_demand` marks outliers — a day above median + k × MAD of the series' non-zero
days, k = ``PlanningSettings.outlier_limit``, for series with at least
:data:`MIN_OUTLIER_POINTS` such days (when the MAD is 0 the mean absolute deviation from
the median stands in, so one spike in a constant series is still caught) — and days inside
a :class:`~crossdock.planning.models.Promotion` (its product, or its category and the
categories below it, or everything; its warehouse or every warehouse).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from crossdock.core import events
from crossdock.core.fields import MONEY_SCALE
from crossdock.planning import classification
from crossdock.planning.events import DemandHistoryChanged
from crossdock.planning.models import DemandDay, PlanningItem, PlanningSettings, Promotion

MIN_OUTLIER_POINTS = 10
ORDINAL_OFFSET = 1721424.5  # julianday('0001-01-01') - 1: julianday(d) - this = d.toordinal()
CHUNK = 5000
MONEY = Decimal(1).scaleb(-MONEY_SCALE)


@dataclass(frozen=True)
class History:
    """A company's demand rows as arrays, and the (product, warehouse) of each series."""

    row_id: np.ndarray
    series: np.ndarray
    day: np.ndarray
    quantity: np.ndarray
    products: np.ndarray
    warehouses: np.ndarray


@dataclass(frozen=True)
class FlagResult:
    outliers: int
    promotion_days: int


def settings_of(company_id: int) -> PlanningSettings:
    found = PlanningSettings.objects.filter(company_id=company_id).first()
    return found if found is not None else PlanningSettings(company_id=company_id)


def day_ordinal_sql() -> str:
    """SQL for the ``day`` column as its proleptic Gregorian ordinal (``date.toordinal()``)."""
    if connection.vendor == "sqlite":
        return f"CAST(julianday(day) - {ORDINAL_OFFSET} AS INTEGER)"
    return "(day - DATE '0001-01-01') + 1"


def load_history(company_id: int, since: datetime.date | None = None) -> History:
    """All demand rows of the company (from ``since``) in one query, as arrays."""
    table = DemandDay._meta.db_table
    where = "company_id = %s"
    params: list[Any] = [company_id]
    if since is not None:
        where += " AND day >= %s"
        params.append(connection.ops.adapt_datefield_value(since))
    sql = (
        f"SELECT id, product_id, warehouse_id, {day_ordinal_sql()}, quantity "  # noqa: S608
        f"FROM {table} WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    data = np.array(rows, dtype=np.int64).reshape(-1, 5)
    pair = data[:, 1] * (1 << 32) + data[:, 2]
    keys, series = np.unique(pair, return_inverse=True)
    return History(
        row_id=data[:, 0],
        series=series.astype(np.int64),
        day=data[:, 3],
        quantity=data[:, 4],
        products=(keys >> 32).astype(np.int64),
        warehouses=(keys & ((1 << 32) - 1)).astype(np.int64),
    )


# -- unit values ----------------------------------------------------------------------------


def unit_costs(company_id: int, product_ids: np.ndarray, on: datetime.date) -> dict[int, Decimal]:
    """Unit cost per product in the company's currency: average cost, else standard cost."""
    from crossdock.inventory.models import CostPool
    from crossdock.masterdata.models import Company, Currency, ExchangeRate, Product

    wanted = {int(p) for p in product_ids}
    costs: dict[int, Decimal] = {}
    for product, quantity, value in CostPool.objects.filter(company_id=company_id).values_list(
        "product_id", "quantity", "value"
    ):
        if product in wanted and quantity > 0:
            costs[product] = value / quantity
    company = Company.objects.select_related("base_currency").get(pk=company_id)
    rates: dict[int, Decimal] = {company.base_currency_id: Decimal(1)}
    for product, cost, currency_id in Product.objects.values_list(
        "pk", "standard_cost", "currency_id"
    ).iterator(chunk_size=5000):
        if product not in wanted or product in costs:
            continue
        if currency_id not in rates:
            try:
                rates[currency_id] = ExchangeRate.rate_on(
                    Currency.objects.get(pk=currency_id), company.base_currency, on
                )
            except LookupError:
                rates[currency_id] = Decimal(1)
        costs[product] = cost * rates[currency_id]
    return costs


# -- classification -------------------------------------------------------------------------


def _item_columns() -> list[Any]:
    return [f for f in PlanningItem._meta.concrete_fields if not f.primary_key]


CLASS_FIELDS = (
    "abc",
    "xyz",
    "pattern",
    "lifecycle",
    "adi",
    "cv2",
    "annual_quantity",
    "annual_value",
    "first_demand_on",
    "last_demand_on",
    "classified_at",
)


def _upsert_items(rows: list[tuple[Any, ...]]) -> None:
    """Insert or update items; ``rows`` hold ``ROW_FIELDS`` in order (others take defaults)."""
    columns = _item_columns()
    quote = connection.ops.quote_name
    column = {f.attname: quote(f.column) for f in columns}
    extra = [f for f in columns if f.attname not in ROW_FIELDS]
    names = ", ".join([column[n] for n in ROW_FIELDS] + [column[f.attname] for f in extra])
    marks = ", ".join(["%s"] * (len(ROW_FIELDS) + len(extra)))
    updates = ", ".join(f"{column[n]} = excluded.{column[n]}" for n in CLASS_FIELDS)
    table = quote(PlanningItem._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({names}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT (product_id, warehouse_id) DO UPDATE SET {updates}"
    )
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in extra)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, [row + defaults for row in rows[start : start + CHUNK]])


ROW_FIELDS = ("company_id", "product_id", "warehouse_id", *CLASS_FIELDS)


def classify_items(
    company_id: int, as_of: datetime.date | None = None, history: History | None = None
) -> int:
    """Classify every product × warehouse series of the company; return how many."""
    as_of = as_of or timezone.localdate() - datetime.timedelta(days=1)
    settings = settings_of(company_id)
    if history is None:
        since = as_of - datetime.timedelta(days=settings.history_days + 7)
        history = load_history(company_id, since)
    existing = list(
        PlanningItem.objects.filter(company_id=company_id).values_list("product_id", "warehouse_id")
    )
    products, warehouses = history.products, history.warehouses
    if existing:
        known = set(zip(products.tolist(), warehouses.tolist(), strict=True))
        extra = [pair for pair in existing if pair not in known]
        if extra:
            products = np.concatenate([products, np.array([p for p, _ in extra], dtype=np.int64)])
            warehouses = np.concatenate(
                [warehouses, np.array([w for _, w in extra], dtype=np.int64)]
            )
    count = len(products)
    if count == 0:
        return 0
    costs = unit_costs(company_id, np.unique(products), as_of)
    unit_value = np.array([float(costs.get(int(p), 0)) for p in products], dtype=np.float64)
    rules = classification.Rules(
        as_of=as_of.toordinal(),
        dead_stock_days=settings.dead_stock_days,
        history_days=settings.history_days,
    )
    result = classification.classify(
        history.series, history.day, history.quantity, unit_value, rules
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    date_of = connection.ops.adapt_datefield_value
    million = Decimal(1_000_000)
    rows: list[tuple[Any, ...]] = []
    adi = np.where(np.isnan(result.adi), -1, np.rint(result.adi * 10_000)).astype(np.int64)
    cv2 = np.where(np.isnan(result.cv2), -1, np.rint(result.cv2 * 10_000)).astype(np.int64)
    for index in range(count):
        product = int(products[index])
        quantity = int(result.annual_quantity[index])
        value = (Decimal(quantity) / million * costs.get(product, Decimal(0))).quantize(MONEY)
        first = int(result.first_day[index])
        last = int(result.last_day[index])
        rows.append(
            (
                company_id,
                product,
                int(warehouses[index]),
                str(result.abc[index]),
                str(result.xyz[index]),
                str(result.pattern[index]),
                str(result.lifecycle[index]),
                None if adi[index] < 0 else int(adi[index]),
                None if cv2[index] < 0 else int(cv2[index]),
                quantity,
                int(value.scaleb(MONEY_SCALE)),
                date_of(datetime.date.fromordinal(first)) if first else None,
                date_of(datetime.date.fromordinal(last)) if last else None,
                now,
            )
        )
    with transaction.atomic():
        _upsert_items(rows)
        events.publish(DemandHistoryChanged("classified", count, company_id=company_id))
    return count


# -- flags ----------------------------------------------------------------------------------


def _group_median(series: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """Median of ``values`` per series (NaN for a series without rows)."""
    order = np.lexsort((values, series))
    ordered = values[order]
    sizes = np.bincount(series, minlength=count)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    median = np.full(count, np.nan)
    has = sizes > 0
    low = starts[has] + (sizes[has] - 1) // 2
    high = starts[has] + sizes[has] // 2
    median[has] = (ordered[low] + ordered[high]) / 2
    return median


def outlier_mask(series: np.ndarray, quantity: np.ndarray, count: int, limit: float) -> np.ndarray:
    """True for rows above median + ``limit`` × MAD of their series' non-zero rows."""
    mask = np.zeros(len(series), dtype=bool)
    positive = quantity > 0
    s = series[positive]
    q = quantity[positive].astype(np.float64)
    if len(s) == 0:
        return mask
    points = np.bincount(s, minlength=count)
    median = _group_median(s, q, count)
    deviation = np.abs(q - median[s])
    mad = _group_median(s, deviation, count)
    mean_deviation = np.bincount(s, weights=deviation, minlength=count) / np.maximum(points, 1)
    unit = np.where(mad > 0, mad, mean_deviation)
    threshold = median + limit * unit
    flagged = (points[s] >= MIN_OUTLIER_POINTS) & (unit[s] > 0) & (q > threshold[s])
    mask[np.flatnonzero(positive)[flagged]] = True
    return mask


def _promotion_filter(promotion: Promotion) -> Q:
    where = Q(day__gte=promotion.starts_on, day__lte=promotion.ends_on)
    if promotion.product_id is not None:
        where &= Q(product_id=promotion.product_id)
    if promotion.category_id is not None:
        path = promotion.category.path  # type: ignore[union-attr]
        where &= Q(product__category__path=path) | Q(product__category__path__startswith=f"{path}/")
    if promotion.warehouse_id is not None:
        where &= Q(warehouse_id=promotion.warehouse_id)
    return where


def flag_demand(company_id: int, history: History | None = None) -> FlagResult:
    """Mark the company's outlier days and promotion days (all others unmarked)."""
    if history is None:
        history = load_history(company_id)
    limit = float(settings_of(company_id).outlier_limit)
    count = len(history.products)
    mask = outlier_mask(history.series, history.quantity, count, limit)
    outliers = [int(pk) for pk in history.row_id[mask]]
    with transaction.atomic():
        rows = DemandDay.objects.filter(company_id=company_id)
        rows.filter(is_outlier=True).update(is_outlier=False)
        for start in range(0, len(outliers), CHUNK):
            DemandDay.objects.filter(pk__in=outliers[start : start + CHUNK]).update(is_outlier=True)
        rows.filter(is_promotion=True).update(is_promotion=False)
        promotion_days = 0
        for promotion in Promotion.objects.filter(company_id=company_id).select_related("category"):
            promotion_days += rows.filter(_promotion_filter(promotion), is_promotion=False).update(
                is_promotion=True
            )
        events.publish(
            DemandHistoryChanged("flagged", len(outliers) + promotion_days, company_id=company_id)
        )
    return FlagResult(len(outliers), promotion_days)


def plan_demand(company_id: int, as_of: datetime.date | None = None) -> tuple[FlagResult, int]:
    """Flag and classify the company's demand, reading its history once."""
    history = load_history(company_id)
    return flag_demand(company_id, history), classify_items(company_id, as_of, history)
