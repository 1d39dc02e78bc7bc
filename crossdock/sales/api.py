"""Sales endpoints: quotations and sales orders (confirmation through price approval and
credit control, cancelling, shipping, invoicing), availability per line, importing orders
from CSV or XLSX, and a customer's credit exposure.

Thin like the other API modules: role permission (403), rows within the user's scope
(404 — another company's order does not exist for you), the customer checked within
scope, one service call, the result rendered. Shipping needs the right to change
transfers (the warehouse ships; a sales rep does not), invoicing the right to create
invoices (the AR clerk). The services name an order's line fields as the request does
(``lines[0].quantity``, ``lines[0].product``), so their refusals pass through unchanged.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile

from crossdock.accounting.models import Invoice
from crossdock.api.errors import Problem, problem
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
from crossdock.inventory.models import Transfer
from crossdock.masterdata.models import Company, Partner
from crossdock.sales import selectors
from crossdock.sales.models import Channel, SalesOrder, SalesOrderState
from crossdock.sales.models.orders import EXPOSED_STATES
from crossdock.sales.order_import import OrderImportResult, import_sales_orders
from crossdock.sales.services import fulfilment, orders
from crossdock.sales.services.credit import CREDIT_RELEASE, exposure_of
from crossdock.sales.services.pricing import settings_of

router = Router(tags=["Sales"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})

if TYPE_CHECKING:
    Price = Decimal
    Quantity = Decimal
    Percent = Decimal
    ChannelName = str
    StateName = str
else:
    Price = decimal_type(PRICE_SCALE)
    Quantity = decimal_type(QUANTITY_SCALE)
    Percent = decimal_type(PERCENT_SCALE)
    ChannelName = Literal[tuple(Channel.values)]
    StateName = Literal[tuple(SalesOrderState.values)]


# -- schemas ---------------------------------------------------------------------------------


class SalesLineIn(InputSchema):
    product: Id
    quantity: Quantity = Field(
        description="In the product's unit; no more decimals than it allows."
    )
    unit_price: Price | None = Field(
        None, description="Net unit price in the order's currency; omitted: the price lists."
    )
    discount_percent: Percent | None = Field(
        None, description="Off the list price (with unit_price: recorded as given)."
    )
    warehouse: Id | None = Field(None, description="Omitted: chosen by the sourcing policy.")
    description: Annotated[Text, Field(max_length=200)] = ""


Lines = Annotated[list[SalesLineIn], Field(min_length=1, max_length=orders.MAX_LINES)]


class SalesOrderIn(InputSchema):
    customer: Id
    lines: Lines
    channel: ChannelName = "field"
    currency: Id | None = Field(None, description="Defaults to the customer's currency.")
    price_list: Id | None = Field(None, description="Must be in the order's currency.")
    ship_to: Id | None = Field(None, description="Defaults to the customer's shipping address.")
    warehouse: Id | None = Field(None, description="Defaults to the customer's warehouse.")
    order_date: datetime.date | None = None
    requested_date: datetime.date | None = None
    ship_complete: bool | None = Field(None, description="Defaults to the customer's choice.")
    customer_reference: Annotated[Text, Field(max_length=60)] = ""
    note: Annotated[Text, Field(max_length=200)] = ""


class SalesOrderPatch(InputSchema):
    lines: Lines | None = Field(None, description="Replace all lines; omitted: kept.")
    channel: ChannelName = "field"
    currency: Id | None = Field(None, description="null: the customer's currency.")
    price_list: Id | None = None
    ship_to: Id | None = None
    warehouse: Id | None = None
    order_date: datetime.date | None = None
    requested_date: datetime.date | None = None
    ship_complete: bool | None = None
    customer_reference: Annotated[Text, Field(max_length=60)] = ""
    note: Annotated[Text, Field(max_length=200)] = ""
    version: Id | None = Field(None, description="The version you edited; 412 if stale.")


class ReasonIn(InputSchema):
    reason: Annotated[Text, Field(max_length=200)] = ""


class InvoiceIn(InputSchema):
    consolidate: bool = Field(
        False, description="One invoice for everything shipped, whatever the company's policy."
    )
    up_to: datetime.date | None = Field(None, description="Only deliveries done up to this day.")
    date: datetime.date | None = Field(None, description="The invoice date; defaults to today.")


class SalesLineOut(Schema):
    id: int
    sequence: int
    product: int
    sku: str
    description: str
    quantity: str
    list_price: str
    discount_percent: str
    unit_price: str
    unit_cost: str = Field(description="Expected cost per unit, company currency.")
    subtotal: str
    margin_percent: str | None
    warehouse: int
    warehouse_chosen: bool
    promise_date: datetime.date | None
    price_exception: str
    shipped_quantity: str
    invoiced_quantity: str
    cancelled_quantity: str
    open_quantity: str


class DeliveryOut(Schema):
    id: int
    reference: str
    kind: str
    state: str


class SalesOrderOut(Schema):
    id: int
    company: int
    reference: str
    customer: int
    customer_reference: str
    channel: str
    warehouse: int
    currency: str
    rate: str
    price_list: int | None
    state: str
    order_date: datetime.date
    requested_date: datetime.date | None
    ship_complete: bool
    priority: int
    salesperson: int | None
    amount: str
    amount_company: str
    cost_company: str
    margin_percent: str | None
    note: str
    version: int
    mirrored_purchase_order: int | None = Field(
        description="For a sister company of the group: the purchase order mirroring this "
        "order in that company (intercompany)."
    )


class SalesOrderDetailOut(SalesOrderOut):
    mirrored_purchase_order_reference: str | None = Field(
        description="The mirrored purchase order's reference, for an intercompany order."
    )
    ship_to: int | None
    credit_exposure: str
    credit_limit: str
    hold_reason: str
    rejection_comment: str
    confirmed_at: datetime.datetime | None
    released_by: str
    approval_request: int | None
    lines: list[SalesLineOut]
    deliveries: list[DeliveryOut]


class SalesOrderPage(Schema):
    items: list[SalesOrderOut]
    next_cursor: str | None


ORDERINGS = ("id", "order_date", "requested_date", "reference", "amount_company")


class SalesOrderParams(Schema):
    state: StateName | None = None
    customer: QueryId | None = None
    company: QueryId | None = None
    warehouse: QueryId | None = None
    channel: ChannelName | None = None
    order_date_from: datetime.date | None = Field(None, description="Ordered on or after.")
    order_date_to: datetime.date | None = Field(None, description="Ordered on or before.")
    q: Annotated[Text, Field(max_length=200)] | None = Field(
        None, description="Search the reference and the customer's reference."
    )
    ordering: Literal[tuple(o for f in ORDERINGS for o in (f, f"-{f}"))] = "-id"  # type: ignore[valid-type]
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


class InvoiceSummaryOut(Schema):
    id: int
    number: str
    state: str
    date: datetime.date
    currency: str
    untaxed_amount: str
    tax_amount: str
    total_amount: str


class ShippedOut(Schema):
    deliveries: list[DeliveryOut]
    order: SalesOrderDetailOut


class InvoicedOut(Schema):
    invoices: list[InvoiceSummaryOut]
    order: SalesOrderDetailOut


class WarehouseAvailabilityOut(Schema):
    warehouse: int
    code: str
    on_hand: str
    reserved: str
    available_now: str
    earliest_date: datetime.date | None = Field(
        description="First day the line's open quantity can be promised there (None: not planned)."
    )


class LineAvailabilityOut(Schema):
    line: int
    product: int
    sku: str
    quantity: str
    open_quantity: str
    warehouse: int
    promise_date: datetime.date | None
    unit_price: str
    unit_cost: str
    margin_percent: str | None
    price_exception: str
    warehouses: list[WarehouseAvailabilityOut]


class CreditOut(Schema):
    currency: str = Field(description="The company's currency: every amount below is in it.")
    receivables: str
    open_orders: str
    total: str
    limit: str
    available: str
    overdue_days: int
    order_counted: bool = Field(description="Whether this order is already in open_orders.")
    with_order: str = Field(description="The exposure once this order is counted.")


class AvailabilityOut(Schema):
    order: int
    reference: str
    state: str
    customer: int
    lines: list[LineAvailabilityOut]
    credit: CreditOut


class HeldOrderOut(Schema):
    id: int
    reference: str
    order_date: datetime.date
    currency: str
    amount: str
    amount_company: str
    credit_exposure: str
    hold_reason: str
    approval_request: int | None


class ExposureOut(Schema):
    customer: int
    code: str
    name: str
    company: int
    currency: str = Field(description="The company's currency: every amount is in it.")
    receivables: str = Field(description="Open items of posted invoices less unapplied credit.")
    open_orders: str = Field(description="Not yet invoiced on confirmed and shipped orders.")
    total: str
    limit: str = Field(description="The customer's credit limit converted at today's rate.")
    available: str
    overdue_days: int = Field(description="Days the oldest open item is overdue (0: none).")
    overdue_hold_days: int = Field(description="More than this holds new orders.")
    credit_checked: bool = Field(description="False for group companies (intercompany).")
    held_orders: list[HeldOrderOut]


class OrderRowError(Schema):
    row: int
    field: str
    message: str


class ImportedOrderOut(Schema):
    customer: str
    customer_reference: str
    rows: list[int]
    order: int | None = Field(description="None in a dry run.")
    reference: str | None
    lines: int
    currency: str
    amount: str
    state: str


class OrderImportOut(Schema):
    ok: bool
    dry_run: bool
    rows: int
    orders: list[ImportedOrderOut]
    errors: list[OrderRowError]


# -- helpers ---------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _date(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _order(user: Any, pk: int, action: str = "view") -> SalesOrder:
    """One order the user may ``action``; 404 when it does not exist or is out of scope."""
    require_permission(user, SalesOrder, action)
    found = (
        SalesOrder.objects.restrict(user, action)
        .select_related("currency", "company__base_currency", "customer")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFoundError(f"No sales order with id {pk}.")
    return found


def _customer(user: Any, pk: int, field: str = "customer") -> Partner:
    found = (
        Partner.objects.in_scope_of(user)
        .select_related("company__base_currency", "currency")
        .filter(pk=pk, is_customer=True)
        .first()
    )
    if found is None:
        raise DomainError(
            f"{field}: no customer with id {pk}.", fields={field: ["Unknown customer."]}
        )
    return found


def _company(user: Any, pk: int) -> Company:
    company = Company.objects.in_scope_of(user).filter(pk=pk).first()
    if company is None:
        raise NotFoundError(f"No company with id {pk}.", fields={"company": ["No such company."]})
    return company


def order_data(order: SalesOrder) -> dict[str, Any]:
    return {
        "id": order.pk, "company": order.company_id, "reference": order.reference,
        "customer": order.customer_id, "customer_reference": order.customer_reference,
        "channel": order.channel, "warehouse": order.warehouse_id,
        "currency": order.currency.code, "rate": str(order.rate),
        "price_list": order.price_list_id, "state": order.state,
        "order_date": order.order_date.isoformat(),
        "requested_date": _date(order.requested_date), "ship_complete": order.ship_complete,
        "priority": order.priority, "salesperson": order.salesperson_id,
        "amount": str(order.amount), "amount_company": str(order.amount_company),
        "cost_company": str(order.cost_company), "margin_percent": _text(order.margin_percent),
        "note": order.note, "version": order.version,
        "mirrored_purchase_order": order.mirrored_purchase_order_id,
    }  # fmt: skip


def _mirrored_reference(order: SalesOrder) -> str | None:
    if order.mirrored_purchase_order_id is None:
        return None
    from crossdock.purchasing.models import PurchaseOrder

    return (
        PurchaseOrder.objects.filter(pk=order.mirrored_purchase_order_id)
        .values_list("reference", flat=True)
        .first()
    )


def _approval_request(order: SalesOrder) -> int | None:
    from crossdock.approvals.services import request_for

    document_type = {
        SalesOrderState.TO_APPROVE: orders.PRICE_EXCEPTION,
        SalesOrderState.CREDIT_HOLD: CREDIT_RELEASE,
    }.get(SalesOrderState(order.state))
    if document_type is None:
        return None
    request = request_for(document_type, order.pk)
    return request.pk if request else None


def order_detail(order: SalesOrder) -> dict[str, Any]:
    lines = order.lines.select_related("product").order_by("sequence", "pk")
    return {
        **order_data(order),
        "ship_to": order.ship_to_id, "credit_exposure": str(order.credit_exposure),
        "credit_limit": str(order.credit_limit), "hold_reason": order.hold_reason,
        "rejection_comment": order.rejection_comment,
        "confirmed_at": order.confirmed_at.isoformat() if order.confirmed_at else None,
        "released_by": order.released_by, "approval_request": _approval_request(order),
        "mirrored_purchase_order_reference": _mirrored_reference(order),
        "lines": [
            {
                "id": x.pk, "sequence": x.sequence, "product": x.product_id,
                "sku": x.product.sku, "description": x.description,
                "quantity": str(x.quantity), "list_price": str(x.list_price),
                "discount_percent": str(x.discount_percent), "unit_price": str(x.unit_price),
                "unit_cost": str(x.unit_cost), "subtotal": str(x.subtotal),
                "margin_percent": _text(x.margin_percent), "warehouse": x.warehouse_id,
                "warehouse_chosen": x.warehouse_chosen, "promise_date": _date(x.promise_date),
                "price_exception": x.price_exception,
                "shipped_quantity": str(x.shipped_quantity),
                "invoiced_quantity": str(x.invoiced_quantity),
                "cancelled_quantity": str(x.cancelled_quantity),
                "open_quantity": str(x.open_quantity),
            }
            for x in lines
        ],
        "deliveries": [
            {"id": pk, "reference": reference, "kind": kind, "state": state}
            for pk, reference, kind, state in selectors.deliveries_of(order)
        ],
    }  # fmt: skip


def _order_response(user: Any, pk: int, status: int = 200) -> HttpResponse:
    order = _order(user, pk)
    return json_response(order_detail(order), status, etag_version=order.version)


def _line_drafts(lines: list[SalesLineIn]) -> list[orders.SalesLineDraft]:
    return [
        orders.SalesLineDraft(
            product_id=x.product, quantity=x.quantity, unit_price=x.unit_price,
            discount_percent=x.discount_percent, warehouse_id=x.warehouse,
            description=x.description,
        )
        for x in lines
    ]  # fmt: skip


def _current_lines(order: SalesOrder) -> list[orders.SalesLineDraft]:
    """The order's lines as a draft: their net prices kept, re-sourced unless chosen by hand."""
    return [
        orders.SalesLineDraft(
            product_id=x.product_id, quantity=x.quantity, unit_price=x.unit_price,
            warehouse_id=x.warehouse_id if x.warehouse_chosen else None,
            description=x.description,
        )
        for x in order.lines.order_by("sequence", "pk")
    ]  # fmt: skip


