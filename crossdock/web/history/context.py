"""What the history is generated from: the demo's master data and imported demand history."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
from django.db import connection

from crossdock.accounting.models import Account, Journal
from crossdock.accounting.services.ledger import ensure_all_ledgers
from crossdock.masterdata.models import Company, Location, LocationKind, Partner, Product, Warehouse
from crossdock.planning.models import DemandDay, DemandSource
from crossdock.purchasing.models import SupplierProduct

EPOCH = np.datetime64("1970-01-01", "D")


def day_number(day: datetime.date) -> int:
    return int((np.datetime64(day, "D") - EPOCH).astype(int))


@dataclass
class Demand:
    """Imported demand rows that can become sales lines (whole units shipped, before today)."""

    company: np.ndarray
    product: np.ndarray
    warehouse: np.ndarray
    day: np.ndarray  # days since 1970-01-01
    units: np.ndarray


@dataclass
class Context:
    today: int
    rng: np.random.Generator
    demand: Demand
    cost: np.ndarray  # product id → standard cost (stored, scale 6)
    price: np.ndarray  # product id → list price (stored, scale 6)
    label: dict[int, str]  # product id → "SKU name"
    warehouse_code: dict[int, str]
    stock_location: dict[int, int]  # warehouse → its stock location
    customer_location: dict[int, int]  # company → customers location
    supplier_location: dict[int, int]  # company → suppliers location
    currency: dict[int, int]  # company → base currency
    company_code: dict[int, str]
    customers: dict[int, np.ndarray]  # company → customer ids
    payment_term: dict[int, int | None]  # partner → payment term
    supplier_of: dict[tuple[int, int], int]  # (company, product) → supplier
    suppliers: dict[int, np.ndarray]  # company → supplier ids
    account: dict[tuple[int, str], int]  # (company, role) → account
    journal: dict[tuple[int, str], int]  # (company, kind) → journal
    journal_code: dict[int, str]


def _demand(today: int) -> Demand:
    untracked = Product.objects.filter(tracking="none", standard_cost__gt=0, list_price__gt=0)
    products = set(untracked.values_list("pk", flat=True))
    table = DemandDay._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT company_id, product_id, warehouse_id, day, shipped FROM {table} "  # noqa: S608
            "WHERE source = %s AND shipped > 0 AND shipped %% 1000000 = 0 "
            "ORDER BY company_id, warehouse_id, day, product_id",
            [DemandSource.IMPORT],
        )
        rows = cursor.fetchall()
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return Demand(empty, empty, empty, empty, empty)
    company, product, warehouse, day, shipped = zip(*rows, strict=True)
    days = (np.array([str(d)[:10] for d in day], dtype="datetime64[D]") - EPOCH).astype(np.int64)
    product_ids = np.array(product, dtype=np.int64)
    keep = (days < today) & np.isin(product_ids, np.array(sorted(products), dtype=np.int64))
    return Demand(
        np.array(company, dtype=np.int64)[keep],
        product_ids[keep],
        np.array(warehouse, dtype=np.int64)[keep],
        days[keep],
        np.array(shipped, dtype=np.int64)[keep] // 1_000_000,
    )


def load_context(today: datetime.date, seed: int) -> Context:
    ensure_all_ledgers()
    top = (Product.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    cost = np.zeros(top, dtype=np.int64)
    price = np.zeros(top, dtype=np.int64)
    label: dict[int, str] = {}
    cost_field = Product._meta.get_field("standard_cost")
    for pk, sku, name, standard, listed in Product.objects.values_list(
        "pk", "sku", "name", "standard_cost", "list_price"
    ):
        cost[pk] = int(cost_field.get_prep_value(standard) or 0)
        price[pk] = int(cost_field.get_prep_value(listed) or 0)
        label[pk] = f"{sku} {name}"[:150]
    warehouses = list(Warehouse.objects.order_by("pk"))
    stock = dict(
        Location.objects.filter(kind=LocationKind.RESERVE, warehouse__isnull=False)
        .order_by("-path")
        .values_list("warehouse_id", "pk")
    )
    partners_of = {
        kind: dict(
            Location.objects.filter(kind=kind, warehouse__isnull=True)
            .order_by("-pk")
            .values_list("company_id", "pk")
        )
        for kind in (LocationKind.CUSTOMER, LocationKind.SUPPLIER)
    }
    companies = list(Company.objects.order_by("pk"))
    partners = Partner.objects.filter(active=True, group_company__isnull=True)
    customers: dict[int, list[int]] = {}
    suppliers: dict[int, list[int]] = {}
    payment_term: dict[int, int | None] = {}
    for pk, company_id, is_customer, is_supplier, term in partners.order_by("pk").values_list(
        "pk", "company_id", "is_customer", "is_supplier", "payment_term_id"
    ):
        payment_term[pk] = term
        if is_customer:
            customers.setdefault(company_id, []).append(pk)
        if is_supplier:
            suppliers.setdefault(company_id, []).append(pk)
    supplier_of: dict[tuple[int, int], int] = {}
    for company_id, product_id, supplier_id in (
        SupplierProduct.objects.filter(active=True, supplier__active=True)
        .order_by("-preference", "-pk")
        .values_list("company_id", "product_id", "supplier_id")
    ):
        supplier_of[(company_id, product_id)] = supplier_id  # lowest preference wins
    today_number = day_number(today)
    return Context(
        today=today_number,
        rng=np.random.default_rng(seed),
        demand=_demand(today_number),
        cost=cost,
        price=price,
        label=label,
        warehouse_code={w.pk: w.code for w in warehouses},
        stock_location={w.pk: stock[w.pk] for w in warehouses if w.pk in stock},
        customer_location=partners_of[LocationKind.CUSTOMER],
        supplier_location=partners_of[LocationKind.SUPPLIER],
        currency={c.pk: c.base_currency_id for c in companies},
        company_code={c.pk: c.code for c in companies},
        customers={k: np.array(v, dtype=np.int64) for k, v in customers.items()},
        payment_term=payment_term,
        supplier_of=supplier_of,
        suppliers={k: np.array(v, dtype=np.int64) for k, v in suppliers.items()},
        account={
            (c, role): pk
            for c, role, pk in Account.objects.exclude(role="").values_list(
                "company_id", "role", "pk"
            )
        },
        journal={
            (c, kind): pk for c, kind, pk in Journal.objects.values_list("company_id", "kind", "pk")
        },
        journal_code=dict(Journal.objects.values_list("pk", "code")),
    )
