"""Payment endpoints: payments and their allocations, open items, credit-note offsets, and
payment runs (create, submit for approval, pay, cancel)."""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from crossdock.accounting import reports
from crossdock.accounting.models import (
    Installment,
    Payment,
    PaymentRun,
    Side,
)
from crossdock.accounting.services import payments
from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import Id, InputSchema, QueryId, Text, decimal_type
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError
from crossdock.core.fields import MONEY_SCALE
from crossdock.masterdata.models import Company

router = Router(tags=["Payments"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})

if TYPE_CHECKING:
    Money = Decimal
else:
    Money = decimal_type(MONEY_SCALE)


class AllocationIn(InputSchema):
    installment: Id
    amount: Money


class PaymentIn(InputSchema):
    company: Id
    direction: Literal["inbound", "outbound"]
    partner: Id
    date: datetime.date
    amount: Money
    currency: Id | None = Field(None, description="Defaults to the partner's currency.")
    bank_account: Id | None = Field(None, description="Defaults to the company's bank account.")
    reference: Annotated[Text, Field(max_length=100)] = ""
    allocations: Annotated[list[AllocationIn], Field(max_length=5000)] | None = Field(
        None, description="Open items to settle; omitted: the oldest due first."
    )
    overpayment: bool = Field(
        False, description="Keep what the open items do not take on the partner's account."
    )
    take_discounts: bool = True


class AllocateIn(InputSchema):
    allocations: Annotated[list[AllocationIn], Field(max_length=5000)] | None = None
    date: datetime.date | None = None


class OffsetIn(InputSchema):
    credit_item: Id
    amount: Money | None = None
    date: datetime.date | None = None


class RunIn(InputSchema):
    company: Id
    payment_date: datetime.date
    due_until: datetime.date | None = Field(None, description="Defaults to the payment date.")
    bank_account: Id | None = None
    note: Annotated[Text, Field(max_length=200)] = ""


class AllocationOut(Schema):
    id: int
    installment: int
    invoice: str
    date: datetime.date
    amount: str
    amount_company: str
    payment_amount_company: str
    discount: bool


class PaymentOut(Schema):
    id: int
    company: int
    number: str
    direction: str
    state: str
    partner: int
    date: datetime.date
    currency: str
    rate: str
    amount: str
    amount_company: str
    unallocated_amount: str
    unallocated_company: str
    reference: str
    entry: int | None
    payment_run: int | None
    allocations: list[AllocationOut]


class PaymentPage(Schema):
    items: list[PaymentOut]
    next_cursor: str | None


class OpenItemOut(Schema):
    id: int
    invoice: int
    number: str
    partner: int
    side: str
    currency: str
    due_date: datetime.date
    amount: str
    open_amount: str
    open_company: str
    discount_until: datetime.date | None
    discount_amount: str


class OpenItemPage(Schema):
    items: list[OpenItemOut]
    next_cursor: str | None


class RunLineOut(Schema):
    installment: int
    invoice: str
    partner: int
    due_date: datetime.date
    amount: str
    discount: str


class RunOut(Schema):
    id: int
    company: int
    reference: str
    state: str
    payment_date: datetime.date
    due_until: datetime.date
    bank_account: int
    total_company: str
    note: str
    version: int
    lines: list[RunLineOut]
    payments: list[int]


class RunPage(Schema):
    items: list[RunOut]
    next_cursor: str | None


class PaymentParams(Schema):
    company: QueryId | None = None
    direction: Literal["inbound", "outbound"] | None = None
    partner: QueryId | None = None
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=1000)


class OpenItemParams(Schema):
    company: QueryId | None = None
    partner: QueryId | None = None
    side: Literal["receivable", "payable"] | None = None
    due_until: datetime.date | None = None
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=1000)


class RunParams(Schema):
    company: QueryId | None = None
    state: str | None = None
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=1000)


# -- helpers ---------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


def payment_data(payment: Payment) -> dict[str, Any]:
    allocations = payment.allocations.select_related("installment__invoice").order_by("pk")
    return {
        "id": payment.pk, "company": payment.company_id, "number": payment.number,
        "direction": payment.direction, "state": payment.state, "partner": payment.partner_id,
        "date": payment.date.isoformat(), "currency": payment.currency.code,
        "rate": str(payment.rate), "amount": str(payment.amount),
        "amount_company": str(payment.amount_company),
        "unallocated_amount": str(payment.unallocated_amount),
        "unallocated_company": str(payment.unallocated_company),
        "reference": payment.reference, "entry": payment.entry_id,
        "payment_run": payment.payment_run_id,
        "allocations": [
            {
                "id": a.pk, "installment": a.installment_id,
                "invoice": a.installment.invoice.number, "date": a.date.isoformat(),
                "amount": str(a.amount), "amount_company": str(a.amount_company),
                "payment_amount_company": str(a.payment_amount_company), "discount": a.discount,
            }
            for a in allocations
        ],
    }  # fmt: skip


