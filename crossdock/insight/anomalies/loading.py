"""Reading the documents anomaly detection looks at: one set-based query per kind.

Each loader returns plain rows (tuples of exact decimals, dates and ids) or arrays for
:mod:`crossdock.insight.anomalies.detection`; none issues a query per document.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.db import connection
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce

from crossdock.accounting.models import Invoice, InvoiceKind, InvoiceState
from crossdock.core.fields import QUANTITY_SCALE
from crossdock.inventory.models import MoveState, StockMove, TransferKind
from crossdock.masterdata.models import LocationKind
from crossdock.planning.models import DemandDay
from crossdock.purchasing.models import OrderState, PurchaseOrderLine

# Orders in these states say what a supplier really charged; drafts are judged, not learnt from.
ORDERED_STATES = (
    OrderState.APPROVED,
    OrderState.SENT,
    OrderState.CONFIRMED,
    OrderState.PARTIALLY_RECEIVED,
    OrderState.RECEIVED,
    OrderState.BILLED,
    OrderState.CLOSED,
)


@dataclass(frozen=True)
class PurchaseLineRow:
    line_id: int
    order_id: int
    reference: str
    company_id: int
    supplier_id: int
    supplier: str
    warehouse_id: int
    currency: str
    order_date: datetime.date
    state: str
    product_id: int
    sku: str
    quantity: Decimal
    unit_price: Decimal


def purchase_lines(company_ids: frozenset[int], since: datetime.date) -> list[PurchaseLineRow]:
    """Every order line of the companies ordered on or after ``since`` (not cancelled)."""
    rows = (
        PurchaseOrderLine.objects.filter(
            order__company_id__in=company_ids, order__order_date__gte=since
        )
        .exclude(order__state=OrderState.CANCELLED)
        .order_by("pk")
        .values_list(
            "pk",
            "order_id",
            "order__reference",
            "order__company_id",
            "order__supplier_id",
            "order__supplier__name",
            "order__warehouse_id",
            "order__currency__code",
            "order__order_date",
            "order__state",
            "product_id",
            "product__sku",
            "quantity",
            "unit_price",
        )
    )
    return [PurchaseLineRow(*row) for row in rows]


@dataclass(frozen=True)
class AdjustmentRow:
    move_id: int
    transfer_id: int
    reference: str
    company_id: int
    warehouse_id: int
    warehouse: str
    state: str
    product_id: int
    sku: str
    quantity: Decimal
    standard_cost: Decimal
    currency: str
    gain: bool
    when: datetime.datetime

    @property
    def value(self) -> Decimal:
        return self.quantity * self.standard_cost


def adjustment_lines(company_ids: frozenset[int], since: datetime.datetime) -> list[AdjustmentRow]:
    """Every adjustment move of the companies done (or waiting) since ``since``, not rejected."""
    rows = (
        StockMove.objects.filter(
            transfer__kind=TransferKind.ADJUSTMENT, transfer__company_id__in=company_ids
        )
        .exclude(state=MoveState.CANCELLED)
        .annotate(when=Coalesce("done_at", "transfer__scheduled_at"))
        .filter(when__gte=since)
        .order_by("pk")
        .values_list(
            "pk",
            "transfer_id",
            "transfer__reference",
            "company_id",
            "transfer__warehouse_id",
            "transfer__warehouse__name",
            "transfer__state",
            "product_id",
            "product__sku",
            "quantity",
            "product__standard_cost",
            "product__currency__code",
            "source__kind",
            "when",
        )
    )
    return [
        AdjustmentRow(*row[:12], gain=row[12] == LocationKind.INVENTORY_LOSS, when=row[13])
        for row in rows
    ]


@dataclass(frozen=True)
class BillRow:
    bill_id: int
    company_id: int
    supplier_id: int
    supplier: str
    currency: str
    date: datetime.date
    total: Decimal
    reference: str
    number: str
    state: str


def vendor_bills(company_ids: frozenset[int], since: datetime.date) -> list[BillRow]:
    """Vendor bills of the companies dated on or after ``since``, not cancelled or credited."""
    credited = Invoice.objects.filter(credit_of=OuterRef("pk"), state=InvoiceState.POSTED)
    rows = (
        Invoice.objects.filter(
            kind=InvoiceKind.VENDOR_BILL, company_id__in=company_ids, date__gte=since
        )
        .exclude(state=InvoiceState.CANCELLED)
        .exclude(Exists(credited))
        .order_by("pk")
        .values_list(
            "pk",
            "company_id",
            "partner_id",
            "partner__name",
            "currency__code",
            "date",
            "total_amount",
            "partner_reference",
            "number",
            "state",
        )
    )
    return [BillRow(*row) for row in rows]


@dataclass(frozen=True)
class WeeklyDemand:
    """Weekly demand per series: ``weekly[i]`` is series ``keys[i]``, oldest week first."""

    keys: list[tuple[int, int, int]]  # company, product, warehouse
    weekly: np.ndarray


def weekly_demand(company_ids: frozenset[int], today: datetime.date, weeks: int) -> WeeklyDemand:
    """Demand summed per product × warehouse × week over the ``weeks`` weeks before ``today``.

    Week 0 is the seven days before ``today`` (today itself is not complete). Days inside
    a promotion are left out: a promotion is a planned shift, not a sudden one. One
    aggregate query; the sums are the stored integers (millionths), so exact.
    """
    table = DemandDay._meta.db_table
    if connection.vendor == "sqlite":
        days_ago = "CAST(julianday(%s) - julianday(day) AS INTEGER)"
    else:
        days_ago = "(CAST(%s AS date) - day)"
    placeholders = ", ".join(["%s"] * len(company_ids))
    sql = (
        f"SELECT company_id, product_id, warehouse_id, ({days_ago} - 1) / 7 AS week, "  # noqa: S608
        f"SUM(quantity) FROM {table} "
        f"WHERE company_id IN ({placeholders}) AND day >= %s AND day < %s "
        "AND is_promotion = %s "
        "GROUP BY company_id, product_id, warehouse_id, week"
    )
    since = today - datetime.timedelta(days=7 * weeks)
    adapt = connection.ops.adapt_datefield_value
    params = [adapt(today), *sorted(company_ids), adapt(since), adapt(today), False]
    if not company_ids:
        return WeeklyDemand([], np.zeros((0, weeks)))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return WeeklyDemand([], np.zeros((0, weeks)))
    data = np.array(rows, dtype=np.int64)
    series_keys, series = np.unique(data[:, :3], axis=0, return_inverse=True)
    weekly = np.zeros((len(series_keys), weeks), dtype=np.float64)
    np.add.at(weekly, (series.reshape(-1), weeks - 1 - data[:, 3]), data[:, 4] / 10**QUANTITY_SCALE)
    keys = [(int(c), int(p), int(w)) for c, p, w in series_keys]
    return WeeklyDemand(keys, weekly)


def product_warehouse_names(
    product_ids: set[int], warehouse_ids: set[int]
) -> tuple[dict[int, str], dict[int, str]]:
    """SKUs and warehouse codes of the given ids (two queries)."""
    from crossdock.masterdata.models import Product, Warehouse

    skus = dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "sku"))
    codes = dict(Warehouse.objects.filter(pk__in=warehouse_ids).values_list("pk", "code"))
    return skus, codes
