"""Inventory REST endpoints: transfers and their actions, stock, ATP, valuation, lots, scans.

Endpoints are thin, like :mod:`crossdock.api.crud`: check the role permission
(403), find the rows within the user's companies and warehouses (404 when out
of scope), resolve the ids a client sends within that scope (422 naming the
field), call one service with the acting user, and render the result. The
services own transactions, locks and every business rule; their refusals
(unknown or expired lot, a serial already in stock, more decimals than the
unit allows, a location of another company…) arrive here as
:class:`~crossdock.core.errors.DomainError` and leave as problem+json.

Permissions: transfers need ``inventory.<action>_transfer`` (confirm, reserve,
validate and cancel are changes); stock and ATP ``view_quant``; stock value
``view_valuationlayer``; lot traces ``view_lot``; reading a scan
``view_transfer``.
"""

import datetime
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.db import IntegrityError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema
from pydantic import AwareDatetime

from crossdock.api.errors import Problem
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import decode_cursor, encode_cursor, paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import Id, InputSchema, QueryId, Text, decimal_type
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError
from crossdock.core.fields import PRICE_SCALE, QUANTITY_SCALE
from crossdock.core.permissions import can_act_on
from crossdock.inventory import reports, services
from crossdock.inventory.gs1 import ScanResult, read_scan
from crossdock.inventory.models import (
    Lot,
    MoveLine,
    MoveState,
    Quant,
    StockMove,
    Transfer,
    TransferKind,
    ValuationLayer,
)
from crossdock.inventory.scanning import match_scan, open_moves
from crossdock.masterdata.models import Location, Partner, Product, Warehouse

router = Router(tags=["Inventory"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})
IDEMPOTENCY_DOC = "Any unique string; a retry with the same key replays the first answer."
MAX_LINES = 10_000
MAX_PRODUCTS = 500

if TYPE_CHECKING:  # built at run time for pydantic; plain types for mypy
    Quantity = Decimal
    Price = Decimal
    Kind = str
    State = str
else:
    Quantity = decimal_type(QUANTITY_SCALE)
    Price = decimal_type(PRICE_SCALE)
    Kind = Literal[tuple(TransferKind.values)]
    State = Literal[tuple(MoveState.values)]


# -- schemas ------------------------------------------------------------------------------


class LineOut(Schema):
    id: int
    source: int
    source_path: str
    destination: int
    lot: int | None
    lot_name: str
    quantity: str
    done: bool
    done_at: datetime.datetime | None


class MoveOut(Schema):
    id: int
    product: int
    sku: str
    quantity: str = Field(description="In the product's base unit.")
    state: str
    source: int
    destination: int
    lot: int | None
    unit_cost: str | None
    scheduled_at: datetime.datetime
    done_at: datetime.datetime | None
    lines: list[LineOut]


class TransferOut(Schema):
    id: int
    reference: str
    kind: str
    state: str
    company: int
    warehouse: int
    source: int
    destination: int
    partner: int | None
    scheduled_at: datetime.datetime
    done_at: datetime.datetime | None
    origin: str
    priority: int
    promised_on: datetime.date | None
    backorder_of: int | None
    returned_from: int | None
    version: int


class TransferDetail(TransferOut):
    moves: list[MoveOut]
    backorders: list[int] = Field(description="Transfers holding what was not done.")


class TransferPage(Schema):
    items: list[TransferOut]
    next_cursor: str | None


class TransferListParams(Schema):
    kind: Kind | None = None
    state: State | None = None
    warehouse: QueryId | None = None
    q: Text | None = Field(None, max_length=100, description="Reference contains.")
    ordering: Literal["-scheduled_at", "scheduled_at", "reference", "-reference"] | None = None
    cursor: Text | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=500)


class TransferLineIn(InputSchema):
    product: Id
    quantity: Quantity = Field(description="In the product's base unit.")
    lot: Id | None = Field(None, description="Only this lot (deliveries).")
    unit_cost: Price | None = Field(None, description="Receipts: the purchase price per unit.")


