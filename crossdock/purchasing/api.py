"""Purchasing endpoints: the supplier catalogue, purchase orders (approval, sending,
confirmation, receiving, billing, PDF), expected receipts, the AP bill-match queue, vendor
scorecards (with their monthly trend and the risk classes they set) and the buyers'
exception queue (unconfirmed, late and short orders).

Thin like the other API modules: role permission (403), rows within the user's
scope (404), references resolved within scope, one service call, the result
rendered. Receiving also needs ``add_transfer`` (it writes a receipt) and
billing ``add_invoice`` (it drafts a vendor bill); re-running a match needs
``change_invoice`` besides ``change_billmatch`` (a match may post the bill). Scorecards
are read with ``view_purchaseorder`` for a company in the user's scope; writing the risk
classes back to the suppliers also needs ``change_partner``.
The services name a line by the order line (``lines[0].line``,
``confirmations[0].quantity``); the API renames those to what the client sent
(``lines[0].line_id``, ``lines[0].quantity``).
"""

import datetime
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile

from crossdock.accounting.models import Invoice
from crossdock.accounting.models.invoices import InvoiceKind
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
from crossdock.core.fields import MONEY_SCALE, PRICE_SCALE, QUANTITY_SCALE
from crossdock.inventory.models import Transfer
from crossdock.masterdata.models import Company, Partner, UserAccess, Warehouse
from crossdock.purchasing import selectors
from crossdock.purchasing.documents import order_pdf
from crossdock.purchasing.models import (
    BillMatch,
    ExceptionKind,
    MatchStatus,
    OrderState,
    PurchaseException,
    PurchaseOrder,
    SupplierProduct,
)
from crossdock.purchasing.scorecards import Scorecard, apply_risk_classes, scorecards
from crossdock.purchasing.services import (
    bill_import,
    catalogue,
    exceptions,
    matching,
    orders,
    receiving,
)
from crossdock.purchasing.services.catalogue_import import import_catalogue

router = Router(tags=["Purchasing"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})
PURCHASE_ORDER = "purchase-order"

if TYPE_CHECKING:
    Price = Decimal
    Quantity = Decimal
    Percent = Decimal
    Money = Decimal
else:
    Price = decimal_type(PRICE_SCALE)
    Quantity = decimal_type(QUANTITY_SCALE)
    Percent = decimal_type(4)
    Money = decimal_type(MONEY_SCALE)

# -- schemas ---------------------------------------------------------------------------------


class PriceBreakIn(InputSchema):
    min_quantity: Quantity = Field(Decimal(0), description="The price applies from here on.")
    unit_price: Price


class OfferIn(InputSchema):
    company: Id
    supplier: Id
    product: Id
    currency: Id | None = Field(None, description="Defaults to the supplier's currency.")
    breaks: Annotated[list[PriceBreakIn], Field(min_length=1, max_length=100)]
    supplier_sku: Annotated[Text, Field(max_length=60)] = ""
    minimum_quantity: Quantity = Field(Decimal(0), description="Minimum order quantity (MOQ).")
    order_multiple: Quantity = Field(Decimal(1), description="Orders are whole packs of this.")
    lead_time_days: Annotated[int, Field(strict=True, ge=0, le=3650)] = 7
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    contract_reference: Annotated[Text, Field(max_length=60)] = ""
    preference: Annotated[int, Field(strict=True, ge=1, le=32767)] = 1
    estimated_landed_cost_percent: Percent = Field(
        Decimal(0), description="Freight, duty and handling expected on top of the price, in %."
    )
    free_freight_value: Money | None = Field(
        None, description="Order value (entry currency) from which the supplier ships free."
    )
    version: Id | None = Field(None, description="The version you edited; 412 if stale.")


class OfferPatch(InputSchema):
    currency: Id | None = None
    breaks: Annotated[list[PriceBreakIn], Field(min_length=1, max_length=100)] | None = None
    supplier_sku: Annotated[Text, Field(max_length=60)] | None = None
    minimum_quantity: Quantity | None = None
    order_multiple: Quantity | None = None
    lead_time_days: Annotated[int, Field(strict=True, ge=0, le=3650)] | None = None
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    contract_reference: Annotated[Text, Field(max_length=60)] | None = None
    preference: Annotated[int, Field(strict=True, ge=1, le=32767)] | None = None
    estimated_landed_cost_percent: Percent | None = None
    free_freight_value: Money | None = None
    version: Id | None = Field(None, description="The version you edited; 412 if stale.")


class BreakOut(Schema):
    min_quantity: str
    unit_price: str


class OfferOut(Schema):
    id: int
    company: int
    supplier: int
    product: int
    sku: str
    supplier_sku: str
    currency: str
    minimum_quantity: str
    order_multiple: str
    lead_time_days: int
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    contract_reference: str
    on_contract: bool
    preference: int
    estimated_landed_cost_percent: str
    free_freight_value: str | None
    active: bool
    version: int


class OfferDetailOut(OfferOut):
    breaks: list[BreakOut]


class OfferPage(Schema):
    items: list[OfferOut]
    next_cursor: str | None


class OfferParams(Schema):
    company: QueryId | None = None
    supplier: QueryId | None = None
    product: QueryId | None = None
    ordering: Literal["id", "-id", "preference", "-preference"] = "id"
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


class OrderLineIn(InputSchema):
    product_id: Id
    quantity: Quantity
    unit_price: Price | None = Field(None, description="Omitted: the catalogue price.")
    expected_date: datetime.date | None = None
    description: Annotated[Text, Field(max_length=200)] = ""


class OrderIn(InputSchema):
    supplier: Id
    warehouse: Id
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=orders.MAX_LINES)]
    order_date: datetime.date | None = None
    expected_date: datetime.date | None = None
    currency: Id | None = Field(None, description="Defaults to the supplier's currency.")
    note: Annotated[Text, Field(max_length=200)] = ""


class OrderLinesIn(InputSchema):
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=orders.MAX_LINES)]
    expected_date: datetime.date | None = None
    note: Annotated[Text, Field(max_length=200)] | None = Field(
        None, description="Kept if omitted."
    )
    reason: Annotated[Text, Field(max_length=200)] = ""
    version: Id | None = Field(None, description="The version you edited; 412 if stale.")


class ConfirmLineIn(InputSchema):
    line_id: Id
    quantity: Quantity
    date: datetime.date


class ConfirmIn(InputSchema):
    lines: Annotated[list[ConfirmLineIn], Field(max_length=orders.MAX_LINES)] = Field(
        default_factory=list, description="Lines not named are confirmed as ordered."
    )


class ReasonIn(InputSchema):
    reason: Annotated[Text, Field(max_length=200)] = ""


class ReceiveLineIn(InputSchema):
    line_id: Id
    quantity: Quantity
    lot_name: Annotated[Text, Field(max_length=60)] = ""
    expires_on: datetime.date | None = None


