"""Benchmark: aged receivables over 100,000 open items on SQLite.

Usage: ``.venv/bin/python bench/aged.py [--runs 5] [--items 100000] [--partners 3000]``

Builds a fresh SQLite database in a temporary directory (migrate, one company),
bulk-inserts ``--partners`` customers and ``--items`` posted invoices with one
open item each — due dates spread over the last 200 days and the next 60, some
partly paid — then times :func:`crossdock.accounting.statements.aged_balances`
``--runs`` times. The rows are inserted directly (no journal entries), so this
measures the report's query alone; the service-layer posting speed is measured
by ``bench/accounting.py``.

Prints one JSON object with the median and the target (< 1 s); exits 1 on a miss.
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
directory = Path(tempfile.mkdtemp(prefix="crossdock-bench-aged-"))
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

from crossdock.accounting.models import Installment, Invoice, Side  # noqa: E402
from crossdock.accounting.statements import aged_balances  # noqa: E402
from crossdock.core.context import Actor  # noqa: E402
from crossdock.masterdata.models import Currency, Partner  # noqa: E402
from crossdock.masterdata.reference import ensure_reference_data  # noqa: E402
from crossdock.masterdata.services import create_company  # noqa: E402

ACTOR = Actor.system("bench")
TARGETS = {"aged_receivables_s": 1.0}
AS_OF = datetime.date(2026, 6, 30)


def seed(company_id: int, currency_id: int, partners: int, items: int) -> None:
    rng = random.Random(7)
    Partner.objects.bulk_create(
        [
            Partner(company_id=company_id, code=f"C{n:05d}", name=f"Customer {n:05d}",
                    is_customer=True, currency_id=currency_id)
            for n in range(partners)
        ],
        batch_size=2000,
    )  # fmt: skip
    partner_ids = list(Partner.objects.filter(company_id=company_id).values_list("pk", flat=True))
    batch = 5000
    for start in range(0, items, batch):
        with transaction.atomic():
            invoices = Invoice.objects.bulk_create(
                [
                    Invoice(
                        company_id=company_id, kind="customer_invoice", state="posted",
                        number=f"SAL/2026/{n:07d}", partner_id=rng.choice(partner_ids),
                        date=AS_OF - datetime.timedelta(days=rng.randint(0, 230)),
                        currency_id=currency_id,
                    )
                    for n in range(start, min(start + batch, items))
                ],
                batch_size=batch,
            )  # fmt: skip
            rows = []
            for invoice in invoices:
                amount = Decimal(rng.randint(1000, 500_000)) / 100
                open_amount = (
                    amount if rng.random() < 0.8 else (amount / 2).quantize(Decimal("0.01"))
                )
                due = AS_OF + datetime.timedelta(days=rng.randint(-200, 60))
                rows.append(
                    Installment(
                        invoice=invoice, company_id=company_id, partner_id=invoice.partner_id,
                        side=Side.RECEIVABLE, currency_id=currency_id, due_date=due,
                        amount=amount, amount_company=amount, open_amount=open_amount,
                        open_company=open_amount,
                    )
                )  # fmt: skip
            Installment.objects.bulk_create(rows, batch_size=batch)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--partners", type=int, default=3000)
    args = parser.parse_args()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    ensure_reference_data()
    eur = Currency.objects.get(code="EUR")
    company = create_company(
        ACTOR, {"code": "BENCH", "name": "Bench Distribution", "country": "BE",
                "base_currency": eur},
    )  # fmt: skip
    seed(company.pk, eur.pk, args.partners, args.items)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    setup_s = time.perf_counter() - started
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        rows = aged_balances(company.pk, Side.RECEIVABLE, AS_OF)
        timings.append(time.perf_counter() - started)
    total = sum((r.total for r in rows), Decimal(0))
    expected = sum(
        Installment.objects.filter(company=company).values_list("open_company", flat=True),
        Decimal(0),
    )
    report = {
        "database": connection.vendor,
        "open_items": Installment.objects.filter(company=company).count(),
        "partners": len(rows),
        "aged_receivables_s": round(statistics.median(timings), 3),
        "runs_s": [round(t, 3) for t in timings],
        "total_matches_items": total == expected,
        "targets": TARGETS,
        "setup_s": round(setup_s, 1),
    }
    print(json.dumps(report, indent=2))
    ok = report["aged_receivables_s"] < TARGETS["aged_receivables_s"] and total == expected
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
