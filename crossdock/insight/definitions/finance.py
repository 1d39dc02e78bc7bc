"""KPIs read from the general ledger: gross margin and purchase price variance.

Amounts come from posted journal lines (company currency), the books' own truth.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from crossdock.accounting.models import Account, JournalLine
from crossdock.accounting.models.chart import AccountRole, AccountType
from crossdock.accounting.models.entries import EntryState
from crossdock.insight.registry import Direction, Key, Part, Scope, Unit, kpi
from crossdock.insight.slicing import grouped

LEDGER_PATHS = {
    "company": "company_id",
    "supplier": "partner_id",
    "customer_tier": "partner__customer_tier",
    "category": "product__category_id",
}


MARGIN_TYPES = (AccountType.REVENUE, AccountType.COST_OF_SALES)


def on_accounts(**conditions: Any) -> Q:
    """Journal lines on the accounts meeting ``conditions`` (e.g. ``role=...``).

    Written as ``account IN (ids)`` rather than a condition on the joined account, so the
    database reads the ledger index by (company, account, date) for the range instead of
    every line the company ever posted.
    """
    return Q(account__in=Account.objects.filter(**conditions).values("pk"))


def _posted(scope: Scope) -> Q:
    return Q(entry__state=EntryState.POSTED, date__gte=scope.start, date__lte=scope.end)


@kpi(
    "gross_margin",
    "Gross margin",
    unit=Unit.PERCENT,
    direction=Direction.HIGHER,
    dimensions=("company", "customer_tier", "category", "family"),
    requires=("accounting.journalentry",),
)
def gross_margin(scope: Scope) -> dict[Key, Part]:
    """(Revenue − cost of sales) ÷ revenue × 100, from posted journal lines dated in the range.

    Revenue: credits less debits on revenue accounts (sales, returns and allowances,
    discounts allowed). Cost of sales: debits less credits on cost-of-sales accounts
    (cost of goods sold, price variance, inventory loss and gain, freight in). Company
    currency; sliced by the customer's tier and the product on each line.
    """
    lines = JournalLine.objects.filter(_posted(scope), on_accounts(account_type__in=MARGIN_TYPES))
    revenue = Q(account__account_type=AccountType.REVENUE)
    cost = Q(account__account_type=AccountType.COST_OF_SALES)
    parts: dict[Key, Part] = defaultdict(Part)
    for key, row in grouped(
        lines,
        scope,
        {**LEDGER_PATHS},
        rc=Sum("credit", filter=revenue),
        rd=Sum("debit", filter=revenue),
        cc=Sum("credit", filter=cost),
        cd=Sum("debit", filter=cost),
    ):
        sales = Decimal(row["rc"] or 0) - Decimal(row["rd"] or 0)
        cost_of_sales = Decimal(row["cd"] or 0) - Decimal(row["cc"] or 0)
        parts[key].add(sales - cost_of_sales, sales)
    return dict(parts)


@kpi(
    "purchase_price_variance",
    "Purchase price variance",
    unit=Unit.MONEY,
    direction=Direction.LOWER,
    dimensions=("company", "supplier", "category", "family"),
    requires=("accounting.journalentry", "purchasing.purchaseorder"),
)
def purchase_price_variance(scope: Scope) -> dict[Key, Part]:
    """Σ debits − Σ credits on the purchase price variance account, in company currency.

    Posted journal lines dated in the range: what bills charged above (positive) or
    below (negative) the value at which the goods were received at the order price.
    A company that books price differences to stock has them in stock value instead.
    """
    lines = JournalLine.objects.filter(_posted(scope), on_accounts(role=AccountRole.PRICE_VARIANCE))
    parts: dict[Key, Part] = defaultdict(Part)
    for key, row in grouped(lines, scope, LEDGER_PATHS, d=Sum("debit"), c=Sum("credit")):
        parts[key].add(Decimal(row["d"] or 0) - Decimal(row["c"] or 0), Decimal(0))
    return dict(parts)
