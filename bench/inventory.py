"""Benchmark: the inventory hot paths at seed scale on SQLite.

Usage: ``.venv/bin/python bench/inventory.py [--runs 3] [--layers 1000000]``

Builds a fresh SQLite database in a temporary directory: migrate, the seed
demo group (25,000 SKUs, 6 warehouses), stock for 11,000 SKUs in the central
warehouse received through the real services, and a synthetic valuation history
of ``--layers`` layers over all 25,000 products (bulk-inserted; the report
only reads them). Then it times, ``--runs`` times each:

- reserving 10,000 delivery moves (100 deliveries × 100 lines) in one call;
- validating one 1,000-line delivery;
- the stock valuation report over all products, now and as of a past date;
- ATP for 100 SKUs × 6 warehouses (200 calls; p99 per call).

Prints one JSON object with the medians and targets; exits 1 if a median
misses its target or ``crossdock audit`` finds a difference afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
directory = Path(tempfile.mkdtemp(prefix="crossdock-bench-inventory-"))
os.environ["CROSSDOCK_VAR_DIR"] = str(directory)
os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
os.environ["DJANGO_SETTINGS_MODULE"] = "crossdock.settings"
os.environ.setdefault("CROSSDOCK_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

import datetime  # noqa: E402
import random  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from crossdock.core.checks import run_checks  # noqa: E402
from crossdock.core.context import Actor  # noqa: E402
from crossdock.inventory import selectors, services  # noqa: E402
from crossdock.inventory.models import StockMove, TransferKind, ValuationLayer  # noqa: E402
from crossdock.masterdata.demo import load_demo  # noqa: E402
from crossdock.masterdata.models import Location, LocationKind, Product, Warehouse  # noqa: E402
from crossdock.masterdata.services import warehouse_location  # noqa: E402

ACTOR = Actor.system("bench")
TARGETS = {
    "reserve_10000_moves_s": 2.0,
    "validate_1000_line_delivery_s": 1.0,
    "valuation_report_s": 1.0,
    "valuation_report_past_date_s": 2.0,
    "atp_100_skus_6_warehouses_p99_ms": 20.0,
}


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def transfer(warehouse, kind, source, destination, lines):
    draft = services.TransferDraft(
        warehouse_id=warehouse.pk,
        kind=kind,
        source_id=source.pk,
        destination_id=destination.pk,
        lines=[services.LineDraft(p, Decimal(q), unit_cost=Decimal("2.50")) for p, q in lines],
    )
    created = services.create_transfer(ACTOR, draft)
    return services.confirm_transfer(ACTOR, created.pk)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--layers", type=int, default=1_000_000)
    options = parser.parse_args()
    setup_started = time.perf_counter()
    call_command("migrate", verbosity=0)
    load_demo("seed")
    central = Warehouse.objects.get(is_central=True)
    stock = warehouse_location(central, LocationKind.RESERVE)
    supplier = Location.objects.get(company=central.company, kind="supplier")
    customer = Location.objects.get(company=central.company, kind="customer")
    products = list(
        Product.objects.filter(tracking="none", status="active")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    stocked = products[:11_000]
    receipt = transfer(
        central, TransferKind.RECEIPT, supplier, stock, [(p, "1000") for p in stocked]
    )
    receive_s, _ = timed(services.validate_transfer, ACTOR, receipt.pk)
    history_s = build_history(central.company_id, options.layers)
    setup_s = time.perf_counter() - setup_started

    figures: dict[str, list[float]] = {key: [] for key in TARGETS}
    rng = random.Random(7)
    for run in range(options.runs):
        with transaction.atomic():
            deliveries = [
                transfer(
                    central,
                    TransferKind.DELIVERY,
                    stock,
                    customer,
                    [(p, "1") for p in stocked[i * 100 : (i + 1) * 100]],
                )
                for i in range(100)
            ]
        moves = list(StockMove.objects.filter(transfer__in=deliveries).values_list("pk", flat=True))
        assert len(moves) == 10_000
        seconds, result = timed(services.reserve_moves, ACTOR, moves)
        assert result.assigned == 10_000, result
        figures["reserve_10000_moves_s"].append(seconds)
        for delivery in deliveries:
            services.cancel_transfer(ACTOR, delivery.pk)

        lines = [(p, "1") for p in stocked[10_000:11_000]]
        big = transfer(central, TransferKind.DELIVERY, stock, customer, lines)
        services.reserve_moves(ACTOR, big.moves.values_list("pk", flat=True))
        seconds, _ = timed(services.validate_transfer, ACTOR, big.pk)
        figures["validate_1000_line_delivery_s"].append(seconds)

        seconds, rows = timed(selectors.stock_valuation, central.company_id)
        figures["valuation_report_s"].append(seconds)
        past = timezone.now() - datetime.timedelta(days=365)
        seconds, _ = timed(selectors.stock_valuation, central.company_id, past)
        figures["valuation_report_past_date_s"].append(seconds)

        warehouses = list(Warehouse.objects.values_list("pk", flat=True))
        samples = []
        for _ in range(200):
            chosen = rng.sample(stocked, 100)
            seconds, _ = timed(selectors.availability, chosen, warehouse_ids=warehouses)
            samples.append(seconds * 1000)
        samples.sort()
        figures["atp_100_skus_6_warehouses_p99_ms"].append(samples[int(len(samples) * 0.99) - 1])
        print(
            f"run {run + 1}: " + ", ".join(f"{k}={v[-1]:.3f}" for k, v in figures.items()),
            file=sys.stderr,
        )

    _, findings = run_checks()
    medians = {key: round(statistics.median(values), 4) for key, values in figures.items()}
    report = {
        "benchmark": "inventory",
        "database": connection.vendor,
        "runs": options.runs,
        "setup_s": round(setup_s, 1),
        "receive_11000_line_receipt_s": round(receive_s, 3),
        "history_layers": options.layers,
        "history_build_s": round(history_s, 1),
        "valuation_rows": len(rows),
        "medians": medians,
        "targets": TARGETS,
        "all": {key: [round(v, 4) for v in values] for key, values in figures.items()},
        "audit_ok": not findings,
        "met": {key: medians[key] < TARGETS[key] for key in TARGETS},
    }
    print(json.dumps(report, indent=2))
    return 0 if all(report["met"].values()) and not findings else 1


def build_history(company_id: int, count: int) -> float:
    """Bulk-insert a synthetic valuation history spread over two years and all products."""
    started = time.perf_counter()
    product_ids = list(Product.objects.values_list("pk", flat=True))
    rng = random.Random(42)
    now = timezone.now()
    batch = []
    with transaction.atomic():
        for index in range(count):
            quantity = Decimal(rng.randint(1, 40)) * (1 if index % 3 else -1)
            cost = Decimal(rng.randint(100, 9999)) / 100
            batch.append(
                ValuationLayer(
                    company_id=company_id,
                    product_id=product_ids[index % len(product_ids)],
                    recorded_at=now - datetime.timedelta(minutes=rng.randint(0, 2 * 365 * 1440)),
                    quantity=quantity,
                    unit_cost=cost,
                    value=quantity * cost,
                )
            )
            if len(batch) == 20_000:
                ValuationLayer.objects.bulk_create(batch)
                batch = []
        ValuationLayer.objects.bulk_create(batch)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
