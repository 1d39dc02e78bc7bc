"""Benchmark: the nightly KPI snapshot on the demo group (SQLite).

Usage: ``.venv/bin/python bench/kpi_snapshot.py [--runs 3] [--scale small|seed] [--with-history]``

Builds a fresh SQLite database in a temporary directory with ``crossdock demo``
at the given scale, then times :func:`crossdock.insight.services.snapshots.take_snapshot`
for today ``--runs`` times (each run replaces the previous one's rows). With
``--with-history``, ``crossdock demo-history`` first adds two years of orders, deliveries,
invoices, payments and purchases (1,000,000 sales order lines by default, ``--lines``):
the issue's target (< 60 s) is for the seed scale with that history.

Prints one JSON object with the runs, the median and the rows written.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
directory = Path(tempfile.mkdtemp(prefix="crossdock-bench-kpi-"))
os.environ["CROSSDOCK_VAR_DIR"] = str(directory)
os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
os.environ["DJANGO_SETTINGS_MODULE"] = "crossdock.settings"
os.environ.setdefault("CROSSDOCK_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from crossdock.insight.services.snapshots import take_snapshot  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", choices=("small", "seed"), default="small")
    parser.add_argument("--with-history", action="store_true")
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("demo", scale=args.scale, verbosity=0, stdout=io.StringIO())
    built = time.perf_counter() - started
    history_s = None
    if args.with_history:
        started = time.perf_counter()
        call_command("demo_history", lines=args.lines, stdout=io.StringIO())
        history_s = round(time.perf_counter() - started, 1)
    today = timezone.localdate()
    timings, rows = [], 0
    for _ in range(args.runs):
        started = time.perf_counter()
        rows = take_snapshot(today).rows
        timings.append(round(time.perf_counter() - started, 3))
    print(
        json.dumps(
            {
                "scale": args.scale,
                "demo_build_s": round(built, 1),
                "history_lines": args.lines if args.with_history else 0,
                "history_build_s": history_s,
                "kpi_snapshot_s": statistics.median(timings),
                "runs": timings,
                "rows": rows,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