class TransferIn(InputSchema):
    warehouse: Id
    kind: Kind
    source: Id = Field(description="Location id.")
    destination: Id = Field(description="Location id.")
    partner: Id | None = None
    scheduled_at: AwareDatetime | None = None
    promised_on: datetime.date | None = None
    origin: Annotated[Text, Field(max_length=100)] = ""
    priority: int = Field(50, strict=True, ge=0, le=32767, description="Lower is served first.")
    lines: list[TransferLineIn] = Field(min_length=1, max_length=MAX_LINES)


class DoneLineIn(InputSchema):
    move: Id
    quantity: Quantity
    lot: Annotated[Text, Field(max_length=60)] = ""
    serial: Annotated[Text, Field(max_length=60)] = ""
    expires_on: datetime.date | None = Field(None, description="Receipts: a new lot's expiry.")


class ValidateIn(InputSchema):
    lines: list[DoneLineIn] | None = Field(
        None,
        max_length=MAX_LINES,
        description="What was really done; omitted: everything. The rest goes to a backorder.",
    )


class StockParams(Schema):
    product: QueryId | None = None
    warehouse: QueryId | None = None
    location: QueryId | None = Field(None, description="This location and those inside it.")
    lot: QueryId | None = None
    cursor: Text | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=500)


class StockOut(Schema):
    id: int
    product: int
    sku: str
    product_name: str
    location: int
    location_path: str
    location_kind: str
    warehouse: int | None
    lot: int | None
    lot_name: str
    expires_on: datetime.date | None
    quantity: str
    reserved: str
    available: str


class StockPage(Schema):
    items: list[StockOut]
    next_cursor: str | None


class AvailabilityParams(Schema):
    products: Text = Field(max_length=5000, description="Product ids, comma-separated.")
    warehouses: Text | None = Field(None, max_length=2000, description="Warehouse ids.")
    group_by: Literal["warehouse", "region", "group"] = "warehouse"
    quantity: Quantity | None = Field(None, description="Find the earliest date for this.")


class Dated(Schema):
    date: datetime.date
    quantity: str


class AvailabilityOut(Schema):
    product: int
    sku: str
    scope: str = Field(description="Warehouse code, region, or 'group'.")
    on_hand: str
    reserved: str
    available_now: str
    incoming: list[Dated]
    outgoing: list[Dated]
    earliest_date: datetime.date | None = Field(
        description="When ?quantity= can be promised; null if nothing planned covers it."
    )


class AvailabilityList(Schema):
    items: list[AvailabilityOut]


class ValuationParams(Schema):
    company: QueryId
    as_of: datetime.date | None = Field(None, description="End of this day; default now.")
    cursor: Text | None = Field(None, max_length=1000)
    limit: int = Field(500, ge=1, le=5000)


class ValuationOut(Schema):
    product: int
    sku: str
    name: str
    quantity: str
    value: str


class ValuationPage(Schema):
    company: int
    currency: str
    as_of: datetime.datetime | None
    total_value: str = Field(description="Over all products, not only this page.")
    products: int
    items: list[ValuationOut]
    next_cursor: str | None


class TraceStepOut(Schema):
    done_at: datetime.datetime | None
    reference: str
    transfer: int | None
    kind: str
    source: str
    destination: str
    quantity: str


class LotOut(Schema):
    id: int
    name: str
    product: int
    sku: str
    expires_on: datetime.date | None


class LotTrace(Schema):
    lot: LotOut
    steps: list[TraceStepOut]
    stock: list[StockOut]


class ScanIn(InputSchema):
    barcode: Annotated[Text, Field(min_length=1, max_length=500)] = Field(
        description="What the scanner sent: GS1 element string (GS as \\u001d), bracketed "
        "text, Digital Link URI, GTIN, location barcode, lot or serial."
    )
    transfer: Id | None = Field(None, description="Match against this transfer's moves.")


class ScanOut(Schema):
    kind: str
    symbology: str
    gtin: str | None
    lot: str
    serial: str
    expires_on: datetime.date | None
    count: str | None = Field(description="AI 30 or 37.")
    sscc: str | None
    elements: dict[str, str] = Field(description="AI → value.")
    product: int | None
    sku: str | None
    location: int | None
    location_path: str | None
    matched_lot: int | None
    quantity: str | None = Field(description="In the product's base unit (pack × count).")
    move: int | None
    problem: str


