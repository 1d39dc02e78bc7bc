"""Stock by location, available-to-promise, stock valuation, lot traces and reading scans."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from crossdock.api.errors import Problem
from crossdock.api.http import json_response
from crossdock.api.pagination import decode_cursor, encode_cursor, paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.core.errors import NotFoundError
from crossdock.inventory import reports
from crossdock.inventory.api.common import (
    ERRORS,
    decimal,
    reference_problem,
    transfer_in_scope,
)
from crossdock.inventory.api.schemas import (
    MAX_PRODUCTS,
    AvailabilityList,
    AvailabilityParams,
    LotTrace,
    ScanIn,
    ScanOut,
    StockPage,
    StockParams,
    ValuationPage,
    ValuationParams,
)
from crossdock.inventory.gs1 import ScanResult, read_scan
from crossdock.inventory.models import (
    Lot,
    Quant,
    Transfer,
    ValuationLayer,
)
from crossdock.inventory.scanning import match_scan, open_moves
from crossdock.masterdata.models import Product

router = Router(tags=["Inventory"])


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
        raise reference_problem("product", "Give a product, warehouse, location or lot.")
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
        raise reference_problem(name, "Give ids separated by commas, e.g. 3,7,12.")
    if len(parts) > limit:
        raise reference_problem(name, f"At most {limit} ids.")
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
        raise reference_problem("quantity", "The quantity must be positive.")
    products = Product.objects.in_bulk(product_ids)
    missing = [pk for pk in product_ids if pk not in products]
    if missing:
        raise reference_problem("products", f"No product with id {missing[0]}.")
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
        "in_transit": str(row.in_transit),
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
        raise reference_problem("company", f"No company with id {params.company}.")
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
        if _has_stock_view(request.user)
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


def _has_stock_view(user: Any) -> bool:
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
    transfer = transfer_in_scope(request.user, payload.transfer) if payload.transfer else None
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
        "count": decimal(result.quantity),
        "sscc": result.sscc,
        "elements": {e.ai: e.value for e in result.elements},
    }
