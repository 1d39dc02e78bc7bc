"""Quality endpoints: inspection plans, the inspection queue with results, nonconformances.

Thin like the other API modules: role permission (403), rows within the
user's scope (404), references resolved within scope, one service call, the
result rendered. Returning goods to the vendor also needs ``add_transfer``
(it writes the return transfer).
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

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
from crossdock.core.errors import DomainError, NotFoundError
from crossdock.core.fields import QUANTITY_SCALE
from crossdock.inventory.models import Transfer
from crossdock.masterdata.models import Company
from crossdock.quality.models import (
    CheckKind,
    Disposition,
    Inspection,
    InspectionPlan,
    InspectionState,
    Nonconformance,
    Sampling,
)
from crossdock.quality.models.plans import MEASURE_SCALE
from crossdock.quality.services import inspections, nonconformance, plans

router = Router(tags=["Quality"])
ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})

if TYPE_CHECKING:
    Quantity = Decimal
    Measure = Decimal
    Percent = Decimal
else:
    Quantity = decimal_type(QUANTITY_SCALE)
    Measure = decimal_type(MEASURE_SCALE)
    Percent = decimal_type(4)

# -- schemas ---------------------------------------------------------------------------------


class CheckIn(InputSchema):
    name: Annotated[Text, Field(max_length=100)]
    kind: Literal[tuple(CheckKind.values)] = "pass_fail"  # type: ignore[valid-type]
    target: Measure | None = None
    min_value: Measure | None = None
    max_value: Measure | None = None
    unit: Annotated[Text, Field(max_length=20)] = ""


class PlanIn(InputSchema):
    company: Id
    name: Annotated[Text, Field(max_length=100)]
    product: Id | None = None
    category: Id | None = None
    supplier: Id | None = None
    sampling: Literal[tuple(Sampling.values)] = "all"  # type: ignore[valid-type]
    sample_size: Quantity | None = None
    sample_percent: Percent | None = None
    instructions: Annotated[Text, Field(max_length=2000)] = ""
    active: bool = True
    checks: Annotated[list[CheckIn], Field(min_length=1, max_length=100)]
    version: Id | None = Field(None, description="The version you edited; 412 if stale.")


class CheckOut(Schema):
    id: int
    name: str
    kind: str
    target: str | None
    min_value: str | None
    max_value: str | None
    unit: str


class PlanOut(Schema):
    id: int
    company: int
    name: str
    product: int | None
    category: int | None
    supplier: int | None
    sampling: str
    sample_size: str | None
    sample_percent: str | None
    instructions: str
    active: bool
    version: int
    checks: list[CheckOut]


class PlanPage(Schema):
    items: list[PlanOut]
    next_cursor: str | None


class PlanParams(Schema):
    company: QueryId | None = None
    product: QueryId | None = None
    category: QueryId | None = None
    supplier: QueryId | None = None
    active: bool | None = None
    ordering: Literal["id", "-id", "name", "-name"] = "name"
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


class ResultOut(Schema):
    check: int
    name: str
    passed: bool
    measured_value: str | None


class InspectionOut(Schema):
    id: int
    reference: str
    company: int
    warehouse: int
    state: str
    plan: int
    receipt: int
    receipt_reference: str
    product: int
    sku: str
    supplier: int | None
    quantity: str
    sample_size: str
    accepted_quantity: str | None
    rejected_quantity: str | None
    inspected_at: datetime.datetime | None
    nonconformance: int | None
    version: int


class InspectionDetailOut(InspectionOut):
    note: str
    checks: list[CheckOut]
    results: list[ResultOut]


class InspectionPage(Schema):
    items: list[InspectionOut]
    next_cursor: str | None


class InspectionParams(Schema):
    state: Literal[tuple(InspectionState.values)] | None = None  # type: ignore[valid-type]
    company: QueryId | None = None
    warehouse: QueryId | None = None
    supplier: QueryId | None = None
    product: QueryId | None = None
    ordering: Literal["id", "-id", "created_at", "-created_at"] = "-id"
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


class OutcomeIn(InputSchema):
    check: Id
    passed: bool | None = Field(None, description="For a pass/fail check.")
    value: Measure | None = Field(None, description="For a measured check.")


class ResultsIn(InputSchema):
    results: Annotated[list[OutcomeIn], Field(max_length=100)]
    accepted_quantity: Quantity
    rejected_quantity: Quantity
    disposition: Literal[("", *Disposition.values)] = Field(  # type: ignore[valid-type]
        "", description="What happens to the rejected goods (required when any is rejected)."
    )
    description: Annotated[Text, Field(max_length=2000)] = ""
    note: Annotated[Text, Field(max_length=2000)] = ""
    version: Id | None = Field(None, description="The version you inspected; 412 if stale.")


class NonconformanceOut(Schema):
    id: int
    reference: str
    company: int
    warehouse: int
    inspection: int
    product: int
    supplier: int | None
    description: str
    disposition: str
    quantity: str
    disposition_transfer: int | None
    return_transfer: int | None
    return_reference: str | None
    credit_note: int | None
    returned_at: datetime.datetime | None
    can_return: bool
    version: int


class NonconformancePage(Schema):
    items: list[NonconformanceOut]
    next_cursor: str | None


class NonconformanceParams(Schema):
    disposition: Literal[tuple(Disposition.values)] | None = None  # type: ignore[valid-type]
    company: QueryId | None = None
    warehouse: QueryId | None = None
    ordering: Literal["id", "-id"] = "-id"
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


class ReturnIn(InputSchema):
    note: Annotated[Text, Field(max_length=200)] = ""


# -- helpers ---------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _plan(user: Any, pk: int, action: str = "view") -> InspectionPlan:
    require_permission(user, InspectionPlan, action)
    found = InspectionPlan.objects.restrict(user, action).filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"No inspection plan with id {pk}.")
    return found


def _inspection(user: Any, pk: int, action: str = "view") -> Inspection:
    require_permission(user, Inspection, action)
    found = (
        Inspection.objects.restrict(user, action)
        .select_related("product", "receipt")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFoundError(f"No inspection with id {pk}.")
    return found


def _nonconformance(user: Any, pk: int, action: str = "view") -> Nonconformance:
    require_permission(user, Nonconformance, action)
    found = (
        Nonconformance.objects.restrict(user, action)
        .select_related("inspection", "return_transfer")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFoundError(f"No nonconformance with id {pk}.")
    return found


def check_data(check: Any) -> dict[str, Any]:
    return {
        "id": check.pk, "name": check.name, "kind": check.kind, "target": _text(check.target),
        "min_value": _text(check.min_value), "max_value": _text(check.max_value),
        "unit": check.unit,
    }  # fmt: skip


def plan_data(plan: InspectionPlan) -> dict[str, Any]:
    return {
        "id": plan.pk, "company": plan.company_id, "name": plan.name,
        "product": plan.product_id, "category": plan.category_id, "supplier": plan.supplier_id,
        "sampling": plan.sampling, "sample_size": _text(plan.sample_size),
        "sample_percent": _text(plan.sample_percent), "instructions": plan.instructions,
        "active": plan.active, "version": plan.version,
        "checks": [check_data(c) for c in plan.checks.all()],
    }  # fmt: skip


def inspection_data(inspection: Inspection) -> dict[str, Any]:
    nonconformance_id = (
        Nonconformance.objects.filter(inspection=inspection).values_list("pk", flat=True).first()
    )
    return {
        "id": inspection.pk, "reference": inspection.reference,
        "company": inspection.company_id, "warehouse": inspection.warehouse_id,
        "state": inspection.state, "plan": inspection.plan_id, "receipt": inspection.receipt_id,
        "receipt_reference": inspection.receipt.reference, "product": inspection.product_id,
        "sku": inspection.product.sku, "supplier": inspection.supplier_id,
        "quantity": str(inspection.quantity), "sample_size": str(inspection.sample_size),
        "accepted_quantity": _text(inspection.accepted_quantity),
        "rejected_quantity": _text(inspection.rejected_quantity),
        "inspected_at": inspection.inspected_at, "nonconformance": nonconformance_id,
        "version": inspection.version,
    }  # fmt: skip


def inspection_detail(inspection: Inspection) -> dict[str, Any]:
    return {
        **inspection_data(inspection),
        "note": inspection.note,
        "checks": [check_data(c) for c in inspection.plan.checks.all()],
        "results": [
            {
                "check": r.plan_check_id,
                "name": r.plan_check.name,
                "passed": r.passed,
                "measured_value": _text(r.measured_value),
            }
            for r in inspection.results.select_related("plan_check")
        ],
    }


def nonconformance_data(found: Nonconformance) -> dict[str, Any]:
    returned = found.return_transfer
    return {
        "id": found.pk, "reference": found.reference, "company": found.company_id,
        "warehouse": found.warehouse_id, "inspection": found.inspection_id,
        "product": found.inspection.product_id, "supplier": found.inspection.supplier_id,
        "description": found.description, "disposition": found.disposition,
        "quantity": str(found.quantity), "disposition_transfer": found.disposition_transfer_id,
        "return_transfer": found.return_transfer_id,
        "return_reference": returned.reference if isinstance(returned, Transfer) else None,
        "credit_note": found.credit_note_id, "returned_at": found.returned_at,
        "can_return": found.can_return, "version": found.version,
    }  # fmt: skip


def _plan_draft(company_id: int, payload: PlanIn) -> plans.PlanDraft:
    return plans.PlanDraft(
        company_id=company_id, name=payload.name, product_id=payload.product,
        category_id=payload.category, supplier_id=payload.supplier, sampling=payload.sampling,
        sample_size=payload.sample_size, sample_percent=payload.sample_percent,
        instructions=payload.instructions, active=payload.active,
        checks=[
            plans.CheckDraft(c.name, c.kind, c.target, c.min_value, c.max_value, c.unit)
            for c in payload.checks
        ],
    )  # fmt: skip


def _company(user: Any, pk: int) -> Company:
    company = Company.objects.in_scope_of(user).filter(pk=pk).first()
    if company is None:
        raise NotFoundError(f"No company with id {pk}.", fields={"company": ["No such company."]})
    return company


# -- inspection plans ------------------------------------------------------------------------


@router.get(
    "/inspection-plans",
    response={200: PlanPage, ERRORS: Problem},
    operation_id="list_inspection_plans",
    summary="Inspection plans: what is checked on goods of a product, category or supplier",
)
def list_plans(request: HttpRequest, params: Query[PlanParams]) -> HttpResponse:
    refuse_unknown_params(request, PlanParams.model_fields)
    require_permission(request.user, InspectionPlan, "view")
    rows = InspectionPlan.objects.restrict(request.user, "view").prefetch_related("checks")
    for name in ("company", "product", "category", "supplier"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    if params.active is not None:
        rows = rows.filter(active=params.active)
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [plan_data(p) for p in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/inspection-plans",
    response={201: PlanOut, ERRORS: Problem},
    operation_id="create_inspection_plan",
    summary="Add an inspection plan with its checks",
    description="A plan applies to exactly one of a product, a category (and its "
    "sub-categories) or a supplier; the most specific active plan wins on receipt.",
)
@idempotent
def create_plan(
    request: HttpRequest,
    payload: PlanIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, InspectionPlan, "add")
    company = _company(request.user, payload.company)
    plan = plans.save_plan(_actor(request), _plan_draft(company.pk, payload))
    plan = _plan(request.user, plan.pk)
    return json_response(plan_data(plan), 201, etag_version=plan.version)


@router.get(
    "/inspection-plans/{int:id}",
    response={200: PlanOut, ERRORS: Problem},
    operation_id="get_inspection_plan",
    summary="An inspection plan with its checks",
)
def get_plan(request: HttpRequest, id: int) -> HttpResponse:
    plan = _plan(request.user, id)
    return json_response(plan_data(plan), etag_version=plan.version)


@router.put(
    "/inspection-plans/{int:id}",
    response={200: PlanOut, ERRORS: Problem},
    operation_id="replace_inspection_plan",
    summary="Replace an inspection plan and its checks",
    description="The company cannot change; checks with recorded results cannot change. "
    "Send If-Match or version.",
)
def replace_plan(
    request: HttpRequest,
    id: int,
    payload: PlanIn,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    plan = _plan(request.user, id, "change")
    if payload.company != plan.company_id:
        message = "The company of a plan cannot change; add a new plan."
        raise DomainError(f"company: {message}", fields={"company": [message]})
    plans.save_plan(
        _actor(request),
        _plan_draft(plan.company_id, payload),
        plan_id=plan.pk,
        version=expected_version(if_match, payload.version),
    )
    plan = _plan(request.user, id)
    return json_response(plan_data(plan), etag_version=plan.version)


@router.delete(
    "/inspection-plans/{int:id}",
    response={204: None, ERRORS: Problem},
    operation_id="delete_inspection_plan",
    summary="Delete an inspection plan no inspection used (deactivate a used one)",
)
def delete_plan(request: HttpRequest, id: int) -> HttpResponse:
    plan = _plan(request.user, id, "delete")
    plans.delete_plan(_actor(request), plan.pk)
    return HttpResponse(status=204)


# -- inspections -----------------------------------------------------------------------------


@router.get(
    "/inspections",
    response={200: InspectionPage, ERRORS: Problem},
    operation_id="list_inspections",
    summary="Inspections of received goods (filter state=pending for the queue)",
)
def list_inspections(request: HttpRequest, params: Query[InspectionParams]) -> HttpResponse:
    refuse_unknown_params(request, InspectionParams.model_fields)
    require_permission(request.user, Inspection, "view")
    rows = Inspection.objects.restrict(request.user, "view").select_related("product", "receipt")
    for name in ("company", "warehouse", "supplier", "product"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    if params.state is not None:
        rows = rows.filter(state=params.state)
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [inspection_data(i) for i in page.rows], "next_cursor": page.next_cursor}
    )


@router.get(
    "/inspections/{int:id}",
    response={200: InspectionDetailOut, ERRORS: Problem},
    operation_id="get_inspection",
    summary="An inspection with its plan's checks and recorded results",
)
def get_inspection(request: HttpRequest, id: int) -> HttpResponse:
    inspection = _inspection(request.user, id)
    return json_response(inspection_detail(inspection), etag_version=inspection.version)


@router.post(
    "/inspections/{int:id}/results",
    response={200: InspectionDetailOut, ERRORS: Problem},
    operation_id="record_inspection_results",
    summary="Record the results: every check, and the accepted and rejected quantities",
    description="Accepted + rejected must equal the inspected quantity. The accepted goods "
    "go to stock; rejected goods get a nonconformance with the disposition given.",
)
@idempotent
def record_results(
    request: HttpRequest,
    id: int,
    payload: ResultsIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    inspection = _inspection(request.user, id, "change")
    inspections.record_results(
        _actor(request),
        inspection.pk,
        inspections.InspectionOutcome(
            results=[
                inspections.CheckOutcome(r.check, passed=r.passed, value=r.value)
                for r in payload.results
            ],
            accepted_quantity=payload.accepted_quantity,
            rejected_quantity=payload.rejected_quantity,
            disposition=payload.disposition,
            description=payload.description,
            note=payload.note,
            version=payload.version,
        ),
    )
    inspection = _inspection(request.user, id)
    return json_response(inspection_detail(inspection), etag_version=inspection.version)


# -- nonconformances -------------------------------------------------------------------------


@router.get(
    "/nonconformances",
    response={200: NonconformancePage, ERRORS: Problem},
    operation_id="list_nonconformances",
    summary="Nonconformances: rejected goods and what became of them",
)
def list_nonconformances(request: HttpRequest, params: Query[NonconformanceParams]) -> HttpResponse:
    refuse_unknown_params(request, NonconformanceParams.model_fields)
    require_permission(request.user, Nonconformance, "view")
    rows = Nonconformance.objects.restrict(request.user, "view").select_related(
        "inspection", "return_transfer"
    )
    for name in ("company", "warehouse"):
        value = getattr(params, name)
        if value is not None:
            rows = rows.filter(**{f"{name}_id": value})
    if params.disposition is not None:
        rows = rows.filter(disposition=params.disposition)
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [nonconformance_data(n) for n in page.rows], "next_cursor": page.next_cursor}
    )


@router.get(
    "/nonconformances/{int:id}",
    response={200: NonconformanceOut, ERRORS: Problem},
    operation_id="get_nonconformance",
    summary="A nonconformance",
)
def get_nonconformance(request: HttpRequest, id: int) -> HttpResponse:
    found = _nonconformance(request.user, id)
    return json_response(nonconformance_data(found), etag_version=found.version)


@router.post(
    "/nonconformances/{int:id}/return-to-vendor",
    response={200: NonconformanceOut, ERRORS: Problem},
    operation_id="return_nonconformance_to_vendor",
    summary="Return the rejected goods to the supplier and draft a vendor credit note",
    description="The goods must still be in quality hold. The return transfer is reserved "
    "at once; the credit note is a draft at the receipt's unit cost for AP to post.",
)
@idempotent
def return_to_vendor(
    request: HttpRequest,
    id: int,
    payload: ReturnIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    found = _nonconformance(request.user, id, "change")
    require_permission(request.user, Transfer, "add")
    nonconformance.return_to_vendor(_actor(request), found.pk, note=payload.note)
    found = _nonconformance(request.user, id)
    return json_response(nonconformance_data(found), etag_version=found.version)
