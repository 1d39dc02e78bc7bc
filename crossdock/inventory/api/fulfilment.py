"""Outbound fulfilment endpoints: pick waves, packages, shipping and the delivery note.

Thin like every inventory endpoint: role permission (403), rows in the user's
companies and warehouses (404), ids resolved within that scope (422 naming the
field), one service call, the result rendered. Permissions: waves need
``inventory.<action>_pickwave`` (completing and cancelling are changes);
packing ``add_package``; shipping ``add_shipment``; both act on the transfer,
so the service also wants ``change_transfer``. Package look-ups need
``view_package``; the delivery note ``view_transfer``.
"""

from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.core.errors import NotFoundError
from crossdock.inventory import services
from crossdock.inventory.api.common import (
    ERRORS,
    actor,
    decimal,
    reference_problem,
    transfer_in_scope,
    transfers_in_scope,
)
from crossdock.inventory.api.fulfilment_schemas import (
    CompletePickingIn,
    PackagePage,
    PackageParams,
    PackIn,
    PickWaveDetail,
    PickWaveIn,
    PickWavePage,
    PickWaveParams,
    ShipIn,
    ShipmentOut,
    TransferPackageParams,
)
from crossdock.inventory.api.transfers import _conflicts_as_409, _done_lines
from crossdock.inventory.delivery_note import delivery_note_pdf
from crossdock.inventory.fulfilment import pick_list
from crossdock.inventory.models import (
    Package,
    PackageContent,
    PickWave,
    Shipment,
    Transfer,
)
from crossdock.inventory.services.shipping import shipped_with
from crossdock.masterdata.models import Warehouse

router = Router(tags=["Fulfilment"])


# -- pick waves ---------------------------------------------------------------------------


def _waves(user: Any, action: str = "view") -> Any:
    require_permission(user, PickWave, action)
    return PickWave.objects.restrict(user, action).annotate(transfer_count=Count("transfers"))


def _wave_row(wave: PickWave) -> dict[str, Any]:
    return {
        "id": wave.pk,
        "reference": wave.reference,
        "state": wave.state,
        "company": wave.company_id,
        "warehouse": wave.warehouse_id,
        "carrier": wave.carrier,
        "transfers": wave.transfer_count,  # type: ignore[attr-defined]
        "created_by": wave.created_by_id,
        "created_at": wave.created_at,
        "done_at": wave.done_at,
        "version": wave.version,
    }


def _wave_detail(user: Any, pk: int, status: int = 200) -> HttpResponse:
    wave = _waves(user).filter(pk=pk).first()
    if wave is None:
        raise NotFoundError(f"No pick wave with id {pk}.")
    data = _wave_row(wave)
    data["transfer_ids"] = sorted(wave.transfers.values_list("pk", flat=True))
    data["stops"] = [
        {
            "location": stop.location.pk,
            "location_path": stop.location.path,
            "pick_sequence": stop.location.pick_sequence,
            "lines": [
                {
                    "move_line": line.move_line_id,
                    "move": line.move_id,
                    "transfer": line.transfer_id,
                    "transfer_reference": line.transfer_reference,
                    "product": line.product_id,
                    "sku": line.sku,
                    "name": line.product_name,
                    "lot": line.lot,
                    "quantity": str(line.quantity),
                    "unit": line.unit,
                }
                for line in stop.lines
            ],
        }
        for stop in pick_list(wave)
    ]
    return json_response(data, status, etag_version=wave.version)


