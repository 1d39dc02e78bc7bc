"""Benchmark: the replenishment run, full (forecasting) and reusing the fitted forecasts.

Usage: ``.venv/bin/python bench/planning_run.py [--products 25000] [--days 730] [--runs 3]``

Builds, in a fresh temporary SQLite database, one company with six warehouses (one central,
five depots with lanes from it), ``--products`` products each offered by one of two
suppliers, and daily demand for every product at every warehouse over ``--days`` days
(the seed's mix of fast, medium and sparse movers, generated with NumPy and written with
one ``executemany`` per chunk; not timed). Then times ``run_replenishment`` ``--runs``
times in full and ``--runs`` times with ``reuse_forecasts``, in this process, and prints
one JSON object with the medians and the peak resident memory. Targets at the seed scale
(25,000 products × 6 warehouses, two years): < 30 s full, < 5 s reuse, < 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
directory = Path(tempfile.mkdtemp(prefix="crossdock-bench-planning-"))
os.environ["CROSSDOCK_VAR_DIR"] = str(directory)
os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
os.environ["DJANGO_SETTINGS_MODULE"] = "crossdock.settings"
os.environ.setdefault("CROSSDOCK_DEBUG", "false")  # production mode: no query log

import django  # noqa: E402

django.setup()

import datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from crossdock.core.context import Actor  # noqa: E402
from crossdock.core.fields import QUANTITY_SCALE  # noqa: E402
from crossdock.masterdata import services as masterdata  # noqa: E402
from crossdock.masterdata.models import (  # noqa: E402
    Currency,
    Partner,
    Product,
    ProductCategory,
    Unit,
)
from crossdock.masterdata.reference import ensure_reference_data  # noqa: E402
from crossdock.planning.models import DemandDay, PlanningSettings, TransferLane  # noqa: E402
from crossdock.planning.services.run import run_replenishment  # noqa: E402
from crossdock.purchasing.models import SupplierPriceBreak, SupplierProduct  # noqa: E402

SYSTEM = Actor.system("bench")
AS_OF = datetime.date(2026, 6, 1)
TARGETS = {"full_s": 30.0, "reuse_s": 5.0, "peak_rss_mb": 4096.0}


def _demand(rng: np.random.Generator, n: int, days: int) -> np.ndarray:
    """Whole units per series and day, in the seed's mix (ABC: few fast movers, most SKUs
    sparse): 1.5 % fast movers (demand on 60-100 % of days, some seasonal), 8 % medium
    movers (5-25 % of days), 85.5 % sparse (0.2-2 % of days, lumpy order sizes) and 5 %
    without demand — about 24 demand days per series, 3.6 M rows at 150,000 series (the
    seed's million order lines, with margin)."""
    t = np.arange(days)
    kind = rng.choice(4, size=n, p=[0.015, 0.08, 0.855, 0.05])
    chance = np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.uniform(0.6, 1.0, n), rng.uniform(0.05, 0.25, n), rng.uniform(0.002, 0.02, n)],
        0.0,
    )[:, None]
    size = np.where(kind == 0, rng.uniform(2, 40, n), rng.uniform(1, 25, n))[:, None]
    season = 1 + 0.4 * np.sin(2 * np.pi * (t[None, :] / 365.25 + rng.random((n, 1))))
    seasonal = (rng.random((n, 1)) < 0.5) & (kind == 0)[:, None]
    mean = np.where(seasonal, size * season, size)
    ordered = rng.random((n, days)) < chance
    values = np.where(ordered, 1 + rng.poisson(np.maximum(mean - 1, 0)), 0)
    return values.astype(np.int64)


