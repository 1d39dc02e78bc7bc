"""Benchmark: the replenishment run, full (forecasting) and reusing the fitted forecasts.

Usage: ``.venv/bin/python bench/planning_run.py [--products 25000] [--days 730] [--runs 3]``

Builds, in a fresh temporary SQLite database, one company with six warehouses (one central,
five depots with lanes from it), ``--products`` products each offered by one of two
suppliers, and daily demand for every product at every warehouse over ``--days`` days
(a mix of smooth, seasonal, trending and intermittent series, generated with NumPy and
written with ``bulk_create``; not timed). Then times ``run_replenishment`` ``--runs``
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
from django.db import transaction  # noqa: E402

from crossdock.core.context import Actor  # noqa: E402
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
    """Whole units per series and day: smooth, seasonal, trending and intermittent series."""
    t = np.arange(days)
    kind = rng.integers(0, 4, size=n)
    level = rng.gamma(2.0, 3.0, size=n)[:, None]
    season = 1 + 0.4 * np.sin(2 * np.pi * (t[None, :] / 365.25 + rng.random((n, 1))))
    trend = 1 + rng.normal(0, 0.0008, size=(n, 1)) * t[None, :]
    rate = np.where(
        (kind == 1)[:, None], level * season, np.where((kind == 2)[:, None], level * trend, level)
    )
    rate = np.clip(rate, 0, None)
    sparse = (kind == 3)[:, None] & (rng.random((n, days)) > 0.08)
    values = rng.poisson(np.where(sparse, 0, rate))
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
    written = 0
    for warehouse in warehouses:
        for chunk in range(0, len(ids), 2000):
            part = ids[chunk : chunk + 2000]
            values = _demand(rng, len(part), days)
            rows, cols = np.nonzero(values)
            with transaction.atomic():
                DemandDay.objects.bulk_create(
                    (
                        DemandDay(
                            company=company,
                            product_id=part[r],
                            warehouse=warehouse,
                            day=start + datetime.timedelta(days=int(c)),
                            quantity=Decimal(int(values[r, c])),
                            shipped=Decimal(int(values[r, c])),
                        )
                        for r, c in zip(rows, cols, strict=True)
                    ),
                    batch_size=5000,
                )
            written += len(rows)
    return written


def timed(company_id: int, reuse: bool) -> tuple[float, str]:
    started = time.perf_counter()
    run = run_replenishment(company_id, reuse_forecasts=reuse, as_of=AS_OF)
    return time.perf_counter() - started, f"{run.state} {run.error}".strip()


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