class ReceiveIn(InputSchema):
    lines: Annotated[list[ReceiveLineIn], Field(min_length=1, max_length=orders.MAX_LINES)]
    note: Annotated[Text, Field(max_length=200)] = ""


class BillIn(InputSchema):
    partner_reference: Annotated[Text, Field(min_length=1, max_length=60)]
    date: datetime.date | None = None
    prices: dict[int, Price] = Field(
        default_factory=dict,
        description="The supplier's unit price per order line id where it differs.",
    )


class NoteIn(InputSchema):
    note: Annotated[Text, Field(min_length=1, max_length=200)]


class OrderLineOut(Schema):
    id: int
    sequence: int
    product: int
    sku: str
    description: str
    quantity: str
    unit_price: str
    expected_date: datetime.date
    confirmed_quantity: str | None
    confirmed_date: datetime.date | None
    received_quantity: str
    billed_quantity: str
    open_quantity: str
    off_contract: bool
    offer: int | None
    estimated_landed_cost: str = Field(description="Expected per unit, in the order's currency.")
    landed_cost_estimated_company: str = Field(
        description="Expected on the received (else ordered) quantity, in company currency."
    )
    landed_cost_actual_company: str = Field(
        description="Posted landed costs allocated to the line's receipts, in company currency."
    )


class RevisionOut(Schema):
    number: int
    changed_by: int | None
    changed_at: datetime.datetime
    reason: str
    changes: list[dict[str, Any]]


class OrderOut(Schema):
    id: int
    company: int
    reference: str
    supplier: int
    warehouse: int
    currency: str
    rate: str
    state: str
    order_date: datetime.date
    expected_date: datetime.date
    buyer: int | None
    revision: int
    amount: str
    amount_company: str
    estimated_landed_amount: str
    note: str
    version: int
    intercompany_origin: str = Field(
        description="For an intercompany order: the reference of the group company's sales "
        "order it mirrors (blank for an order to an outside supplier)."
    )


class OrderDetailOut(OrderOut):
    source_sales_order: int | None = Field(
        description="The id of the sales order (in the selling group company) an "
        "intercompany order mirrors."
    )
    rejection_comment: str
    approval_request: int | None
    lines: list[OrderLineOut]
    revisions: list[RevisionOut]
    landed_cost_estimated_company: str
    landed_cost_actual_company: str


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


ORDERINGS = ("id", "order_date", "expected_date", "reference", "amount_company")


class OrderParams(Schema):
    state: Literal[tuple(OrderState.values)] | None = None  # type: ignore[valid-type]
    supplier: QueryId | None = None
    warehouse: QueryId | None = None
    company: QueryId | None = None
    ordering: Literal[tuple(o for f in ORDERINGS for o in (f, f"-{f}"))] = "-id"  # type: ignore[valid-type]
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


class ReceiptOut(Schema):
    id: int
    reference: str


class ReceivedOut(Schema):
    receipt: ReceiptOut
    order: OrderDetailOut


class MatchOut(Schema):
    invoice: int
    company: int
    order: int | None
    status: str
    reason: str
    lines: list[dict[str, Any]]
    checked_at: datetime.datetime
    resolved_by: int | None
    resolution_note: str
    invoice_state: str
    partner: int
    partner_reference: str
    total_amount: str
    approval_request: int | None


class BilledOut(Schema):
    bill: int
    state: str
    status: str
    match: MatchOut


class MatchPage(Schema):
    items: list[MatchOut]
    next_cursor: str | None


class MatchParams(Schema):
    status: Literal[(*MatchStatus.values, "all")] | None = Field(  # type: ignore[valid-type]
        None, description="Omitted: the AP exception queue; `all` or one status: every match."
    )
    company: QueryId | None = None
    order: QueryId | None = None
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


class ExpectedOut(Schema):
    order: int
    reference: str
    line: int
    product: int
    sku: str
    supplier: int
    warehouse: int
    open_quantity: str
    due: datetime.date
    late_days: int


class ExpectedPage(Schema):
    items: list[ExpectedOut]
    next_cursor: str | None


class ExpectedParams(Schema):
    warehouse: QueryId | None = None
    until: datetime.date | None = None


class ScorecardOut(Schema):
    supplier: int
    supplier_code: str
    supplier_name: str
    start: datetime.date
    end: datetime.date
    receipt_lines: int
    on_time_rate: str | None = Field(description="Fraction of receipt lines on time (0–1).")
    lines_due: int
    in_full_rate: str | None = Field(description="Fraction of lines due that arrived in full.")
    lead_time_mean_days: str | None
    lead_time_std_days: str | None
    promised_lead_time_days: str | None
    rejection_rate: str | None
    bills: int
    first_time_match_rate: str | None = Field(description="Fraction of bills matched at once.")
    price_variance_percent: str | None = Field(description="Billed against contract, in %.")
    score: str | None = Field(description="0–100; None without any activity.")
    risk_class: str = Field(description="low, medium, high, or empty when not scored.")
    notes: list[str]


class ScorecardList(Schema):
    company: int
    start: datetime.date
    end: datetime.date
    items: list[ScorecardOut]


class ScorecardParams(Schema):
    company: QueryId | None = Field(None, description="Defaults to your current company.")
    start: datetime.date | None = Field(None, description="Defaults to 90 days before `end`.")
    end: datetime.date | None = Field(None, description="Defaults to today.")
    supplier: QueryId | None = None


class TrendParams(Schema):
    months: int = Field(12, ge=1, le=selectors.MAX_TREND_MONTHS)


class TrendOut(Schema):
    supplier: int
    company: int
    months: list[ScorecardOut]


class RiskClassesIn(InputSchema):
    company: Id | None = Field(None, description="Defaults to your current company.")
    start: datetime.date | None = Field(None, description="Defaults to 90 days before `end`.")
    end: datetime.date | None = Field(None, description="Defaults to today.")


class RiskChangeOut(Schema):
    supplier_code: str
    old_risk_class: str
    new_risk_class: str


class ExceptionOut(Schema):
    id: int
    company: int
    kind: str
    order: int
    order_reference: str
    supplier: int
    line: int | None
    sku: str | None
    owner: int | None
    owner_role: str
    severity: int = Field(description="1 low, 2 medium, 3 high.")
    days: int
    missing_quantity: str | None
    message: str
    suggested_action: str
    opened_at: datetime.datetime
    closed_at: datetime.datetime | None


class ExceptionPage(Schema):
    items: list[ExceptionOut]
    next_cursor: str | None


EXCEPTION_ORDERINGS = ("days", "severity", "opened_at", "id")


class ExceptionParams(Schema):
    kind: Literal[tuple(ExceptionKind.values)] | None = None  # type: ignore[valid-type]
    owner: Literal["me"] | None = Field(None, description="`me`: the items you own.")
    company: QueryId | None = None
    closed: bool = Field(False, description="`true`: the closed items instead of the open.")
    ordering: Literal[tuple(o for f in EXCEPTION_ORDERINGS for o in (f, f"-{f}"))] = "-days"  # type: ignore[valid-type]
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


