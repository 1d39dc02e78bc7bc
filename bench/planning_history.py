"""Benchmark: two years of daily demand at the seed scale, generated, stored and classified.

Usage: ``.venv/bin/python bench/planning_history.py [--runs 3] [--scale seed]``

Each run gets its own temporary SQLite database: ``crossdock migrate`` and the master-data
demo (25,000 SKUs, 6 warehouses) are built first (not timed), then, timed separately in a
child process: generating and inserting the history (``load_planning_demo`` without its
classification), flagging outliers and promotions, and classifying every product ×
warehouse series. Prints one JSON object with each run and the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(ROOT / "manage.py")]

CHILD = """
import datetime, json, resource, time
from django.utils import timezone
from crossdock.masterdata.demo import load_demo
from crossdock.masterdata.models import Company, Product, Warehouse
from crossdock.planning import demo
from crossdock.planning.services.classify import classify_items, flag_demand, load_history
from django.db import transaction

load_demo(SCALE, seed=2024)
warehouses = list(Warehouse.objects.filter(active=True).order_by("-is_central", "pk"))
products = list(Product.objects.filter(status="active").order_by("pk"))
central = next((i for i, w in enumerate(warehouses) if w.is_central), 0)
yesterday = timezone.localdate() - datetime.timedelta(days=1)
started = time.perf_counter()
rows = demo.generate_demand(len(products), len(warehouses), central, 2024)
generated = time.perf_counter()
with transaction.atomic():
    count = demo._insert_demand(
        [w.company_id for w in warehouses], [p.pk for p in products],
        [w.pk for w in warehouses], rows, yesterday,
    )
inserted = time.perf_counter()
items = 0
flagging = classifying = loading = 0.0
for company in Company.objects.filter(pk__in={w.company_id for w in warehouses}):
    t0 = time.perf_counter()
    history = load_history(company.pk)
    t1 = time.perf_counter()
    flag_demand(company.pk, history)
    t2 = time.perf_counter()
    items += classify_items(company.pk, yesterday, history)
    t3 = time.perf_counter()
    loading += t1 - t0
    flagging += t2 - t1
    classifying += t3 - t2
print(json.dumps({
    "demand_days": count, "planning_items": items,
    "generate_s": round(generated - started, 2), "insert_s": round(inserted - generated, 2),
    "load_s": round(loading, 2), "flag_s": round(flagging, 2),
    "classify_s": round(classifying, 2),
    "cpu_s": round(time.process_time(), 2),
    "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
}))
"""


def run_once(scale: str) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="crossdock-planning-bench-"))
    env = {
        **os.environ,
        "CROSSDOCK_VAR_DIR": str(directory),
        "DATABASE_URL": f"sqlite:///{directory / 'bench.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "crossdock.settings",
    }
    try:
        subprocess.run([*MANAGE, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        done = subprocess.run(
            [*MANAGE, "shell", "-c", CHILD.replace("SCALE", repr(scale))],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", default="seed", choices=["small", "seed"])
    options = parser.parse_args()
    runs = [run_once(options.scale) for _ in range(options.runs)]
    keys = [k for k in runs[0] if k.endswith("_s") or k == "max_rss_mb"]
    medians = {k: statistics.median(r[k] for r in runs) for k in keys}
    medians["history_s"] = round(medians["generate_s"] + medians["insert_s"], 2)
    medians["classification_s"] = round(
        medians["load_s"] + medians["flag_s"] + medians["classify_s"], 2
    )
    print(json.dumps({"scale": options.scale, "runs": runs, "median": medians}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
