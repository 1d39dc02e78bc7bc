"""The accounting endpoints: accounts, journal entries (manual, post, reverse), lock dates,
trial balance, general ledger and the stock valuation ↔ ledger reconciliation."""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from crossdock.accounting import reports, selectors, services
from crossdock.accounting.models import (
    Account,
    AccountRole,
    EntryState,
    Journal,
    JournalEntry,
    JournalKind,
    JournalLine,
    LedgerSettings,
)
from crossdock.accounting.services import EntryDraft, LineDraft
from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import decode_cursor, encode_cursor, paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import Id, InputSchema, QueryId, Text, decimal_type
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, NotFoundError
from crossdock.core.fields import MONEY_SCALE

router = Router(tags=["Accounting"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})

if TYPE_CHECKING:
    Money = Decimal
    Format = str
else:
    Money = decimal_type(MONEY_SCALE)
    Format = Literal["json", "csv"]


# -- schemas ---------------------------------------------------------------------------------


class LineIn(InputSchema):
    account: Id
    debit: Money = Decimal(0)
    credit: Money = Decimal(0)
    label: Annotated[Text, Field(max_length=200)] = ""
    currency: Id | None = None
    amount_currency: Money | None = None
    partner: Id | None = None
    product: Id | None = None
    warehouse: Id | None = None


class EntryIn(InputSchema):
    company: Id
    journal: Id | None = Field(None, description="Defaults to the miscellaneous journal.")
    date: datetime.date
    memo: Annotated[Text, Field(max_length=200)] = ""
    lines: Annotated[list[LineIn], Field(max_length=10_000)]
    post: bool = Field(True, description="Post at once (default) or keep as a draft.")


class ReverseIn(InputSchema):
    date: datetime.date | None = Field(None, description="Defaults to the entry's date.")


class LockDateIn(InputSchema):
    lock_date: datetime.date | None


class EntryLineOut(Schema):
    id: int
    account: int
    account_code: str
    label: str
    debit: str
    credit: str
    currency: str | None
    amount_currency: str | None
    partner: int | None
    product: int | None
    warehouse: int | None


class EntryOut(Schema):
    id: int
    company: int
    journal: int
    number: str
    date: datetime.date
    state: str
    memo: str
    source_type: str
    source_id: str
    reversal_of: int | None
    posted_at: datetime.datetime | None
    version: int
    lines: list[EntryLineOut]


class EntryPage(Schema):
    items: list[EntryOut]
    next_cursor: str | None


class AccountOut(Schema):
    id: int
    company: int
    code: str
    name: str
    account_type: str
    role: str
    reconcilable: bool
    active: bool


class AccountPage(Schema):
    items: list[AccountOut]
    next_cursor: str | None


class TrialBalanceRowOut(Schema):
    account: int
    code: str
    name: str
    account_type: str
    debit: str
    credit: str
    balance: str


class TrialBalanceOut(Schema):
    company: int
    as_of: datetime.date
    rows: list[TrialBalanceRowOut]
    total_debit: str
    total_credit: str


class LedgerRowOut(Schema):
    line: int
    entry: int
    number: str
    date: datetime.date
    label: str
    partner: int | None
    product: int | None
    debit: str
    credit: str
    balance: str


class LedgerPageOut(Schema):
    account: int
    opening_balance: str
    items: list[LedgerRowOut]
    next_cursor: str | None


class ReconciliationRowOut(Schema):
    product: int | None
    product_label: str
    layers: str
    ledger: str
    difference: str


class ReconciliationOut(Schema):
    company: int
    as_of: datetime.date
    rows: list[ReconciliationRowOut]
    layers: str
    ledger: str
    difference: str


class LedgerSettingsOut(Schema):
    company: int
    lock_date: datetime.date | None


class RoleAccountOut(Schema):
    role: str
    label: str
    account: int | None
    code: str | None


class LedgerOut(Schema):
    company: int
    chart_template: str
    lock_date: datetime.date | None
    price_difference: str
    roles: list[RoleAccountOut]


class LedgerIn(InputSchema):
    """Only what is sent changes; ``roles`` maps a role to the account that should hold it."""

    price_difference: Literal["variance", "stock"] | None = None
    roles: dict[str, Id] | None = None


