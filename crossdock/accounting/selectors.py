"""Reading the books: trial balance, general ledger, stock valuation ↔ ledger reconciliation.

Every figure is an integer ``SUM`` in the database over the scaled money
columns (exact on SQLite and PostgreSQL) and only posted entries count: draft
entries are excluded by id, which keeps the trial balance one covering index
scan of the lines.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from crossdock.accounting.models import (
    Account,
    AccountType,
    EntryState,
    JournalEntry,
    JournalLine,
)
from crossdock.inventory.models import ValuationLayer

ZERO = Decimal(0)
MONEY_ZERO = Decimal("0.0000")


def _money(value: Decimal | None) -> Decimal:
    """A database sum, with "nothing" as 0.0000 like every other amount."""
    return MONEY_ZERO if value is None else value


@dataclass(frozen=True)
class TrialBalanceRow:
    account: Account
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit


def posted_lines(company_id: int) -> QuerySet[JournalLine]:
    drafts = JournalEntry.objects.filter(company_id=company_id, state=EntryState.DRAFT)
    return JournalLine.objects.filter(company_id=company_id).exclude(
        entry_id__in=drafts.values("pk")
    )


def account_totals(
    company_id: int,
    as_of: datetime.date | None = None,
    since: datetime.date | None = None,
) -> dict[int, tuple[Decimal, Decimal]]:
    """Debit and credit totals per account id of the company's posted lines in the dates."""
    lines = posted_lines(company_id)
    if as_of is not None:
        lines = lines.filter(date__lte=as_of)
    if since is not None:
        lines = lines.filter(date__gte=since)
    return {
        account: (_money(debit), _money(credit))
        for account, debit, credit in lines.order_by()
        .values("account_id")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .values_list("account_id", "debit", "credit")
    }


def trial_balance(company_id: int, as_of: datetime.date | None = None) -> list[TrialBalanceRow]:
    """One row per account with posted lines up to ``as_of`` (inclusive), in code order."""
    totals = account_totals(company_id, as_of)
    accounts = Account.objects.filter(pk__in=totals).order_by("code")
    return [TrialBalanceRow(a, *totals[a.pk]) for a in accounts]


@dataclass(frozen=True)
class LedgerRow:
    line: JournalLine
    balance: Decimal


@dataclass(frozen=True)
class LedgerPage:
    account: Account
    opening: Decimal
    rows: list[LedgerRow]
    next_cursor: tuple[datetime.date, int] | None


def general_ledger(
    account: Account,
    *,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    after: tuple[datetime.date, int] | None = None,
    limit: int = 100,
) -> LedgerPage:
    """An account's posted lines in date order with the running balance, a page at a time.

    ``after`` is the (date, line id) the previous page ended on; the running
    balance of the page starts from one aggregate over everything before it.
    """
    lines = posted_lines(account.company_id).filter(account=account)
    if until is not None:
        lines = lines.filter(date__lte=until)
    before = Q(date__lt=since) if since is not None else Q(pk__in=[])
    opening_filter = before
    if after is not None:
        opening_filter = Q(date__lt=after[0]) | Q(date=after[0], pk__lte=after[1])
        if since is not None:
            opening_filter = before | (Q(date__gte=since) & opening_filter)
    totals = lines.filter(opening_filter).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    opening = _money(totals["debit"]) - _money(totals["credit"])
    page = lines
    if since is not None:
        page = page.filter(date__gte=since)
    if after is not None:
        page = page.filter(Q(date__gt=after[0]) | Q(date=after[0], pk__gt=after[1]))
    found = list(
        page.select_related("entry", "partner", "product").order_by("date", "pk")[: limit + 1]
    )
    more = len(found) > limit
    found = found[:limit]
    rows = []
    running = opening
    for line in found:
        running += line.debit - line.credit
        rows.append(LedgerRow(line, running))
    cursor = (found[-1].date, found[-1].pk) if more and found else None
    return LedgerPage(account, opening, rows, cursor)


@dataclass(frozen=True)
class StockReconciliationRow:
    product_id: int | None
    product_label: str
    layers: Decimal
    ledger: Decimal

    @property
    def difference(self) -> Decimal:
        return self.ledger - self.layers


def stock_accounts(company_id: int) -> QuerySet[Account]:
    return Account.objects.filter(company_id=company_id, account_type=AccountType.STOCK)


def stock_reconciliation(
    company_id: int, as_of: datetime.date | None = None, *, only_differences: bool = False
) -> list[StockReconciliationRow]:
    """Stock value per product: the valuation layers against the stock accounts."""
    layers = ValuationLayer.objects.filter(company_id=company_id)
    lines = posted_lines(company_id).filter(account__in=stock_accounts(company_id))
    if as_of is not None:
        layers = layers.filter(recorded_at__date__lte=as_of)
        lines = lines.filter(date__lte=as_of)
    by_layers: dict[Any, Decimal] = dict(
        layers.order_by()
        .values("product_id")
        .annotate(v=Sum("value"))
        .values_list("product_id", "v")
    )
    by_ledger: dict[Any, Decimal] = {
        product: _money(debit) - _money(credit)
        for product, debit, credit in lines.order_by()
        .values("product_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .values_list("product_id", "d", "c")
    }
    from crossdock.masterdata.models import Product

    keys = set(by_layers) | set(by_ledger)
    names = {
        pk: f"{sku} {name}"
        for pk, sku, name in Product.objects.filter(pk__in=[k for k in keys if k]).values_list(
            "pk", "sku", "name"
        )
    }
    rows = [
        StockReconciliationRow(
            key,
            names.get(key, "(no product)"),
            _money(by_layers.get(key)),
            _money(by_ledger.get(key)),
        )
        for key in keys
    ]
    if only_differences:
        rows = [r for r in rows if r.difference]
    return sorted(rows, key=lambda r: r.product_label)
