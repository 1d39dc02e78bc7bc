"""Financial statement endpoints: balance sheet, profit and loss (per company and consolidated
for the group), aged receivables and payables, goods received not invoiced — each as JSON,
CSV or XLSX."""

import datetime
from typing import TYPE_CHECKING, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from crossdock.accounting import exports, reports, statements
from crossdock.accounting.models import JournalEntry, Payment, Side
from crossdock.api.errors import Problem
from crossdock.api.http import json_response
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import QueryId
from crossdock.core.errors import DomainError
from crossdock.masterdata.models import Company, Currency

router = Router(tags=["Accounting reports"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})

if TYPE_CHECKING:
    Format = str
else:
    Format = Literal["json", "csv", "xlsx"]


class Table(Schema):
    title: str
    currency: str | None = None
    note: str = ""
    columns: list[str]
    rows: list[dict[str, Any]]


class BalanceParams(Schema):
    company: QueryId
    as_of: datetime.date | None = None
    format: Format = "json"


class PeriodParams(Schema):
    company: QueryId
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    format: Format = "json"


class GroupBalanceParams(Schema):
    as_of: datetime.date | None = None
    currency: str | None = None
    format: Format = "json"


class GroupPeriodParams(Schema):
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    currency: str | None = None
    format: Format = "json"


class AgedParams(Schema):
    company: QueryId
    as_of: datetime.date | None = None
    partner: QueryId | None = None
    format: Format = "json"


class GrniParams(Schema):
    company: QueryId
    include_billed: bool = False
    format: Format = "json"


def _answer(
    fmt: str, filename: str, title: str, header: list[str], rows: list[list[Any]], **extra: Any
) -> HttpResponse:
    if fmt in ("csv", "xlsx"):
        return exports.file_response(filename, header, rows, fmt)
    return json_response(
        {"title": title, "columns": header, "rows": exports.json_rows(header, rows), **extra}
    )


def _period(date_from: datetime.date | None, date_to: datetime.date | None) -> tuple[Any, Any]:
    date_to = date_to or reports.today()
    date_from = date_from or date_to.replace(month=1, day=1)
    if date_from > date_to:
        raise DomainError(
            "date_from: The period starts after it ends.",
            fields={"date_from": ["The period starts after it ends."]},
        )
    return date_from, date_to


def _group(user: Any, code: str | None) -> tuple[list[Company], Currency]:
    companies = list(Company.objects.in_scope_of(user).select_related("base_currency"))
    if not companies:
        raise DomainError("company: No company in your scope.", fields={"company": ["None."]})
    if code is None:
        return companies, sorted(companies, key=lambda c: c.code)[0].base_currency
    currency = Currency.objects.filter(code=code.upper()).first()
    if currency is None:
        raise DomainError(
            f"currency: No currency {code!r}.", fields={"currency": ["No such currency."]}
        )
    return companies, currency


@router.get(
    "/balance-sheet",
    response={200: Table, ERRORS: Problem},
    operation_id="balance_sheet",
    summary="Balance sheet of a company on a date",
)
def balance_sheet(request: HttpRequest, params: Query[BalanceParams]) -> HttpResponse:
    refuse_unknown_params(request, BalanceParams.model_fields)
    require_permission(request.user, JournalEntry, "view")
    company = reports.company_in_scope(request.user, params.company)
    as_of = params.as_of or reports.today()
    statement = statements.balance_sheet(company.pk, as_of)
    header, rows = exports.statement_table(statement)
    return _answer(params.format, f"balance-sheet-{company.code}-{as_of}", statement.title,
                   header, rows, currency=statement.currency)  # fmt: skip


@router.get(
    "/profit-and-loss",
    response={200: Table, ERRORS: Problem},
    operation_id="profit_and_loss",
    summary="Profit and loss of a company over a period (default: the year to date)",
)
def profit_and_loss(request: HttpRequest, params: Query[PeriodParams]) -> HttpResponse:
    refuse_unknown_params(request, PeriodParams.model_fields)
    require_permission(request.user, JournalEntry, "view")
    company = reports.company_in_scope(request.user, params.company)
    date_from, date_to = _period(params.date_from, params.date_to)
    statement = statements.profit_and_loss(company.pk, date_from, date_to)
    header, rows = exports.statement_table(statement)
    return _answer(params.format, f"profit-and-loss-{company.code}-{date_to}", statement.title,
                   header, rows, currency=statement.currency,
                   result=str(statement.result))  # fmt: skip