class RefreshOut(Schema):
    opened: int = Field(description="Items you can see that this refresh opened.")
    closed: int = Field(description="Items you can see that this refresh closed.")
    open: int = Field(description="Items you can see that are open now.")


class ResentOut(Schema):
    exception: ExceptionOut
    order: int
    reference: str
    sent_to: str
    sent_at: datetime.datetime


# -- helpers ---------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _date(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _scoped[M: models.Model](
    user: Any, model: type[M], action: str, missing: str, related: str, **lookup: Any
) -> M:
    """One row the user may ``action`` (with ``related`` loaded), else 404 saying ``missing``."""
    require_permission(user, model, action)
    found = (
        model.objects.restrict(user, action)  # type: ignore[attr-defined]
        .select_related(*related.split())
        .filter(**lookup)
        .first()
    )
    if found is None:
        raise NotFoundError(missing)
    return found


def _offer(user: Any, pk: int, action: str = "view") -> SupplierProduct:
    return _scoped(
        user, SupplierProduct, action, f"No catalogue entry with id {pk}.", "currency product",
        pk=pk,
    )  # fmt: skip


def _order(user: Any, pk: int, action: str = "view") -> PurchaseOrder:
    return _scoped(
        user, PurchaseOrder, action, f"No purchase order with id {pk}.", "currency", pk=pk
    )


def _match(user: Any, invoice_id: int, action: str = "view") -> BillMatch:
    return _scoped(
        user, BillMatch, action, f"No match for bill {invoice_id}.", "invoice",
        invoice_id=invoice_id,
    )  # fmt: skip


def offer_data(offer: SupplierProduct) -> dict[str, Any]:
    return {
        "id": offer.pk, "company": offer.company_id, "supplier": offer.supplier_id,
        "product": offer.product_id, "sku": offer.product.sku,
        "supplier_sku": offer.supplier_sku, "currency": offer.currency.code,
        "minimum_quantity": str(offer.minimum_quantity),
        "order_multiple": str(offer.order_multiple), "lead_time_days": offer.lead_time_days,
        "valid_from": _date(offer.valid_from), "valid_to": _date(offer.valid_to),
        "contract_reference": offer.contract_reference, "on_contract": offer.on_contract,
        "preference": offer.preference, "active": offer.active, "version": offer.version,
        "estimated_landed_cost_percent": str(offer.estimated_landed_cost_percent),
        "free_freight_value": _text(offer.free_freight_value),
    }  # fmt: skip


def offer_detail(offer: SupplierProduct) -> dict[str, Any]:
    return {
        **offer_data(offer),
        "breaks": [
            {"min_quantity": str(b.min_quantity), "unit_price": str(b.unit_price)}
            for b in offer.breaks.order_by("min_quantity")
        ],
    }


def order_data(order: PurchaseOrder) -> dict[str, Any]:
    return {
        "id": order.pk, "company": order.company_id, "reference": order.reference,
        "supplier": order.supplier_id, "warehouse": order.warehouse_id,
        "currency": order.currency.code, "rate": str(order.rate), "state": order.state,
        "order_date": order.order_date.isoformat(),
        "expected_date": order.expected_date.isoformat(), "buyer": order.buyer_id,
        "revision": order.revision, "amount": str(order.amount),
        "amount_company": str(order.amount_company),
        "estimated_landed_amount": str(order.estimated_landed_amount), "note": order.note,
        "version": order.version, "intercompany_origin": order.intercompany_origin,
    }  # fmt: skip


def _source_sales_order(order: PurchaseOrder) -> int | None:
    if not order.intercompany_origin:
        return None
    from django.apps import apps

    sales_orders = apps.get_model("sales", "SalesOrder").objects  # sales builds on purchasing
    return sales_orders.filter(mirrored_purchase_order=order).values_list("pk", flat=True).first()


def order_detail(order: PurchaseOrder) -> dict[str, Any]:
    from crossdock.approvals.services import request_for

    request = request_for(PURCHASE_ORDER, order.pk)
    landed = selectors.landed_costs(order)
    return {
        **order_data(order),
        "rejection_comment": order.rejection_comment,
        "approval_request": request.pk if request else None,
        "source_sales_order": _source_sales_order(order),
        "lines": [
            {
                "id": x.pk, "sequence": x.sequence, "product": x.product_id,
                "sku": x.product.sku, "description": x.description,
                "quantity": str(x.quantity), "unit_price": str(x.unit_price),
                "expected_date": x.expected_date.isoformat(),
                "confirmed_quantity": _text(x.confirmed_quantity),
                "confirmed_date": _date(x.confirmed_date),
                "received_quantity": str(x.received_quantity),
                "billed_quantity": str(x.billed_quantity),
                "open_quantity": str(x.open_quantity), "off_contract": x.off_contract,
                "offer": x.offer_id, "estimated_landed_cost": str(x.estimated_landed_cost),
                "landed_cost_estimated_company": str(row.estimated),
                "landed_cost_actual_company": str(row.actual),
            }
            for row in landed.lines
            for x in [row.line]
        ],
        "landed_cost_estimated_company": str(landed.estimated),
        "landed_cost_actual_company": str(landed.actual),
        "revisions": [
            {
                "number": r.number, "changed_by": r.changed_by_id,
                "changed_at": r.changed_at.isoformat(), "reason": r.reason, "changes": r.changes,
            }
            for r in order.revisions.order_by("number")
        ],
    }  # fmt: skip


def match_data(match: BillMatch) -> dict[str, Any]:
    from crossdock.approvals.services import request_for

    request = request_for(matching.BILL_VARIANCE, match.pk)
    bill = match.invoice
    return {
        "invoice": match.invoice_id, "company": match.company_id, "order": match.order_id,
        "status": match.status, "reason": match.reason, "lines": match.lines,
        "checked_at": match.checked_at.isoformat(), "resolved_by": match.resolved_by_id,
        "resolution_note": match.resolution_note, "invoice_state": bill.state,
        "partner": bill.partner_id, "partner_reference": bill.partner_reference,
        "total_amount": str(bill.total_amount),
        "approval_request": request.pk if request else None,
    }  # fmt: skip


def _order_response(user: Any, pk: int, status: int = 200) -> HttpResponse:
    order = _order(user, pk)
    return json_response(order_detail(order), status, etag_version=order.version)


def _match_response(user: Any, invoice_id: int) -> HttpResponse:
    match = _match(user, invoice_id)
    return json_response(match_data(match))


_SERVICE_LINE = re.compile(r"^(?:lines|confirmations)\[(\d+)\](?:\.(line|quantity|date))?$")