# -- helpers ------------------------------------------------------------------------------


def _idempotency_key() -> Any:
    return Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_DOC)


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


def _transfers(user: Any, action: str = "view") -> Any:
    require_permission(user, Transfer, action)
    return Transfer.objects.restrict(user, action)


def _transfer(user: Any, pk: int, action: str = "view") -> Transfer:
    found = _transfers(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No transfer with id {pk}.")
    return found


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _transfer_row(t: Transfer) -> dict[str, Any]:
    return {
        "id": t.pk,
        "reference": t.reference,
        "kind": t.kind,
        "state": t.state,
        "company": t.company_id,
        "warehouse": t.warehouse_id,
        "source": t.source_id,
        "destination": t.destination_id,
        "partner": t.partner_id,
        "scheduled_at": t.scheduled_at,
        "done_at": t.done_at,
        "origin": t.origin,
        "priority": t.priority,
        "promised_on": t.promised_on,
        "backorder_of": t.backorder_of_id,
        "returned_from": t.returned_from_id,
        "version": t.version,
    }


def _detail(user: Any, pk: int, status: int = 200) -> HttpResponse:
    lines = MoveLine.objects.select_related("lot", "source").order_by("pk")
    moves = StockMove.objects.select_related("product").order_by("pk")
    transfer = (
        _transfers(user)
        .filter(pk=pk)
        .prefetch_related(Prefetch("moves", moves), Prefetch("moves__lines", lines))
        .first()
    )
    if transfer is None:
        raise NotFoundError(f"No transfer with id {pk}.")
    data = _transfer_row(transfer)
    data["moves"] = [
        {
            "id": m.pk,
            "product": m.product_id,
            "sku": m.product.sku,
            "quantity": str(m.quantity),
            "state": m.state,
            "source": m.source_id,
            "destination": m.destination_id,
            "lot": m.lot_id,
            "unit_cost": _decimal(m.unit_cost),
            "scheduled_at": m.scheduled_at,
            "done_at": m.done_at,
            "lines": [
                {
                    "id": ln.pk,
                    "source": ln.source_id,
                    "source_path": ln.source.path,
                    "destination": ln.destination_id,
                    "lot": ln.lot_id,
                    "lot_name": ln.lot.name if ln.lot else "",
                    "quantity": str(ln.quantity),
                    "done": ln.done,
                    "done_at": ln.done_at,
                }
                for ln in m.lines.all()
            ],
        }
        for m in transfer.moves.all()
    ]
    data["backorders"] = sorted(transfer.backorders.values_list("pk", flat=True))
    return json_response(data, status, etag_version=transfer.version)


def _reference_problem(name: str, message: str) -> DomainError:
    return DomainError(f"{name}: {message}", fields={name: [message]})


def _resolve_draft(user: Any, payload: TransferIn) -> services.TransferDraft:
    """The draft with every id checked against the user's scope (422 naming the field)."""
    warehouse = Warehouse.objects.in_scope_of(user).filter(pk=payload.warehouse).first()
    if warehouse is None:
        raise _reference_problem("warehouse", f"No warehouse with id {payload.warehouse}.")
    locations = Location.objects.in_scope_of(user).in_bulk([payload.source, payload.destination])
    for name in ("source", "destination"):
        if getattr(payload, name) not in locations:
            raise _reference_problem(name, f"No location with id {getattr(payload, name)}.")
    if payload.partner is not None:
        partner = Partner.objects.in_scope_of(user).filter(pk=payload.partner).first()
        if partner is None or partner.company_id != warehouse.company_id:
            raise _reference_problem(
                "partner", f"No partner with id {payload.partner} in {warehouse.company}."
            )
    lot_ids = {line.lot for line in payload.lines if line.lot is not None}
    lots = Lot.objects.in_bulk(lot_ids) if lot_ids else {}
    for index, line in enumerate(payload.lines):
        lot = lots.get(line.lot) if line.lot is not None else None
        if line.lot is not None and (lot is None or lot.product_id != line.product):
            raise _reference_problem(f"lines[{index}].lot", "Not a lot of this product.")
    return services.TransferDraft(
        warehouse_id=warehouse.pk,
        kind=payload.kind,
        source_id=payload.source,
        destination_id=payload.destination,
        lines=[
            services.LineDraft(line.product, line.quantity, line.lot, line.unit_cost)
            for line in payload.lines
        ],
        partner_id=payload.partner,
        scheduled_at=payload.scheduled_at,
        origin=payload.origin,
        priority=payload.priority,
        promised_on=payload.promised_on,
    )


def _conflicts_as_409(action: Callable[[], Any]) -> Any:
    """Run a service; a unique-constraint race (two creates at once) is a 409, not a 500."""
    try:
        return action()
    except IntegrityError as error:
        raise ConflictError("Another request changed the same data; try again.") from error


_SERVICE_LINE = re.compile(r"^move (\d+) line (\d+)(\.\w+)?$")


def _done_lines(transfer: Transfer, payload: ValidateIn) -> list[services.DoneLine] | None:
    if payload.lines is None:
        return None
    done = []
    for index, line in enumerate(payload.lines):
        if line.lot and line.serial and line.lot != line.serial:
            raise _reference_problem(f"lines[{index}].serial", "Give a lot or a serial, not both.")
        done.append(
            services.DoneLine(line.move, line.quantity, line.serial or line.lot, line.expires_on)
        )
    return done


def _api_field_names(
    error: DomainError, done: list[services.DoneLine] | None, transfer: Transfer
) -> DomainError:
    """Name the service's fields as the client sent them: ``lines[i].lot``, ``lines[i].quantity``.

    The service names a done line by its move (``move 12 line 0.lot``, ``move 12``) and a
    stock problem by product and place (``SKU-1@WH/STOCK``); the client knows its lines.
    """
    if not done or not error.fields:
        return error
    skus = dict(transfer.moves.values_list("pk", "product__sku"))
    positions: dict[tuple[int, int], int] = {}
    seen: dict[int, int] = {}
    for index, line in enumerate(done):
        nth = seen.get(line.move_id, 0)
        positions[(line.move_id, nth)] = index
        seen[line.move_id] = nth + 1

    def rename(name: str, messages: list[str]) -> str:
        about_lot = any("serial" in m.lower() for m in messages)
        suffix = ".lot" if about_lot else ".quantity"
        if found := _SERVICE_LINE.match(name):
            index = positions.get((int(found[1]), int(found[2])))
            return name if index is None else f"lines[{index}]{found[3] or ''}"
        if found := re.fullmatch(r"move (\d+)", name):
            index = positions.get((int(found[1]), 0))
            return name if index is None else f"lines[{index}].quantity"
        sku = name.split("@")[0] if "@" in name else None
        for index, line in enumerate(done):
            if (sku and skus.get(line.move_id) == sku) or (name == "lot" and line.lot_name):
                return f"lines[{index}]{suffix}"
        return name

    renamed = {name: rename(name, messages) for name, messages in error.fields.items()}
    message = error.message
    for old, new in renamed.items():
        if message.startswith(f"{old}:"):
            message = f"{new}:{message[len(old) + 1 :]}"
    fields = {renamed[name]: messages for name, messages in error.fields.items()}
    result = type(error)(message, fields=fields)
    result.code = error.code
    return result


# -- transfers ----------------------------------------------------------------------------


@router.get(
    "/transfers",
    response={200: TransferPage, ERRORS: Problem},
    operation_id="list_transfers",
    summary="List transfers",
    description="Newest scheduled first; filter by kind, state and warehouse; q searches "
    "the reference.",
)
def list_transfers(request: HttpRequest, params: Query[TransferListParams]) -> HttpResponse:
    refuse_unknown_params(request, TransferListParams.model_fields)
    transfers = _transfers(request.user)
    if params.kind:
        transfers = transfers.filter(kind=params.kind)
    if params.state:
        transfers = transfers.filter(state=params.state)
    if params.warehouse:
        transfers = transfers.filter(warehouse_id=params.warehouse)
    if params.q and params.q.strip():
        transfers = transfers.filter(reference__icontains=params.q.strip())
    page = paginate(transfers, params.ordering or "-scheduled_at", params.cursor, params.limit)
    return json_response(
        {"items": [_transfer_row(t) for t in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/transfers",
    response={201: TransferDetail, ERRORS: Problem},
    operation_id="create_transfer",
    summary="Create a draft transfer",
    description="Receipt, delivery, internal or inter-warehouse move with its lines; "
    "confirm it to make it count.",
)
@idempotent
def create_transfer(
    request: HttpRequest,
    payload: TransferIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", description=IDEMPOTENCY_DOC
    ),
) -> HttpResponse:
    require_permission(request.user, Transfer, "add")
    draft = _resolve_draft(request.user, payload)
    transfer = _conflicts_as_409(lambda: services.create_transfer(_actor(request), draft))
    return _detail(request.user, transfer.pk, 201)


@router.get(
    "/transfers/{int:id}",
    response={200: TransferDetail, ERRORS: Problem},
    operation_id="get_transfer",
    summary="Get a transfer with its moves and lines",
)
def get_transfer(request: HttpRequest, id: int) -> HttpResponse:
    return _detail(request.user, id)


def _confirm(request: HttpRequest, transfer: Transfer, payload: Any) -> None:
    services.confirm_transfer(_actor(request), transfer.pk)


def _reserve(request: HttpRequest, transfer: Transfer, payload: Any) -> None:
    if transfer.state not in (MoveState.CONFIRMED, MoveState.PARTIAL, MoveState.ASSIGNED):
        raise ConflictError(
            f"{transfer.reference} is {transfer.get_state_display().lower()}; "
            "only a confirmed transfer can be reserved."
        )
    if not can_act_on(request.user, transfer, "change"):  # reserve_moves checks no rights
        raise NotFoundError(f"No transfer with id {transfer.pk}.")
    services.reserve_moves(_actor(request), [m.pk for m in open_moves(transfer)])


def _validate(request: HttpRequest, transfer: Transfer, payload: ValidateIn | None) -> None:
    done = _done_lines(transfer, payload or ValidateIn(lines=None))
    try:
        services.validate_transfer(_actor(request), transfer.pk, done)
    except DomainError as error:
        raise _api_field_names(error, done, transfer) from error


def _cancel(request: HttpRequest, transfer: Transfer, payload: Any) -> None:
    services.cancel_transfer(_actor(request), transfer.pk)


def _run(request: HttpRequest, id: int, run: Callable[..., Any], payload: Any = None) -> Any:
    transfer = _transfer(request.user, id, "change")
    _conflicts_as_409(lambda: run(request, transfer, payload))
    return _detail(request.user, transfer.pk)


@router.post(
    "/transfers/{int:id}/confirm",
    response={200: TransferDetail, ERRORS: Problem},
    operation_id="confirm_transfer",
    summary="Confirm a draft transfer (its stock becomes expected and reservable)",
)
@idempotent
def confirm_transfer(
    request: HttpRequest,
    id: int,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", description=IDEMPOTENCY_DOC
    ),
) -> HttpResponse:
    return _run(request, id, _confirm)


@router.post(
    "/transfers/{int:id}/reserve",
    response={200: TransferDetail, ERRORS: Problem},
    operation_id="reserve_transfer",
    summary="Reserve stock for a confirmed transfer's moves",
    description="Takes what is available by the removal strategy (FIFO, FEFO, closest); "
    "moves short of stock stay partly reserved or waiting.",
)
@idempotent
def reserve_transfer(
    request: HttpRequest,
    id: int,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", description=IDEMPOTENCY_DOC
    ),
) -> HttpResponse:
    return _run(request, id, _reserve)