@router.get(
    "/pick-waves",
    response={200: PickWavePage, ERRORS: Problem},
    operation_id="list_pick_waves",
    summary="List pick waves",
    description="Newest first; filter by warehouse and state.",
)
def list_pick_waves(request: HttpRequest, params: Query[PickWaveParams]) -> HttpResponse:
    refuse_unknown_params(request, PickWaveParams.model_fields)
    waves = _waves(request.user)
    if params.warehouse:
        waves = waves.filter(warehouse_id=params.warehouse)
    if params.state:
        waves = waves.filter(state=params.state)
    page = paginate(waves, params.ordering or "-created_at", params.cursor, params.limit)
    return json_response(
        {"items": [_wave_row(w) for w in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/pick-waves",
    response={201: PickWaveDetail, ERRORS: Problem},
    operation_id="create_pick_wave",
    summary="Make a pick wave of chosen or of all ready outgoing transfers",
    description="The answer holds the pick list: reserved lines by location in walking "
    "order (pick sequence, then path).",
)
@idempotent
def create_pick_wave(
    request: HttpRequest,
    payload: PickWaveIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, PickWave, "add")
    warehouse = Warehouse.objects.in_scope_of(request.user).filter(pk=payload.warehouse).first()
    if warehouse is None:
        raise reference_problem("warehouse", f"No warehouse with id {payload.warehouse}.")
    visible = set(
        transfers_in_scope(request.user, "change")
        .filter(pk__in=payload.transfers)
        .values_list("pk", flat=True)
    )
    for index, pk in enumerate(payload.transfers):
        if pk not in visible:
            raise reference_problem(f"transfers[{index}]", f"No transfer with id {pk}.")
    draft = services.PickWaveDraft(
        warehouse.pk, payload.transfers, payload.carrier, payload.scheduled_until
    )
    wave = _conflicts_as_409(lambda: services.create_pick_wave(actor(request), draft))
    return _wave_detail(request.user, wave.pk, 201)


@router.get(
    "/pick-waves/{int:id}",
    response={200: PickWaveDetail, ERRORS: Problem},
    operation_id="get_pick_wave",
    summary="Get a pick wave with its pick list",
)
def get_pick_wave(request: HttpRequest, id: int) -> HttpResponse:
    return _wave_detail(request.user, id)


def _wave_in_scope(user: Any, pk: int, action: str) -> PickWave:
    wave = _waves(user, action).filter(pk=pk).first()
    if wave is None:
        raise NotFoundError(f"No pick wave with id {pk}.")
    return wave


@router.post(
    "/pick-waves/{int:id}/complete",
    response={200: PickWaveDetail, ERRORS: Problem},
    operation_id="complete_pick_wave",
    summary="Complete picking: validate what was picked of each transfer",
    description="Send the quantities picked per move line, or nothing when all was picked. "
    "What is not picked goes to the transfers' backorders.",
)
@idempotent
def complete_pick_wave(
    request: HttpRequest,
    id: int,
    payload: CompletePickingIn | None = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    wave = _wave_in_scope(request.user, id, "change")
    lines = None if payload is None or payload.lines is None else payload.lines
    picked = (
        None
        if lines is None
        else [services.PickedLine(line.move_line, line.quantity) for line in lines]
    )
    _conflicts_as_409(lambda: services.complete_picking(actor(request), wave.pk, picked))
    return _wave_detail(request.user, wave.pk)


@router.post(
    "/pick-waves/{int:id}/cancel",
    response={200: PickWaveDetail, ERRORS: Problem},
    operation_id="cancel_pick_wave",
    summary="Cancel an open pick wave (its transfers stay as they are)",
)
@idempotent
def cancel_pick_wave(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    wave = _wave_in_scope(request.user, id, "change")
    _conflicts_as_409(lambda: services.cancel_pick_wave(actor(request), wave.pk))
    return _wave_detail(request.user, wave.pk)


# -- packages -----------------------------------------------------------------------------


def _packages(user: Any) -> Any:
    require_permission(user, Package, "view")
    contents = PackageContent.objects.select_related("product", "lot").order_by("pk")
    return (
        Package.objects.restrict(user)
        .select_related("transfer")
        .prefetch_related(Prefetch("contents", contents))
    )


def _package_row(package: Package) -> dict[str, Any]:
    return {
        "id": package.pk,
        "number": package.number,
        "transfer": package.transfer_id,
        "transfer_reference": package.transfer.reference,
        "package_type": package.package_type,
        "weight": str(package.weight),
        "length": decimal(package.length),
        "width": decimal(package.width),
        "height": decimal(package.height),
        "contents": [
            {
                "product": c.product_id,
                "sku": c.product.sku,
                "lot": c.lot_id,
                "lot_name": c.lot.name if c.lot else "",
                "quantity": str(c.quantity),
            }
            for c in package.contents.all()
        ],
        "created_at": package.created_at,
    }


@router.get(
    "/packages",
    response={200: PackagePage, ERRORS: Problem},
    operation_id="list_packages",
    summary="Find packages: by the number scanned from a label, or by transfer",
)
def list_packages(request: HttpRequest, params: Query[PackageParams]) -> HttpResponse:
    refuse_unknown_params(request, PackageParams.model_fields)
    packages = _packages(request.user)
    if params.number and params.number.strip():
        packages = packages.filter(number=params.number.strip())
    if params.transfer:
        packages = packages.filter(transfer_id=params.transfer)
    page = paginate(packages, "created_at", params.cursor, params.limit)
    return json_response(
        {"items": [_package_row(p) for p in page.rows], "next_cursor": page.next_cursor}
    )


@router.get(
    "/transfers/{int:id}/packages",
    response={200: PackagePage, ERRORS: Problem},
    operation_id="list_transfer_packages",
    summary="The packages of an outgoing transfer (with those of its pick and pack steps)",
)
def list_transfer_packages(
    request: HttpRequest, id: int, params: Query[TransferPackageParams]
) -> HttpResponse:
    refuse_unknown_params(request, TransferPackageParams.model_fields)
    transfer = transfer_in_scope(request.user, id)
    packages = _packages(request.user).filter(transfer_id__in=shipped_with(transfer))
    total = sum(packages.values_list("weight", flat=True), Decimal(0))
    page = paginate(packages, "created_at", params.cursor, params.limit)
    return json_response(
        {
            "items": [_package_row(p) for p in page.rows],
            "total_weight": str(total),
            "next_cursor": page.next_cursor,
        }
    )


@router.post(
    "/transfers/{int:id}/packages",
    response={201: PackagePage, ERRORS: Problem},
    operation_id="pack_transfer",
    summary="Pack an outgoing transfer: packages with weight and contents",
    description="Refused, naming the content, when the packages would hold more of a product "
    "or lot than the transfer carries (reserved and done lines).",
)
@idempotent
def pack_transfer(
    request: HttpRequest,
    id: int,
    payload: PackIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Package, "add")
    transfer = transfer_in_scope(request.user, id, "change")
    drafts = [
        services.PackageDraft(
            weight=p.weight,
            contents=[services.PackedItem(c.product, c.quantity, c.lot) for c in p.contents],
            number=p.number,
            package_type=p.package_type,
            length=p.length,
            width=p.width,
            height=p.height,
        )
        for p in payload.packages
    ]
    created = _conflicts_as_409(lambda: services.pack(actor(request), transfer.pk, drafts))
    packages = _packages(request.user).filter(pk__in=[p.pk for p in created]).order_by("pk")
    return json_response(
        {
            "items": [_package_row(p) for p in packages],
            "total_weight": str(sum((p.weight for p in created), Decimal(0))),
            "next_cursor": None,
        },
        201,
    )


# -- shipping -----------------------------------------------------------------------------


def _shipment_row(shipment: Shipment) -> dict[str, Any]:
    transfer = Transfer.objects.get(pk=shipment.transfer_id)
    return {
        "id": shipment.pk,
        "transfer": transfer.pk,
        "transfer_reference": transfer.reference,
        "transfer_state": transfer.state,
        "partner": transfer.partner_id,
        "carrier": shipment.carrier,
        "service_level": shipment.service_level,
        "tracking_number": shipment.tracking_number,
        "shipped_at": shipment.shipped_at,
        "packages": list(
            Package.objects.filter(transfer_id__in=shipped_with(transfer))
            .order_by("pk")
            .values_list("number", flat=True)
        ),
        "backorders": sorted(transfer.backorders.values_list("pk", flat=True)),
    }


@router.post(
    "/transfers/{int:id}/ship",
    response={200: ShipmentOut, ERRORS: Problem},
    operation_id="ship_transfer",
    summary="Ship a delivery: validate it and record carrier and tracking number",
    description="Ships what is reserved (or the lines sent, never more than reserved), "
    "records the shipment and publishes inventory.shipment.shipped for customer "
    "notifications.",
)
@idempotent
def ship_transfer(
    request: HttpRequest,
    id: int,
    payload: ShipIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Shipment, "add")
    transfer = transfer_in_scope(request.user, id, "change")
    done = _done_lines(payload)  # type: ignore[arg-type]
    shipment = _conflicts_as_409(
        lambda: services.ship(
            actor(request),
            transfer.pk,
            payload.carrier,
            payload.tracking_number,
            service_level=payload.service_level,
            done=done,
        )
    )
    return json_response(_shipment_row(shipment))


@router.get(
    "/transfers/{int:id}/delivery-note.pdf",
    response={ERRORS: Problem},
    operation_id="delivery_note_pdf",
    summary="The delivery note as PDF",
    description="Reference, customer and ship-to address, lines with lot or serial, "
    "packages with weights, carrier and tracking number.",
)
def get_delivery_note(request: HttpRequest, id: int) -> HttpResponse:
    found = transfer_in_scope(request.user, id)
    transfer = Transfer.objects.select_related("company", "warehouse", "partner").get(pk=found.pk)
    response = HttpResponse(delivery_note_pdf(transfer), content_type="application/pdf")
    name = transfer.reference.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}-delivery-note.pdf"'
    return response