def invoice_data(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk, "number": invoice.number, "state": invoice.state,
        "date": invoice.date.isoformat(), "currency": invoice.currency.code,
        "untaxed_amount": str(invoice.untaxed_amount), "tax_amount": str(invoice.tax_amount),
        "total_amount": str(invoice.total_amount),
    }  # fmt: skip


# -- sales orders ----------------------------------------------------------------------------


@router.get(
    "/sales-orders",
    response={200: SalesOrderPage, ERRORS: Problem},
    operation_id="list_sales_orders",
    summary="Quotations and sales orders, newest first unless ordered otherwise",
)
def list_orders(request: HttpRequest, params: Query[SalesOrderParams]) -> HttpResponse:
    refuse_unknown_params(request, SalesOrderParams.model_fields)
    require_permission(request.user, SalesOrder, "view")
    rows = SalesOrder.objects.restrict(request.user, "view").select_related("currency")
    if params.state is not None:
        rows = rows.filter(state=params.state)
    if params.channel is not None:
        rows = rows.filter(channel=params.channel)
    for name in ("company", "customer", "warehouse"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    if params.order_date_from is not None:
        rows = rows.filter(order_date__gte=params.order_date_from)
    if params.order_date_to is not None:
        rows = rows.filter(order_date__lte=params.order_date_to)
    text = (params.q or "").strip()
    if text:
        rows = rows.filter(Q(reference__icontains=text) | Q(customer_reference__icontains=text))
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [order_data(o) for o in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/sales-orders",
    response={201: SalesOrderDetailOut, ERRORS: Problem},
    operation_id="create_sales_order",
    summary="Enter a quotation, every line priced, sourced to a warehouse and promised",
    description="A line without `unit_price` takes the customer's price lists (for its "
    "quantity break). Each line is sourced by the company's policy unless it names a "
    "warehouse, and gets a promise date; a price under the margin floor or a discount over "
    "the limit is marked as a price exception (it needs approval on confirmation). An "
    "unknown product, a quantity with more decimals than its unit allows or a price list in "
    "another currency is refused naming the field (`lines[0].quantity`); nothing is written.",
)
@idempotent
def create_order(
    request: HttpRequest,
    payload: SalesOrderIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, SalesOrder, "add")
    customer = _customer(request.user, payload.customer)
    draft = orders.SalesOrderDraft(
        customer_id=customer.pk, lines=_line_drafts(payload.lines), channel=payload.channel,
        currency_id=payload.currency, price_list_id=payload.price_list,
        ship_to_id=payload.ship_to, warehouse_id=payload.warehouse,
        order_date=payload.order_date, requested_date=payload.requested_date,
        ship_complete=payload.ship_complete, customer_reference=payload.customer_reference,
        note=payload.note,
    )  # fmt: skip
    order = orders.create_sales_order(_actor(request), draft)
    return _order_response(request.user, order.pk, 201)


@router.get(
    "/sales-orders/{int:id}",
    response={200: SalesOrderDetailOut, ERRORS: Problem},
    operation_id="get_sales_order",
    summary="A sales order with its lines (price, margin, source, promise, progress)",
)
def get_order(request: HttpRequest, id: int) -> HttpResponse:
    return _order_response(request.user, id)


@router.patch(
    "/sales-orders/{int:id}",
    response={200: SalesOrderDetailOut, ERRORS: Problem},
    operation_id="update_sales_order",
    summary="Change a quotation: the header fields sent, and all lines when `lines` is sent",
    description="Only quotations change. The order is priced and sourced again; fields not "
    "sent keep their value (lines not sent keep their net prices). The customer cannot "
    "change. Send If-Match or version to refuse lost updates (412).",
)
def update_order(
    request: HttpRequest,
    id: int,
    payload: SalesOrderPatch,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    order = _order(request.user, id, "change")
    sent = payload.model_dump(exclude_unset=True)
    values: dict[str, Any] = {
        "channel": order.channel, "currency": order.currency_id,
        "price_list": order.price_list_id, "ship_to": order.ship_to_id,
        "warehouse": order.warehouse_id, "order_date": order.order_date,
        "requested_date": order.requested_date, "ship_complete": None,
        "customer_reference": order.customer_reference, "note": order.note,
    }  # fmt: skip
    values.update((name, value) for name, value in sent.items() if name in values)
    draft = orders.SalesOrderDraft(
        customer_id=order.customer_id,
        lines=_line_drafts(payload.lines) if payload.lines is not None else _current_lines(order),
        channel=values["channel"], currency_id=values["currency"],
        price_list_id=values["price_list"], ship_to_id=values["ship_to"],
        warehouse_id=values["warehouse"], order_date=values["order_date"],
        requested_date=values["requested_date"], ship_complete=values["ship_complete"],
        customer_reference=values["customer_reference"], note=values["note"],
    )  # fmt: skip
    orders.update_sales_order(
        _actor(request), order.pk, draft, version=expected_version(if_match, payload.version)
    )
    return _order_response(request.user, order.pk)


def _act(request: HttpRequest, id: int, act: Callable[[Actor, int], Any]) -> HttpResponse:
    order = _order(request.user, id, "change")
    act(_actor(request), order.pk)
    return _order_response(request.user, order.pk)


@router.post(
    "/sales-orders/{int:id}/confirm",
    response={200: SalesOrderDetailOut, ERRORS: Problem},
    operation_id="confirm_sales_order",
    summary="Confirm a quotation: price approval if needed, the credit check, then release",
    description="A price exception sends the order to approval (`to_approve`); an exposure "
    "over the credit limit or an invoice long overdue holds it (`credit_hold`) for a credit "
    "controller. Otherwise it is `confirmed`: one delivery per warehouse, stock reserved.",
)
@idempotent
def confirm_order(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    return _act(request, id, orders.confirm_sales_order)


@router.post(
    "/sales-orders/{int:id}/cancel",
    response={200: SalesOrderDetailOut, ERRORS: Problem},
    operation_id="cancel_sales_order",
    summary="Cancel what is not shipped: open deliveries cancelled, reservations released",
    description="A pending approval is withdrawn. An order partly shipped becomes `shipped` "
    "(the rest cancelled); a shipped, invoiced or cancelled order is a 409.",
)
@idempotent
def cancel_order(
    request: HttpRequest,
    id: int,
    payload: ReasonIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    order = _order(request.user, id, "change")
    orders.cancel_sales_order(_actor(request), order.pk, payload.reason)
    return _order_response(request.user, order.pk)


@router.post(
    "/sales-orders/{int:id}/ship",
    response={200: ShippedOut, ERRORS: Problem},
    operation_id="ship_sales_order",
    summary="Ship what is reserved on the order's deliveries (the rest stays on a backorder)",
    description="Only a confirmed or partially shipped order ships (an order on credit hold "
    "has no deliveries: 409 on `state`); a customer who takes complete shipments gets nothing "
    "until every line is reserved. Needs the right to change transfers.",
)
@idempotent
def ship_order(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    order = _order(request.user, id)
    require_permission(request.user, Transfer, "change")
    shipped = fulfilment.ship_sales_order(_actor(request), order.pk)
    order = _order(request.user, order.pk)
    return json_response(
        {
            "deliveries": [
                {"id": t.pk, "reference": t.reference, "kind": t.kind, "state": t.state}
                for t in shipped
            ],
            "order": order_detail(order),
        }
    )


@router.post(
    "/sales-orders/{int:id}/invoice",
    response={201: InvoicedOut, ERRORS: Problem},
    operation_id="invoice_sales_order",
    summary="Invoice what the order shipped and was not invoiced yet (posted at once)",
    description="By the company's invoice policy (one invoice per delivery, or one per order "
    "once it is fully shipped), or one invoice for all of it with `consolidate`. `up_to` "
    "invoices only deliveries done by that day. Nothing left to invoice is a 409. Needs the "
    "right to create invoices.",
)
@idempotent
def invoice_order(
    request: HttpRequest,
    id: int,
    payload: InvoiceIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    order = _order(request.user, id, "change")
    require_permission(request.user, Invoice, "add")
    invoices = fulfilment.invoice_sales_orders(
        _actor(request),
        [order.pk],
        consolidate=payload.consolidate,
        up_to=payload.up_to,
        date=payload.date,
    )
    rows = Invoice.objects.select_related("currency").filter(pk__in=[i.pk for i in invoices])
    order = _order(request.user, order.pk)
    return json_response(
        {"invoices": [invoice_data(i) for i in rows.order_by("pk")], "order": order_detail(order)},
        201,
    )


@router.get(
    "/sales-orders/{int:id}/availability",
    response={200: AvailabilityOut, ERRORS: Problem},
    operation_id="sales_order_availability",
    summary="Per line: available-to-promise in every warehouse, promise date and margin; and "
    "the customer's credit exposure",
    description="`reserved` includes what this order itself reserved. Amounts of `credit` are "
    "in the company's currency.",
)
def order_availability(request: HttpRequest, id: int) -> HttpResponse:
    order = _order(request.user, id)
    lines = selectors.order_availability(order)
    exposure = exposure_of(order.customer)
    counted = order.state in EXPOSED_STATES
    with_order = exposure.total if counted else exposure.total + order.amount_company
    return json_response(
        {
            "order": order.pk, "reference": order.reference, "state": order.state,
            "customer": order.customer_id,
            "lines": [
                {
                    "line": x.line.pk, "product": x.line.product_id, "sku": x.line.product.sku,
                    "quantity": str(x.line.quantity),
                    "open_quantity": str(x.line.open_quantity),
                    "warehouse": x.line.warehouse_id,
                    "promise_date": _date(x.line.promise_date),
                    "unit_price": str(x.line.unit_price), "unit_cost": str(x.line.unit_cost),
                    "margin_percent": _text(x.margin_percent),
                    "price_exception": x.line.price_exception,
                    "warehouses": [
                        {
                            "warehouse": w.warehouse_id, "code": w.warehouse_code,
                            "on_hand": str(w.on_hand), "reserved": str(w.reserved),
                            "available_now": str(w.available_now),
                            "earliest_date": _date(w.earliest_date),
                        }
                        for w in x.warehouses
                    ],
                }
                for x in lines
            ],
            "credit": {
                "currency": order.company.base_currency.code,
                "receivables": str(exposure.receivables),
                "open_orders": str(exposure.open_orders), "total": str(exposure.total),
                "limit": str(exposure.limit), "available": str(exposure.limit - exposure.total),
                "overdue_days": exposure.overdue_days, "order_counted": counted,
                "with_order": str(with_order),
            },
        }
    )  # fmt: skip


# -- importing orders ------------------------------------------------------------------------


def import_data(result: OrderImportResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "dry_run": result.dry_run,
        "rows": result.rows,
        "orders": [
            {
                "customer": o.customer_code, "customer_reference": o.customer_reference,
                "rows": o.rows, "order": o.order_id, "reference": o.reference,
                "lines": o.lines, "currency": o.currency, "amount": str(o.amount),
                "state": o.state,
            }
            for o in result.orders
        ],
        "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in result.errors],
    }  # fmt: skip


@router.post(
    "/sales-orders/import",
    response={200: OrderImportOut, 201: OrderImportOut, ERRORS: Problem, 413: Problem},
    operation_id="import_sales_orders",
    summary="Import quotations of one company from CSV or XLSX (all orders or none)",
    description="One row per order line: `customer` (code), `product` (SKU), `quantity`, and "
    "optionally `customer_reference`, `unit_price`, `discount_percent`, `warehouse` (code) "
    "and `channel`. Rows of one customer and customer reference make one quotation, priced "
    "and sourced like an order entered by hand. Every bad row is reported (422, "
    "`row_errors` and `errors` as `rows[<row>].<column>`) and nothing is written. "
    "?dry_run=true only checks and answers 200 with the orders it would create.",
)
@idempotent
def import_orders(
    request: HttpRequest,
    company: Query[int],
    file: File[UploadedFile],
    dry_run: Query[bool] = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, SalesOrder, "add")
    scope = _company(request.user, company)
    filename = file.name or "upload"
    if not filename.lower().endswith((".csv", ".xlsx")):
        raise DomainError(
            "file: upload a .csv or .xlsx file.", fields={"file": ["Not a CSV or XLSX file."]}
        )
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        return problem(413, f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")
    result = import_sales_orders(_actor(request), scope.pk, filename, file.read(), dry_run=dry_run)
    body = import_data(result)
    if result.ok:
        return json_response(body, 200 if dry_run else 201)
    fields: dict[str, list[str]] = {}
    for error in body["errors"]:
        key = f"rows[{error['row']}]" + (f".{error['field']}" if error["field"] else "")
        fields.setdefault(key, []).append(str(error["message"]))
    first = body["errors"][0]
    return problem(
        422,
        f"Nothing was imported: row {first['row']}: {first['message']}",
        errors=fields,
        extra={"row_errors": body["errors"], "orders": []},
    )


# -- customers' credit -----------------------------------------------------------------------


@router.get(
    "/customers/{int:id}/exposure",
    response={200: ExposureOut, ERRORS: Problem},
    operation_id="customer_exposure",
    summary="A customer's credit exposure: open receivables, open orders, limit, overdue "
    "days and the orders held for credit",
    description="Amounts in the company's currency. Needs the right to read sales orders and "
    "invoices.",
)
def customer_exposure(request: HttpRequest, id: int) -> HttpResponse:
    require_permission(request.user, SalesOrder, "view")
    require_permission(request.user, Invoice, "view")
    customer = (
        Partner.objects.in_scope_of(request.user)
        .select_related("company__base_currency", "currency")
        .filter(pk=id, is_customer=True)
        .first()
    )
    if customer is None:
        raise NotFoundError(f"No customer with id {id}.")
    found = selectors.exposure_breakdown(customer)
    exposure = found.exposure
    return json_response(
        {
            "customer": customer.pk, "code": customer.code, "name": customer.name,
            "company": customer.company_id, "currency": customer.company.base_currency.code,
            "receivables": str(exposure.receivables), "open_orders": str(exposure.open_orders),
            "total": str(exposure.total), "limit": str(exposure.limit),
            "available": str(found.available_credit), "overdue_days": exposure.overdue_days,
            "overdue_hold_days": settings_of(customer.company_id).overdue_hold_days,
            "credit_checked": customer.group_company_id is None,
            "held_orders": [
                {
                    "id": o.pk, "reference": o.reference,
                    "order_date": o.order_date.isoformat(), "currency": o.currency.code,
                    "amount": str(o.amount), "amount_company": str(o.amount_company),
                    "credit_exposure": str(o.credit_exposure), "hold_reason": o.hold_reason,
                    "approval_request": _approval_request(o),
                }
                for o in found.held_orders
            ],
        }
    )  # fmt: skip
