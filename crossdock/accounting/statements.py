"""Financial statements and sub-ledger reports: balance sheet, profit and loss, consolidated
group statements with intercompany eliminated, aged receivables and payables, and goods
received not invoiced (GRNI).

Design overview
---------------
Every figure is a database ``SUM`` over scaled-integer money columns (exact on
SQLite and PostgreSQL), grouped once per report; nothing loops over journal
lines in Python.

* **Sections.** An account's type decides its section. Tax and intercompany
  accounts hold either side, so they sit where their balance falls (a debit
  balance with the assets, a credit one with the liabilities). Amounts are
  shown with their natural sign: assets and expenses debit-positive,
  liabilities, equity and income credit-positive.
* **Balance sheet.** The result not yet closed to retained earnings is its own
  equity row, so assets = liabilities + equity to the cent.
* **Consolidation.** The companies of the group (those in the reader's scope)
  are added account code by account code, each translated into the reporting
  currency: the balance sheet at the closing rate of the report date, the P&L
  at the period's average rate (the mean of the rates in force at each month
  end of the period, the last point being the report date; stated on the
  report). Eliminated: every balance on an intercompany account, and every
  receivable, payable, income or expense line whose partner is another group
  company. What does not match between the two sides (goods in transit,
  rounding of the translation) is shown on its own equity rows, so the
  consolidated balance sheet balances and the mismatch stays visible.
* **Aged balances** come from the open items (``Installment.open_company``):
  not yet due, then buckets of days overdue on the report date; money received
  or paid but not yet allocated is its own column and reduces the total. One
  grouped query with conditional sums over the partial index of open items.
* **GRNI** is per receipt move: its value received (layers), less returns to the
  supplier, less what posted vendor bills cleared for it (at the receipt's
  value, as posting does), plus vendor credit notes.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, F, Q, Sum, Value, When

from crossdock.accounting.models import (
    PROFIT_AND_LOSS_TYPES,
    Account,
    AccountRole,
    AccountType,
    EntryState,
    Installment,
    InvoiceKind,
    InvoiceLine,
    InvoiceState,
    JournalLine,
    Payment,
    PaymentDirection,
    Side,
)
from crossdock.accounting.selectors import account_totals
from crossdock.core.fields import MoneyField
from crossdock.masterdata.models import Company, Currency, ExchangeRate, Partner

ZERO = Decimal("0.0000")
AVERAGE_RATE = Decimal("1e-10")

ASSETS, LIABILITIES, EQUITY, INCOME, EXPENSES = (
    "assets", "liabilities", "equity", "income", "expenses",
)  # fmt: skip
SECTION_LABELS = {
    ASSETS: "Assets", LIABILITIES: "Liabilities", EQUITY: "Equity", INCOME: "Income",
    EXPENSES: "Expenses",
}  # fmt: skip
_ASSET_TYPES = {
    AccountType.RECEIVABLE, AccountType.BANK, AccountType.STOCK, AccountType.CURRENT_ASSET,
    AccountType.FIXED_ASSET,
}  # fmt: skip
_LIABILITY_TYPES = {AccountType.PAYABLE, AccountType.CURRENT_LIABILITY}
_INCOME_TYPES = {AccountType.REVENUE, AccountType.OTHER_INCOME}
_EXPENSE_TYPES = {AccountType.COST_OF_SALES, AccountType.EXPENSE}
_CREDIT_NATURE = {LIABILITIES, EQUITY, INCOME}


def section_of(account_type: str, balance: Decimal) -> str:
    """The statement section of an account with a debit-minus-credit ``balance``."""
    if account_type in _ASSET_TYPES:
        return ASSETS
    if account_type in _LIABILITY_TYPES:
        return LIABILITIES
    if account_type == AccountType.EQUITY:
        return EQUITY
    if account_type in _INCOME_TYPES:
        return INCOME
    if account_type in _EXPENSE_TYPES:
        return EXPENSES
    return ASSETS if balance >= 0 else LIABILITIES  # tax, intercompany


def natural(section: str, balance: Decimal) -> Decimal:
    """A debit-minus-credit balance with the section's natural sign."""
    return -balance if section in _CREDIT_NATURE else balance


@dataclass(frozen=True)
class StatementRow:
    section: str
    code: str
    name: str
    amount: Decimal
    account_id: int | None = None
    columns: tuple[Decimal, ...] = ()  # consolidated: one per company, then eliminations