def _client_names(error: DomainError) -> DomainError:
    """Name the service's line fields as the client sent them (``lines[0].line_id``)."""
    if not error.fields:
        return error

    def rename(name: str) -> str:
        found = _SERVICE_LINE.match(name)
        if found is None:
            return name
        suffix = {"line": ".line_id", None: ""}.get(found[2], f".{found[2]}")
        return f"lines[{found[1]}]{suffix}"

    fields = {rename(name): messages for name, messages in error.fields.items()}
    if fields == error.fields:
        return error
    first, messages = next(iter(fields.items()))
    renamed = type(error)(f"{first}: {messages[0]}", fields=fields, code=error.code)
    return renamed


def _run[T](call: Callable[[], T]) -> T:
    try:
        return call()
    except DomainError as error:
        renamed = _client_names(error)
        if renamed is error:
            raise
        raise renamed from error


def _company(user: Any, pk: int) -> Company:
    company = Company.objects.in_scope_of(user).filter(pk=pk).first()
    if company is None:
        raise NotFoundError(f"No company with id {pk}.", fields={"company": ["No such company."]})
    return company


def _warehouse(user: Any, pk: int) -> Warehouse:
    found = Warehouse.objects.in_scope_of(user).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(
            f"No warehouse with id {pk}.", fields={"warehouse": ["No such warehouse."]}
        )
    return found


def _order_lines(lines: list[OrderLineIn]) -> list[orders.OrderLineDraft]:
    return [
        orders.OrderLineDraft(
            product_id=x.product_id, quantity=x.quantity, unit_price=x.unit_price,
            expected_date=x.expected_date, description=x.description,
        )
        for x in lines
    ]  # fmt: skip


# -- the supplier catalogue ------------------------------------------------------------------


