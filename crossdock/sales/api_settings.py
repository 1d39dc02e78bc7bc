"""Sales settings endpoints: ``/api/v1/sales-settings/{company_id}`` (a company's sourcing
and invoice policies, overdue hold and discount limit) and ``/api/v1/margin-floors`` (the
minimum margin per product category and company).

Thin like :mod:`crossdock.purchasing.api_settings`: role permission (403), the company or
floor within the user's scope (404), one service call, the result rendered. A company that
never saved its settings answers the defaults at version 0; the ETag is the version, and
``If-Match`` (or ``version`` in the body) refuses a lost update with a 412.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from crossdock.api.company_settings import get_company_settings, patch_company_settings
from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader, IfMatchHeader
from crossdock.api.http import expected_version, json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import Id, InputSchema, QueryId, Text, decimal_type
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError
from crossdock.sales.models import MarginFloor, SalesSettings
from crossdock.sales.services import margin_floors
from crossdock.sales.services.settings import (
    MAX_HOLD_DAYS,
    settings_version,
    update_sales_settings,
)

router = Router(tags=["Sales settings"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})

PERCENT_STEP = Decimal("0.0001")

if TYPE_CHECKING:
    Percent = Decimal
else:
    Percent = decimal_type(4)

Version = Annotated[int, Field(strict=True, ge=0)]


# -- schemas ---------------------------------------------------------------------------------


class SettingsOut(Schema):
    company: int
    sourcing_policy: str
    invoice_policy: str
    overdue_hold_days: int
    max_discount_percent: str
    saved: bool
    version: int


class SettingsPatch(InputSchema):
    sourcing_policy: Annotated[Text, Field(max_length=20)] | None = Field(
        None, description="nearest, central or split: where an order's lines are sourced."
    )
    invoice_policy: Annotated[Text, Field(max_length=20)] | None = Field(
        None, description="delivery (an invoice per delivery) or order (one per order)."
    )
    overdue_hold_days: Annotated[int, Field(strict=True)] | None = Field(
        None,
        description=f"An invoice overdue by more than this holds the customer's new orders "
        f"(0 to {MAX_HOLD_DAYS}).",
    )
    max_discount_percent: Percent | None = Field(
        None, description="A larger discount needs approval, in % (0 to 100)."
    )
    version: Version | None = Field(
        None, description="The version you edited (0 for the defaults); 412 if stale."
    )


class FloorOut(Schema):
    id: int
    company: int
    category: int
    category_path: str
    min_margin_percent: str
    max_discount_percent: str | None
    version: int


class FloorPage(Schema):
    items: list[FloorOut]
    next_cursor: str | None


class FloorIn(InputSchema):
    company: Id
    category: Id = Field(description="A product category (its sub-categories follow it).")
    min_margin_percent: Percent = Field(
        description="A line under this gross margin needs approval, in % (0 up to 100)."
    )
    max_discount_percent: Percent | None = Field(
        None, description="This category's discount limit in %; empty: the company's."
    )


class FloorPatch(InputSchema):
    min_margin_percent: Percent | None = Field(None, description="In % (0 up to 100).")
    max_discount_percent: Percent | None = Field(
        None, description="In % (0 to 100); null: the company's limit applies."
    )
    version: Version | None = Field(None, description="The version you edited; 412 if stale.")


class FloorParams(Schema):
    company: QueryId | None = None
    category: QueryId | None = None
    ordering: Literal["id", "-id"] = "id"
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


# -- helpers ---------------------------------------------------------------------------------


def _percent(value: Decimal | None) -> str | None:
    """At the field's full scale (``"10.0000"``), as every decimal the API answers."""
    return None if value is None else str(value.quantize(PERCENT_STEP))


def settings_data(settings: SalesSettings) -> dict[str, Any]:
    return {
        "company": settings.company_id,
        "sourcing_policy": settings.sourcing_policy,
        "invoice_policy": settings.invoice_policy,
        "overdue_hold_days": settings.overdue_hold_days,
        "max_discount_percent": _percent(settings.max_discount_percent),
        "saved": settings.pk is not None,
        "version": settings_version(settings),
    }


def floor_data(floor: MarginFloor) -> dict[str, Any]:
    return {
        "id": floor.pk,
        "company": floor.company_id,
        "category": floor.category_id,
        "category_path": floor.category.path,
        "min_margin_percent": _percent(floor.min_margin_percent),
        "max_discount_percent": _percent(floor.max_discount_percent),
        "version": floor.version,
    }