@router.post(
    "/transfers/{int:id}/validate",
    response={200: TransferDetail, ERRORS: Problem},
    operation_id="validate_transfer",
    summary="Process a transfer: stock moves",
    description="Send the lines really done (with lot or serial, and expiry for a new lot) "
    "or nothing to do it all; what is not done goes to a backorder.",
)
@idempotent
def validate_transfer(
    request: HttpRequest,
    id: int,
    payload: ValidateIn | None = None,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", description=IDEMPOTENCY_DOC
    ),
) -> HttpResponse:
    return _run(request, id, _validate, payload)


@router.post(
    "/transfers/{int:id}/cancel",
    response={200: TransferDetail, ERRORS: Problem},
    operation_id="cancel_transfer",
    summary="Cancel a transfer's open moves, releasing their reservations",
)
@idempotent
def cancel_transfer(
    request: HttpRequest,
    id: int,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", description=IDEMPOTENCY_DOC
    ),
) -> HttpResponse:
    return _run(request, id, _cancel)


# -- stock, availability, valuation, lots ---------------------------------------------------


@router.get(
    "/stock",
    response={200: StockPage, ERRORS: Problem},
    operation_id="list_stock",
    summary="Stock by location (quants)",
    description="Give at least one of product, warehouse, location or lot. In-transit stock "
    "is listed under the transit location.",
)
def list_stock(request: HttpRequest, params: Query[StockParams]) -> HttpResponse:
    refuse_unknown_params(request, StockParams.model_fields)
    require_permission(request.user, Quant, "view")
    if not any((params.product, params.warehouse, params.location, params.lot)):
        raise _reference_problem("product", "Give a product, warehouse, location or lot.")
    quants = reports.stock_quants(
        request.user,
        product_id=params.product,
        warehouse_id=params.warehouse,
        location_id=params.location,
        lot_id=params.lot,
    )
    page = paginate(quants, "id", params.cursor, params.limit)
    return json_response(
        {"items": [reports.quant_row(q) for q in page.rows], "next_cursor": page.next_cursor}
    )


