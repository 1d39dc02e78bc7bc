"""Benchmark: the general ledger's hot paths on SQLite.

Usage: ``.venv/bin/python bench/accounting.py [--runs 3] [--lines 1000000]``

Builds a fresh SQLite database in a temporary directory (migrate, one company
with the distributor chart), then:

- posts 100,000 journal lines through the service layer
  (:func:`crossdock.accounting.services.post_entries`: 10,000 balanced entries
  of 10 lines, in calls of 500 entries) and reports lines per second;
- fills the company's ledger up to ``--lines`` posted lines (drafts bulk-inserted
  and flipped to posted, so the database's balance trigger still checks each);
- times the trial balance over all of them, ``--runs`` times (target < 1 s).

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
directory = Path(tempfile.mkdtemp(prefix="crossdock-bench-accounting-"))
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

from crossdock.accounting import selectors, services  # noqa: E402
from crossdock.accounting.models import (  # noqa: E402
    Account,
    AccountType,
    EntryState,
    JournalEntry,
    JournalKind,
    JournalLine,
)
from crossdock.core.bulk import insert_values  # noqa: E402
from crossdock.core.checks import run_checks  # noqa: E402
from crossdock.core.context import Actor  # noqa: E402
from crossdock.masterdata.models import Currency  # noqa: E402
from crossdock.masterdata.reference import ensure_reference_data  # noqa: E402
from crossdock.masterdata.services import create_company  # noqa: E402

ACTOR = Actor.system("bench")
TARGETS = {"trial_balance_s": 1.0}
SERVICE_LINES = 100_000
LINES_PER_ENTRY = 10
ENTRIES_PER_CALL = 500


def random_entry(rng: random.Random, accounts: list[int]) -> list[tuple[int, Decimal, Decimal]]:
    """Nine random debits or credits (in cents) and a tenth line that balances them."""
    amounts = [Decimal(rng.randint(-10_000_000, 10_000_000) or 1) / 100 for _ in range(9)]
    amounts.append(-sum(amounts, Decimal(0)) or Decimal("0.01"))
    if sum(amounts, Decimal(0)):  # the nine summed to zero: make the last pair cancel
        amounts[-2:] = [Decimal("0.01"), Decimal("-0.01")]
    return [
        (rng.choice(accounts), max(amount, Decimal(0)), max(-amount, Decimal(0)))
        for amount in amounts
    ]


def post_through_services(company_id: int, journal_id: int, accounts: list[int]) -> float:
    rng = random.Random(42)
    day = datetime.date(2026, 1, 1)
    entries = SERVICE_LINES // LINES_PER_ENTRY
    started = time.perf_counter()
    for start in range(0, entries, ENTRIES_PER_CALL):
        drafts = [
            services.EntryDraft(
                company_id=company_id,
                journal_id=journal_id,
                date=day + datetime.timedelta(days=(start + i) % 365),
                lines=[
                    services.LineDraft(account, debit=debit, credit=credit)
                    for account, debit, credit in random_entry(rng, accounts)
                ],
            )
            for i in range(min(ENTRIES_PER_CALL, entries - start))
        ]
        services.post_entries(ACTOR, drafts)
    return time.perf_counter() - started


LINE_FIELDS = ("entry", "company", "date", "account", "label", "debit", "credit")


def fill_ledger(company_id: int, journal_id: int, accounts: list[int], lines: int) -> None:
    """Bulk-insert balanced entries as drafts, then post them with one UPDATE per chunk."""
    rng = random.Random(7)
    entries = lines // LINES_PER_ENTRY
    day = datetime.date(2024, 1, 1)
    for start in range(0, entries, 5_000):
        with transaction.atomic():
            count = min(5_000, entries - start)
            made = JournalEntry.objects.bulk_create(
                [
                    JournalEntry(
                        company_id=company_id,
                        journal_id=journal_id,
                        number=f"BULK/{start + i:08d}",
                        date=day + datetime.timedelta(days=(start + i) % 730),
                    )
                    for i in range(count)
                ]
            )
            rows = [
                (entry.pk, company_id, entry.date, account, "", debit, credit)
                for entry in made
                for account, debit, credit in random_entry(rng, accounts)
            ]
            insert_values(JournalLine, LINE_FIELDS, rows)
            JournalEntry.objects.filter(pk__in=[e.pk for e in made]).update(state=EntryState.POSTED)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    setup_started = time.perf_counter()
    call_command("migrate", verbosity=0)
    ensure_reference_data()
    company = create_company(
        ACTOR,
        {
            "code": "BENCH",
            "name": "Bench Distribution",
            "country": "BE",
            "base_currency": Currency.objects.get(code="EUR"),
        },
    )
    journal = services.journal_of(company.pk, JournalKind.GENERAL)
    # Stock accounts stay with the valuation layers, receivables and payables with their open
    # items and GRNI with the receipts (the audit would rightly flag random lines on them).
    accounts = list(
        Account.objects.filter(company=company)
        .exclude(account_type__in=[AccountType.STOCK, AccountType.RECEIVABLE, AccountType.PAYABLE])
        .exclude(role="grni")
        .values_list("pk", flat=True)
    )
    posting_s = post_through_services(company.pk, journal.pk, accounts)
    fill_ledger(company.pk, journal.pk, accounts, max(args.lines - SERVICE_LINES, 0))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    setup_s = time.perf_counter() - setup_started
    timings = []
    total_lines = JournalLine.objects.count()
    for _ in range(args.runs):
        started = time.perf_counter()
        rows = selectors.trial_balance(company.pk, datetime.date(2030, 1, 1))
        timings.append(time.perf_counter() - started)
    balanced = sum((r.balance for r in rows), Decimal(0)) == 0
    _names, findings = run_checks()
    report = {
        "database": connection.vendor,
        "service_lines": SERVICE_LINES,
        "service_posting_s": round(posting_s, 2),
        "service_lines_per_s": round(SERVICE_LINES / posting_s),
        "ledger_lines": total_lines,
        "trial_balance_s": round(statistics.median(timings), 3),
        "trial_balance_accounts": len(rows),
        "trial_balance_zero": balanced,
        "targets": TARGETS,
        "setup_s": round(setup_s, 1),
        "audit_findings": len(findings),
    }
    print(json.dumps(report, indent=2))
    ok = report["trial_balance_s"] < TARGETS["trial_balance_s"] and balanced and not findings
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
