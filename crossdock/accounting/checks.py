"""``crossdock audit`` checks: entries balanced, trial balance zero, stock accounts = layers."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from crossdock.accounting.models import EntryState, JournalEntry, JournalLine
from crossdock.accounting.selectors import stock_reconciliation
from crossdock.inventory.models import ValuationLayer
from crossdock.masterdata.models import Company

ZERO = Decimal(0)


def posted_entries_balanced() -> list[str]:
    """Every posted entry: debits = credits, foreign amounts balanced per currency."""
    problems = []
    posted = JournalLine.objects.filter(entry__state=EntryState.POSTED).order_by()
    for entry_id, number, debit, credit in (
        posted.values("entry_id", "entry__number")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .filter(~Q(d=F("c")))
        .values_list("entry_id", "entry__number", "d", "c")
    ):
        problems.append(
            f"entry {number} (id {entry_id}): debits {debit} ≠ credits {credit}, "
            f"off by {debit - credit}"
        )
    for entry_id, number, currency, total in (
        posted.filter(currency__isnull=False)
        .values("entry_id", "entry__number", "currency__code")
        .annotate(total=Sum("amount_currency"))
        .exclude(total=0)
        .values_list("entry_id", "entry__number", "currency__code", "total")
    ):
        problems.append(f"entry {number} (id {entry_id}): {currency} amounts off by {total}")
    for entry_id, number in (
        JournalEntry.objects.filter(state=EntryState.POSTED)
        .annotate(n=Count("lines"))
        .filter(n=0)
        .values_list("pk", "number")
    ):
        problems.append(f"entry {number} (id {entry_id}) is posted without lines")
    for line_id, entry_id in (
        JournalLine.objects.exclude(company_id=F("entry__company_id"), date=F("entry__date"))
        .order_by("pk")
        .values_list("pk", "entry_id")[:100]
    ):
        problems.append(f"line {line_id}: company or date differs from its entry {entry_id}")
    return problems


def trial_balance_zero() -> list[str]:
    """Per company, the posted debits equal the posted credits."""
    problems = []
    names = dict(Company.objects.values_list("pk", "code"))
    for company_id, debit, credit in (
        JournalLine.objects.filter(entry__state=EntryState.POSTED)
        .order_by()
        .values("company_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .values_list("company_id", "d", "c")
    ):
        if debit != credit:
            problems.append(
                f"company {names.get(company_id, company_id)}: trial balance off by "
                f"{debit - credit} (debits {debit}, credits {credit})"
            )
    return problems


def stock_matches_layers() -> list[str]:
    """Per company and product, the stock accounts equal the valuation layers."""
    problems = []
    companies = set(ValuationLayer.objects.order_by().values_list("company_id", flat=True))
    companies |= set(
        JournalLine.objects.filter(account__account_type="stock")
        .order_by()
        .values_list("company_id", flat=True)
        .distinct()
    )
    names = dict(Company.objects.values_list("pk", "code"))
    for company_id in sorted(companies):
        for row in stock_reconciliation(company_id, only_differences=True):
            problems.append(
                f"company {names.get(company_id, company_id)}, {row.product_label}: "
                f"stock accounts {row.ledger} ≠ valuation layers {row.layers} "
                f"(difference {row.difference})"
            )
    return problems
