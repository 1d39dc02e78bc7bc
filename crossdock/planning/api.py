"""Replenishment endpoints: runs, planning items, suggestions (and acting on them in bulk),
reorder policies, forecast overrides and planning exceptions.

Thin like :mod:`crossdock.purchasing.api`: role permission (403), rows within the user's
scope (404), one service call, the result rendered. Starting a run needs ``add`` on runs
and runs it synchronously (the nightly run goes through the worker; ``crossdock
replenish``). Acting on suggestions needs ``change`` on suggestions; converting them also
needs ``add`` on the document made (requisition, RFQ, purchase order or transfer), which
the purchasing and inventory services check. Quantities are decimal strings.
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader, IfMatchHeader
from crossdock.api.http import expected_version, json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import Id, InputSchema, QueryId, Text, decimal_type
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError
from crossdock.core.fields import PERCENT_SCALE, QUANTITY_SCALE
from crossdock.core.permissions import access_of
from crossdock.masterdata.models import Company
from crossdock.planning.models import (
    ForecastOverride,
    PlanningException,
    PlanningItem,
    ReorderPolicy,
    ReplenishmentRun,
    Suggestion,
)
from crossdock.planning.services import policies, suggestions
from crossdock.planning.services.run import run_replenishment

router = Router(tags=["Replenishment"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})
Cursor = Annotated[Text, Field(max_length=1000)]

if TYPE_CHECKING:
    Quantity = Decimal
    Percent = Decimal
else:
    Quantity = decimal_type(QUANTITY_SCALE)
    Percent = decimal_type(PERCENT_SCALE)


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


def _d(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _when(value: datetime.date | datetime.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# -- runs -------------------------------------------------------------------------------------


class RunOut(Schema):
    id: int
    company: int
    state: str
    reuse_forecasts: bool
    as_of: str
    started_at: str
    finished_at: str | None
    seconds: float | None
    items: int
    suggestions: int
    exceptions: int
    error: str


class RunDetailOut(RunOut):
    report: dict[str, Any]


class RunPage(Schema):
    items: list[RunOut]
    next_cursor: str | None


class RunIn(InputSchema):
    company: Id
    reuse_forecasts: bool = Field(False, description="Reuse the stored forecasts (no fitting).")


class RunParams(Schema):
    company: QueryId | None = None
    state: Literal["running", "done", "failed"] | None = None
    ordering: Literal["id", "-id"] = "-id"
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=500)


def run_data(run: ReplenishmentRun, *, detail: bool = False) -> dict[str, Any]:
    data = {
        "id": run.pk,
        "company": run.company_id,
        "state": run.state,
        "reuse_forecasts": run.reuse_forecasts,
        "as_of": run.as_of.isoformat(),
        "started_at": run.started_at.isoformat(),
        "finished_at": _when(run.finished_at),
        "seconds": run.seconds,
        "items": run.items,
        "suggestions": run.suggestions_count,
        "exceptions": run.exceptions_count,
        "error": run.error,
    }
    if detail:
        data["report"] = run.report
    return data


def _company(user: Any, pk: int) -> Company:
    company = Company.objects.in_scope_of(user).filter(pk=pk).first()
    if company is None:
        raise NotFoundError(f"No company with id {pk}.", fields={"company": ["Unknown company."]})
    return company


@router.post(
    "/replenishment-runs",
    response={201: RunDetailOut, ERRORS: Problem},
    operation_id="start_replenishment_run",
    summary="Plan a company's replenishment now (forecasts, levels, suggestions, exceptions)",
    description="Runs synchronously and answers the finished run: `done` with its report, or "
    "`failed` with the error (nothing of a failed run is applied).",
)
@idempotent
def start_run(
    request: HttpRequest,
    payload: RunIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, ReplenishmentRun, "add")
    company = _company(request.user, payload.company)
    run = run_replenishment(company, actor=_actor(request), reuse_forecasts=payload.reuse_forecasts)
    return json_response(run_data(run, detail=True), 201)


@router.get(
    "/replenishment-runs",
    response={200: RunPage, ERRORS: Problem},
    operation_id="list_replenishment_runs",
    summary="Replenishment runs, newest first",
)
def list_runs(request: HttpRequest, params: Query[RunParams]) -> HttpResponse:
    refuse_unknown_params(request, RunParams.model_fields)
    require_permission(request.user, ReplenishmentRun, "view")
    rows = ReplenishmentRun.objects.restrict(request.user)
    if params.company is not None:
        rows = rows.filter(company_id=params.company)
    if params.state is not None:
        rows = rows.filter(state=params.state)
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [run_data(r) for r in page.rows], "next_cursor": page.next_cursor}
    )


@router.get(
    "/replenishment-runs/{int:id}",
    response={200: RunDetailOut, ERRORS: Problem},
    operation_id="get_replenishment_run",
    summary="A run with its report (counts, forecast models, exceptions, problems met)",
)
def get_run(request: HttpRequest, id: int) -> HttpResponse:
    require_permission(request.user, ReplenishmentRun, "view")
    run = ReplenishmentRun.objects.restrict(request.user).filter(pk=id).first()
    if run is None:
        raise NotFoundError(f"No replenishment run with id {id}.")
    return json_response(run_data(run, detail=True))


# -- planning items ---------------------------------------------------------------------------


class ItemOut(Schema):
    id: int
    company: int
    product: int
    warehouse: int
    abc: str
    xyz: str
    pattern: str
    lifecycle: str
    forecast_model: str
    bucket_days: int
    forecast: list[str]
    forecast_sd: str
    daily_demand: str
    mase: str | None
    bias_percent: str | None
    lead_time_days: int | None
    service_level: str | None
    policy_method: str
    safety_stock: str
    reorder_point: str
    order_up_to: str
    on_hand: str
    open_supply: str
    backordered: str
    projected: str
    needs_action: bool
    levels_at: str | None


class ItemPage(Schema):
    items: list[ItemOut]
    next_cursor: str | None


class ItemParams(Schema):
    company: QueryId | None = None
    warehouse: QueryId | None = None
    product: QueryId | None = None
    abc: Literal["A", "B", "C"] | None = None
    pattern: Literal["smooth", "erratic", "intermittent", "lumpy"] | None = None
    lifecycle: Literal["new", "active", "declining", "obsolete"] | None = None
    needs_action: bool | None = None
    ordering: Literal["id", "-id"] = "id"
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=500)


def _items_in_scope(user: Any) -> QuerySet[PlanningItem]:
    """Planning rows of the user's companies and warehouses (they are not scoped models)."""
    access = access_of(user)
    rows = PlanningItem.objects.all()
    if access.company_ids is not None:
        rows = rows.filter(company_id__in=access.company_ids)
    if access.warehouse_ids is not None:
        rows = rows.filter(warehouse_id__in=access.warehouse_ids)
    return rows


