"""Benchmark: build the seed-scale demo on a fresh SQLite database, several times.

Usage: ``.venv/bin/python bench/demo_seed.py [--runs 3] [--scale seed] [--target 60]``

Each run gets its own temporary directory (``CROSSDOCK_VAR_DIR``) and SQLite
file (``DATABASE_URL``), runs ``crossdock migrate`` (not timed), then times
``crossdock demo --scale <scale>`` as a separate process, wall clock — what a
person waits for — and finally runs ``crossdock audit`` (not timed) to prove
the result is consistent. Prints one JSON object; exits 1 when the median
misses the target or an audit fails.
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
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(ROOT / "manage.py")]


def run_once(scale: str) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="crossdock-bench-"))
    env = {
        **os.environ,
        "CROSSDOCK_VAR_DIR": str(directory),
        "DATABASE_URL": f"sqlite:///{directory / 'bench.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "crossdock.settings",
    }
    try:
        subprocess.run([*MANAGE, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        started = time.perf_counter()
        demo = subprocess.run(
            [*MANAGE, "demo", "--scale", scale, "--json"],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        audit = subprocess.run(
            [*MANAGE, "audit"], env=env, cwd=ROOT, capture_output=True, text=True
        )
        result = json.loads(demo.stdout)
        return {
            "seconds": round(seconds, 2),
            "build_s": result["seconds"],
            "counts": result["counts"],
            "audit_ok": audit.returncode == 0,
        }
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", default="seed", choices=("small", "seed"))
    parser.add_argument("--target", type=float, default=60.0, help="target median in seconds")
    args = parser.parse_args()
    runs = [run_once(args.scale) for _ in range(args.runs)]
    median = statistics.median(r["seconds"] for r in runs)
    report = {
        "benchmark": "demo-seed" if args.scale == "seed" else f"demo-{args.scale}",
        "database": "sqlite",
        "runs": [r["seconds"] for r in runs],
        "build_s": [r["build_s"] for r in runs],
        "median_s": round(median, 2),
        "target_s": args.target,
        "counts": runs[-1]["counts"],
        "audit_ok": all(r["audit_ok"] for r in runs),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(report, indent=2))
    return 0 if median <= args.target and report["audit_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