def _ids(name: str, text: str | None, limit: int) -> list[int] | None:
    if text is None:
        return None
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or any(not (p.isascii() and p.isdigit()) or len(p) > 18 for p in parts):
        raise _reference_problem(name, "Give ids separated by commas, e.g. 3,7,12.")
    if len(parts) > limit:
        raise _reference_problem(name, f"At most {limit} ids.")
    return list(dict.fromkeys(int(p) for p in parts))


@router.get(
    "/availability",
    response={200: AvailabilityList, ERRORS: Problem},
    operation_id="get_availability",
    summary="Available-to-promise by warehouse, region or group",
    description="On hand in sellable locations − reserved + incoming − outgoing by date; "
    "with ?quantity=, the earliest date that quantity can be promised.",
)
def get_availability(request: HttpRequest, params: Query[AvailabilityParams]) -> HttpResponse:
    refuse_unknown_params(request, AvailabilityParams.model_fields)
    require_permission(request.user, Quant, "view")
    product_ids = _ids("products", params.products, MAX_PRODUCTS) or []
    warehouse_ids = _ids("warehouses", params.warehouses, 1000)
    if params.quantity is not None and params.quantity <= 0:
        raise _reference_problem("quantity", "The quantity must be positive.")
    products = Product.objects.in_bulk(product_ids)
    missing = [pk for pk in product_ids if pk not in products]
    if missing:
        raise _reference_problem("products", f"No product with id {missing[0]}.")
    rows = reports.availability_rows(
        request.user,
        [products[pk] for pk in product_ids],
        warehouse_ids=warehouse_ids,
        group_by=params.group_by,
        quantity=params.quantity,
    )
    return json_response({"items": [_availability_row(row) for row in rows]})