@router.get(
    "/consolidated/balance-sheet",
    response={200: Table, ERRORS: Problem},
    operation_id="consolidated_balance_sheet",
    summary="The group's balance sheet, intercompany eliminated, in one reporting currency",
)
def consolidated_balance_sheet(
    request: HttpRequest, params: Query[GroupBalanceParams]
) -> HttpResponse:
    refuse_unknown_params(request, GroupBalanceParams.model_fields)
    require_permission(request.user, JournalEntry, "view")
    companies, currency = _group(request.user, params.currency)
    as_of = params.as_of or reports.today()
    statement = statements.consolidated(companies, currency, as_of)
    header, rows = exports.statement_table(statement)
    return _answer(params.format, f"consolidated-balance-sheet-{as_of}", statement.title, header,
                   rows, currency=statement.currency, note=statement.note)  # fmt: skip


@router.get(
    "/consolidated/profit-and-loss",
    response={200: Table, ERRORS: Problem},
    operation_id="consolidated_profit_and_loss",
    summary="The group's profit and loss, intercompany eliminated, in one reporting currency",
)
def consolidated_profit_and_loss(
    request: HttpRequest, params: Query[GroupPeriodParams]
) -> HttpResponse:
    refuse_unknown_params(request, GroupPeriodParams.model_fields)
    require_permission(request.user, JournalEntry, "view")
    companies, currency = _group(request.user, params.currency)
    date_from, date_to = _period(params.date_from, params.date_to)
    statement = statements.consolidated(companies, currency, date_to, date_from)
    header, rows = exports.statement_table(statement)
    return _answer(params.format, f"consolidated-profit-and-loss-{date_to}", statement.title,
                   header, rows, currency=statement.currency, note=statement.note,
                   result=str(statement.result))  # fmt: skip


def _aged(request: HttpRequest, params: AgedParams, side: Side) -> HttpResponse:
    refuse_unknown_params(request, AgedParams.model_fields)
    require_permission(request.user, Payment, "view")
    company = reports.company_in_scope(request.user, params.company)
    as_of = params.as_of or reports.today()
    buckets = (30, 60, 90)
    rows = statements.aged_balances(company.pk, side, as_of, buckets, params.partner)
    header, body = exports.aged_table(rows, buckets)
    title = f"Aged {side}s {company.code} on {as_of}"
    return _answer(params.format, f"aged-{side}s-{company.code}-{as_of}", title, header, body,
                   currency=company.base_currency.code)  # fmt: skip


@router.get(
    "/aged-receivables",
    response={200: Table, ERRORS: Problem},
    operation_id="aged_receivables",
    summary="What customers owe, per customer, by days overdue",
)
def aged_receivables(request: HttpRequest, params: Query[AgedParams]) -> HttpResponse:
    return _aged(request, params, Side.RECEIVABLE)


@router.get(
    "/aged-payables",
    response={200: Table, ERRORS: Problem},
    operation_id="aged_payables",
    summary="What the company owes, per vendor, by days overdue",
)
def aged_payables(request: HttpRequest, params: Query[AgedParams]) -> HttpResponse:
    return _aged(request, params, Side.PAYABLE)


@router.get(
    "/grni",
    response={200: Table, ERRORS: Problem},
    operation_id="goods_received_not_invoiced",
    summary="Goods received not invoiced, per receipt line; the total equals the GRNI account",
)
def goods_received_not_invoiced(request: HttpRequest, params: Query[GrniParams]) -> HttpResponse:
    refuse_unknown_params(request, GrniParams.model_fields)
    require_permission(request.user, JournalEntry, "view")
    company = reports.company_in_scope(request.user, params.company)
    rows = statements.grni(company.pk, only_open=not params.include_billed)
    header, body = exports.grni_table(rows)
    return _answer(params.format, f"grni-{company.code}", f"GRNI {company.code}", header, body,
                   currency=company.base_currency.code,
                   ledger=str(statements.grni_ledger_balance(company.pk)))  # fmt: skip
