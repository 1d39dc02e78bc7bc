"""Benchmark: refreshing every exception queue on the demo group (SQLite).

Usage: ``.venv/bin/python bench/queues.py [--scale seed|small] [--with-history]
[--sqlite FILE]``

Builds a fresh SQLite database in a temporary directory with ``crossdock demo`` at the
given scale (and, with ``--with-history``, ``crossdock demo-history`` when that command
exists), then times :func:`crossdock.insight.queues.services.refresh_queues` twice: the
first run opens every item, the second refreshes them (nothing to open). The target is
< 10 s per refresh at the seed scale. ``--sqlite FILE`` times an existing demo database
instead (migrated first; its open items are refreshed, so time a copy).

Prints one JSON object with both timings, the items by kind and the events written.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
parser = argparse.ArgumentParser()
parser.add_argument("--scale", choices=("small", "seed"), default="seed")
parser.add_argument("--with-history", action="store_true")
parser.add_argument(
    "--sqlite", type=Path, help="time an existing demo database (migrated first) instead"
)
args = parser.parse_args()
directory = Path(tempfile.mkdtemp(prefix="crossdock-bench-queues-"))
os.environ["CROSSDOCK_VAR_DIR"] = str(directory)
database = args.sqlite.resolve() if args.sqlite else directory / "bench.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{database}"
os.environ["DJANGO_SETTINGS_MODULE"] = "crossdock.settings"
os.environ.setdefault("CROSSDOCK_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from django.core.management import call_command, get_commands  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from crossdock.core.models import OutboxEvent  # noqa: E402
from crossdock.insight.models import ExceptionItem  # noqa: E402
from crossdock.insight.queues.services import refresh_queues  # noqa: E402


def _timed() -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    result = refresh_queues()
    elapsed = round(time.perf_counter() - started, 3)
    return elapsed, {
        "opened": result.opened,
        "refreshed": result.refreshed,
        "closed": result.closed,
    }


def main() -> int:
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    history = "not asked"
    if args.sqlite:
        history = f"existing database {args.sqlite.name}"
    else:
        call_command("demo", scale=args.scale, verbosity=0, stdout=io.StringIO())
    if args.with_history and not args.sqlite:
        if "demo-history" in get_commands():
            call_command("demo-history", stdout=io.StringIO())
            history = "built"
        else:
            history = "demo-history command not available"
    built = time.perf_counter() - started
    # Resolving the first document link imports every URLconf and its views (PDF and
    # forecasting libraries); a web or worker process pays that once when it starts.
    started = time.perf_counter()
    get_resolver().url_patterns  # noqa: B018
    warm_up = round(time.perf_counter() - started, 3)
    first, first_counts = _timed()
    second, second_counts = _timed()
    by_kind = dict(
        ExceptionItem.objects.filter(closed_at__isnull=True)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by("kind")
    )
    print(
        json.dumps(
            {
                "scale": args.scale,
                "history": history,
                "demo_build_s": round(built, 1),
                "url_warm_up_s": warm_up,
                "first_refresh_s": first,
                "first": first_counts,
                "second_refresh_s": second,
                "second": second_counts,
                "open_by_kind": by_kind,
                "events": OutboxEvent.objects.filter(name__startswith="insight.exception").count(),
                "target_s": 10,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
