"""Benchmark: every anomaly source of the exception queues on the demo group (SQLite).

Usage: ``.venv/bin/python bench/anomalies.py [--runs 3] [--scale seed|small] [--sqlite FILE]``

Builds a fresh SQLite database in a temporary directory with ``crossdock demo`` at the
given scale (not timed) — or, with ``--sqlite``, uses an existing demo database file (a
seed build takes minutes; the JSON names the database used) — then calls each anomaly
source of the ``anomalies`` queue for today over every company, ``--runs`` times,
timing each source and all of them together. The queue refresh at seed scale must stay
under 10 s in total, anomalies included.

Prints one JSON object: per source the median seconds and the items it wants, the
median total, and the machine's load average (the figures mean little on a busy box).
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
_given = sys.argv[sys.argv.index("--sqlite") + 1] if "--sqlite" in sys.argv else None
database = Path(_given).resolve() if _given else None
directory = (
    database.parent if database else Path(tempfile.mkdtemp(prefix="crossdock-bench-anomalies-"))
)
os.environ["CROSSDOCK_VAR_DIR"] = str(directory)
os.environ["DATABASE_URL"] = f"sqlite:///{database or directory / 'bench.sqlite3'}"
os.environ["DJANGO_SETTINGS_MODULE"] = "crossdock.settings"
os.environ.setdefault("CROSSDOCK_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from crossdock.insight.anomalies.sources import QUEUE  # noqa: E402
from crossdock.insight.queues.registry import SOURCES  # noqa: E402
from crossdock.masterdata.models import Company  # noqa: E402
from crossdock.planning.models import DemandDay  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", choices=("small", "seed"), default="seed")
    parser.add_argument("--sqlite", help="an existing demo database to time instead of building")
    args = parser.parse_args()
    built = None
    if database is None:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        call_command("demo", scale=args.scale, verbosity=0, stdout=io.StringIO())
        built = round(time.perf_counter() - started, 1)
    today = timezone.localdate()
    company_ids = frozenset(Company.objects.values_list("pk", flat=True))
    sources = [s for s in SOURCES.values() if s.queue == QUEUE]
    timings: dict[str, list[float]] = {s.kind: [] for s in sources}
    items: dict[str, int] = {}
    totals = []
    for _ in range(args.runs):
        total = 0.0
        for found in sources:
            started = time.perf_counter()
            items[found.kind] = len(list(found.function(today, company_ids)))
            seconds = time.perf_counter() - started
            timings[found.kind].append(round(seconds, 3))
            total += seconds
        totals.append(round(total, 3))
    print(
        json.dumps(
            {
                "scale": args.scale if database is None else None,
                "database": os.environ["DATABASE_URL"],
                "companies": len(company_ids),
                "demand_rows": DemandDay.objects.count(),
                "demo_build_s": built,
                "load_average": [round(load, 1) for load in os.getloadavg()],
                "sources": {
                    kind: {"median_s": statistics.median(runs), "runs": runs, "items": items[kind]}
                    for kind, runs in timings.items()
                },
                "total_s": statistics.median(totals),
                "total_runs": totals,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