def item_data(item: PlanningItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "company": item.company_id,
        "product": item.product_id,
        "warehouse": item.warehouse_id,
        "abc": item.abc,
        "xyz": item.xyz,
        "pattern": item.pattern,
        "lifecycle": item.lifecycle,
        "forecast_model": item.forecast_model,
        "bucket_days": item.bucket_days,
        "forecast": [str(x) for x in item.forecast],
        "forecast_sd": _d(item.forecast_sd),
        "daily_demand": _d(item.daily_demand),
        "mase": _d(item.mase),
        "bias_percent": _d(item.bias),
        "lead_time_days": item.lead_time_days,
        "service_level": _d(item.service_level),
        "policy_method": item.policy_method,
        "safety_stock": _d(item.safety_stock),
        "reorder_point": _d(item.reorder_point),
        "order_up_to": _d(item.order_up_to),
        "on_hand": _d(item.on_hand),
        "open_supply": _d(item.open_supply),
        "backordered": _d(item.backordered),
        "projected": _d(item.projected),
        "needs_action": item.needs_action,
        "levels_at": _when(item.levels_at),
    }


@router.get(
    "/planning-items",
    response={200: ItemPage, ERRORS: Problem},
    operation_id="list_planning_items",
    summary="Per product and warehouse: classification, forecast, levels and stock position",
)
def list_items(request: HttpRequest, params: Query[ItemParams]) -> HttpResponse:
    refuse_unknown_params(request, ItemParams.model_fields)
    require_permission(request.user, ReplenishmentRun, "view")
    rows = _items_in_scope(request.user)
    for name in ("company", "warehouse", "product"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    for name in ("abc", "pattern", "lifecycle", "needs_action"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{name: value})
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [item_data(i) for i in page.rows], "next_cursor": page.next_cursor}
    )