@dataclass
class Statement:
    title: str
    currency: str
    rows: list[StatementRow] = field(default_factory=list)
    companies: tuple[str, ...] = ()
    note: str = ""

    def section(self, name: str) -> list[StatementRow]:
        return [row for row in self.rows if row.section == name]

    def total(self, name: str) -> Decimal:
        return sum((row.amount for row in self.section(name)), ZERO)

    @property
    def result(self) -> Decimal:
        return self.total(INCOME) - self.total(EXPENSES)

    @property
    def sections(self) -> list[tuple[str, str, list[StatementRow], Decimal]]:
        names = [n for n in (ASSETS, LIABILITIES, EQUITY, INCOME, EXPENSES) if self.section(n)]
        return [(n, SECTION_LABELS[n], self.section(n), self.total(n)) for n in names]


def _rows(totals: dict[int, tuple[Decimal, Decimal]], pnl: bool) -> list[StatementRow]:
    accounts = Account.objects.filter(pk__in=totals).order_by("code")
    rows = []
    for account in accounts:
        if (account.account_type in PROFIT_AND_LOSS_TYPES) != pnl:
            continue
        debit, credit = totals[account.pk]
        balance = debit - credit
        if not balance:
            continue
        section = section_of(account.account_type, balance)
        rows.append(
            StatementRow(section, account.code, account.name, natural(section, balance), account.pk)
        )
    return rows


def _result_of(totals: dict[int, tuple[Decimal, Decimal]]) -> Decimal:
    """Income less expenses (credit less debit) of the P&L accounts in ``totals``."""
    pnl = set(
        Account.objects.filter(pk__in=totals, account_type__in=PROFIT_AND_LOSS_TYPES).values_list(
            "pk", flat=True
        )
    )
    return sum((totals[pk][1] - totals[pk][0] for pk in pnl), ZERO)


RESULT_CODE = "RESULT"


def balance_sheet(company_id: int, as_of: datetime.date) -> Statement:
    """Assets, liabilities and equity on ``as_of``; the unclosed result is its own equity row."""
    company = Company.objects.select_related("base_currency").get(pk=company_id)
    totals = account_totals(company_id, as_of)
    statement = Statement(f"Balance sheet {company.code} on {as_of}", company.base_currency.code)
    statement.rows = _rows(totals, pnl=False)
    result = _result_of(totals)
    if result:
        statement.rows.append(
            StatementRow(EQUITY, RESULT_CODE, "Result not yet closed to retained earnings", result)
        )
    return statement


def profit_and_loss(company_id: int, date_from: datetime.date, date_to: datetime.date) -> Statement:
    """Income and expenses posted from ``date_from`` to ``date_to`` (inclusive)."""
    company = Company.objects.select_related("base_currency").get(pk=company_id)
    totals = account_totals(company_id, as_of=date_to, since=date_from)
    title = f"Profit and loss {company.code} {date_from} – {date_to}"
    statement = Statement(title, company.base_currency.code)
    statement.rows = _rows(totals, pnl=True)
    return statement


# -- consolidation ---------------------------------------------------------------------------


def _rate(company: Company, currency: Currency, on: datetime.date) -> Decimal:
    if company.base_currency_id == currency.pk:
        return Decimal(1)
    try:
        return ExchangeRate.rate_on(company.base_currency, currency, on)
    except LookupError:
        from crossdock.core.errors import DomainError

        message = (
            f"No {company.base_currency.code}/{currency.code} rate on or before {on}; "
            f"{company.code} cannot be translated."
        )
        raise DomainError(f"currency: {message}", fields={"currency": [message]}) from None


def month_ends(date_from: datetime.date, date_to: datetime.date) -> list[datetime.date]:
    """Each month end from ``date_from``'s month on, the last replaced by ``date_to``."""
    points = []
    year, month = date_from.year, date_from.month
    while True:
        end = datetime.date(year, month, calendar.monthrange(year, month)[1])
        if end >= date_to:
            points.append(date_to)
            return points
        points.append(end)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _average_rate(
    company: Company, currency: Currency, date_from: datetime.date, date_to: datetime.date
) -> Decimal:
    """The mean of the month-end rates of the period (points before the first rate are left
    out); exact to ten places."""
    if company.base_currency_id == currency.pk:
        return Decimal(1)
    found = []
    for point in month_ends(date_from, date_to):
        try:
            found.append(ExchangeRate.rate_on(company.base_currency, currency, point))
        except LookupError:
            continue
    if not found:
        return _rate(company, currency, date_to)  # refuses, naming the missing rate
    return (sum(found, ZERO) / len(found)).quantize(AVERAGE_RATE)


