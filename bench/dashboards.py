"""Benchmark: render each insight dashboard on the seed-scale demo group (SQLite).

Usage: ``.venv/bin/python bench/dashboards.py [--runs 5] [--scale small|seed] [--with-history]
[--sqlite FILE]``

Builds a fresh SQLite database in a temporary directory with ``crossdock demo`` at the
given scale (``--with-history`` then runs ``crossdock demo-history``, two years of order
history, when that command exists; otherwise the JSON says it was skipped), takes
today's KPI snapshot, then renders each dashboard (default period, the first company)
and two drill-down pages through the Django test client ``--runs`` times as a superuser,
after one request to warm up the process (its time is reported apart). The target is
under 1 s per dashboard. ``--sqlite FILE`` times an existing demo database instead (for
example a seed demo with ``crossdock demo-history`` already run; pass a copy, it is
migrated and gets a snapshot and a user).

Prints one JSON object with the median and the runs per page.
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
parser = argparse.ArgumentParser()
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--scale", choices=("small", "seed"), default="seed")
parser.add_argument("--with-history", action="store_true")
parser.add_argument(
    "--sqlite", type=Path, help="time an existing demo database (migrated first) instead"
)
args = parser.parse_args()
directory = Path(tempfile.mkdtemp(prefix="crossdock-bench-dashboards-"))
os.environ["CROSSDOCK_VAR_DIR"] = str(directory)
database = args.sqlite.resolve() if args.sqlite else directory / "bench.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{database}"
os.environ["DJANGO_SETTINGS_MODULE"] = "crossdock.settings"
os.environ.setdefault("CROSSDOCK_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command, get_commands  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from crossdock.insight.dashboards import DASHBOARDS  # noqa: E402
from crossdock.insight.services.snapshots import take_snapshot  # noqa: E402
from crossdock.sales.models import SalesOrderLine  # noqa: E402

DRILL = ("line_fill_rate", "supplier_on_time_delivery")


def _time(client: Client, url: str, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(round(time.perf_counter() - started, 3))
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    return timings


def main() -> int:
    call_command("migrate", verbosity=0)
    result: dict[str, object] = {"scale": args.scale}
    if args.sqlite:
        result["database"] = str(args.sqlite)
    else:
        started = time.perf_counter()
        call_command("demo", scale=args.scale, verbosity=0, stdout=io.StringIO())
        result["demo_build_s"] = round(time.perf_counter() - started, 1)
    if args.with_history and not args.sqlite:
        if "demo_history" in get_commands():
            started = time.perf_counter()
            call_command("demo_history", stdout=io.StringIO())
            result["history_build_s"] = round(time.perf_counter() - started, 1)
        else:
            result["history"] = "skipped: no demo_history command in this build"
    result["order_lines"] = SalesOrderLine.objects.count()
    started = time.perf_counter()
    result["snapshot_rows"] = take_snapshot(timezone.localdate()).rows
    result["snapshot_s"] = round(time.perf_counter() - started, 1)
    user = get_user_model().objects.filter(username="bench-insight").first()
    user = user or get_user_model().objects.create_superuser(
        "bench-insight", "bench@example.com", "x"
    )
    client = Client()
    client.force_login(user)
    # The first request of a process builds the URL configuration (the API's schemas).
    started = time.perf_counter()
    client.get(reverse("web:home"))
    result["first_request_s"] = round(time.perf_counter() - started, 1)
    pages: dict[str, dict[str, object]] = {}
    for code in DASHBOARDS:
        timings = _time(client, reverse(f"insight:{code}"), args.runs)
        pages[code] = {"median_s": statistics.median(timings), "runs": timings}
    for code in DRILL:
        timings = _time(client, reverse("insight:documents", args=[code]), args.runs)
        pages[f"documents:{code}"] = {"median_s": statistics.median(timings), "runs": timings}
    result["pages"] = pages
    result["all_dashboards_under_1s"] = all(
        float(pages[code]["median_s"]) < 1
        for code in DASHBOARDS  # type: ignore[arg-type]
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