def build(products: int, days: int) -> int:
    ensure_reference_data()
    eur = Currency.objects.get(code="EUR")
    company = masterdata.create_company(
        SYSTEM, {"code": "BENCH", "name": "Bench", "country": "BE", "base_currency": eur}
    )
    warehouses = [
        masterdata.create_warehouse(
            SYSTEM,
            {
                "company": company,
                "code": f"B-W{i}",
                "name": f"Warehouse {i}",
                "country": "BE",
                "is_central": i == 0,
            },
        )
        for i in range(6)
    ]
    for index, depot in enumerate(warehouses[1:], start=1):
        TransferLane.objects.create(
            company=company, from_warehouse=warehouses[0], to_warehouse=depot, lead_time_days=index
        )
    PlanningSettings.objects.create(company=company, history_days=days)
    suppliers = [
        masterdata.create_record(
            SYSTEM,
            Partner,
            {
                "company": company,
                "code": f"SUP{i}",
                "name": f"Supplier {i}",
                "is_customer": False,
                "is_supplier": True,
                "currency": eur,
            },
        )
        for i in range(2)
    ]
    piece = Unit.objects.get(code="H87")
    category = ProductCategory.objects.create(name="Bench")
    Product.objects.bulk_create(
        Product(
            sku=f"B-{i:06d}",
            name=f"Bench product {i}",
            category=category,
            base_unit=piece,
            purchase_unit=piece,
            sales_unit=piece,
            currency=eur,
            list_price=Decimal(10),
            standard_cost=Decimal(6),
        )
        for i in range(products)
    )
    ids = list(
        Product.objects.filter(category=category).order_by("pk").values_list("pk", flat=True)
    )
    SupplierProduct.objects.bulk_create(
        SupplierProduct(
            company=company,
            supplier=suppliers[i % 2],
            product_id=pk,
            currency=eur,
            minimum_quantity=Decimal(0),
            order_multiple=Decimal(1),
            lead_time_days=7 + 7 * (i % 3),
        )
        for i, pk in enumerate(ids)
    )
    SupplierPriceBreak.objects.bulk_create(
        SupplierPriceBreak(offer=offer, min_quantity=Decimal(0), unit_price=Decimal("4.50"))
        for offer in SupplierProduct.objects.filter(company=company)
    )
    rng = np.random.default_rng(7)
    start = AS_OF - datetime.timedelta(days=days)
    dates = [(start + datetime.timedelta(days=d)).isoformat() for d in range(days)]
    scale = 10**QUANTITY_SCALE
    table = DemandDay._meta.db_table
    sql = (
        f"INSERT INTO {table} (company_id, product_id, warehouse_id, day, quantity, shipped, "  # noqa: S608
        "backordered, lost, source, is_outlier, is_promotion) "
        "VALUES (%s, %s, %s, %s, %s, %s, 0, 0, 'deliveries', FALSE, FALSE)"
    )
    written = 0
    product_ids = np.array(ids, dtype=np.int64)
    for warehouse in warehouses:
        for chunk in range(0, len(ids), 5000):
            part = product_ids[chunk : chunk + 5000]
            values = _demand(rng, len(part), days)
            rows, cols = np.nonzero(values)
            quantities = (values[rows, cols] * scale).tolist()
            records = [
                (company.pk, p, warehouse.pk, dates[d], q, q)
                for p, d, q in zip(part[rows].tolist(), cols.tolist(), quantities, strict=True)
            ]
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, records)
            written += len(records)
    return written


def timed(company_id: int, reuse: bool) -> tuple[float, str]:
    started = time.perf_counter()
    run = run_replenishment(company_id, reuse_forecasts=reuse, as_of=AS_OF)
    return time.perf_counter() - started, f"{run.state} {run.error}".strip()


def open_exceptions(company_id: int) -> dict[str, int]:
    """Open planning exceptions of the company by kind."""
    from django.db.models import Count

    from crossdock.planning.models import PlanningException

    rows = (
        PlanningException.objects.filter(company_id=company_id, closed_at__isnull=True)
        .values_list("kind")
        .annotate(count=Count("pk"))
        .order_by("kind")
    )
    return dict(rows)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=25000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    clock = time.perf_counter()
    rows = build(options.products, options.days)
    build_s = time.perf_counter() - clock
    from crossdock.masterdata.models import Company

    company_id = Company.objects.get(code="BENCH").pk
    full = [timed(company_id, False) for _ in range(options.runs)]
    after_full = open_exceptions(company_id)
    reuse = [timed(company_id, True) for _ in range(options.runs)]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from crossdock.planning.models import ReplenishmentRun

    last = ReplenishmentRun.objects.order_by("-pk").first()
    result = {
        "products": options.products,
        "sku_locations": options.products * 6,
        "demand_rows": rows,
        "build_s": round(build_s, 1),
        "full_s": [round(s, 2) for s, _ in full],
        "reuse_s": [round(s, 2) for s, _ in reuse],
        "full_median_s": round(statistics.median(s for s, _ in full), 2),
        "reuse_median_s": round(statistics.median(s for s, _ in reuse), 2),
        "peak_rss_mb": round(peak_mb),
        "states": sorted({state for _, state in full + reuse}),
        "suggestions": last.suggestions_count if last else 0,
        "exceptions": last.exceptions_count if last else 0,
        "open_exceptions_after_full": after_full,
        "open_exceptions_after_reuse": open_exceptions(company_id),
    }
    print(json.dumps(result))
    ok = (
        result["full_median_s"] < TARGETS["full_s"]
        and result["reuse_median_s"] < TARGETS["reuse_s"]
        and result["peak_rss_mb"] < TARGETS["peak_rss_mb"]
    )
    return 0 if ok and result["states"] == ["done"] else 1


if __name__ == "__main__":
    sys.exit(main())