def _intercompany_totals(
    company_id: int,
    group: set[int],
    date_to: datetime.date,
    date_from: datetime.date | None,
) -> dict[str, Decimal]:
    """Per account code, the debit-minus-credit balance to eliminate in one company."""
    group_partners = Partner.objects.filter(company_id=company_id, group_company_id__in=group)
    lines = JournalLine.objects.filter(
        company_id=company_id, entry__state=EntryState.POSTED, date__lte=date_to
    ).filter(
        Q(account__role=AccountRole.INTERCOMPANY)
        | Q(account__account_type=AccountType.INTERCOMPANY)
        | Q(
            partner__in=group_partners,
            account__account_type__in=[
                AccountType.RECEIVABLE, AccountType.PAYABLE, *PROFIT_AND_LOSS_TYPES,
            ],
        )
    )  # fmt: skip
    if date_from is not None:
        lines = lines.filter(date__gte=date_from)
    return {
        code: (debit or ZERO) - (credit or ZERO)
        for code, debit, credit in lines.order_by()
        .values("account__code")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .values_list("account__code", "d", "c")
    }


def consolidated(
    companies: Sequence[Company],
    currency: Currency,
    date_to: datetime.date,
    date_from: datetime.date | None = None,
) -> Statement:
    """The group's balance sheet (``date_from`` None) or P&L, per company, eliminated, total."""
    pnl = date_from is not None
    companies = sorted(companies, key=lambda c: c.code)
    group = {c.pk for c in companies}
    if date_from is not None:
        rates = {c.pk: _average_rate(c, currency, date_from, date_to) for c in companies}
    else:
        rates = {c.pk: _rate(c, currency, date_to) for c in companies}
    types = {
        (company_id, code): (name, account_type)
        for company_id, code, name, account_type in Account.objects.filter(
            company_id__in=group
        ).values_list("company_id", "code", "name", "account_type")
    }
    per_code: dict[str, dict[int, Decimal]] = defaultdict(dict)
    kinds: dict[str, tuple[str, str]] = {}
    results: dict[int, Decimal] = {}
    for company in companies:
        totals = account_totals(company.pk, as_of=date_to, since=date_from)
        accounts = Account.objects.in_bulk(list(totals))
        translated_sum = ZERO
        for pk, (debit, credit) in totals.items():
            account = accounts[pk]
            if (account.account_type in PROFIT_AND_LOSS_TYPES) != pnl:
                continue
            value = currency.round((debit - credit) * rates[company.pk])
            translated_sum += value
            per_code[account.code][company.pk] = (
                per_code[account.code].get(company.pk, ZERO) + value
            )
            kinds.setdefault(account.code, (account.name, account.account_type))
        if not pnl:
            result = currency.round(_result_of(totals) * rates[company.pk])
            results[company.pk] = result
            rounding = result - translated_sum  # a translated trial balance sums to zero again
            if rounding:
                per_code["TRANSLATION"][company.pk] = rounding
                kinds["TRANSLATION"] = ("Translation difference", AccountType.EQUITY)
    # What to eliminate, debit-positive: statement accounts by code; P&L ones, in a balance
    # sheet, through the result.
    eliminate: dict[str, Decimal] = defaultdict(Decimal)
    result_elimination = ZERO
    for company in companies:
        found = _intercompany_totals(company.pk, group, date_to, date_from)
        for code, amount in found.items():
            name, account_type = types[(company.pk, code)]
            value = -currency.round(amount * rates[company.pk])
            if (account_type in PROFIT_AND_LOSS_TYPES) == pnl:
                eliminate[code] += value
                kinds.setdefault(code, (name, account_type))
                per_code.setdefault(code, {})
            else:
                result_elimination += value
    names = tuple(c.code for c in companies)
    kind = "profit and loss" if pnl else "balance sheet"
    period = f"{date_from} – {date_to}" if pnl else f"on {date_to}"
    statement = Statement(
        f"Consolidated {kind} {period}",
        currency.code,
        companies=names,
        note=(
            f"Translated into {currency.code} at the average rates of the period; "
            if pnl
            else f"Translated into {currency.code} at the rates of {date_to}; "
        )
        + "intercompany balances and transactions eliminated.",
    )
    rows = []
    for code in sorted(per_code):
        name, account_type = kinds[code]
        by_company = tuple(per_code[code].get(c.pk, ZERO) for c in companies)
        elimination = eliminate.get(code, ZERO)
        balance = sum(by_company, ZERO) + elimination
        section = section_of(account_type, sum(by_company, ZERO) or elimination)
        columns = tuple(natural(section, v) for v in (*by_company, elimination))
        rows.append(StatementRow(section, code, name, natural(section, balance), None, columns))
    if not pnl:
        by_company = tuple(results.get(c.pk, ZERO) for c in companies)
        rows.append(
            StatementRow(
                EQUITY, RESULT_CODE, "Result not yet closed to retained earnings",
                sum(by_company, ZERO) - result_elimination, None,
                (*by_company, -result_elimination),
            )
        )  # fmt: skip
        unmatched = sum(eliminate.values(), ZERO) + result_elimination
        if unmatched:
            rows.append(
                StatementRow(
                    EQUITY, "UNMATCHED", "Intercompany not matched by the other company",
                    unmatched, None, (*(ZERO for _ in companies), unmatched),
                )
            )  # fmt: skip
    statement.rows = rows
    return statement