# -- suggestions ------------------------------------------------------------------------------


class SuggestionOut(Schema):
    id: int
    run: int
    company: int
    product: int
    warehouse: int
    action: str
    state: str
    quantity: str
    source_warehouse: int | None
    supplier: int | None
    unit_cost: str | None
    lead_time_days: int
    order_by: str | None
    arrives_on: str | None
    on_hand: str
    reserved: str
    open_supply: str
    backordered: str
    projected: str
    demand_over_lead_time: str
    safety_stock: str
    reorder_point: str
    order_up_to: str
    reason: str
    decision_note: str
    document_type: str
    document_id: int | None
    document_reference: str
    version: int


class SuggestionPage(Schema):
    items: list[SuggestionOut]
    next_cursor: str | None


class SuggestionParams(Schema):
    company: QueryId | None = None
    run: QueryId | None = None
    warehouse: QueryId | None = None
    product: QueryId | None = None
    supplier: QueryId | None = None
    source_warehouse: QueryId | None = None
    action: Literal["buy", "transfer"] | None = None
    state: Literal["proposed", "approved", "rejected", "converted", "superseded"] | None = None
    ordering: Literal["id", "-id", "quantity", "-quantity"] = "id"
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=500)


def suggestion_data(s: Suggestion) -> dict[str, Any]:
    return {
        "id": s.pk,
        "run": s.run_id,
        "company": s.company_id,
        "product": s.product_id,
        "warehouse": s.warehouse_id,
        "action": s.action,
        "state": s.state,
        "quantity": _d(s.quantity),
        "source_warehouse": s.source_warehouse_id,
        "supplier": s.supplier_id,
        "unit_cost": _d(s.unit_cost),
        "lead_time_days": s.lead_time_days,
        "order_by": _when(s.order_by),
        "arrives_on": _when(s.arrives_on),
        "on_hand": _d(s.on_hand),
        "reserved": _d(s.reserved),
        "open_supply": _d(s.open_supply),
        "backordered": _d(s.backordered),
        "projected": _d(s.projected),
        "demand_over_lead_time": _d(s.demand_over_lead_time),
        "safety_stock": _d(s.safety_stock),
        "reorder_point": _d(s.reorder_point),
        "order_up_to": _d(s.order_up_to),
        "reason": s.reason,
        "decision_note": s.decision_note,
        "document_type": s.document_type,
        "document_id": s.document_id,
        "document_reference": s.document_reference,
        "version": s.version,
    }


@router.get(
    "/suggestions",
    response={200: SuggestionPage, ERRORS: Problem},
    operation_id="list_suggestions",
    summary="Replenishment suggestions with the figures behind them",
)
def list_suggestions(request: HttpRequest, params: Query[SuggestionParams]) -> HttpResponse:
    refuse_unknown_params(request, SuggestionParams.model_fields)
    require_permission(request.user, Suggestion, "view")
    rows = Suggestion.objects.restrict(request.user)
    for name in ("company", "run", "warehouse", "product", "supplier", "source_warehouse"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    for name in ("action", "state"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{name: value})
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [suggestion_data(s) for s in page.rows], "next_cursor": page.next_cursor}
    )


@router.get(
    "/suggestions/{int:id}",
    response={200: SuggestionOut, ERRORS: Problem},
    operation_id="get_suggestion",
    summary="One suggestion and why it was made",
)
def get_suggestion(request: HttpRequest, id: int) -> HttpResponse:
    require_permission(request.user, Suggestion, "view")
    found = Suggestion.objects.restrict(request.user).filter(pk=id).first()
    if found is None:
        raise NotFoundError(f"No suggestion with id {id}.")
    return json_response(suggestion_data(found), etag_version=found.version)


Ids = Annotated[list[Id], Field(min_length=1, max_length=suggestions.MAX_IDS)]


class IdsIn(InputSchema):
    ids: Ids


class RejectIn(IdsIn):
    reason: Annotated[Text, Field(max_length=suggestions.MAX_REASON)]


class ConvertIn(IdsIn):
    into: Literal["requisition", "rfq", "purchase_order", "transfer"]


class QuantityIn(InputSchema):
    id: Id
    quantity: Quantity