def item_data(item: Installment) -> dict[str, Any]:
    return {
        "id": item.pk, "invoice": item.invoice_id, "number": item.invoice.number,
        "partner": item.partner_id, "side": item.side, "currency": item.currency.code,
        "due_date": item.due_date.isoformat(), "amount": str(item.amount),
        "open_amount": str(item.open_amount), "open_company": str(item.open_company),
        "discount_until": item.discount_until.isoformat() if item.discount_until else None,
        "discount_amount": str(item.discount_amount),
    }  # fmt: skip


def run_data(run: PaymentRun) -> dict[str, Any]:
    lines = run.lines.select_related("installment__invoice").order_by("pk")
    return {
        "id": run.pk, "company": run.company_id, "reference": run.reference, "state": run.state,
        "payment_date": run.payment_date.isoformat(), "due_until": run.due_until.isoformat(),
        "bank_account": run.bank_account_id, "total_company": str(run.total_company),
        "note": run.note, "version": run.version,
        "lines": [
            {
                "installment": line.installment_id, "invoice": line.installment.invoice.number,
                "partner": line.installment.partner_id,
                "due_date": line.installment.due_date.isoformat(), "amount": str(line.amount),
                "discount": str(line.discount),
            }
            for line in lines
        ],
        "payments": list(run.payments.order_by("pk").values_list("pk", flat=True)),
    }  # fmt: skip


def _payment(user: Any, pk: int, action: str = "view") -> Payment:
    require_permission(user, Payment, action)
    found = Payment.objects.restrict(user, action).select_related("currency").filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No payment with id {pk}.")
    return found