def _availability_row(row: reports.AvailabilityRow) -> dict[str, Any]:
    return {
        "product": row.product.pk,
        "sku": row.product.sku,
        "scope": row.scope,
        "on_hand": str(row.on_hand),
        "reserved": str(row.reserved),
        "available_now": str(row.available_now),
        "incoming": [{"date": d, "quantity": str(q)} for d, q in row.incoming],
        "outgoing": [{"date": d, "quantity": str(q)} for d, q in row.outgoing],
        "earliest_date": row.earliest_date,
    }


@router.get(
    "/stock-valuation",
    response={200: ValuationPage, ERRORS: Problem},
    operation_id="get_stock_valuation",
    summary="Stock value per product of one company, now or as of a date",
    description="From the valuation layers, in the company's currency; pages by product id.",
)
def get_stock_valuation(request: HttpRequest, params: Query[ValuationParams]) -> HttpResponse:
    refuse_unknown_params(request, ValuationParams.model_fields)
    require_permission(request.user, ValuationLayer, "view")
    company = reports.visible_companies(request.user).filter(pk=params.company).first()
    if company is None:
        raise _reference_problem("company", f"No company with id {params.company}.")
    report = reports.valuation_report(company, params.as_of)
    lines = sorted(report.lines, key=lambda line: line.product_id)
    if params.cursor:
        field = ValuationLayer._meta.get_field("product")
        _, after = decode_cursor(params.cursor, "product", field)
        lines = [line for line in lines if line.product_id > after]
    page = lines[: params.limit]
    more = len(lines) > params.limit
    return json_response(
        {
            "company": company.pk,
            "currency": report.currency,
            "as_of": report.as_of,
            "total_value": str(report.total_value),
            "products": len(report.lines),
            "items": [
                {
                    "product": line.product_id,
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": str(line.quantity),
                    "value": str(line.value),
                }
                for line in page
            ],
            "next_cursor": encode_cursor("product", None, page[-1].product_id) if more else None,
        }
    )