class QuantitiesIn(InputSchema):
    changes: Annotated[list[QuantityIn], Field(min_length=1, max_length=suggestions.MAX_IDS)]


class ActedOut(Schema):
    items: list[SuggestionOut]


class DocumentOut(Schema):
    type: str
    id: int
    reference: str
    suggestions: list[int]


class ConvertedOut(Schema):
    documents: list[DocumentOut]
    items: list[SuggestionOut]


def _acted(rows: list[Suggestion]) -> HttpResponse:
    return json_response({"items": [suggestion_data(s) for s in rows]})


@router.post(
    "/suggestions/approve",
    response={200: ActedOut, ERRORS: Problem},
    operation_id="approve_suggestions",
    summary="Approve suggestions (all or none)",
)
@idempotent
def approve(
    request: HttpRequest,
    payload: IdsIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Suggestion, "change")
    return _acted(suggestions.approve_suggestions(_actor(request), payload.ids))


@router.post(
    "/suggestions/reject",
    response={200: ActedOut, ERRORS: Problem},
    operation_id="reject_suggestions",
    summary="Reject suggestions with a reason (all or none)",
)
@idempotent
def reject(
    request: HttpRequest,
    payload: RejectIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Suggestion, "change")
    return _acted(suggestions.reject_suggestions(_actor(request), payload.ids, payload.reason))


@router.post(
    "/suggestions/quantities",
    response={200: ActedOut, ERRORS: Problem},
    operation_id="change_suggestion_quantities",
    summary="Change quantities (rounded up to the unit and the supplier's MOQ and multiple)",
)
@idempotent
def change_quantities(
    request: HttpRequest,
    payload: QuantitiesIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Suggestion, "change")
    changes = [suggestions.QuantityChange(c.id, c.quantity) for c in payload.changes]
    return _acted(suggestions.change_quantities(_actor(request), changes))


@router.post(
    "/suggestions/convert",
    response={200: ConvertedOut, ERRORS: Problem},
    operation_id="convert_suggestions",
    summary="Turn approved suggestions into requisitions, RFQs, purchase orders or transfers",
    description="One requisition or RFQ per warehouse, one purchase order per supplier and "
    "warehouse, one dispatch per source and destination. All or nothing: a refused document "
    "names the suggestions behind it (`ids[2]`) and nothing is converted.",
)
@idempotent
def convert(
    request: HttpRequest,
    payload: ConvertIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, Suggestion, "change")
    result = suggestions.convert_suggestions(_actor(request), payload.ids, payload.into)
    rows = Suggestion.objects.filter(pk__in=payload.ids).order_by("pk")
    return json_response(
        {"documents": result.documents, "items": [suggestion_data(s) for s in rows]}
    )


# -- reorder policies -------------------------------------------------------------------------


class PolicyOut(Schema):
    id: int
    company: int
    product: int
    warehouse: int
    method: str
    min_quantity: str | None
    max_quantity: str | None
    pack_multiple: str | None
    max_capacity: str | None
    review_period_days: int | None
    service_level: str | None
    service_measure: str
    note: str
    version: int


class PolicyPage(Schema):
    items: list[PolicyOut]
    next_cursor: str | None


class PolicyIn(InputSchema):
    product: Id
    warehouse: Id
    method: Literal["manual", "s_S", "R_S", "seasonal"] = "s_S"
    min_quantity: Quantity | None = None
    max_quantity: Quantity | None = None
    pack_multiple: Quantity | None = None
    max_capacity: Quantity | None = None
    review_period_days: Annotated[int, Field(strict=True)] | None = None
    service_level: Percent | None = Field(None, description="In %, between 0 and 100.")
    service_measure: Literal["", "cycle", "fill_rate"] = ""
    note: Annotated[Text, Field(max_length=300)] = ""
    version: Annotated[int, Field(strict=True, ge=1)] | None = Field(
        None, description="The version you edited when replacing a policy; 412 if stale."
    )


class PolicyParams(Schema):
    company: QueryId | None = None
    warehouse: QueryId | None = None
    product: QueryId | None = None
    method: Literal["manual", "s_S", "R_S", "seasonal"] | None = None
    ordering: Literal["id", "-id"] = "id"
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=500)