def _run(user: Any, pk: int, action: str = "view") -> PaymentRun:
    require_permission(user, PaymentRun, action)
    found = PaymentRun.objects.restrict(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No payment run with id {pk}.")
    return found


def _items(user: Any) -> Any:
    require_permission(user, Payment, "view")
    companies = Company.objects.in_scope_of(user)
    return Installment.objects.filter(company__in=companies).select_related("invoice", "currency")


def _allocations(rows: list[AllocationIn] | None) -> list[payments.AllocationInput] | None:
    if rows is None:
        return None
    return [payments.AllocationInput(row.installment, row.amount) for row in rows]


# -- payments --------------------------------------------------------------------------------


@router.get(
    "/payments",
    response={200: PaymentPage, ERRORS: Problem},
    operation_id="list_payments",
    summary="Payments, newest first",
)
def list_payments(request: HttpRequest, params: Query[PaymentParams]) -> HttpResponse:
    refuse_unknown_params(request, PaymentParams.model_fields)
    require_permission(request.user, Payment, "view")
    rows = Payment.objects.restrict(request.user, "view").select_related("currency")
    if params.company is not None:
        rows = rows.filter(company_id=params.company)
    if params.direction is not None:
        rows = rows.filter(direction=params.direction)
    if params.partner is not None:
        rows = rows.filter(partner_id=params.partner)
    page = paginate(rows, "-id", params.cursor, params.limit)
    return json_response(
        {"items": [payment_data(p) for p in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/payments",
    response={201: PaymentOut, ERRORS: Problem},
    operation_id="register_payment",
    summary="Register and post a payment, allocated to open items",
    description="A payment larger than what it settles is refused (422, field `amount`) unless "
    "`overpayment` is true; an allocation above an item's open amount, a currency without a "
    "rate for the date, or a locked date is refused; nothing is written then.",
)
@idempotent
def register_payment(
    request: HttpRequest,
    payload: PaymentIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Payment, "add")
    company = reports.company_in_scope(request.user, payload.company)
    payment = payments.register_payment(
        _actor(request),
        payments.PaymentInput(
            company_id=company.pk, direction=payload.direction, partner_id=payload.partner,
            date=payload.date, amount=payload.amount, currency_id=payload.currency,
            bank_account_id=payload.bank_account, reference=payload.reference,
            allocations=_allocations(payload.allocations), overpayment=payload.overpayment,
            take_discounts=payload.take_discounts,
        ),
    )  # fmt: skip
    return json_response(payment_data(payment), 201, etag_version=payment.version)


@router.get(
    "/payments/{int:id}",
    response={200: PaymentOut, ERRORS: Problem},
    operation_id="get_payment",
    summary="A payment with its allocations",
)
def get_payment(request: HttpRequest, id: int) -> HttpResponse:
    payment = _payment(request.user, id)
    return json_response(payment_data(payment), etag_version=payment.version)


@router.post(
    "/payments/{int:id}/allocate",
    response={200: PaymentOut, ERRORS: Problem},
    operation_id="allocate_payment",
    summary="Allocate what a payment holds on account to open items",
)
@idempotent
def allocate(
    request: HttpRequest,
    id: int,
    payload: AllocateIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    payment = _payment(request.user, id, "change")
    payments.allocate_payment(
        _actor(request), payment.pk, _allocations(payload.allocations), payload.date
    )
    payment = _payment(request.user, id)
    return json_response(payment_data(payment), etag_version=payment.version)


# -- open items ------------------------------------------------------------------------------


@router.get(
    "/open-items",
    response={200: OpenItemPage, ERRORS: Problem},
    operation_id="list_open_items",
    summary="Open items (what is due when), oldest due first",
)
def list_open_items(request: HttpRequest, params: Query[OpenItemParams]) -> HttpResponse:
    refuse_unknown_params(request, OpenItemParams.model_fields)
    rows = _items(request.user).exclude(open_amount=0)
    if params.company is not None:
        rows = rows.filter(company_id=params.company)
    if params.partner is not None:
        rows = rows.filter(partner_id=params.partner)
    if params.side is not None:
        rows = rows.filter(side=Side(params.side))
    if params.due_until is not None:
        rows = rows.filter(due_date__lte=params.due_until)
    page = paginate(rows, "id", params.cursor, params.limit)
    return json_response(
        {"items": [item_data(i) for i in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/open-items/{int:id}/offset",
    response={200: OpenItemOut, ERRORS: Problem},
    operation_id="offset_credit_note",
    summary="Settle an open item with a credit note's open item of the same partner",
)
@idempotent
def offset(
    request: HttpRequest,
    id: int,
    payload: OffsetIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Payment, "change")
    item = _items(request.user).filter(pk=id).first()
    if item is None:
        raise NotFoundError(f"No open item with id {id}.")
    if not _items(request.user).filter(pk=payload.credit_item).exists():
        raise NotFoundError(
            f"No open item with id {payload.credit_item}.",
            fields={"credit_item": ["No such open item."]},
        )
    payments.offset_credit_note(
        _actor(request), payload.credit_item, item.pk, payload.amount, payload.date
    )
    return json_response(item_data(_items(request.user).get(pk=id)))


# -- payment runs ----------------------------------------------------------------------------


@router.get(
    "/payment-runs",
    response={200: RunPage, ERRORS: Problem},
    operation_id="list_payment_runs",
    summary="Payment runs, newest first",
)
def list_runs(request: HttpRequest, params: Query[RunParams]) -> HttpResponse:
    refuse_unknown_params(request, RunParams.model_fields)
    require_permission(request.user, PaymentRun, "view")
    rows = PaymentRun.objects.restrict(request.user, "view")
    if params.company is not None:
        rows = rows.filter(company_id=params.company)
    if params.state:
        rows = rows.filter(state=params.state)
    page = paginate(rows, "-id", params.cursor, params.limit)
    return json_response(
        {"items": [run_data(r) for r in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/payment-runs",
    response={201: RunOut, ERRORS: Problem},
    operation_id="create_payment_run",
    summary="Gather the bills cleared for payment into a draft run",
)
@idempotent
def create_run(
    request: HttpRequest,
    payload: RunIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, PaymentRun, "add")
    company = reports.company_in_scope(request.user, payload.company)
    run = payments.create_payment_run(
        _actor(request), company.pk, payload.payment_date, payload.due_until,
        payload.bank_account, payload.note,
    )  # fmt: skip
    return json_response(run_data(run), 201, etag_version=run.version)


@router.get(
    "/payment-runs/{int:id}",
    response={200: RunOut, ERRORS: Problem},
    operation_id="get_payment_run",
    summary="A payment run with its lines and payments",
)
def get_run(request: HttpRequest, id: int) -> HttpResponse:
    run = _run(request.user, id)
    return json_response(run_data(run), etag_version=run.version)


RUN_ACTIONS = {
    "submit": payments.submit_payment_run,
    "pay": payments.execute_payment_run,
    "cancel": payments.cancel_payment_run,
}


@router.post(
    "/payment-runs/{int:id}/{action}",
    response={200: RunOut, ERRORS: Problem},
    operation_id="act_on_payment_run",
    summary="Submit a run for approval, pay an approved run, or cancel it",
    description="`action` is one of submit, pay, cancel. Paying posts one outgoing payment per "
    "vendor and currency; only an approved run is paid (409 otherwise).",
)
@idempotent
def act_on_run(
    request: HttpRequest,
    id: int,
    action: Literal["submit", "pay", "cancel"],
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    run = _run(request.user, id, "change")
    RUN_ACTIONS[action](_actor(request), run.pk)
    run = _run(request.user, id)
    return json_response(run_data(run), etag_version=run.version)