@router.get(
    "/lots/{int:id}/trace",
    response={200: LotTrace, ERRORS: Problem},
    operation_id="trace_lot",
    summary="Where a lot or serial came from and went, document by document",
)
def trace_lot(request: HttpRequest, id: int) -> HttpResponse:
    require_permission(request.user, Lot, "view")
    lot = Lot.objects.restrict(request.user).select_related("product").filter(pk=id).first()
    if lot is None:
        raise NotFoundError(f"No lot with id {id}.")
    steps = reports.lot_trace(request.user, lot)
    stock = (
        reports.stock_quants(request.user, lot_id=lot.pk)
        if has_stock_view(request.user)
        else Quant.objects.none()
    )
    return json_response(
        {
            "lot": {
                "id": lot.pk,
                "name": lot.name,
                "product": lot.product_id,
                "sku": lot.product.sku,
                "expires_on": lot.expires_on,
            },
            "steps": [
                {
                    "done_at": s.done_at,
                    "reference": s.reference,
                    "transfer": s.transfer_id,
                    "kind": s.kind,
                    "source": s.source,
                    "destination": s.destination,
                    "quantity": str(s.quantity),
                }
                for s in steps
            ],
            "stock": [reports.quant_row(q) for q in stock.order_by("location__path")],
        }
    )


def has_stock_view(user: Any) -> bool:
    return bool(user.has_perm("inventory.view_quant"))


# -- scanning -----------------------------------------------------------------------------


@router.post(
    "/scan",
    response={200: ScanOut, ERRORS: Problem},
    operation_id="read_scan",
    summary="Read a scan: GS1 data or a plain barcode, and what it matches",
    description="Reads only (nothing is written). A malformed GS1 code is a 422 naming "
    "`barcode`; a well-formed scan that matches nothing answers 200 with `problem`.",
)
def scan(request: HttpRequest, payload: ScanIn) -> HttpResponse:
    require_permission(request.user, Transfer, "view")
    transfer = _transfer(request.user, payload.transfer) if payload.transfer else None
    result = read_scan(payload.barcode)
    match = match_scan(request.user, result, transfer=transfer)
    move = None
    if transfer is not None and match.product is not None:
        move = next((m.pk for m in open_moves(transfer) if m.product_id == match.product.pk), None)
    return json_response(
        {
            **_scan_fields(result),
            "product": match.product.pk if match.product else None,
            "sku": match.product.sku if match.product else None,
            "location": match.location.pk if match.location else None,
            "location_path": match.location.path if match.location else None,
            "matched_lot": match.lot.pk if match.lot else None,
            "quantity": str(match.quantity) if match.product else None,
            "move": move,
            "problem": match.problem,
        }
    )


def _scan_fields(result: ScanResult) -> dict[str, Any]:
    return {
        "kind": str(result.kind),
        "symbology": result.symbology,
        "gtin": result.gtin,
        "lot": result.lot,
        "serial": result.serial,
        "expires_on": result.expires_on,
        "count": _decimal(result.quantity),
        "sscc": result.sscc,
        "elements": {e.ai: e.value for e in result.elements},
    }


__all__ = ["router"]