class EntryParams(Schema):
    company: QueryId | None = None
    state: Literal["draft", "posted"] | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)


class AccountParams(Schema):
    company: QueryId | None = None
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=500)


class TrialBalanceParams(Schema):
    company: QueryId
    as_of: datetime.date | None = None
    format: Format = "json"


class LedgerParams(Schema):
    account: QueryId
    since: datetime.date | None = None
    until: datetime.date | None = None
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=1000)
    format: Format = "json"


class ReconciliationParams(Schema):
    company: QueryId
    as_of: datetime.date | None = None
    only_differences: bool = False
    format: Format = "json"


# -- helpers ---------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


def _entries(user: Any, action: str = "view") -> Any:
    require_permission(user, JournalEntry, action)
    return JournalEntry.objects.restrict(user, action)


def _entry(user: Any, pk: int, action: str = "view") -> JournalEntry:
    found = _entries(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No journal entry with id {pk}.")
    return found


def _draft(user: Any, payload: EntryIn) -> EntryDraft:
    company = reports.company_in_scope(user, payload.company)
    if payload.journal is None:
        journal_id = services.journal_of(company.pk, JournalKind.GENERAL).pk
    else:
        journal = Journal.objects.filter(pk=payload.journal, company=company).first()
        if journal is None:
            raise DomainError(
                "journal: No such journal in this company.",
                fields={"journal": ["No such journal in this company."]},
            )
        journal_id = journal.pk
    return EntryDraft(
        company_id=company.pk,
        journal_id=journal_id,
        date=payload.date,
        memo=payload.memo,
        lines=[
            LineDraft(
                account_id=line.account,
                debit=line.debit,
                credit=line.credit,
                label=line.label,
                currency_id=line.currency,
                amount_currency=line.amount_currency,
                partner_id=line.partner,
                product_id=line.product,
                warehouse_id=line.warehouse,
            )
            for line in payload.lines
        ],
    )


def _detail(user: Any, pk: int, status: int = 200) -> HttpResponse:
    entry = _entry(user, pk)
    return json_response(reports.entry_detail(entry), status, etag_version=entry.version)


# -- accounts and entries --------------------------------------------------------------------


@router.get(
    "/accounts",
    response={200: AccountPage, ERRORS: Problem},
    operation_id="list_accounts",
    summary="Chart of accounts",
)
def list_accounts(request: HttpRequest, params: Query[AccountParams]) -> HttpResponse:
    refuse_unknown_params(request, AccountParams.model_fields)
    require_permission(request.user, Account, "view")
    accounts = Account.objects.restrict(request.user, "view")
    if params.company is not None:
        accounts = accounts.filter(company_id=params.company)
    page = paginate(accounts, "code", params.cursor, params.limit)
    return json_response(
        {
            "items": [
                {
                    "id": a.pk, "company": a.company_id, "code": a.code, "name": a.name,
                    "account_type": a.account_type, "role": a.role,
                    "reconcilable": a.reconcilable, "active": a.active,
                }
                for a in page.rows
            ],
            "next_cursor": page.next_cursor,
        }
    )  # fmt: skip


@router.get(
    "/journal-entries",
    response={200: EntryPage, ERRORS: Problem},
    operation_id="list_journal_entries",
    summary="Journal entries, newest first",
)
def list_entries(request: HttpRequest, params: Query[EntryParams]) -> HttpResponse:
    refuse_unknown_params(request, EntryParams.model_fields)
    entries = _entries(request.user)
    if params.company is not None:
        entries = entries.filter(company_id=params.company)
    if params.state is not None:
        entries = entries.filter(state=params.state)
    page = paginate(entries, "-id", params.cursor, params.limit)
    return json_response(
        {
            "items": [reports.entry_detail(e) for e in page.rows],
            "next_cursor": page.next_cursor,
        }
    )


@router.post(
    "/journal-entries",
    response={201: EntryOut, ERRORS: Problem},
    operation_id="create_journal_entry",
    summary="Write a manual journal entry (posted unless `post` is false)",
    description="Refused with 422 when unbalanced or with a bad line, 409 when the date is "
    "locked or in a closed period; nothing is written then.",
)
@idempotent
def create_entry(
    request: HttpRequest,
    payload: EntryIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, JournalEntry, "add")
    draft = _draft(request.user, payload)
    if payload.post:
        (entry_id,) = services.post_entries(_actor(request), [draft])
    else:
        entry_id = services.save_draft(_actor(request), draft).pk
    return _detail(request.user, entry_id, 201)


@router.get(
    "/journal-entries/{int:id}",
    response={200: EntryOut, ERRORS: Problem},
    operation_id="get_journal_entry",
    summary="A journal entry with its lines",
)
def get_entry(request: HttpRequest, id: int) -> HttpResponse:
    return _detail(request.user, id)


@router.post(
    "/journal-entries/{int:id}/post",
    response={200: EntryOut, ERRORS: Problem},
    operation_id="post_journal_entry",
    summary="Post a draft entry",
)
@idempotent
def post_entry(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    entry = _entry(request.user, id, "change")
    services.post_draft(_actor(request), entry.pk)
    return _detail(request.user, entry.pk)


@router.post(
    "/journal-entries/{int:id}/reverse",
    response={201: EntryOut, ERRORS: Problem},
    operation_id="reverse_journal_entry",
    summary="Post the reversal of a posted entry",
)
@idempotent
def reverse_entry(
    request: HttpRequest,
    id: int,
    payload: ReverseIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    entry = _entry(request.user, id, "change")
    reversal = services.reverse_entry(_actor(request), entry.pk, payload.date)
    return _detail(request.user, reversal.pk, 201)


@router.put(
    "/ledgers/{int:company}/lock-date",
    response={200: LedgerSettingsOut, ERRORS: Problem},
    operation_id="set_lock_date",
    summary="Lock the company's books up to a date (null unlocks)",
)
def set_lock_date(request: HttpRequest, company: int, payload: LockDateIn) -> HttpResponse:
    require_permission(request.user, LedgerSettings, "change")
    found = reports.company_in_scope(request.user, company)
    settings = services.set_lock_date(_actor(request), found.pk, payload.lock_date)
    return json_response(
        {
            "company": settings.company_id,
            "lock_date": settings.lock_date.isoformat() if settings.lock_date else None,
        }
    )


def _ledger_body(company_id: int) -> dict[str, Any]:
    settings = services.ensure_ledger(company_id)
    holders = services.accounts_by_role(company_id)
    roles = []
    for role in AccountRole:
        account = holders.get(role.value)
        roles.append(
            {
                "role": role.value,
                "label": role.label,
                "account": account.pk if account else None,
                "code": account.code if account else None,
            }
        )
    return {
        "company": company_id,
        "chart_template": settings.chart_template,
        "lock_date": settings.lock_date.isoformat() if settings.lock_date else None,
        "price_difference": settings.price_difference,
        "roles": roles,
    }


@router.get(
    "/ledgers/{int:company}",
    response={200: LedgerOut, ERRORS: Problem},
    operation_id="get_ledger",
    summary="A company's ledger settings and which account holds each posting role",
)
def get_ledger(request: HttpRequest, company: int) -> HttpResponse:
    require_permission(request.user, LedgerSettings, "view")
    found = reports.company_in_scope(request.user, company)
    return json_response(_ledger_body(found.pk))


@router.patch(
    "/ledgers/{int:company}",
    response={200: LedgerOut, ERRORS: Problem},
    operation_id="update_ledger",
    summary="Change where price differences go, or give posting roles to other accounts",
)
def update_ledger(request: HttpRequest, company: int, payload: LedgerIn) -> HttpResponse:
    require_permission(request.user, LedgerSettings, "change")
    found = reports.company_in_scope(request.user, company)
    actor = _actor(request)
    with transaction.atomic():
        if payload.price_difference is not None:
            services.set_price_difference(actor, found.pk, payload.price_difference)
        for role, account in (payload.roles or {}).items():
            try:
                services.assign_role(actor, found.pk, role, account)
            except DomainError as exc:
                fields = {f"roles.{role}.{k}": v for k, v in exc.fields.items()}
                raise type(exc)(f"roles.{role}: {exc.message}", fields=fields) from exc
    return json_response(_ledger_body(found.pk))


# -- reports ---------------------------------------------------------------------------------


TRIAL_BALANCE_COLUMNS = ("code", "name", "account_type", "debit", "credit", "balance")
LEDGER_COLUMNS = ("date", "number", "label", "debit", "credit", "balance")
RECONCILIATION_COLUMNS = ("product_label", "layers", "ledger", "difference")


@router.get(
    "/trial-balance",
    response={200: TrialBalanceOut, ERRORS: Problem},
    operation_id="trial_balance",
    summary="Trial balance of a company as of a date (`format=csv` for a file)",
)
def trial_balance(request: HttpRequest, params: Query[TrialBalanceParams]) -> HttpResponse:
    refuse_unknown_params(request, TrialBalanceParams.model_fields)
    require_permission(request.user, JournalEntry, "view")
    company = reports.company_in_scope(request.user, params.company)
    as_of = params.as_of or reports.today()
    rows = [reports.trial_balance_row(r) for r in selectors.trial_balance(company.pk, as_of)]
    if params.format == "csv":
        return reports.csv_response(
            f"trial-balance-{company.code}-{as_of}.csv", TRIAL_BALANCE_COLUMNS, rows
        )
    return json_response(
        {
            "company": company.pk,
            "as_of": as_of.isoformat(),
            "rows": rows,
            "total_debit": str(sum((Decimal(r["debit"]) for r in rows), Decimal(0))),
            "total_credit": str(sum((Decimal(r["credit"]) for r in rows), Decimal(0))),
        }
    )


@router.get(
    "/general-ledger",
    response={200: LedgerPageOut, ERRORS: Problem},
    operation_id="general_ledger",
    summary="An account's posted lines with the running balance, cursor-paginated",
)
def general_ledger(request: HttpRequest, params: Query[LedgerParams]) -> HttpResponse:
    refuse_unknown_params(request, LedgerParams.model_fields)
    require_permission(request.user, JournalEntry, "view")
    require_permission(request.user, Account, "view")
    account = reports.account_in_scope(request.user, params.account)
    after = None
    if params.cursor:
        date, pk = decode_cursor(params.cursor, "ledger", JournalLine._meta.get_field("date"))
        if date is None:
            raise DomainError("cursor: not a cursor of this list.")
        after = (date, pk)
    page = selectors.general_ledger(
        account, since=params.since, until=params.until, after=after, limit=params.limit
    )
    rows = [reports.ledger_row(r) for r in page.rows]
    if params.format == "csv":
        return reports.csv_response(f"ledger-{account.code}.csv", LEDGER_COLUMNS, rows)
    cursor = (
        None
        if page.next_cursor is None
        else encode_cursor("ledger", page.next_cursor[0].isoformat(), page.next_cursor[1])
    )
    return json_response(
        {
            "account": account.pk,
            "opening_balance": str(page.opening),
            "items": rows,
            "next_cursor": cursor,
        }
    )


@router.get(
    "/stock-reconciliation",
    response={200: ReconciliationOut, ERRORS: Problem},
    operation_id="stock_reconciliation",
    summary="Stock value per product: valuation layers against the stock accounts",
)
def stock_reconciliation(request: HttpRequest, params: Query[ReconciliationParams]) -> HttpResponse:
    refuse_unknown_params(request, ReconciliationParams.model_fields)
    require_permission(request.user, JournalEntry, "view")
    company = reports.company_in_scope(request.user, params.company)
    as_of = params.as_of or reports.today()
    found = selectors.stock_reconciliation(
        company.pk, as_of, only_differences=params.only_differences
    )
    rows = [reports.reconciliation_row(r) for r in found]
    if params.format == "csv":
        return reports.csv_response(
            f"stock-reconciliation-{company.code}-{as_of}.csv", RECONCILIATION_COLUMNS, rows
        )
    layers = sum((r.layers for r in found), Decimal(0))
    ledger = sum((r.ledger for r in found), Decimal(0))
    return json_response(
        {
            "company": company.pk,
            "as_of": as_of.isoformat(),
            "rows": rows,
            "layers": str(layers),
            "ledger": str(ledger),
            "difference": str(ledger - layers),
        }
    )


__all__ = ["EntryState", "router"]
