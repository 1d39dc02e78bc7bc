"""Sourcing endpoints: purchase requisitions, requests for quotation (RFQs), supplier quotes,
the quote comparison and the award.

Thin like :mod:`crossdock.purchasing.api`: role permission (403), rows within the user's
scope (404), one service call, the result rendered. Converting a requisition and
awarding an RFQ write purchase orders, so they also need ``add_purchaseorder``.
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile

from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader, IfMatchHeader
from crossdock.api.http import expected_version, json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.imports import MAX_UPLOAD_BYTES
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import Id, InputSchema, QueryId, Text, decimal_type
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, NotFoundError
from crossdock.core.fields import PERCENT_SCALE, PRICE_SCALE, QUANTITY_SCALE
from crossdock.masterdata.models import Warehouse
from crossdock.purchasing.comparison import compare_quotes
from crossdock.purchasing.models import (
    PurchaseOrder,
    PurchaseRequisition,
    RequestForQuotation,
    RequisitionState,
    RfqState,
)
from crossdock.purchasing.services import sourcing
from crossdock.purchasing.services.quote_import import import_quotes

router = Router(tags=["Purchasing"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})

if TYPE_CHECKING:
    Price = Decimal
    Quantity = Decimal
    Percent = Decimal
else:
    Price = decimal_type(PRICE_SCALE)
    Quantity = decimal_type(QUANTITY_SCALE)
    Percent = decimal_type(PERCENT_SCALE)

# -- schemas ---------------------------------------------------------------------------------


class RequisitionLineIn(InputSchema):
    product: Id
    quantity: Quantity
    note: Annotated[Text, Field(max_length=200)] = ""


class RequisitionIn(InputSchema):
    warehouse: Id
    needed_by: datetime.date
    lines: Annotated[list[RequisitionLineIn], Field(min_length=1, max_length=sourcing.MAX_LINES)]
    note: Annotated[Text, Field(max_length=200)] = ""
    version: Id | None = Field(None, description="The version you edited; 412 if stale.")


class ReasonIn(InputSchema):
    reason: Annotated[Text, Field(max_length=200)] = ""


class SuppliersIn(InputSchema):
    suppliers: Annotated[list[Id], Field(min_length=1, max_length=sourcing.MAX_SUPPLIERS)]
    note: Annotated[Text, Field(max_length=200)] = ""


class RfqLineIn(InputSchema):
    product: Id
    quantity: Quantity
    needed_by: datetime.date | None = None


class RfqIn(InputSchema):
    warehouse: Id
    suppliers: Annotated[list[Id], Field(min_length=1, max_length=sourcing.MAX_SUPPLIERS)]
    lines: Annotated[list[RfqLineIn], Field(min_length=1, max_length=sourcing.MAX_LINES)]
    needed_by: datetime.date | None = None
    note: Annotated[Text, Field(max_length=200)] = ""


class QuoteIn(InputSchema):
    line: Id
    supplier: Id
    unit_price: Price
    lead_time_days: Annotated[int, Field(strict=True)]
    currency: Id | None = Field(None, description="Defaults to the supplier's currency.")
    minimum_quantity: Quantity = Decimal(0)
    valid_until: datetime.date | None = None
    estimated_landed_cost_percent: Percent = Field(
        Decimal(0), description="Freight, duty and handling on top of the price, in %."
    )
    note: Annotated[Text, Field(max_length=200)] = ""


class QuotesIn(InputSchema):
    quotes: Annotated[list[QuoteIn], Field(min_length=1, max_length=2000)]


class AwardLineIn(InputSchema):
    line: Id
    quote: Id


class AwardIn(InputSchema):
    awards: Annotated[list[AwardLineIn], Field(max_length=sourcing.MAX_LINES)] = []
    supplier: Id | None = Field(
        None, description="Award this supplier every line it quoted (instead of `awards`)."
    )


class RequisitionOut(Schema):
    id: int
    company: int
    reference: str
    warehouse: int
    requested_by: int | None
    needed_by: datetime.date
    state: str
    estimated_amount: str
    note: str
    version: int


class RequisitionDetailOut(RequisitionOut):
    rejection_comment: str
    approval_request: int | None
    lines: list[dict[str, Any]]


class RequisitionPage(Schema):
    items: list[RequisitionOut]
    next_cursor: str | None


class RfqOut(Schema):
    id: int
    company: int
    reference: str
    warehouse: int
    requisition: int | None
    state: str
    needed_by: datetime.date
    suppliers: list[int]
    note: str
    version: int


class RfqDetailOut(RfqOut):
    lines: list[dict[str, Any]]


class RfqPage(Schema):
    items: list[RfqOut]
    next_cursor: str | None


class OrdersOut(Schema):
    orders: list[dict[str, Any]]


class ComparisonOut(Schema):
    rfq: int
    currency: str
    lines: list[dict[str, Any]]


class ListParams(Schema):
    state: str | None = None
    warehouse: QueryId | None = None
    company: QueryId | None = None
    ordering: Literal["id", "-id", "needed_by", "-needed_by"] = "-id"
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


# -- helpers ---------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


def _requisition(user: Any, pk: int, action: str = "view") -> PurchaseRequisition:
    require_permission(user, PurchaseRequisition, action)
    found = PurchaseRequisition.objects.restrict(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No requisition with id {pk}.")
    return found


def _rfq(user: Any, pk: int, action: str = "view") -> RequestForQuotation:
    require_permission(user, RequestForQuotation, action)
    found = RequestForQuotation.objects.restrict(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No request for quotation with id {pk}.")
    return found


def _warehouse(user: Any, pk: int) -> Warehouse:
    found = Warehouse.objects.in_scope_of(user).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(
            f"No warehouse with id {pk}.", fields={"warehouse": ["No such warehouse."]}
        )
    return found


def requisition_data(requisition: PurchaseRequisition) -> dict[str, Any]:
    return {
        "id": requisition.pk, "company": requisition.company_id,
        "reference": requisition.reference, "warehouse": requisition.warehouse_id,
        "requested_by": requisition.requested_by_id,
        "needed_by": requisition.needed_by.isoformat(), "state": requisition.state,
        "estimated_amount": str(requisition.estimated_amount), "note": requisition.note,
        "version": requisition.version,
    }  # fmt: skip


def requisition_detail(requisition: PurchaseRequisition) -> dict[str, Any]:
    from crossdock.approvals.services import request_for

    request = request_for(sourcing.PURCHASE_REQUISITION, requisition.pk)
    lines = requisition.lines.select_related("product").order_by("sequence", "pk")
    return {
        **requisition_data(requisition),
        "rejection_comment": requisition.rejection_comment,
        "approval_request": request.pk if request else None,
        "lines": [
            {
                "id": x.pk, "product": x.product_id, "sku": x.product.sku,
                "quantity": str(x.quantity), "note": x.note,
                "purchase_order": x.purchase_order_id,
            }
            for x in lines
        ],
    }  # fmt: skip


def rfq_data(rfq: RequestForQuotation) -> dict[str, Any]:
    return {
        "id": rfq.pk, "company": rfq.company_id, "reference": rfq.reference,
        "warehouse": rfq.warehouse_id, "requisition": rfq.requisition_id, "state": rfq.state,
        "needed_by": rfq.needed_by.isoformat(),
        "suppliers": sorted(s.pk for s in rfq.suppliers.all()), "note": rfq.note,
        "version": rfq.version,
    }  # fmt: skip


def rfq_detail(rfq: RequestForQuotation) -> dict[str, Any]:
    lines = rfq.lines.select_related("product").prefetch_related("quotes__currency")
    return {
        **rfq_data(rfq),
        "lines": [
            {
                "id": x.pk, "product": x.product_id, "sku": x.product.sku,
                "quantity": str(x.quantity), "needed_by": x.needed_by.isoformat(),
                "awarded_quote": x.awarded_quote_id, "purchase_order": x.purchase_order_id,
                "quotes": [
                    {
                        "id": q.pk, "supplier": q.supplier_id, "unit_price": str(q.unit_price),
                        "currency": q.currency.code, "lead_time_days": q.lead_time_days,
                        "minimum_quantity": str(q.minimum_quantity),
                        "valid_until": q.valid_until.isoformat() if q.valid_until else None,
                        "estimated_landed_cost_percent": str(q.estimated_landed_cost_percent),
                        "note": q.note,
                    }
                    for q in x.quotes.all()
                ],
            }
            for x in lines.order_by("sequence", "pk")
        ],
    }  # fmt: skip


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _orders(orders: list[PurchaseOrder]) -> dict[str, Any]:
    return {
        "orders": [
            {
                "id": o.pk, "reference": o.reference, "supplier": o.supplier_id,
                "currency": o.currency.code, "amount": str(o.amount),
                "amount_company": str(o.amount_company), "state": o.state,
            }
            for o in orders
        ]
    }  # fmt: skip


def _requisition_response(user: Any, pk: int, status: int = 200) -> HttpResponse:
    found = _requisition(user, pk)
    return json_response(requisition_detail(found), status, etag_version=found.version)


def _rfq_response(user: Any, pk: int, status: int = 200) -> HttpResponse:
    found = _rfq(user, pk)
    return json_response(rfq_detail(found), status, etag_version=found.version)


def _requisition_draft(user: Any, payload: RequisitionIn) -> sourcing.RequisitionDraft:
    warehouse = _warehouse(user, payload.warehouse)
    return sourcing.RequisitionDraft(
        warehouse_id=warehouse.pk,
        needed_by=payload.needed_by,
        note=payload.note,
        lines=[sourcing.RequisitionLineDraft(x.product, x.quantity, x.note) for x in payload.lines],
    )


def _listed(request: HttpRequest, model: Any, params: ListParams, states: Any) -> Any:
    refuse_unknown_params(request, ListParams.model_fields)
    require_permission(request.user, model, "view")
    rows = model.objects.restrict(request.user, "view")
    if params.state is not None:
        if params.state not in states.values:
            message = f"One of {', '.join(states.values)}."
            raise DomainError(f"state: {message}", fields={"state": [message]})
        rows = rows.filter(state=params.state)
    for name in ("company", "warehouse"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    return paginate(rows, params.ordering, params.cursor, params.limit)


# -- requisitions ----------------------------------------------------------------------------


@router.get(
    "/purchase-requisitions",
    response={200: RequisitionPage, ERRORS: Problem},
    operation_id="list_purchase_requisitions",
    summary="Purchase requisitions, newest first unless ordered otherwise",
)
def list_requisitions(request: HttpRequest, params: Query[ListParams]) -> HttpResponse:
    page = _listed(request, PurchaseRequisition, params, RequisitionState)
    return json_response(
        {"items": [requisition_data(r) for r in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/purchase-requisitions",
    response={201: RequisitionDetailOut, ERRORS: Problem},
    operation_id="create_purchase_requisition",
    summary="Request goods into a warehouse by a date (a draft, estimated in company currency)",
)
@idempotent
def create_requisition(
    request: HttpRequest,
    payload: RequisitionIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, PurchaseRequisition, "add")
    draft = _requisition_draft(request.user, payload)
    requisition = sourcing.create_requisition(_actor(request), draft)
    return _requisition_response(request.user, requisition.pk, 201)


@router.get(
    "/purchase-requisitions/{int:id}",
    response={200: RequisitionDetailOut, ERRORS: Problem},
    operation_id="get_purchase_requisition",
    summary="A requisition with its lines and the orders that bought them",
)
def get_requisition(request: HttpRequest, id: int) -> HttpResponse:
    return _requisition_response(request.user, id)


@router.put(
    "/purchase-requisitions/{int:id}",
    response={200: RequisitionDetailOut, ERRORS: Problem},
    operation_id="replace_purchase_requisition",
    summary="Replace a draft requisition (If-Match or version refuses lost updates)",
)
def replace_requisition(
    request: HttpRequest,
    id: int,
    payload: RequisitionIn,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    found = _requisition(request.user, id, "change")
    sourcing.update_requisition(
        _actor(request),
        found.pk,
        _requisition_draft(request.user, payload),
        expected_version=expected_version(if_match, payload.version),
    )
    return _requisition_response(request.user, found.pk)


@router.post(
    "/purchase-requisitions/{int:id}/submit",
    response={200: RequisitionDetailOut, ERRORS: Problem},
    operation_id="submit_purchase_requisition",
    summary="Submit a draft for approval (approved at once when no policy applies)",
)
@idempotent
def submit_requisition(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _requisition(request.user, id, "change")
    sourcing.submit_requisition(_actor(request), found.pk)
    return _requisition_response(request.user, found.pk)


@router.post(
    "/purchase-requisitions/{int:id}/cancel",
    response={200: RequisitionDetailOut, ERRORS: Problem},
    operation_id="cancel_purchase_requisition",
    summary="Cancel a requisition not yet ordered (a pending approval is withdrawn)",
)
@idempotent
def cancel_requisition(
    request: HttpRequest,
    id: int,
    payload: ReasonIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _requisition(request.user, id, "change")
    sourcing.cancel_requisition(_actor(request), found.pk, payload.reason)
    return _requisition_response(request.user, found.pk)


@router.post(
    "/purchase-requisitions/{int:id}/convert",
    response={201: OrdersOut, ERRORS: Problem},
    operation_id="convert_purchase_requisition",
    summary="Order an approved requisition: one purchase order per preferred supplier",
    description="Each line goes to the supplier of its preferred valid catalogue offer; "
    "lines of one product are merged; prices come from the catalogue. A line without "
    "an offer is refused (`lines[0].product`) and nothing is written.",
)
@idempotent
def convert_requisition(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _requisition(request.user, id, "change")
    require_permission(request.user, PurchaseOrder, "add")
    orders = sourcing.convert_requisition(_actor(request), found.pk)
    return json_response(_orders(orders), 201)


@router.post(
    "/purchase-requisitions/{int:id}/rfq",
    response={201: RfqDetailOut, ERRORS: Problem},
    operation_id="quote_purchase_requisition",
    summary="Send an approved requisition out for quotation (a draft RFQ to the suppliers)",
)
@idempotent
def requisition_rfq(
    request: HttpRequest,
    id: int,
    payload: SuppliersIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _requisition(request.user, id, "change")
    require_permission(request.user, RequestForQuotation, "add")
    rfq = sourcing.requisition_to_rfq(_actor(request), found.pk, payload.suppliers, payload.note)
    return _rfq_response(request.user, rfq.pk, 201)


# -- RFQs ------------------------------------------------------------------------------------


@router.get(
    "/rfqs",
    response={200: RfqPage, ERRORS: Problem},
    operation_id="list_rfqs",
    summary="Requests for quotation, newest first unless ordered otherwise",
)
def list_rfqs(request: HttpRequest, params: Query[ListParams]) -> HttpResponse:
    page = _listed(request, RequestForQuotation, params, RfqState)
    return json_response(
        {"items": [rfq_data(r) for r in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/rfqs",
    response={201: RfqDetailOut, ERRORS: Problem},
    operation_id="create_rfq",
    summary="Draft a request for quotation to several suppliers",
)
@idempotent
def create_rfq(
    request: HttpRequest,
    payload: RfqIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, RequestForQuotation, "add")
    warehouse = _warehouse(request.user, payload.warehouse)
    draft = sourcing.RfqDraft(
        warehouse_id=warehouse.pk,
        supplier_ids=payload.suppliers,
        needed_by=payload.needed_by,
        note=payload.note,
        lines=[sourcing.RfqLineDraft(x.product, x.quantity, x.needed_by) for x in payload.lines],
    )
    rfq = sourcing.create_rfq(_actor(request), draft)
    return _rfq_response(request.user, rfq.pk, 201)


@router.get(
    "/rfqs/{int:id}",
    response={200: RfqDetailOut, ERRORS: Problem},
    operation_id="get_rfq",
    summary="An RFQ with its lines and quotes",
)
def get_rfq(request: HttpRequest, id: int) -> HttpResponse:
    return _rfq_response(request.user, id)


@router.post(
    "/rfqs/{int:id}/send",
    response={200: RfqDetailOut, ERRORS: Problem},
    operation_id="send_rfq",
    summary="Send the RFQ (the worker e-mails each supplier)",
)
@idempotent
def send_rfq(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _rfq(request.user, id, "change")
    sourcing.send_rfq(_actor(request), found.pk)
    return _rfq_response(request.user, found.pk)


@router.post(
    "/rfqs/{int:id}/cancel",
    response={200: RfqDetailOut, ERRORS: Problem},
    operation_id="cancel_rfq",
    summary="Cancel an RFQ not yet awarded (its requisition is approved again)",
)
@idempotent
def cancel_rfq(
    request: HttpRequest,
    id: int,
    payload: ReasonIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _rfq(request.user, id, "change")
    sourcing.cancel_rfq(_actor(request), found.pk, payload.reason)
    return _rfq_response(request.user, found.pk)


@router.post(
    "/rfqs/{int:id}/quotes",
    response={200: RfqDetailOut, ERRORS: Problem},
    operation_id="record_rfq_quotes",
    summary="Record suppliers' quotes (a supplier's new quote for a line replaces its old one)",
    description="All or nothing: a negative price, a supplier not asked on the RFQ or a "
    "currency without an exchange rate today is refused naming the field "
    "(`quotes[0].unit_price`, `quotes[0].supplier`, `quotes[0].currency`).",
)
@idempotent
def record_quotes(
    request: HttpRequest,
    id: int,
    payload: QuotesIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _rfq(request.user, id, "change")
    drafts = [
        sourcing.QuoteDraft(
            line_id=q.line, supplier_id=q.supplier, unit_price=q.unit_price,
            lead_time_days=q.lead_time_days, currency_id=q.currency,
            minimum_quantity=q.minimum_quantity, valid_until=q.valid_until,
            estimated_landed_cost_percent=q.estimated_landed_cost_percent, note=q.note,
        )
        for q in payload.quotes
    ]  # fmt: skip
    sourcing.record_quotes(_actor(request), found.pk, drafts)
    return _rfq_response(request.user, found.pk)


class QuoteRowError(Schema):
    row: int
    field: str
    message: str


class QuoteImportOut(Schema):
    ok: bool
    dry_run: bool
    rows: int
    created: int
    replaced: int
    errors: list[QuoteRowError]


@router.post(
    "/rfqs/{int:id}/quotes/import",
    response={200: QuoteImportOut, ERRORS: Problem},
    operation_id="import_rfq_quotes",
    summary="Import suppliers' quotes for a sent RFQ from CSV or XLSX (all rows or none)",
    description="One row per supplier and line: supplier (code), product (SKU), unit_price, "
    "lead_time_days, and optionally quantity (picks the line when a product is on several), "
    "currency (ISO code), moq, valid_until, landed_cost_percent, note. A supplier's new "
    "quote for a line replaces its old one. ?dry_run=true only checks. Row errors answer "
    "422 naming each row and column (`rows[3].unit_price`); nothing is written then.",
)
@idempotent
def import_rfq_quotes(
    request: HttpRequest,
    id: int,
    file: File[UploadedFile],
    dry_run: Query[bool] = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _rfq(request.user, id, "change")
    filename = file.name or "upload"
    if not filename.lower().endswith((".csv", ".xlsx")):
        raise DomainError(
            "file: upload a .csv or .xlsx file.", fields={"file": ["Not a CSV or XLSX file."]}
        )
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise DomainError(
            "file: the file is larger than 20 MB.", fields={"file": ["Larger than 20 MB."]}
        )
    result = import_quotes(_actor(request), found.pk, filename, file.read(), dry_run=dry_run)
    errors = [{"row": e.row, "field": e.field, "message": e.message} for e in result.errors]
    if not result.ok:
        fields: dict[str, list[str]] = {}
        for error in errors:
            key = f"rows[{error['row']}]" + (f".{error['field']}" if error["field"] else "")
            fields.setdefault(key, []).append(str(error["message"]))
        first = errors[0]
        raise DomainError(
            f"Nothing was imported: row {first['row']}: {first['message']}", fields=fields
        )
    body = {
        "ok": True, "dry_run": dry_run, "rows": result.rows, "created": result.created,
        "replaced": result.replaced, "errors": [],
    }  # fmt: skip
    return json_response(body)


@router.get(
    "/rfqs/{int:id}/comparison",
    response={200: ComparisonOut, ERRORS: Problem},
    operation_id="compare_rfq_quotes",
    summary="Every quote per line in company currency, with landed cost, score and marks",
)
def compare_rfq(request: HttpRequest, id: int) -> HttpResponse:
    found = _rfq(request.user, id)
    lines = compare_quotes(found)
    body = {
        "rfq": found.pk,
        "currency": found.company.base_currency.code,
        "lines": [
            {
                "line": item.line.pk, "product": item.line.product_id,
                "sku": item.line.product.sku, "quantity": str(item.line.quantity),
                "quotes": [
                    {
                        "quote": f.quote.pk, "supplier": f.quote.supplier_id,
                        "supplier_code": f.supplier_code, "currency": f.currency_code,
                        "unit_price": str(f.unit_price), "rate": _text(f.rate),
                        "unit_price_company": _text(f.unit_price_company),
                        "landed_cost_percent": str(f.landed_percent),
                        "landed_unit_price_company": _text(f.landed_unit_price_company),
                        "line_total_company": _text(f.line_total_company),
                        "lead_time_days": f.lead_time_days,
                        "minimum_quantity": str(f.minimum_quantity), "moq_met": f.moq_met,
                        "valid_until": f.valid_until.isoformat() if f.valid_until else None,
                        "expired": f.expired, "score": _text(f.score),
                        "risk_class": f.risk_class, "cheapest": f.cheapest,
                        "fastest": f.fastest, "awarded": f.awarded,
                    }
                    for f in item.quotes
                ],
            }
            for item in lines
        ],
    }  # fmt: skip
    return json_response(body)


@router.post(
    "/rfqs/{int:id}/award",
    response={201: OrdersOut, ERRORS: Problem},
    operation_id="award_rfq",
    summary="Award the winning quotes: one purchase order per supplier at the quoted prices",
    description="Give `awards` (line and quote) or `supplier` to award that supplier every "
    "line it quoted. The RFQ is closed.",
)
@idempotent
def award_rfq(
    request: HttpRequest,
    id: int,
    payload: AwardIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _rfq(request.user, id, "change")
    require_permission(request.user, PurchaseOrder, "add")
    if payload.supplier is not None:
        awards = sourcing.supplier_awards(found, payload.supplier)
    else:
        awards = {item.line: item.quote for item in payload.awards}
    orders = sourcing.award_rfq(_actor(request), found.pk, awards)
    return json_response(_orders(orders), 201)