# -- aged balances ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgedRow:
    partner_id: int
    partner: str
    buckets: tuple[Decimal, ...]  # not due, then each bucket, then over the last
    unapplied: Decimal

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, ZERO) - self.unapplied


def bucket_labels(buckets: Sequence[int] = (30, 60, 90)) -> list[str]:
    labels = ["Not due"]
    start = 1
    for end in buckets:
        labels.append(f"{start}–{end} days")
        start = end + 1
    labels.append(f"Over {buckets[-1]} days")
    return labels


def aged_balances(
    company_id: int,
    side: str,
    as_of: datetime.date,
    buckets: Sequence[int] = (30, 60, 90),
    partner_id: int | None = None,
) -> list[AgedRow]:
    """Open items per partner by days overdue on ``as_of``; unapplied payments subtracted."""
    money = MoneyField()
    zero = Value(0, output_field=money)
    bounds = [as_of - datetime.timedelta(days=days) for days in buckets]
    conditions = [Q(due_date__gte=as_of)]
    upper = as_of
    for bound in bounds:
        conditions.append(Q(due_date__lt=upper, due_date__gte=bound))
        upper = bound
    conditions.append(Q(due_date__lt=upper))
    sums = {
        f"b{i}": Sum(Case(When(c, then=F("open_company")), default=zero, output_field=money))
        for i, c in enumerate(conditions)
    }
    items = Installment.objects.filter(company_id=company_id, side=side).exclude(open_amount=0)
    if partner_id is not None:
        items = items.filter(partner_id=partner_id)
    aged: dict[int, dict[str, Any]] = {
        row["partner_id"]: dict(row)
        for row in items.order_by().values("partner_id").annotate(**sums)
    }
    direction = PaymentDirection.INBOUND if side == Side.RECEIVABLE else PaymentDirection.OUTBOUND
    payments = Payment.objects.filter(
        company_id=company_id, direction=direction, state="posted", unallocated_amount__gt=0
    )
    if partner_id is not None:
        payments = payments.filter(partner_id=partner_id)
    unapplied = dict(
        payments.order_by()
        .values("partner_id")
        .annotate(total=Sum("unallocated_company"))
        .values_list("partner_id", "total")
    )
    names = dict(
        Partner.objects.filter(pk__in=set(aged) | set(unapplied)).values_list("pk", "name")
    )
    rows = []
    for pk in set(aged) | set(unapplied):
        row = aged.get(pk)
        values = tuple((row[f"b{i}"] if row else None) or ZERO for i in range(len(conditions)))
        rows.append(AgedRow(pk, names.get(pk, str(pk)), values, unapplied.get(pk) or ZERO))
    rows.sort(key=lambda r: (-r.total, r.partner))
    return rows


