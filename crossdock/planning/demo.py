"""Planning demo: settings, transfer lanes, a few policies and a promotion, and two years of
daily demand for every product at every warehouse, classified and flagged.

Design overview
---------------
Demand is generated with NumPy, one archetype per product (seeded, so a seed always gives
the same history), and written with one prepared ``INSERT`` run with ``executemany`` in
chunks — never ORM objects one by one. The history ends yesterday and is stored as
imported history (``source = "import"``: it stands for the years before the group ran on
Crossdock, so rebuilding history from deliveries leaves it alone). Archetypes:

* fast movers — Poisson demand every day with a weekly rhythm (quiet weekends);
* seasonal — a yearly sine around the mean (peak in summer or in winter);
* trending — a rate rising or falling linearly over the two years;
* steady slow movers — Poisson with a small rate;
* intermittent — rare days (Bernoulli) of small sizes;
* lumpy — rare days with gamma-distributed, occasionally large sizes;
* new — demand starting in the last months; obsolete — demand that stopped long ago.

The central warehouse sees the full rate; each depot a fraction of it. Products are ranked
by a value weight so that the ABC mix by value is the familiar few-A, many-C shape.
"""

from __future__ import annotations

import datetime
import time
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from crossdock.masterdata.models import Company, Product, Warehouse
from crossdock.planning.models import (
    DemandDay,
    PlanningSettings,
    PolicyMethod,
    Promotion,
    ReorderPolicy,
    TransferLane,
)

DAYS = 730
CHUNK = 50_000
MILLION = 1_000_000
# archetype: share of products
ARCHETYPES = (
    ("fast", 0.002),
    ("seasonal", 0.006),
    ("trending", 0.006),
    ("steady", 0.03),
    ("intermittent", 0.40),
    ("lumpy", 0.25),
    ("new", 0.05),
    ("obsolete", 0.05),
    ("dormant", 0.206),
)
DEPOT_SHARE = (0.25, 0.5)  # depots see this fraction of the central rate
# (from, to, lead days): central to each depot, nearby depots, central to the UK depots
LANES = (
    ("VENLO", "ANTWERP", 1),
    ("VENLO", "COLOGNE", 1),
    ("VENLO", "LYON", 2),
    ("ANTWERP", "COLOGNE", 1),
    ("COLOGNE", "ANTWERP", 1),
    ("BIRMINGHAM", "MANCHESTER", 1),
    ("MANCHESTER", "BIRMINGHAM", 1),
    ("VENLO", "BIRMINGHAM", 3),
    ("VENLO", "MANCHESTER", 3),
)


