"""Transfers: list, create, detail, and the confirm, reserve, validate and cancel actions."""

import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.core.errors import ConflictError, DomainError, NotFoundError
from crossdock.inventory import services
from crossdock.inventory.api.common import (
    ERRORS,
    actor,
    decimal,
    reference_problem,
    transfer_in_scope,
    transfers_in_scope,
)
from crossdock.inventory.api.schemas import (
    TransferDetail,
    TransferIn,
    TransferListParams,
    TransferPage,
    ValidateIn,
)
from crossdock.inventory.models import (
    Lot,
    MoveLine,
    MoveState,
    StockMove,
    Transfer,
)
from crossdock.inventory.scanning import open_moves
from crossdock.masterdata.models import Location, Partner, Warehouse

router = Router(tags=["Inventory"])


def transfer_row(t: Transfer) -> dict[str, Any]:
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
        transfers_in_scope(user)
        .filter(pk=pk)
        .prefetch_related(Prefetch("moves", moves), Prefetch("moves__lines", lines))
        .first()
    )
    if transfer is None:
        raise NotFoundError(f"No transfer with id {pk}.")
    data = transfer_row(transfer)
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
            "unit_cost": decimal(m.unit_cost),
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


def _resolve_draft(user: Any, payload: TransferIn) -> services.TransferDraft:
    """The draft with every id checked against the user's scope (422 naming the field)."""
    warehouse = Warehouse.objects.in_scope_of(user).filter(pk=payload.warehouse).first()
    if warehouse is None:
        raise reference_problem("warehouse", f"No warehouse with id {payload.warehouse}.")
    locations = Location.objects.in_scope_of(user).in_bulk([payload.source, payload.destination])
    for name in ("source", "destination"):
        if getattr(payload, name) not in locations:
            raise reference_problem(name, f"No location with id {getattr(payload, name)}.")
    if payload.partner is not None:
        partner = Partner.objects.in_scope_of(user).filter(pk=payload.partner).first()
        if partner is None or partner.company_id != warehouse.company_id:
            raise reference_problem(
                "partner", f"No partner with id {payload.partner} in {warehouse.company}."
            )
    lot_ids = {line.lot for line in payload.lines if line.lot is not None}
    lots = Lot.objects.in_bulk(lot_ids) if lot_ids else {}
    for index, line in enumerate(payload.lines):
        lot = lots.get(line.lot) if line.lot is not None else None
        if line.lot is not None and (lot is None or lot.product_id != line.product):
            raise reference_problem(f"lines[{index}].lot", "Not a lot of this product.")
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


def _done_lines(payload: ValidateIn) -> list[services.DoneLine] | None:
    if payload.lines is None:
        return None
    done = []
    for index, line in enumerate(payload.lines):
        if line.lot and line.serial and line.lot != line.serial:
            raise reference_problem(f"lines[{index}].serial", "Give a lot or a serial, not both.")
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
    transfers = transfers_in_scope(request.user)
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
        {"items": [transfer_row(t) for t in page.rows], "next_cursor": page.next_cursor}
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
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Transfer, "add")
    draft = _resolve_draft(request.user, payload)
    transfer = _conflicts_as_409(lambda: services.create_transfer(actor(request), draft))
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
    services.confirm_transfer(actor(request), transfer.pk)


def _reserve(request: HttpRequest, transfer: Transfer, payload: Any) -> None:
    if transfer.state not in (MoveState.CONFIRMED, MoveState.PARTIAL, MoveState.ASSIGNED):
        raise ConflictError(
            f"{transfer.reference} is {transfer.get_state_display().lower()}; "
            "only a confirmed transfer can be reserved."
        )
    services.reserve_moves(actor(request), [m.pk for m in open_moves(transfer)])


def _validate(request: HttpRequest, transfer: Transfer, payload: ValidateIn | None) -> None:
    done = _done_lines(payload or ValidateIn(lines=None))
    try:
        services.validate_transfer(actor(request), transfer.pk, done)
    except DomainError as error:
        raise _api_field_names(error, done, transfer) from error


def _cancel(request: HttpRequest, transfer: Transfer, payload: Any) -> None:
    services.cancel_transfer(actor(request), transfer.pk)


def _run(request: HttpRequest, id: int, run: Callable[..., Any], payload: Any = None) -> Any:
    transfer = transfer_in_scope(request.user, id, "change")
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
    idempotency_key: IdempotencyKeyHeader = None,
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
    idempotency_key: IdempotencyKeyHeader = None,
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
    idempotency_key: IdempotencyKeyHeader = None,
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
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    return _run(request, id, _cancel)
