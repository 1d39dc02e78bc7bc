"""Planning setup endpoints: planning settings, transfer lanes, promotions, and demand
history (read and import).

Thin like :mod:`crossdock.purchasing.api_settings`: role permission (403), rows within the
user's scope (404), one service call, the result rendered. Settings answer the defaults at
version 0 until saved; the ETag is the version, and ``If-Match`` (or ``version`` in the
body) refuses a lost update with a 412. Lists are cursor-paginated.
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile

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
from crossdock.masterdata.models import Company, Warehouse
from crossdock.planning.models import DemandDay, PlanningSettings, Promotion, TransferLane
from crossdock.planning.services import setup
from crossdock.planning.services.history import import_demand_history

router = Router(tags=["Planning setup"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})
PERCENT_STEP = Decimal("0.0001")

if TYPE_CHECKING:
    Percent = Decimal
else:
    Percent = decimal_type(4)


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


def _company(user: Any, pk: int) -> Company:
    company = Company.objects.in_scope_of(user).filter(pk=pk).first()
    if company is None:
        raise NotFoundError(f"No company with id {pk}.", fields={"company": ["No such company."]})
    return company


def _percent(value: Decimal) -> str:
    return str(value.quantize(PERCENT_STEP))


# -- settings -------------------------------------------------------------------------------


class SettingsOut(Schema):
    company: int
    review_period_days: int
    history_days: int
    horizon_weeks: int
    service_measure: str
    service_level_a: str
    service_level_b: str
    service_level_c: str
    excess_cover_months: int
    dead_stock_days: int
    bias_limit_percent: str
    outlier_limit: str
    saved: bool
    version: int


StrictInt = Annotated[int, Field(strict=True)]


class SettingsPatch(InputSchema):
    review_period_days: StrictInt | None = Field(None, description="Days between reviews.")
    history_days: StrictInt | None = Field(None, description="Days of history planned from.")
    horizon_weeks: StrictInt | None = None
    service_measure: Literal["cycle", "fill_rate"] | None = None
    service_level_a: Percent | None = Field(None, description="Above 0 and below 100 (%).")
    service_level_b: Percent | None = None
    service_level_c: Percent | None = None
    excess_cover_months: StrictInt | None = None
    dead_stock_days: StrictInt | None = None
    bias_limit_percent: Percent | None = None
    outlier_limit: Percent | None = Field(None, description="k of median + k × MAD.")
    version: Annotated[int, Field(strict=True, ge=0)] | None = None


def settings_data(settings: PlanningSettings) -> dict[str, Any]:
    return {
        "company": settings.company_id,
        **{name: getattr(settings, name) for name in setup.RANGES},
        "service_measure": settings.service_measure,
        **{name: _percent(getattr(settings, name)) for name in setup.PERCENT_FIELDS},
        **{name: _percent(getattr(settings, name)) for name in setup.LIMIT_FIELDS},
        "saved": settings.pk is not None,
        "version": setup.settings_version(settings),
    }


def _settings_response(company_id: int) -> HttpResponse:
    settings = setup.settings_for(company_id)
    return json_response(settings_data(settings), etag_version=setup.settings_version(settings))


@router.get(
    "/planning-settings/{int:company_id}",
    response={200: SettingsOut, ERRORS: Problem},
    operation_id="get_planning_settings",
    summary="A company's planning settings (the defaults until saved)",
)
def get_settings(request: HttpRequest, company_id: int) -> HttpResponse:
    require_permission(request.user, PlanningSettings, "view")
    return _settings_response(_company(request.user, company_id).pk)


@router.patch(
    "/planning-settings/{int:company_id}",
    response={200: SettingsOut, ERRORS: Problem},
    operation_id="update_planning_settings",
    summary="Change some of a company's planning settings",
    description="Only the fields sent change; every bad field is named in the 422 and "
    "nothing is saved. Send If-Match or version (0 while the defaults apply).",
)
def patch_settings(
    request: HttpRequest,
    company_id: int,
    payload: SettingsPatch,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    require_permission(request.user, PlanningSettings, "change")
    company = _company(request.user, company_id)
    sent = payload.model_dump(exclude_unset=True)
    version = sent.pop("version", None)
    setup.update_planning_settings(
        _actor(request), company.pk, sent, expected_version=expected_version(if_match, version)
    )
    return _settings_response(company.pk)


# -- transfer lanes -------------------------------------------------------------------------


class LaneOut(Schema):
    id: int
    company: int
    from_warehouse: int
    to_warehouse: int
    lead_time_days: int
    is_active: bool
    version: int


class LanePage(Schema):
    items: list[LaneOut]
    next_cursor: str | None


class LaneIn(InputSchema):
    from_warehouse: Id
    to_warehouse: Id
    lead_time_days: StrictInt = Field(1, description="1 to 365 days.")
    is_active: bool = True


class LanePatch(InputSchema):
    lead_time_days: StrictInt | None = None
    is_active: bool | None = None
    version: Annotated[int, Field(strict=True, ge=1)] | None = None


class LaneParams(Schema):
    company: QueryId | None = None
    from_warehouse: QueryId | None = None
    to_warehouse: QueryId | None = None
    ordering: Literal["id", "-id", "lead_time_days", "-lead_time_days"] = "id"
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


def lane_data(lane: TransferLane) -> dict[str, Any]:
    return {
        "id": lane.pk,
        "company": lane.company_id,
        "from_warehouse": lane.from_warehouse_id,
        "to_warehouse": lane.to_warehouse_id,
        "lead_time_days": lane.lead_time_days,
        "is_active": lane.is_active,
        "version": lane.version,
    }


def _lane(user: Any, pk: int, action: str = "view") -> TransferLane:
    require_permission(user, TransferLane, action)
    found = TransferLane.objects.restrict(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No transfer lane with id {pk}.")
    return found


@router.get(
    "/transfer-lanes",
    response={200: LanePage, ERRORS: Problem},
    operation_id="list_transfer_lanes",
    summary="Replenishment lanes between warehouses, with their lead times",
)
def list_lanes(request: HttpRequest, params: Query[LaneParams]) -> HttpResponse:
    refuse_unknown_params(request, LaneParams.model_fields)
    require_permission(request.user, TransferLane, "view")
    rows = TransferLane.objects.restrict(request.user, "view")
    for name in ("company", "from_warehouse", "to_warehouse"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [lane_data(x) for x in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/transfer-lanes",
    response={201: LaneOut, ERRORS: Problem},
    operation_id="create_transfer_lane",
    summary="Add a lane from one warehouse to another",
    description="The warehouses differ; the lead time is 1 to 365 days; the source may be "
    "another company's warehouse only inside the group. The lane belongs to the receiving "
    "warehouse's company.",
)
@idempotent
def create_lane(
    request: HttpRequest,
    payload: LaneIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, TransferLane, "add")
    lane = setup.create_transfer_lane(_actor(request), payload.model_dump())
    return json_response(lane_data(lane), 201, etag_version=lane.version)


@router.get(
    "/transfer-lanes/{int:id}",
    response={200: LaneOut, ERRORS: Problem},
    operation_id="get_transfer_lane",
    summary="One transfer lane",
)
def get_lane(request: HttpRequest, id: int) -> HttpResponse:
    lane = _lane(request.user, id)
    return json_response(lane_data(lane), etag_version=lane.version)


@router.patch(
    "/transfer-lanes/{int:id}",
    response={200: LaneOut, ERRORS: Problem},
    operation_id="update_transfer_lane",
    summary="Change a lane's lead time or whether it is active",
)
def update_lane(
    request: HttpRequest,
    id: int,
    payload: LanePatch,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    _lane(request.user, id, "change")
    sent = payload.model_dump(exclude_unset=True)
    version = sent.pop("version", None)
    lane = setup.update_transfer_lane(
        _actor(request), id, sent, expected_version=expected_version(if_match, version)
    )
    return json_response(lane_data(lane), etag_version=lane.version)


@router.delete(
    "/transfer-lanes/{int:id}",
    response={204: None, ERRORS: Problem},
    operation_id="delete_transfer_lane",
    summary="Remove a transfer lane",
)
def delete_lane(
    request: HttpRequest,
    id: int,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    _lane(request.user, id, "delete")
    setup.delete_transfer_lane(
        _actor(request), id, expected_version=expected_version(if_match, None)
    )
    return HttpResponse(status=204)


# -- promotions -----------------------------------------------------------------------------


class PromotionOut(Schema):
    id: int
    company: int
    name: str
    product: int | None
    category: int | None
    warehouse: int | None
    starts_on: datetime.date
    ends_on: datetime.date
    version: int


class PromotionPage(Schema):
    items: list[PromotionOut]
    next_cursor: str | None


class PromotionIn(InputSchema):
    company: Id
    name: Annotated[Text, Field(min_length=1, max_length=120)]
    product: Id | None = None
    category: Id | None = Field(None, description="With the categories below it.")
    warehouse: Id | None = Field(None, description="None: every warehouse of the company.")
    starts_on: datetime.date
    ends_on: datetime.date


class PromotionPatch(InputSchema):
    name: Annotated[Text, Field(min_length=1, max_length=120)] | None = None
    product: Id | None = None
    category: Id | None = None
    warehouse: Id | None = None
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    version: Annotated[int, Field(strict=True, ge=1)] | None = None


class PromotionParams(Schema):
    company: QueryId | None = None
    product: QueryId | None = None
    warehouse: QueryId | None = None
    ordering: Literal["id", "-id", "starts_on", "-starts_on"] = "-starts_on"
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


def promotion_data(promotion: Promotion) -> dict[str, Any]:
    return {
        "id": promotion.pk,
        "company": promotion.company_id,
        "name": promotion.name,
        "product": promotion.product_id,
        "category": promotion.category_id,
        "warehouse": promotion.warehouse_id,
        "starts_on": promotion.starts_on.isoformat(),
        "ends_on": promotion.ends_on.isoformat(),
        "version": promotion.version,
    }


def _promotion(user: Any, pk: int, action: str = "view") -> Promotion:
    require_permission(user, Promotion, action)
    found = Promotion.objects.restrict(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No promotion with id {pk}.")
    return found


@router.get(
    "/promotions",
    response={200: PromotionPage, ERRORS: Problem},
    operation_id="list_promotions",
    summary="Promotion periods whose demand is flagged",
)
def list_promotions(request: HttpRequest, params: Query[PromotionParams]) -> HttpResponse:
    refuse_unknown_params(request, PromotionParams.model_fields)
    require_permission(request.user, Promotion, "view")
    rows = Promotion.objects.restrict(request.user, "view")
    for name in ("company", "product", "warehouse"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [promotion_data(x) for x in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/promotions",
    response={201: PromotionOut, ERRORS: Problem},
    operation_id="create_promotion",
    summary="Add a promotion period (a product, a category or everything)",
)
@idempotent
def create_promotion(
    request: HttpRequest,
    payload: PromotionIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Promotion, "add")
    data = payload.model_dump()
    company = _company(request.user, data.pop("company"))
    promotion = setup.create_promotion(_actor(request), company.pk, data)
    return json_response(promotion_data(promotion), 201, etag_version=promotion.version)


@router.get(
    "/promotions/{int:id}",
    response={200: PromotionOut, ERRORS: Problem},
    operation_id="get_promotion",
    summary="One promotion",
)
def get_promotion(request: HttpRequest, id: int) -> HttpResponse:
    promotion = _promotion(request.user, id)
    return json_response(promotion_data(promotion), etag_version=promotion.version)


@router.patch(
    "/promotions/{int:id}",
    response={200: PromotionOut, ERRORS: Problem},
    operation_id="update_promotion",
    summary="Change a promotion",
)
def update_promotion(
    request: HttpRequest,
    id: int,
    payload: PromotionPatch,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    _promotion(request.user, id, "change")
    sent = payload.model_dump(exclude_unset=True)
    version = sent.pop("version", None)
    promotion = setup.update_promotion(
        _actor(request), id, sent, expected_version=expected_version(if_match, version)
    )
    return json_response(promotion_data(promotion), etag_version=promotion.version)


@router.delete(
    "/promotions/{int:id}",
    response={204: None, ERRORS: Problem},
    operation_id="delete_promotion",
    summary="Remove a promotion",
)
def delete_promotion(
    request: HttpRequest,
    id: int,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    _promotion(request.user, id, "delete")
    setup.delete_promotion(_actor(request), id, expected_version=expected_version(if_match, None))
    return HttpResponse(status=204)


# -- demand history -------------------------------------------------------------------------


class DemandOut(Schema):
    id: int
    company: int
    product: int
    warehouse: int
    day: datetime.date
    quantity: str
    shipped: str
    lost: str
    backordered: str
    source: str
    is_outlier: bool
    is_promotion: bool


class DemandPage(Schema):
    items: list[DemandOut]
    next_cursor: str | None


class DemandParams(Schema):
    company: QueryId | None = None
    product: QueryId | None = None
    warehouse: QueryId | None = None
    day_from: datetime.date | None = None
    day_to: datetime.date | None = None
    source: Literal["deliveries", "import"] | None = None
    ordering: Literal["id", "-id", "day", "-day"] = "day"
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(100, ge=1, le=1000)


def demand_data(row: DemandDay) -> dict[str, Any]:
    return {
        "id": row.pk,
        "company": row.company_id,
        "product": row.product_id,
        "warehouse": row.warehouse_id,
        "day": row.day.isoformat(),
        "quantity": str(row.quantity),
        "shipped": str(row.shipped),
        "lost": str(row.lost),
        "backordered": str(row.backordered),
        "source": row.source,
        "is_outlier": row.is_outlier,
        "is_promotion": row.is_promotion,
    }


@router.get(
    "/demand-history",
    response={200: DemandPage, ERRORS: Problem},
    operation_id="list_demand_history",
    summary="Daily demand per product and warehouse (shipped, lost, backordered)",
    description="Filter by company, product, warehouse, source and day range (inclusive).",
)
def list_demand(request: HttpRequest, params: Query[DemandParams]) -> HttpResponse:
    refuse_unknown_params(request, DemandParams.model_fields)
    require_permission(request.user, DemandDay, "view")
    rows = DemandDay.objects.filter(warehouse__in=Warehouse.objects.in_scope_of(request.user))
    for name in ("company", "product", "warehouse"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    if params.source is not None:
        rows = rows.filter(source=params.source)
    if params.day_from is not None:
        rows = rows.filter(day__gte=params.day_from)
    if params.day_to is not None:
        rows = rows.filter(day__lte=params.day_to)
    if params.day_from and params.day_to and params.day_to < params.day_from:
        raise DomainError(
            "day_to: before day_from.", fields={"day_to": ["Must be on or after day_from."]}
        )
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [demand_data(x) for x in page.rows], "next_cursor": page.next_cursor}
    )


class ImportRowError(Schema):
    row: int
    field: str
    message: str


class DemandImportOut(Schema):
    ok: bool
    dry_run: bool
    rows: int
    created: int
    updated: int
    errors: list[ImportRowError]


@router.post(
    "/demand-history/import",
    response={200: DemandImportOut, 201: DemandImportOut, ERRORS: Problem, 413: Problem},
    operation_id="import_demand_history",
    summary="Import daily demand history of one company from CSV or XLSX (all rows or none)",
    description="Columns `product` (SKU), `warehouse` (code), `day` (ISO date), `quantity` "
    "(shipped) and optionally `lost`, in the product's base unit. Rows are stored as "
    "imported history; a day imported again is replaced; a day with demand recorded from "
    "deliveries is refused. Every bad row is reported (422, `row_errors`) and nothing is "
    "written; ?dry_run=true only checks.",
)
@idempotent
def import_demand(
    request: HttpRequest,
    company: Query[int],
    file: File[UploadedFile],
    dry_run: Query[bool] = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, DemandDay, "add")
    require_permission(request.user, DemandDay, "change")
    scope = _company(request.user, company)
    filename = file.name or "upload"
    if not filename.lower().endswith((".csv", ".xlsx")):
        raise DomainError(
            "file: upload a .csv or .xlsx file.", fields={"file": ["Not a CSV or XLSX file."]}
        )
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        return problem(413, f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")
    result = import_demand_history(
        _actor(request), scope.pk, filename, file.read(), dry_run=dry_run
    )
    errors = [{"row": e.row, "field": e.field, "message": e.message} for e in result.errors]
    body = {
        "ok": result.ok,
        "dry_run": result.dry_run,
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "errors": errors,
    }
    if result.ok:
        return json_response(body, 200 if dry_run else 201)
    fields: dict[str, list[str]] = {}
    for error in errors:
        key = f"rows[{error['row']}]" + (f".{error['field']}" if error["field"] else "")
        fields.setdefault(key, []).append(str(error["message"]))
    first = errors[0]
    return problem(
        422,
        f"Nothing was imported: row {first['row']}: {first['message']}",
        errors=fields,
        extra={"row_errors": errors},
    )
