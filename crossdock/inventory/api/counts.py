"""Count sheets: list, create, detail, and the start, counts, submit and cancel actions.

Thin like the transfer endpoints: role permission (``inventory.<action>_countsheet``,
403), the sheet within the user's companies and warehouses (404), then one
service. A blind sheet's expected quantities, moves since the start and
differences are ``null`` until it is submitted, whoever asks.
"""

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.approvals.services import request_for
from crossdock.core.errors import NotFoundError
from crossdock.inventory.api.common import ERRORS, actor, decimal
from crossdock.inventory.api.schemas import (
    CountEntriesIn,
    CountSheetDetail,
    CountSheetIn,
    CountSheetListParams,
    CountSheetPage,
)
from crossdock.inventory.models import CountLine, CountSheet
from crossdock.inventory.services import counts
from crossdock.inventory.services.adjustments import STOCK_ADJUSTMENT

router = Router(tags=["Cycle counts"])


def sheets_in_scope(user: Any, action: str = "view") -> Any:
    require_permission(user, CountSheet, action)
    return CountSheet.objects.restrict(user, action)


def sheet_in_scope(user: Any, pk: int, action: str = "view") -> CountSheet:
    found = sheets_in_scope(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No count sheet with id {pk}.")
    return found


def sheet_row(sheet: CountSheet) -> dict[str, Any]:
    return {
        "id": sheet.pk,
        "reference": sheet.reference,
        "state": sheet.state,
        "company": sheet.company_id,
        "warehouse": sheet.warehouse_id,
        "scope": sheet.scope,
        "locations": sorted(loc.pk for loc in sheet.locations.all()),
        "abc_class": sheet.abc_class,
        "blind": sheet.blind,
        "shows_expected": sheet.shows_expected,
        "note": sheet.note,
        "created_by": sheet.created_by_id,
        "created_at": sheet.created_at,
        "started_at": sheet.started_at,
        "submitted_at": sheet.submitted_at,
        "closed_at": sheet.closed_at,
        "adjustment": sheet.adjustment_id,
        "version": sheet.version,
    }


def line_row(line: CountLine, shows_expected: bool) -> dict[str, Any]:
    def hidden(value: Any) -> str | None:
        return decimal(value) if shows_expected else None

    return {
        "id": line.pk,
        "product": line.product_id,
        "sku": line.product.sku,
        "location": line.location_id,
        "location_path": line.location.path,
        "lot": line.lot_id,
        "lot_name": line.lot.name if line.lot else "",
        "expected": hidden(line.expected),
        "moved": hidden(line.moved),
        "difference": hidden(line.difference),
        "counted": decimal(line.counted),
        "counted_by": line.counted_by_id,
        "counted_at": line.counted_at,
        "added": line.added,
    }


def _detail(user: Any, pk: int, status: int = 200) -> HttpResponse:
    lines = CountLine.objects.select_related("product", "location", "lot")
    sheet = (
        sheets_in_scope(user)
        .filter(pk=pk)
        .prefetch_related("locations", Prefetch("lines", lines))
        .first()
    )
    if sheet is None:
        raise NotFoundError(f"No count sheet with id {pk}.")
    data = sheet_row(sheet)
    data["lines"] = [line_row(line, sheet.shows_expected) for line in sheet.lines.all()]
    request = request_for(STOCK_ADJUSTMENT, sheet.adjustment_id) if sheet.adjustment_id else None
    data["approval_request"] = request.pk if request else None
    return json_response(data, status, etag_version=sheet.version)


@router.get(
    "/count-sheets",
    response={200: CountSheetPage, ERRORS: Problem},
    operation_id="list_count_sheets",
    summary="List count sheets",
    description="Newest first; filter by state and warehouse; q searches the reference.",
)
def list_count_sheets(request: HttpRequest, params: Query[CountSheetListParams]) -> HttpResponse:
    refuse_unknown_params(request, CountSheetListParams.model_fields)
    sheets = sheets_in_scope(request.user).prefetch_related("locations")
    if params.state:
        sheets = sheets.filter(state=params.state)
    if params.warehouse:
        sheets = sheets.filter(warehouse_id=params.warehouse)
    if params.q and params.q.strip():
        sheets = sheets.filter(reference__icontains=params.q.strip())
    page = paginate(sheets, params.ordering or "-created_at", params.cursor, params.limit)
    return json_response(
        {"items": [sheet_row(s) for s in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/count-sheets",
    response={201: CountSheetDetail, ERRORS: Problem},
    operation_id="create_count_sheet",
    summary="Plan a count sheet",
    description="By locations (each with the locations below it) or by ABC class of the "
    "warehouse's stock value; blind hides the expected quantities until submitted.",
)
@idempotent
def create_count_sheet(
    request: HttpRequest,
    payload: CountSheetIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, CountSheet, "add")
    sheet = counts.create_count(
        actor(request),
        counts.CountDraft(
            warehouse_id=payload.warehouse,
            scope=payload.scope,
            location_ids=payload.locations,
            abc_class=payload.abc_class,
            blind=payload.blind,
            note=payload.note,
        ),
    )
    return _detail(request.user, sheet.pk, 201)


@router.get(
    "/count-sheets/{int:id}",
    response={200: CountSheetDetail, ERRORS: Problem},
    operation_id="get_count_sheet",
    summary="Get a count sheet with its lines",
)
def get_count_sheet(request: HttpRequest, id: int) -> HttpResponse:
    return _detail(request.user, id)


@router.post(
    "/count-sheets/{int:id}/start",
    response={200: CountSheetDetail, ERRORS: Problem},
    operation_id="start_count_sheet",
    summary="Start counting: snapshot the expected quantities",
)
@idempotent
def start_count_sheet(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    sheet = sheet_in_scope(request.user, id, "change")
    counts.start_count(actor(request), sheet.pk)
    return _detail(request.user, sheet.pk)


@router.post(
    "/count-sheets/{int:id}/counts",
    response={200: CountSheetDetail, ERRORS: Problem},
    operation_id="record_counts",
    summary="Record counted quantities (a batch)",
    description="Each entry replaces the line's count (or adds to it with add=true); a "
    "product, location or lot not on the sheet adds a line. One bad entry and nothing "
    "is recorded; errors name entries[i].<field>.",
)
@idempotent
def record_counts(
    request: HttpRequest,
    id: int,
    payload: CountEntriesIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    sheet = sheet_in_scope(request.user, id, "change")
    entries = [
        counts.CountEntry(e.product, e.location, e.quantity, e.lot, e.add) for e in payload.entries
    ]
    counts.record_counts(actor(request), sheet.pk, entries)
    return _detail(request.user, sheet.pk)


@router.post(
    "/count-sheets/{int:id}/submit",
    response={200: CountSheetDetail, ERRORS: Problem},
    operation_id="submit_count_sheet",
    summary="Submit: compute the differences and book them as one stock adjustment",
    description="Differences allow for stock moved since the start. The adjustment goes "
    "through the approvals engine: processed at once, or waiting for an approver.",
)
@idempotent
def submit_count_sheet(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    sheet = sheet_in_scope(request.user, id, "change")
    counts.submit_count(actor(request), sheet.pk)
    return _detail(request.user, sheet.pk)


@router.post(
    "/count-sheets/{int:id}/cancel",
    response={200: CountSheetDetail, ERRORS: Problem},
    operation_id="cancel_count_sheet",
    summary="Cancel a count sheet (not submitted, or its adjustment rejected)",
)
@idempotent
def cancel_count_sheet(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    sheet = sheet_in_scope(request.user, id, "change")
    counts.cancel_count(actor(request), sheet.pk)
    return _detail(request.user, sheet.pk)