def _floor(user: Any, pk: int, action: str = "view") -> MarginFloor:
    require_permission(user, MarginFloor, action)
    found = MarginFloor.objects.restrict(user, action).select_related("category").filter(pk=pk)
    floor = found.first()
    if floor is None:
        raise NotFoundError(f"No margin floor with id {pk}.")
    return floor


def _floor_response(user: Any, pk: int, status: int = 200) -> HttpResponse:
    floor = _floor(user, pk)
    return json_response(floor_data(floor), status, etag_version=floor.version)


# -- sales settings --------------------------------------------------------------------------


@router.get(
    "/sales-settings/{int:company_id}",
    response={200: SettingsOut, ERRORS: Problem},
    operation_id="get_sales_settings",
    summary="A company's sales policies (the defaults until saved)",
)
def get_settings(request: HttpRequest, company_id: int) -> HttpResponse:
    return get_company_settings(request, SalesSettings, company_id, settings_data)


@router.patch(
    "/sales-settings/{int:company_id}",
    response={200: SettingsOut, ERRORS: Problem},
    operation_id="update_sales_settings",
    summary="Change some of a company's sales policies",
    description="Only the fields sent change. The discount limit is a decimal string with at "
    "most four places from 0 to 100; every bad field is named in the 422 and nothing is "
    "saved. Send If-Match or version (0 while the defaults apply) to refuse lost updates.",
)
def patch_settings(
    request: HttpRequest,
    company_id: int,
    payload: SettingsPatch,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    return patch_company_settings(
        request,
        SalesSettings,
        company_id,
        payload,
        if_match,
        update=_update_settings,
        render=settings_data,
    )


def _update_settings(
    actor: Actor, company_id: int, changes: dict[str, Any], *, expected_version: int | None
) -> SalesSettings:
    return update_sales_settings(actor, company_id, expected_version=expected_version, **changes)


# -- margin floors ---------------------------------------------------------------------------


@router.get(
    "/margin-floors",
    response={200: FloorPage, ERRORS: Problem},
    operation_id="list_margin_floors",
    summary="Margin floors per product category (filter by company or category)",
)
def list_floors(request: HttpRequest, params: Query[FloorParams]) -> HttpResponse:
    refuse_unknown_params(request, FloorParams.model_fields)
    require_permission(request.user, MarginFloor, "view")
    rows = MarginFloor.objects.restrict(request.user, "view").select_related("category")
    for name in ("company", "category"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [floor_data(f) for f in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/margin-floors",
    response={201: FloorOut, ERRORS: Problem},
    operation_id="create_margin_floor",
    summary="Add a company's margin floor for a product category",
    description="One floor per category and company (409 if it has one). The minimum margin "
    "is a decimal string from 0 up to 100 with at most four places.",
)
@idempotent
def create_floor(
    request: HttpRequest,
    payload: FloorIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, MarginFloor, "add")
    floor = margin_floors.create_margin_floor(
        Actor.of(request.user),
        margin_floors.MarginFloorDraft(
            company_id=payload.company,
            category_id=payload.category,
            min_margin_percent=payload.min_margin_percent,
            max_discount_percent=payload.max_discount_percent,
        ),
    )
    return _floor_response(request.user, floor.pk, 201)


@router.get(
    "/margin-floors/{int:id}",
    response={200: FloorOut, ERRORS: Problem},
    operation_id="get_margin_floor",
    summary="One margin floor",
)
def get_floor(request: HttpRequest, id: int) -> HttpResponse:
    return _floor_response(request.user, id)


@router.patch(
    "/margin-floors/{int:id}",
    response={200: FloorOut, ERRORS: Problem},
    operation_id="update_margin_floor",
    summary="Change a margin floor's minimum margin or discount limit",
    description="Only the fields sent change; the company and category stay. Send If-Match "
    "or version to refuse lost updates.",
)
def patch_floor(
    request: HttpRequest,
    id: int,
    payload: FloorPatch,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    floor = _floor(request.user, id, "change")
    sent = payload.model_dump(exclude_unset=True)
    version = sent.pop("version", None)
    margin_floors.update_margin_floor(
        Actor.of(request.user),
        floor.pk,
        sent,
        expected_version=expected_version(if_match, version),
    )
    return _floor_response(request.user, floor.pk)


@router.delete(
    "/margin-floors/{int:id}",
    response={204: None, ERRORS: Problem},
    operation_id="delete_margin_floor",
    summary="Remove a margin floor (the category falls back to its parent's floor)",
)
def delete_floor(
    request: HttpRequest,
    id: int,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    floor = _floor(request.user, id, "delete")
    version = expected_version(if_match)
    margin_floors.delete_margin_floor(Actor.of(request.user), floor.pk, expected_version=version)
    return HttpResponse(status=204)