@router.get(
    "/supplier-products",
    response={200: OfferPage, ERRORS: Problem},
    operation_id="list_supplier_products",
    summary="Catalogue entries: what each supplier sells each company",
)
def list_offers(request: HttpRequest, params: Query[OfferParams]) -> HttpResponse:
    refuse_unknown_params(request, OfferParams.model_fields)
    require_permission(request.user, SupplierProduct, "view")
    rows = SupplierProduct.objects.restrict(request.user, "view").select_related(
        "currency", "product"
    )
    for name in ("company", "supplier", "product"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [offer_data(o) for o in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/supplier-products",
    response={201: OfferDetailOut, ERRORS: Problem},
    operation_id="create_supplier_product",
    summary="Add a supplier's catalogue entry for a product, with its price breaks",
    description="MOQ and order multiple are enforced on purchase orders; an entry with a "
    "contract reference is on contract. One entry per company, supplier and product.",
)
@idempotent
def create_offer(
    request: HttpRequest,
    payload: OfferIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, SupplierProduct, "add")
    company = _company(request.user, payload.company)
    offer = catalogue.save_offer(_actor(request), _offer_draft(company.pk, payload))
    offer = _offer(request.user, offer.pk)
    return json_response(offer_detail(offer), 201, etag_version=offer.version)


def _offer_draft(company_id: int, payload: OfferIn) -> catalogue.OfferDraft:
    return catalogue.OfferDraft(
        company_id=company_id, supplier_id=payload.supplier, product_id=payload.product,
        currency_id=payload.currency,
        breaks=[catalogue.PriceBreakDraft(b.min_quantity, b.unit_price) for b in payload.breaks],
        supplier_sku=payload.supplier_sku, minimum_quantity=payload.minimum_quantity,
        order_multiple=payload.order_multiple, lead_time_days=payload.lead_time_days,
        valid_from=payload.valid_from, valid_to=payload.valid_to,
        contract_reference=payload.contract_reference, preference=payload.preference,
        estimated_landed_cost_percent=payload.estimated_landed_cost_percent,
        free_freight_value=payload.free_freight_value,
    )  # fmt: skip


@router.get(
    "/supplier-products/{int:id}",
    response={200: OfferDetailOut, ERRORS: Problem},
    operation_id="get_supplier_product",
    summary="A catalogue entry with its price breaks",
)
def get_offer(request: HttpRequest, id: int) -> HttpResponse:
    offer = _offer(request.user, id)
    return json_response(offer_detail(offer), etag_version=offer.version)


@router.put(
    "/supplier-products/{int:id}",
    response={200: OfferDetailOut, ERRORS: Problem},
    operation_id="replace_supplier_product",
    summary="Replace a catalogue entry and its price breaks",
    description="Company, supplier and product cannot change. Send If-Match or version.",
)
def replace_offer(
    request: HttpRequest,
    id: int,
    payload: OfferIn,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    offer = _offer(request.user, id, "change")
    if payload.company != offer.company_id:
        message = "The company of an entry cannot change; add a new entry."
        raise DomainError(f"company: {message}", fields={"company": [message]})
    catalogue.save_offer(
        _actor(request),
        _offer_draft(offer.company_id, payload),
        offer_id=offer.pk,
        expected_version=expected_version(if_match, payload.version),
    )
    offer = _offer(request.user, id)
    return json_response(offer_detail(offer), etag_version=offer.version)


@router.patch(
    "/supplier-products/{int:id}",
    response={200: OfferDetailOut, ERRORS: Problem},
    operation_id="update_supplier_product",
    summary="Change some fields of a catalogue entry (breaks, when sent, replace all)",
    description="Only the fields sent change. Send If-Match or version to refuse lost updates.",
)
def update_offer(
    request: HttpRequest,
    id: int,
    payload: OfferPatch,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    offer = _offer(request.user, id, "change")
    sent = payload.model_dump(exclude_unset=True)
    breaks = (
        [catalogue.PriceBreakDraft(b.min_quantity, b.unit_price) for b in payload.breaks]
        if payload.breaks is not None
        else [
            catalogue.PriceBreakDraft(b.min_quantity, b.unit_price)
            for b in offer.breaks.order_by("min_quantity")
        ]
    )

    def given(name: str) -> Any:
        return sent[name] if name in sent else getattr(offer, name)

    draft = catalogue.OfferDraft(
        company_id=offer.company_id, supplier_id=offer.supplier_id, product_id=offer.product_id,
        currency_id=sent["currency"] if sent.get("currency") else offer.currency_id,
        breaks=breaks, supplier_sku=given("supplier_sku") or "",
        minimum_quantity=given("minimum_quantity"), order_multiple=given("order_multiple"),
        lead_time_days=given("lead_time_days"), valid_from=given("valid_from"),
        valid_to=given("valid_to"), contract_reference=given("contract_reference") or "",
        preference=given("preference"),
        estimated_landed_cost_percent=given("estimated_landed_cost_percent"),
        free_freight_value=given("free_freight_value"),
    )  # fmt: skip
    for name in (
        "minimum_quantity",
        "order_multiple",
        "lead_time_days",
        "preference",
        "estimated_landed_cost_percent",
    ):
        if getattr(draft, name) is None:
            raise DomainError(f"{name}: May not be null.", fields={name: ["May not be null."]})
    catalogue.save_offer(
        _actor(request),
        draft,
        offer_id=offer.pk,
        expected_version=expected_version(if_match, payload.version),
    )
    offer = _offer(request.user, id)
    return json_response(offer_detail(offer), etag_version=offer.version)


# -- purchase orders -------------------------------------------------------------------------


@router.get(
    "/purchase-orders",
    response={200: OrderPage, ERRORS: Problem},
    operation_id="list_purchase_orders",
    summary="Purchase orders, newest first unless ordered otherwise",
)
def list_orders(request: HttpRequest, params: Query[OrderParams]) -> HttpResponse:
    refuse_unknown_params(request, OrderParams.model_fields)
    require_permission(request.user, PurchaseOrder, "view")
    rows = PurchaseOrder.objects.restrict(request.user, "view").select_related("currency")
    if params.state is not None:
        rows = rows.filter(state=params.state)
    for name in ("company", "supplier", "warehouse"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [order_data(o) for o in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/purchase-orders",
    response={201: OrderDetailOut, ERRORS: Problem},
    operation_id="create_purchase_order",
    summary="Draft a purchase order, every line checked against the supplier catalogue",
    description="A line without `unit_price` takes the catalogue price break for its "
    "quantity. A quantity under the MOQ or not whole packs is refused naming the line "
    "(`lines[0].quantity`) and the nearest acceptable quantities; nothing is written.",
)
@idempotent
def create_order(
    request: HttpRequest,
    payload: OrderIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, PurchaseOrder, "add")
    warehouse = _warehouse(request.user, payload.warehouse)
    draft = orders.OrderDraft(
        supplier_id=payload.supplier, warehouse_id=warehouse.pk,
        lines=_order_lines(payload.lines), order_date=payload.order_date,
        expected_date=payload.expected_date, currency_id=payload.currency, note=payload.note,
    )  # fmt: skip
    order = orders.create_purchase_order(_actor(request), draft)
    return _order_response(request.user, order.pk, 201)


@router.get(
    "/purchase-orders/{int:id}",
    response={200: OrderDetailOut, ERRORS: Problem},
    operation_id="get_purchase_order",
    summary="A purchase order with its lines (ordered, confirmed, received, billed) and revisions",
)
def get_order(request: HttpRequest, id: int) -> HttpResponse:
    return _order_response(request.user, id)


@router.put(
    "/purchase-orders/{int:id}/lines",
    response={200: OrderDetailOut, ERRORS: Problem},
    operation_id="revise_purchase_order",
    summary="Replace the lines of an order (after approval: a new revision, approved again)",
    description="Allowed while the order is a draft, approved, sent or confirmed; a line "
    "cannot go below what was received. Send If-Match or version to refuse lost updates.",
)
def revise_order(
    request: HttpRequest,
    id: int,
    payload: OrderLinesIn,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    order = _order(request.user, id, "change")
    draft = orders.OrderDraft(
        supplier_id=order.supplier_id, warehouse_id=order.warehouse_id,
        lines=_order_lines(payload.lines), expected_date=payload.expected_date,
        note=order.note if payload.note is None else payload.note,
    )  # fmt: skip
    orders.revise_purchase_order(
        _actor(request),
        order.pk,
        draft,
        expected_version=expected_version(if_match, payload.version),
        reason=payload.reason,
    )
    return _order_response(request.user, order.pk)


def _act(request: HttpRequest, id: int, act: Callable[[Actor, int], Any]) -> HttpResponse:
    order = _order(request.user, id, "change")
    act(_actor(request), order.pk)
    return _order_response(request.user, order.pk)


@router.post(
    "/purchase-orders/{int:id}/submit",
    response={200: OrderDetailOut, ERRORS: Problem},
    operation_id="submit_purchase_order",
    summary="Submit a draft for approval (approved at once when no policy applies)",
)
@idempotent
def submit_order(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    return _act(request, id, orders.submit_purchase_order)


@router.post(
    "/purchase-orders/{int:id}/send",
    response={200: OrderDetailOut, ERRORS: Problem},
    operation_id="send_purchase_order",
    summary="Mark an approved order sent; it is e-mailed with its PDF to the supplier",
)
@idempotent
def send_order(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    return _act(request, id, orders.send_purchase_order)


@router.post(
    "/purchase-orders/{int:id}/confirm",
    response={200: OrderDetailOut, ERRORS: Problem},
    operation_id="confirm_purchase_order",
    summary="Record the supplier's confirmation (per line a quantity and a date)",
)
@idempotent
def confirm_order(
    request: HttpRequest,
    id: int,
    payload: ConfirmIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    order = _order(request.user, id, "change")
    answers = [orders.Confirmation(x.line_id, x.quantity, x.date) for x in payload.lines]
    _run(lambda: orders.confirm_purchase_order(_actor(request), order.pk, answers))
    return _order_response(request.user, order.pk)


@router.post(
    "/purchase-orders/{int:id}/cancel",
    response={200: OrderDetailOut, ERRORS: Problem},
    operation_id="cancel_purchase_order",
    summary="Cancel an order nothing was received on (a pending approval is withdrawn)",
)
@idempotent
def cancel_order(
    request: HttpRequest,
    id: int,
    payload: ReasonIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    order = _order(request.user, id, "change")
    orders.cancel_purchase_order(_actor(request), order.pk, payload.reason)
    return _order_response(request.user, order.pk)


@router.post(
    "/purchase-orders/{int:id}/close",
    response={200: OrderDetailOut, ERRORS: Problem},
    operation_id="close_purchase_order",
    summary="Close a (partially) received order: the rest is no longer awaited",
)
@idempotent
def close_order(
    request: HttpRequest,
    id: int,
    payload: ReasonIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    order = _order(request.user, id, "change")
    orders.close_purchase_order(_actor(request), order.pk, payload.reason)
    return _order_response(request.user, order.pk)


@router.post(
    "/purchase-orders/{int:id}/receive",
    response={201: ReceivedOut, ERRORS: Problem},
    operation_id="receive_purchase_order",
    summary="Receive goods against the order: one processed receipt transfer",
    description="Per order line a quantity, and for tracked products the lot or serial and "
    "its expiry. More than the company's over-receipt tolerance is refused naming the line; "
    "nothing is written. Needs the right to create transfers.",
)
@idempotent
def receive_order(
    request: HttpRequest,
    id: int,
    payload: ReceiveIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    order = _order(request.user, id)
    require_permission(request.user, Transfer, "add")
    lines = [
        receiving.ReceiptLine(x.line_id, x.quantity, x.lot_name, x.expires_on)
        for x in payload.lines
    ]
    transfer = _run(
        lambda: receiving.receive_purchase_order(
            _actor(request), order.pk, lines, note=payload.note
        )
    )
    order = _order(request.user, order.pk)
    return json_response(
        {
            "receipt": {"id": transfer.pk, "reference": transfer.reference},
            "order": order_detail(order),
        },
        201,
    )


@router.post(
    "/purchase-orders/{int:id}/bill",
    response={201: BilledOut, ERRORS: Problem},
    operation_id="bill_purchase_order",
    summary="Enter the supplier's bill for what was received and not yet billed, and match it",
    description="The bill is matched three ways at once: `matched` posts it; any other "
    "status keeps it a draft on payment hold in the AP exception queue. A bill number the "
    "supplier already used is a 409. Needs the right to create invoices.",
)
@idempotent
def bill_order(
    request: HttpRequest,
    id: int,
    payload: BillIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    order = _order(request.user, id)
    require_permission(request.user, Invoice, "add")
    bill = matching.bill_purchase_order(
        _actor(request),
        order.pk,
        payload.partner_reference,
        date=payload.date,
        prices=dict(payload.prices),
    )
    match = BillMatch.objects.select_related("invoice").get(invoice=bill)
    return json_response(
        {"bill": bill.pk, "state": bill.state, "status": match.status, "match": match_data(match)},
        201,
    )


@router.get(
    "/purchase-orders/{int:id}/pdf",
    response={ERRORS: Problem},
    operation_id="purchase_order_pdf",
    summary="The order as the supplier receives it, as PDF",
)
def get_order_pdf(request: HttpRequest, id: int) -> HttpResponse:
    order = _order(request.user, id)
    response = HttpResponse(order_pdf(order), content_type="application/pdf")
    name = order.reference.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@router.get(
    "/expected-receipts",
    response={200: ExpectedPage, ERRORS: Problem},
    operation_id="list_expected_receipts",
    summary="Order lines still awaited, by due date (the confirmed date first)",
)
def list_expected(request: HttpRequest, params: Query[ExpectedParams]) -> HttpResponse:
    refuse_unknown_params(request, ExpectedParams.model_fields)
    require_permission(request.user, PurchaseOrder, "view")
    visible = PurchaseOrder.objects.restrict(request.user, "view")
    if params.warehouse is not None:
        visible = visible.filter(warehouse_id=params.warehouse)
    found = selectors.expected_receipts(visible, today=timezone.localdate(), until=params.until)
    items = [
        {
            "order": r.line.order_id, "reference": r.line.order.reference, "line": r.line.pk,
            "product": r.line.product_id, "sku": r.line.product.sku,
            "supplier": r.line.order.supplier_id, "warehouse": r.line.order.warehouse_id,
            "open_quantity": str(r.open_quantity), "due": r.due.isoformat(),
            "late_days": r.late_days,
        }
        for r in found
    ]  # fmt: skip
    return json_response({"items": items, "next_cursor": None})


# -- bill matches ----------------------------------------------------------------------------


@router.get(
    "/bill-matches",
    response={200: MatchPage, ERRORS: Problem},
    operation_id="list_bill_matches",
    summary="The AP exception queue (oldest first), or every match with ?status=",
)
def list_matches(request: HttpRequest, params: Query[MatchParams]) -> HttpResponse:
    refuse_unknown_params(request, MatchParams.model_fields)
    require_permission(request.user, BillMatch, "view")
    rows: QuerySet[BillMatch] = BillMatch.objects.restrict(request.user, "view")
    if params.status is None:
        rows = selectors.match_queue(rows)
    else:
        rows = rows.select_related("invoice")
        if params.status != "all":
            rows = rows.filter(status=params.status)
    if params.company is not None:
        rows = rows.filter(company_id=params.company)
    if params.order is not None:
        rows = rows.filter(order_id=params.order)
    page = paginate(rows, "checked_at", params.cursor, params.limit)
    return json_response(
        {"items": [match_data(m) for m in page.rows], "next_cursor": page.next_cursor}
    )


@router.get(
    "/bill-matches/{int:invoice_id}",
    response={200: MatchOut, ERRORS: Problem},
    operation_id="get_bill_match",
    summary="The latest three-way match of a vendor bill, line by line",
)
def get_match(request: HttpRequest, invoice_id: int) -> HttpResponse:
    return _match_response(request.user, invoice_id)


@router.post(
    "/bill-matches/{int:invoice_id}/match",
    response={200: MatchOut, ERRORS: Problem},
    operation_id="match_bill",
    summary="Match a draft vendor bill again (posted when it matches)",
)
@idempotent
def rematch(
    request: HttpRequest,
    invoice_id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, BillMatch, "change")
    require_permission(request.user, Invoice, "change")
    bill = (
        Invoice.objects.restrict(request.user, "change")
        .filter(pk=invoice_id, kind=InvoiceKind.VENDOR_BILL)
        .first()
    )
    if bill is None:
        raise NotFoundError(f"No vendor bill with id {invoice_id}.")
    matching.match_bill(_actor(request), bill.pk)
    return _match_response(request.user, bill.pk)


@router.post(
    "/bill-matches/{int:invoice_id}/accept",
    response={200: MatchOut, ERRORS: Problem},
    operation_id="accept_bill_variance",
    summary="Ask to accept the bill's variance (through the approval policies, then posted)",
)
@idempotent
def accept(
    request: HttpRequest,
    invoice_id: int,
    payload: NoteIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    match = _match(request.user, invoice_id, "change")
    matching.accept_variance(_actor(request), match.invoice_id, payload.note)
    return _match_response(request.user, match.invoice_id)


@router.post(
    "/bill-matches/{int:invoice_id}/request-credit",
    response={200: MatchOut, ERRORS: Problem},
    operation_id="request_credit_note",
    summary="Ask the supplier for a credit note; the bill stays held in the queue",
)
@idempotent
def request_credit(
    request: HttpRequest,
    invoice_id: int,
    payload: NoteIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    match = _match(request.user, invoice_id, "change")
    matching.request_credit_note(_actor(request), match.invoice_id, payload.note)
    return _match_response(request.user, match.invoice_id)


# -- vendor scorecards -----------------------------------------------------------------------


def scorecard_data(card: Scorecard) -> dict[str, Any]:
    return {
        "supplier": card.supplier_id, "supplier_code": card.supplier_code,
        "supplier_name": card.supplier_name, "start": card.start.isoformat(),
        "end": card.end.isoformat(), "receipt_lines": card.receipt_lines,
        "on_time_rate": _text(card.on_time_rate), "lines_due": card.lines_due,
        "in_full_rate": _text(card.in_full_rate),
        "lead_time_mean_days": _text(card.lead_time_mean_days),
        "lead_time_std_days": _text(card.lead_time_std_days),
        "promised_lead_time_days": _text(card.promised_lead_time_days),
        "rejection_rate": _text(card.rejection_rate), "bills": card.bills,
        "first_time_match_rate": _text(card.first_time_match_rate),
        "price_variance_percent": _text(card.price_variance_percent),
        "score": _text(card.score), "risk_class": card.risk_class, "notes": list(card.notes),
    }  # fmt: skip


def _scorecard_company(user: Any, pk: int | None) -> Company:
    """The company asked for, else the user's current one, else their first (404 if none)."""
    if pk is not None:
        return _company(user, pk)
    companies = Company.objects.in_scope_of(user).order_by("code")
    current = UserAccess.objects.filter(user=user).values_list("current_company", flat=True)
    found = companies.filter(pk__in=current).first() or companies.first()
    if found is None:
        message = "You work in no company."
        raise NotFoundError(f"company: {message}", fields={"company": [message]})
    return found


def _period(
    start: datetime.date | None, end: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    """``[start, end]`` with the defaults (the last 90 days); refused naming the field."""
    end = end or timezone.localdate()
    start = start or selectors.default_period(end)[0]
    if start > end:
        message = f"The end ({end.isoformat()}) is before the start ({start.isoformat()})."
        raise DomainError(f"end: {message}", fields={"end": [message]})
    if (end - start).days > selectors.MAX_PERIOD_DAYS:
        message = f"A period is at most {selectors.MAX_PERIOD_DAYS} days; start later."
        raise DomainError(f"start: {message}", fields={"start": [message]})
    return start, end


def _supplier(user: Any, pk: int, company: Company | None = None) -> Partner:
    found = Partner.objects.in_scope_of(user).filter(pk=pk)
    if company is not None:
        found = found.filter(company=company)
    supplier = found.first()
    if supplier is None:
        message = f"No supplier with id {pk}."
        raise NotFoundError(message, fields={"supplier": [message]})
    return supplier


@router.get(
    "/supplier-scorecards",
    response={200: ScorecardList, ERRORS: Problem},
    operation_id="list_supplier_scorecards",
    summary="How each supplier delivered, billed and priced over a period (one company)",
    description="Per supplier with activity in the period: on-time and in-full rates, lead "
    "time (mean ± standard deviation, and the catalogue's promise), first-time match rate, "
    "price variance against contract, a score (0–100) and its risk class. Rates are "
    'fractions (`"0.9500"`). Defaults: your current company, the last 90 days.',
)
def list_scorecards(request: HttpRequest, params: Query[ScorecardParams]) -> HttpResponse:
    refuse_unknown_params(request, ScorecardParams.model_fields)
    require_permission(request.user, PurchaseOrder, "view")
    company = _scorecard_company(request.user, params.company)
    start, end = _period(params.start, params.end)
    suppliers = None
    if params.supplier is not None:
        suppliers = {_supplier(request.user, params.supplier, company).pk}
    cards = scorecards(company.pk, start, end, supplier_ids=suppliers)
    return json_response(
        {
            "company": company.pk,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "items": [scorecard_data(card) for card in cards],
        }
    )


@router.get(
    "/supplier-scorecards/{int:supplier_id}/trend",
    response={200: TrendOut, ERRORS: Problem},
    operation_id="supplier_scorecard_trend",
    summary="A supplier's scorecard per calendar month, oldest first (this month last)",
)
def scorecard_trend(
    request: HttpRequest, supplier_id: int, params: Query[TrendParams]
) -> HttpResponse:
    refuse_unknown_params(request, TrendParams.model_fields)
    require_permission(request.user, PurchaseOrder, "view")
    supplier = _supplier(request.user, supplier_id)
    cards = selectors.supplier_trend(
        supplier.company_id, supplier.pk, today=timezone.localdate(), months=params.months
    )
    return json_response(
        {
            "supplier": supplier.pk,
            "company": supplier.company_id,
            "months": [scorecard_data(card) for card in cards],
        }
    )


@router.post(
    "/supplier-scorecards/apply-risk-classes",
    response={200: list[RiskChangeOut], ERRORS: Problem},
    operation_id="apply_supplier_risk_classes",
    summary="Write each scored supplier's risk class (audited); the changes made",
    description="Supplier choice and approval policies (`supplier_risk`) read the classes. "
    "Needs the right to change partners. Defaults: your current company, the last 90 days.",
)
@idempotent
def apply_risk(
    request: HttpRequest,
    payload: RiskClassesIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, PurchaseOrder, "view")
    require_permission(request.user, Partner, "change")
    company = _scorecard_company(request.user, payload.company)
    start, end = _period(payload.start, payload.end)
    changes = apply_risk_classes(_actor(request), company.pk, start, end)
    return json_response(
        [
            {"supplier_code": code, "old_risk_class": old, "new_risk_class": new}
            for code, old, new in changes
        ]
    )


# -- the buyers' exception queue -------------------------------------------------------------


def exception_data(item: PurchaseException) -> dict[str, Any]:
    return {
        "id": item.pk, "company": item.company_id, "kind": item.kind,
        "order": item.order_id, "order_reference": item.order.reference,
        "supplier": item.order.supplier_id, "line": item.line_id,
        "sku": item.line.product.sku if item.line else None, "owner": item.owner_id,
        "owner_role": item.owner_role, "severity": item.severity, "days": item.days,
        "missing_quantity": _text(item.missing_quantity), "message": item.message,
        "suggested_action": item.suggested_action, "opened_at": item.opened_at.isoformat(),
        "closed_at": item.closed_at.isoformat() if item.closed_at else None,
    }  # fmt: skip


def _exception(user: Any, pk: int) -> PurchaseException:
    require_permission(user, PurchaseException, "view")
    found = (
        PurchaseException.objects.restrict(user, "view")
        .select_related("order__supplier", "line__product")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFoundError(f"No purchase exception with id {pk}.")
    return found


@router.get(
    "/purchase-exceptions",
    response={200: ExceptionPage, ERRORS: Problem},
    operation_id="list_purchase_exceptions",
    summary="The buyers' exception queue: unconfirmed orders, late and short receipts",
    description="Open items, most overdue first, unless `closed=true`. `owner=me`: yours. "
    "The worker refreshes the queue every hour; each item names its order (and line), an "
    "owner, a severity and a suggested action.",
)
def list_exceptions(request: HttpRequest, params: Query[ExceptionParams]) -> HttpResponse:
    refuse_unknown_params(request, ExceptionParams.model_fields)
    require_permission(request.user, PurchaseException, "view")
    rows = selectors.exception_queue(
        PurchaseException.objects.restrict(request.user, "view"), closed=params.closed
    )
    if params.kind is not None:
        rows = rows.filter(kind=params.kind)
    if params.owner == "me":
        rows = rows.filter(owner_id=request.user.pk)
    if params.company is not None:
        rows = rows.filter(company_id=params.company)
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [exception_data(x) for x in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/purchase-exceptions/refresh",
    response={200: RefreshOut, ERRORS: Problem},
    operation_id="refresh_purchase_exceptions",
    summary="Refresh the exception queue now instead of waiting for the worker",
    description="Opens and closes items to match the orders today. The counts are of the "
    "items you can see. Needs the right to change purchase orders.",
)
@idempotent
def refresh_queue(
    request: HttpRequest,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, PurchaseOrder, "change")
    started = timezone.now()
    exceptions.refresh_exceptions()
    visible = PurchaseException.objects.restrict(request.user, "view")
    return json_response(
        {
            "opened": visible.filter(opened_at__gte=started).count(),
            "closed": visible.filter(closed_at__gte=started).count(),
            "open": visible.filter(closed_at__isnull=True).count(),
        }
    )


@router.post(
    "/purchase-exceptions/{int:id}/resend-order",
    response={200: ResentOut, ERRORS: Problem},
    operation_id="resend_unconfirmed_order",
    summary="Send an unconfirmed order to the supplier again (e-mailed with its PDF)",
    description="Only for an open `unconfirmed` item whose supplier has an e-mail address; "
    "the order is marked sent again (audited), so its wait for a confirmation starts over. "
    "Needs the right to change the order.",
)
@idempotent
def resend_order(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, PurchaseException, "view")
    require_permission(request.user, PurchaseOrder, "change")
    item = _exception(request.user, id)
    _order(request.user, item.order_id, "change")
    sent = exceptions.resend_order(_actor(request), item.pk)
    return json_response(
        {
            "exception": exception_data(_exception(request.user, item.pk)),
            "order": sent.pk,
            "reference": sent.reference,
            "sent_to": sent.supplier.email,
            "sent_at": sent.sent_at.isoformat() if sent.sent_at else None,
        }
    )


# -- importing the catalogue ------------------------------------------------------------------


class CatalogueRowError(Schema):
    row: int
    field: str
    message: str


class CatalogueImportOut(Schema):
    ok: bool
    dry_run: bool
    rows: int
    created: int
    updated: int
    errors: list[CatalogueRowError]


@router.post(
    "/supplier-products/import",
    response={200: CatalogueImportOut, ERRORS: Problem},
    operation_id="import_supplier_products",
    summary="Import catalogue entries of one company from CSV or XLSX (all rows or none)",
    description="One row per price break: supplier (code), product (SKU), unit_price, and "
    "optionally min_quantity, supplier_sku, currency, moq, order_multiple, lead_time_days, "
    "valid_from, valid_to, contract_reference, preference. ?dry_run=true only validates; "
    "row errors answer 422 with every row's problems.",
)
@idempotent
def import_offers(
    request: HttpRequest,
    company: Query[int],
    file: File[UploadedFile],
    dry_run: Query[bool] = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, SupplierProduct, "add")
    require_permission(request.user, SupplierProduct, "change")
    scope = _company(request.user, company)
    filename = file.name or "upload"
    if not filename.lower().endswith((".csv", ".xlsx")):
        raise DomainError(
            "file: upload a .csv or .xlsx file.", fields={"file": ["Not a CSV or XLSX file."]}
        )
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise DomainError(
            "file: the file is larger than 20 MB.", fields={"file": ["Larger than 20 MB."]}
        )
    result = import_catalogue(_actor(request), scope.pk, filename, file.read(), dry_run=dry_run)
    errors = [{"row": e.row, "field": e.field, "message": e.message} for e in result.errors]
    body = {
        "ok": result.ok,
        "dry_run": dry_run,
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "errors": errors,
    }
    if result.ok:
        return json_response(body)
    fields: dict[str, list[str]] = {}
    for error in errors:
        key = f"rows[{error['row']}]" + (f".{error['field']}" if error["field"] else "")
        fields.setdefault(key, []).append(str(error["message"]))
    first = errors[0]
    raise DomainError(
        f"Nothing was imported: row {first['row']}: {first['message']}", fields=fields
    )


# -- importing a supplier's e-invoice ---------------------------------------------------------


class ImportedLineOut(Schema):
    line: str
    product: int
    sku: str
    description: str
    quantity: str
    unit_price: str
    discount_percent: str
    order: str | None
    stock_move: int | None
    subtotal: str
    document_subtotal: str | None


class BillImportOut(Schema):
    dry_run: bool
    document_type: str
    kind: str
    bill: int | None
    state: str | None
    match_status: str | None
    match_reason: str
    supplier: int
    supplier_name: str
    partner_reference: str
    date: str
    currency: str
    untaxed_amount: str
    tax_amount: str
    total_amount: str
    document_tax_amount: str | None
    document_payable_amount: str | None
    tax_differs: bool
    lines: list[ImportedLineOut]
    warnings: list[str]


def bill_import_data(result: bill_import.BillImportResult) -> dict[str, Any]:
    return {
        "dry_run": result.dry_run, "document_type": result.document_type, "kind": result.kind,
        "bill": result.bill_id, "state": result.state, "match_status": result.match_status,
        "match_reason": result.match_reason, "supplier": result.supplier_id,
        "supplier_name": result.supplier_name, "partner_reference": result.partner_reference,
        "date": result.date.isoformat(), "currency": result.currency,
        "untaxed_amount": str(result.untaxed_amount), "tax_amount": str(result.tax_amount),
        "total_amount": str(result.total_amount),
        "document_tax_amount": _text(result.document_tax_amount),
        "document_payable_amount": _text(result.document_payable_amount),
        "tax_differs": result.tax_differs,
        "lines": [
            {
                "line": x.line, "product": x.product_id, "sku": x.sku,
                "description": x.description, "quantity": str(x.quantity),
                "unit_price": str(x.unit_price), "discount_percent": str(x.discount_percent),
                "order": x.order, "stock_move": x.stock_move_id, "subtotal": str(x.subtotal),
                "document_subtotal": _text(x.document_subtotal),
            }
            for x in result.lines
        ],
        "warnings": result.warnings,
    }  # fmt: skip


@router.post(
    "/vendor-bills/import",
    response={200: BillImportOut, 201: BillImportOut, ERRORS: Problem},
    operation_id="import_vendor_bill",
    summary="Import a supplier's UBL 2.1 / Peppol BIS 3 / EN 16931 invoice or credit note",
    description="The file (XML, multipart field `file`) becomes a draft vendor bill of the "
    "company (a credit note a draft vendor credit note): the supplier by its VAT number, "
    "legal id or electronic address; items by the supplier's item id or GTIN; lines linked "
    "to the unbilled receipts of the order the document refers to. A bill is then matched "
    "three ways (matched → posted, otherwise held in the AP exception queue). The document's "
    "own tax total is returned beside the computed one. Anything that cannot be mapped "
    "exactly refuses the whole file (422, naming the field and the document's line number); "
    "a bill number the supplier already used is a 409 on `partner_reference`. "
    "?dry_run=true answers what the import would do (200) and writes nothing. Needs the "
    "rights to create invoices and to change bill matches.",
)
@idempotent
def import_bill(
    request: HttpRequest,
    company: Query[int],
    file: File[UploadedFile],
    dry_run: Query[bool] = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Invoice, "add")
    require_permission(request.user, BillMatch, "change")
    scope = _company(request.user, company)
    filename = file.name or "upload.xml"
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise DomainError(
            "file: the file is larger than 20 MB.", fields={"file": ["Larger than 20 MB."]}
        )
    result = bill_import.import_vendor_bill(
        _actor(request), scope.pk, filename, file.read(), dry_run=dry_run
    )
    return json_response(bill_import_data(result), 200 if dry_run else 201)