def policy_data(p: ReorderPolicy) -> dict[str, Any]:
    return {
        "id": p.pk,
        "company": p.company_id,
        "product": p.product_id,
        "warehouse": p.warehouse_id,
        "method": p.method,
        "min_quantity": _d(p.min_quantity),
        "max_quantity": _d(p.max_quantity),
        "pack_multiple": _d(p.pack_multiple),
        "max_capacity": _d(p.max_capacity),
        "review_period_days": p.review_period_days,
        "service_level": _d(p.service_level),
        "service_measure": p.service_measure,
        "note": p.note,
        "version": p.version,
    }


@router.get(
    "/reorder-policies",
    response={200: PolicyPage, ERRORS: Problem},
    operation_id="list_reorder_policies",
    summary="Planners' reorder policies (items without one are automatic (s, S))",
)
def list_policies(request: HttpRequest, params: Query[PolicyParams]) -> HttpResponse:
    refuse_unknown_params(request, PolicyParams.model_fields)
    require_permission(request.user, ReorderPolicy, "view")
    rows = ReorderPolicy.objects.restrict(request.user)
    for name in ("company", "warehouse", "product"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    if params.method is not None:
        rows = rows.filter(method=params.method)
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [policy_data(p) for p in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/reorder-policies",
    response={200: PolicyOut, ERRORS: Problem},
    operation_id="set_reorder_policy",
    summary="Set the policy of a product at a warehouse (replacing the one there)",
    description="A manual min/max needs both figures, the minimum not above the maximum; "
    "every bad field is named in the 422 and nothing is saved. Send If-Match or version "
    "when replacing a policy you read.",
)
@idempotent
def set_policy(
    request: HttpRequest,
    payload: PolicyIn,
    idempotency_key: IdempotencyKeyHeader = None,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    require_permission(request.user, ReorderPolicy, "add")
    draft = policies.PolicyDraft(
        product_id=payload.product,
        warehouse_id=payload.warehouse,
        method=payload.method,
        min_quantity=payload.min_quantity,
        max_quantity=payload.max_quantity,
        pack_multiple=payload.pack_multiple,
        max_capacity=payload.max_capacity,
        review_period_days=payload.review_period_days,
        service_level=payload.service_level,
        service_measure=payload.service_measure,
        note=payload.note,
    )
    policy = policies.set_reorder_policy(
        _actor(request), draft, expected_version=expected_version(if_match, payload.version)
    )
    return json_response(policy_data(policy), etag_version=policy.version)


@router.get(
    "/reorder-policies/{int:id}",
    response={200: PolicyOut, ERRORS: Problem},
    operation_id="get_reorder_policy",
    summary="One reorder policy",
)
def get_policy(request: HttpRequest, id: int) -> HttpResponse:
    require_permission(request.user, ReorderPolicy, "view")
    found = ReorderPolicy.objects.restrict(request.user).filter(pk=id).first()
    if found is None:
        raise NotFoundError(f"No reorder policy with id {id}.")
    return json_response(policy_data(found), etag_version=found.version)


@router.delete(
    "/reorder-policies/{int:id}",
    response={204: None, ERRORS: Problem},
    operation_id="clear_reorder_policy",
    summary="Clear a policy: the item is planned automatically again",
)
def clear_policy(request: HttpRequest, id: int) -> HttpResponse:
    require_permission(request.user, ReorderPolicy, "delete")
    policies.clear_reorder_policy(_actor(request), id)
    return HttpResponse(status=204)


# -- forecast overrides -----------------------------------------------------------------------


class OverrideOut(Schema):
    id: int
    company: int
    product: int
    warehouse: int
    starts_on: str
    ends_on: str
    daily_quantity: str | None
    change_percent: str | None
    reason: str
    created_by: int | None
    is_active: bool


class OverridePage(Schema):
    items: list[OverrideOut]
    next_cursor: str | None


class OverrideIn(InputSchema):
    product: Id
    warehouse: Id
    starts_on: datetime.date
    ends_on: datetime.date
    reason: Annotated[Text, Field(max_length=300)]
    daily_quantity: Quantity | None = Field(None, description="Demand per day in the period.")
    change_percent: Annotated[Text, Field(max_length=20)] | None = Field(
        None, description='Or a change of the forecast in % (a decimal string, "-20" cuts it).'
    )


class OverrideParams(Schema):
    company: QueryId | None = None
    warehouse: QueryId | None = None
    product: QueryId | None = None
    is_active: bool | None = None
    ordering: Literal["id", "-id"] = "-id"
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=500)


def override_data(o: ForecastOverride) -> dict[str, Any]:
    return {
        "id": o.pk,
        "company": o.company_id,
        "product": o.product_id,
        "warehouse": o.warehouse_id,
        "starts_on": o.starts_on.isoformat(),
        "ends_on": o.ends_on.isoformat(),
        "daily_quantity": _d(o.daily_quantity),
        "change_percent": _d(o.change_percent),
        "reason": o.reason,
        "created_by": o.created_by_id,
        "is_active": o.is_active,
    }


@router.get(
    "/forecast-overrides",
    response={200: OverridePage, ERRORS: Problem},
    operation_id="list_forecast_overrides",
    summary="Planners' forecast overrides, newest first",
)
def list_overrides(request: HttpRequest, params: Query[OverrideParams]) -> HttpResponse:
    refuse_unknown_params(request, OverrideParams.model_fields)
    require_permission(request.user, ForecastOverride, "view")
    rows = ForecastOverride.objects.restrict(request.user)
    for name in ("company", "warehouse", "product"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    if params.is_active is not None:
        rows = rows.filter(is_active=params.is_active)
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [override_data(o) for o in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/forecast-overrides",
    response={201: OverrideOut, ERRORS: Problem},
    operation_id="create_forecast_override",
    summary="Override the forecast of a product at a warehouse for a period, saying why",
)
@idempotent
def create_override(
    request: HttpRequest,
    payload: OverrideIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, ForecastOverride, "add")
    draft = policies.OverrideDraft(
        product_id=payload.product,
        warehouse_id=payload.warehouse,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        reason=payload.reason,
        daily_quantity=payload.daily_quantity,
        change_percent=payload.change_percent,
    )
    override = policies.create_forecast_override(_actor(request), draft)
    return json_response(override_data(override), 201)


@router.post(
    "/forecast-overrides/{int:id}/end",
    response={200: OverrideOut, ERRORS: Problem},
    operation_id="end_forecast_override",
    summary="Switch an override off (it stays on record)",
)
@idempotent
def end_override(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, ForecastOverride, "change")
    return json_response(override_data(policies.end_forecast_override(_actor(request), id)))


# -- planning exceptions ----------------------------------------------------------------------


class ExceptionOut(Schema):
    id: int
    company: int
    run: int | None
    kind: str
    product: int
    warehouse: int | None
    owner_role: str
    severity: int
    message: str
    suggested_action: str
    opened_at: str
    closed_at: str | None


class ExceptionPage(Schema):
    items: list[ExceptionOut]
    next_cursor: str | None


class ExceptionParams(Schema):
    company: QueryId | None = None
    warehouse: QueryId | None = None
    product: QueryId | None = None
    kind: Annotated[Text, Field(max_length=20)] | None = None
    open: bool | None = Field(True, description="Open ones only (false: closed ones only).")
    ordering: Literal["id", "-id"] = "-id"
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=500)


def exception_data(e: PlanningException) -> dict[str, Any]:
    return {
        "id": e.pk,
        "company": e.company_id,
        "run": e.run_id,
        "kind": e.kind,
        "product": e.product_id,
        "warehouse": e.warehouse_id,
        "owner_role": e.owner_role,
        "severity": e.severity,
        "message": e.message,
        "suggested_action": e.suggested_action,
        "opened_at": e.opened_at.isoformat(),
        "closed_at": _when(e.closed_at),
    }


@router.get(
    "/planning-exceptions",
    response={200: ExceptionPage, ERRORS: Problem},
    operation_id="list_planning_exceptions",
    summary="What planners must look at: stockout risks, excess, dead stock, bad data",
)
def list_exceptions(request: HttpRequest, params: Query[ExceptionParams]) -> HttpResponse:
    refuse_unknown_params(request, ExceptionParams.model_fields)
    require_permission(request.user, PlanningException, "view")
    rows = PlanningException.objects.restrict(request.user)
    for name in ("company", "warehouse", "product"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    if params.kind is not None:
        rows = rows.filter(kind=params.kind)
    if params.open is not None:
        rows = rows.filter(Q(closed_at__isnull=params.open))
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [exception_data(e) for e in page.rows], "next_cursor": page.next_cursor}
    )