def _dense(
    rng: np.random.Generator, kind: str, count: int, rate: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Daily quantities (count × DAYS, integers) of the frequent archetypes."""
    weekday = (t + 3) % 7  # the rhythm's phase is arbitrary; two quiet days a week
    weekly = np.where(weekday >= 5, 0.35, 1.15)
    shape = np.ones((count, DAYS))
    if kind == "fast":
        shape = shape * weekly[None, :]
    elif kind == "seasonal":
        phase = rng.choice([0.0, 0.5], size=count)[:, None]
        amplitude = rng.uniform(0.5, 0.9, size=count)[:, None]
        shape = 1 + amplitude * np.sin(2 * np.pi * (t[None, :] / 365.25 - phase))
    elif kind == "trending":
        slope = rng.choice([-0.85, 0.9], size=count)[:, None] * rng.uniform(0.6, 1, (count, 1))
        shape = 1 + slope * (t[None, :] / DAYS - 0.5) * 2 * 0.9
    return rng.poisson(np.maximum(shape, 0) * rate[:, None])


def _sparse(
    rng: np.random.Generator, kind: str, rate: np.ndarray, first: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(series, day, quantity) of the rare-demand archetypes: Bernoulli days, random sizes."""
    active = np.maximum(last - first, 1)
    events = rng.poisson(rate * active)
    series = np.repeat(np.arange(len(rate)), events)
    day = first[series] + (rng.random(len(series)) * active[series]).astype(np.int64)
    if kind == "lumpy":
        quantity = np.ceil(rng.gamma(0.7, 18.0, size=len(series))).astype(np.int64)
    else:
        quantity = 1 + rng.poisson(1.5, size=len(series))
    return series, day, quantity


def generate_demand(
    products: int, warehouses: int, central: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(product index, warehouse index, day 0…729, quantity) of every demand row."""
    rng = np.random.default_rng(seed)
    shares = np.array([share for _, share in ARCHETYPES])
    kind_of = rng.choice(len(ARCHETYPES), size=products, p=shares / shares.sum())
    weight = rng.pareto(1.2, size=products) + 0.2  # how popular a product is
    depot = rng.uniform(*DEPOT_SHARE, size=warehouses)
    depot[central] = 1.0
    t = np.arange(DAYS)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for index, (kind, _) in enumerate(ARCHETYPES):
        chosen = np.flatnonzero(kind_of == index)
        if len(chosen) == 0:
            continue
        product = np.repeat(chosen, warehouses)
        warehouse = np.tile(np.arange(warehouses), len(chosen))
        scale = depot[warehouse] * np.minimum(weight[product], 8.0)
        n = len(product)
        if kind in ("fast", "seasonal", "trending", "steady"):
            base = {"fast": 6.0, "seasonal": 0.6, "trending": 0.5, "steady": 0.06}[kind]
            for start in range(0, n, 4000):
                block = slice(start, min(start + 4000, n))
                grid = _dense(rng, kind, block.stop - start, base * scale[block], t)
                rows, days = np.nonzero(grid)
                parts.append((product[block][rows], warehouse[block][rows], days, grid[rows, days]))
            continue
        first = np.zeros(n, dtype=np.int64)
        last = np.full(n, DAYS, dtype=np.int64)
        rate = {"intermittent": 0.007, "lumpy": 0.0035, "dormant": 0.001}.get(kind, 0.025)
        if kind == "new":
            first = np.repeat(DAYS - rng.integers(30, 200, size=len(chosen)), warehouses)
        elif kind == "obsolete":
            last = np.repeat(DAYS - rng.integers(200, 500, size=len(chosen)), warehouses)
        series, day, quantity = _sparse(rng, kind, rate * scale, first, last)
        parts.append((product[series], warehouse[series], day, quantity))
    product = np.concatenate([p[0] for p in parts])
    warehouse = np.concatenate([p[1] for p in parts])
    day = np.concatenate([p[2] for p in parts])
    quantity = np.concatenate([p[3] for p in parts])
    # one row per product × warehouse × day (sparse draws may repeat a day)
    key = (product * warehouses + warehouse) * DAYS + day
    unique, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse, weights=quantity).astype(np.int64)
    keep = total > 0
    unique, total = unique[keep], total[keep]
    return unique // DAYS // warehouses, unique // DAYS % warehouses, unique % DAYS, total


def _insert_demand(
    company_of: list[int],
    product_ids: list[int],
    warehouse_ids: list[int],
    rows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    yesterday: datetime.date,
) -> int:
    product, warehouse, day, quantity = rows
    first = yesterday - datetime.timedelta(days=DAYS - 1)
    day_text = [
        connection.ops.adapt_datefield_value(first + datetime.timedelta(days=d))
        for d in range(DAYS)
    ]
    product_id = np.array(product_ids, dtype=np.int64)[product].tolist()
    warehouse_id = np.array(warehouse_ids, dtype=np.int64)[warehouse].tolist()
    company_id = np.array(company_of, dtype=np.int64)[warehouse].tolist()
    scaled = (quantity * MILLION).tolist()
    days = day.tolist()
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(DemandDay._meta.db_table)} "  # noqa: S608
        "(company_id, product_id, warehouse_id, day, quantity, shipped, backordered, lost, "
        "source, is_outlier, is_promotion) "
        "VALUES (%s, %s, %s, %s, %s, %s, 0, 0, 'import', %s, %s)"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(days), CHUNK):
            stop = start + CHUNK
            cursor.executemany(
                sql,
                [
                    (c, p, w, day_text[d], q, q, False, False)
                    for c, p, w, d, q in zip(
                        company_id[start:stop],
                        product_id[start:stop],
                        warehouse_id[start:stop],
                        days[start:stop],
                        scaled[start:stop],
                        strict=True,
                    )
                ],
            )
    return len(days)


def _setup(warehouses: list[Warehouse], products: list[Product]) -> dict[str, int]:
    by_code = {w.code: w for w in warehouses}
    companies = sorted({w.company_id for w in warehouses})
    for company_id in companies:
        PlanningSettings.objects.get_or_create(company_id=company_id)
    lanes = 0
    for source, target, days in LANES:
        if source in by_code and target in by_code:
            TransferLane.objects.create(
                company_id=by_code[target].company_id,
                from_warehouse=by_code[source],
                to_warehouse=by_code[target],
                lead_time_days=days,
            )
            lanes += 1
    policies = 0
    for product in products[:3]:
        for warehouse in warehouses[:2]:
            ReorderPolicy.objects.create(
                company_id=warehouse.company_id,
                product=product,
                warehouse=warehouse,
                method=PolicyMethod.MANUAL,
                min_quantity=Decimal(20),
                max_quantity=Decimal(60),
                pack_multiple=Decimal(6),
                note="Agreed with the depot manager",
            )
            policies += 1
    promotions = 0
    central = next((w for w in warehouses if w.is_central), None)
    if central is not None and products:
        today = timezone.localdate()
        Promotion.objects.create(
            company_id=central.company_id,
            name="Spring campaign",
            category=products[0].category,
            starts_on=today - datetime.timedelta(days=270),
            ends_on=today - datetime.timedelta(days=256),
        )
        promotions += 1
    return {"transfer_lanes": lanes, "reorder_policies": policies, "promotions": promotions}


def load_planning_demo(scale: str = "small", seed: int = 2024) -> dict[str, Any]:
    """Build the planning demo on top of master data; nothing when history already exists."""
    from crossdock.planning.services.classify import plan_demand

    started = time.perf_counter()
    counts: dict[str, Any] = {"demand_days": 0, "planning_items": 0}
    if DemandDay.objects.filter(source="import").exists() or TransferLane.objects.exists():
        return counts
    warehouses = list(Warehouse.objects.filter(active=True).order_by("-is_central", "pk"))
    products = list(Product.objects.filter(status="active").order_by("pk"))
    if not warehouses or not products:
        return counts
    central = next((i for i, w in enumerate(warehouses) if w.is_central), 0)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    rows = generate_demand(len(products), len(warehouses), central, seed)
    with transaction.atomic():
        counts.update(_setup(warehouses, products))
        counts["demand_days"] = _insert_demand(
            [w.company_id for w in warehouses],
            [p.pk for p in products],
            [w.pk for w in warehouses],
            rows,
            yesterday,
        )
    generated = time.perf_counter()
    for company in Company.objects.filter(pk__in={w.company_id for w in warehouses}).order_by("pk"):
        counts["planning_items"] += plan_demand(company.pk, yesterday)[1]
    counts["history_seconds"] = round(generated - started, 2)
    counts["classify_seconds"] = round(time.perf_counter() - generated, 2)
    return counts
