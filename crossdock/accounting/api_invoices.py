"""Invoice and bill endpoints: detail, post, cancel, credit note, invoice a delivery, bill a
receipt and the PDF. Each action calls one service; refusals are problem documents."""

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router

from crossdock.accounting.models import Invoice
from crossdock.accounting.pdf import invoice_pdf
from crossdock.accounting.services import invoice_sources, invoicing
from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.queries import require_permission
from crossdock.api.schemas import Id, InputSchema
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError

router = Router(tags=["Invoices and bills"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})


class FromTransferIn(InputSchema):
    transfer: Id
    date: datetime.date | None = None
    partner_reference: str = Field("", max_length=60)


class CreditIn(InputSchema):
    date: datetime.date | None = None


def _invoice(user: Any, pk: int, action: str = "view") -> Invoice:
    require_permission(user, Invoice, action)
    found = Invoice.objects.restrict(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No invoice with id {pk}.")
    return found


def invoice_detail(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk, "company": invoice.company_id, "kind": invoice.kind,
        "state": invoice.state, "number": invoice.number, "partner": invoice.partner_id,
        "partner_reference": invoice.partner_reference, "date": invoice.date.isoformat(),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "currency": invoice.currency.code, "untaxed_amount": str(invoice.untaxed_amount),
        "tax_amount": str(invoice.tax_amount), "total_amount": str(invoice.total_amount),
        "open_amount": str(invoice.open_amount), "payment_state": invoice.payment_state,
        "credit_of": invoice.credit_of_id, "mirror_of": invoice.mirror_of_id,
        "entry": invoice.entry_id, "entry_number": invoice.entry.number if invoice.entry else None,
        "version": invoice.version,
        "lines": [
            {"id": x.pk, "description": x.description, "quantity": str(x.quantity),
             "unit_price": str(x.unit_price), "discount_percent": str(x.discount_percent),
             "tax": x.tax_id, "account": x.account_id, "subtotal": str(x.subtotal),
             "tax_amount": str(x.tax_amount), "total": str(x.total),
             "stock_move": x.stock_move_id}
            for x in invoice.lines.order_by("sequence", "pk")
        ],
        "installments": [
            {"sequence": i.sequence, "due_date": i.due_date.isoformat(), "amount": str(i.amount),
             "open_amount": str(i.open_amount)}
            for i in invoice.installments.order_by("sequence")
        ],
    }  # fmt: skip


def _detail(user: Any, pk: int, status: int = 200) -> HttpResponse:
    invoice = _invoice(user, pk)
    return json_response(invoice_detail(invoice), status, etag_version=invoice.version)


@router.get("/invoices/{int:id}", response={ERRORS: Problem}, operation_id="get_invoice",
            summary="An invoice, bill or credit note with lines and instalments")  # fmt: skip
def get_invoice(request: HttpRequest, id: int) -> HttpResponse:
    return _detail(request.user, id)


@router.get("/invoices/{int:id}/pdf", response={ERRORS: Problem},
            operation_id="invoice_pdf", summary="The document as PDF")  # fmt: skip
def get_invoice_pdf(request: HttpRequest, id: int) -> HttpResponse:
    invoice = _invoice(request.user, id)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    name = (invoice.number or f"draft-{invoice.pk}").replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@router.post("/invoices/{int:id}/post", response={ERRORS: Problem},
             operation_id="post_invoice", summary="Post a draft")  # fmt: skip
@idempotent
def post(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    invoice = _invoice(request.user, id, "change")
    invoicing.post_invoice(Actor.of(request.user), invoice.pk)
    return _detail(request.user, invoice.pk)


@router.post("/invoices/{int:id}/cancel", response={ERRORS: Problem},
             operation_id="cancel_invoice", summary="Cancel a draft")  # fmt: skip
@idempotent
def cancel(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    invoice = _invoice(request.user, id, "change")
    invoicing.cancel_invoice(Actor.of(request.user), invoice.pk)
    return _detail(request.user, invoice.pk)


@router.post("/invoices/{int:id}/credit-note", response={ERRORS: Problem},
             operation_id="credit_invoice", summary="Draft a full credit note")  # fmt: skip
@idempotent
def credit_note(
    request: HttpRequest,
    id: int,
    payload: CreditIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    invoice = _invoice(request.user, id)
    require_permission(request.user, Invoice, "add")
    note = invoice_sources.credit_note_for(Actor.of(request.user), invoice.pk, date=payload.date)
    return _detail(request.user, note.pk, 201)


@router.post("/invoices/from-delivery", response={ERRORS: Problem},
             operation_id="invoice_delivery", summary="Invoice a done delivery")  # fmt: skip
@idempotent
def from_delivery(
    request: HttpRequest,
    payload: FromTransferIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Invoice, "add")
    invoice = invoice_sources.invoice_from_delivery(
        Actor.of(request.user), payload.transfer, payload.date
    )
    return _detail(request.user, invoice.pk, 201)


@router.post("/invoices/from-receipt", response={ERRORS: Problem},
             operation_id="bill_receipt", summary="Draft the bill of a done receipt")  # fmt: skip
@idempotent
def from_receipt(
    request: HttpRequest,
    payload: FromTransferIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Invoice, "add")
    bill = invoice_sources.bill_from_receipt(
        Actor.of(request.user), payload.transfer, payload.partner_reference, payload.date
    )
    return _detail(request.user, bill.pk, 201)