def aged_totals(rows: Iterable[AgedRow], width: int) -> tuple[tuple[Decimal, ...], Decimal]:
    rows = list(rows)
    columns = tuple(sum((r.buckets[i] for r in rows), ZERO) for i in range(width))
    return columns, sum((r.unapplied for r in rows), ZERO)


# -- goods received not invoiced -------------------------------------------------------------


@dataclass(frozen=True)
class GrniRow:
    move_id: int
    reference: str
    partner: str
    product: str
    received_quantity: Decimal
    received_value: Decimal
    billed_quantity: Decimal
    billed_value: Decimal

    @property
    def open_quantity(self) -> Decimal:
        return self.received_quantity - self.billed_quantity

    @property
    def open_value(self) -> Decimal:
        return self.received_value - self.billed_value


def grni(company_id: int, only_open: bool = True) -> list[GrniRow]:
    """Per receipt move from a supplier: received (less returned) against billed, at cost."""
    from crossdock.inventory.models import ValuationLayer

    company = Company.objects.select_related("base_currency").get(pk=company_id)
    received = {
        row["move_id"]: row
        for row in ValuationLayer.objects.filter(
            company_id=company_id, quantity__gt=0, move__source__kind="supplier"
        )
        .order_by()
        .values(
            "move_id", "move__transfer__reference", "move__transfer__partner__name",
            "product__sku",
        )
        .annotate(quantity=Sum("quantity"), value=Sum("value"))
    }  # fmt: skip
    returned: dict[int, tuple[Decimal, Decimal]] = {}
    # Returns to a supplier that name no receipt get their own (negative) rows.
    unlinked: list[dict[str, Any]] = []
    for back in (
        ValuationLayer.objects.filter(
            company_id=company_id, quantity__lt=0, move__destination__kind="supplier"
        )
        .order_by()
        .values(
            "move_id", "move__returned_move_id", "move__transfer__reference",
            "move__transfer__partner__name", "product__sku",
        )
        .annotate(quantity=Sum("quantity"), value=Sum("value"))
    ):  # fmt: skip
        if back["move__returned_move_id"] in received:
            quantity, value = returned.get(back["move__returned_move_id"], (ZERO, ZERO))
            returned[back["move__returned_move_id"]] = (
                quantity + back["quantity"],
                value + back["value"],
            )
        else:
            unlinked.append(dict(back))
    billed: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for move_id, quantity, kind in InvoiceLine.objects.filter(
        invoice__company_id=company_id,
        invoice__state=InvoiceState.POSTED,
        invoice__kind__in=[InvoiceKind.VENDOR_BILL, InvoiceKind.VENDOR_CREDIT],
        stock_move_id__in=list(received),
    ).values_list("stock_move_id", "quantity", "invoice__kind"):
        row = received[move_id]
        value = company.base_currency.round(quantity * row["value"] / row["quantity"])
        sign = 1 if kind == InvoiceKind.VENDOR_BILL else -1
        billed[move_id][0] += quantity * sign
        billed[move_id][1] += value * sign
    rows = []
    for move_id, row in sorted(received.items()):
        back_quantity, back_value = returned.get(move_id, (ZERO, ZERO))
        grni_row = GrniRow(
            move_id,
            row["move__transfer__reference"] or "",
            row["move__transfer__partner__name"] or "",
            row["product__sku"],
            row["quantity"] + back_quantity,
            row["value"] + back_value,
            *billed.get(move_id, (ZERO, ZERO)),
        )
        if not only_open or grni_row.open_value or grni_row.open_quantity:
            rows.append(grni_row)
    for other in unlinked:
        rows.append(
            GrniRow(
                other["move_id"], other["move__transfer__reference"] or "",
                other["move__transfer__partner__name"] or "", other["product__sku"],
                other["quantity"], other["value"], ZERO, ZERO,
            )
        )  # fmt: skip
    return rows


def grni_ledger_balance(company_id: int) -> Decimal:
    """The goods-received-not-invoiced account balance (credit less debit)."""
    totals = (
        JournalLine.objects.filter(
            company_id=company_id, entry__state=EntryState.POSTED, account__role=AccountRole.GRNI
        )
        .order_by()
        .aggregate(d=Sum("debit"), c=Sum("credit"))
    )
    return (totals["c"] or ZERO) - (totals["d"] or ZERO)
