"""SLA policy endpoints: ``/api/v1/sla-policies`` (list, create, detail, change, delete).

One policy per company and priority: hours to the first response and to the resolution
of cases opened after it is saved. The sales manager keeps them.
"""

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader, IfMatchHeader
from crossdock.api.http import expected_version, json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import Id, InputSchema, QueryId, Text
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError
from crossdock.masterdata.models import Company
from crossdock.service.api import ERRORS, rendered, visible
from crossdock.service.models import CasePriority, SLAPolicy
from crossdock.service.services import policies

router = Router(tags=["Service"])
Hours = Annotated[int, Field(strict=True, ge=1, le=24 * 365)]


class PolicyIn(InputSchema):
    company: Id
    priority: Literal[tuple(CasePriority.values)]  # type: ignore[valid-type]
    response_hours: Hours
    resolution_hours: Hours


class PolicyPatch(InputSchema):
    response_hours: Hours | None = None
    resolution_hours: Hours | None = None
    version: int | None = None


class PolicyOut(Schema):
    id: int
    company: int
    priority: str
    response_hours: int
    resolution_hours: int
    version: int


class PolicyPage(Schema):
    items: list[PolicyOut]
    next_cursor: str | None


class PolicyParams(Schema):
    company: QueryId | None = None
    priority: str | None = None
    ordering: Literal["id", "-id"] = "id"
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(50, ge=1, le=500)


def policy_data(policy: SLAPolicy) -> dict[str, Any]:
    return {
        "id": policy.pk, "company": policy.company_id, "priority": policy.priority,
        "response_hours": policy.response_hours, "resolution_hours": policy.resolution_hours,
        "version": policy.version,
    }  # fmt: skip


def _policy(user: Any, pk: int, action: str = "view") -> SLAPolicy:
    found: SLAPolicy = visible(user, SLAPolicy, pk, action)
    return found


def _response(user: Any, pk: int, status_code: int = 200) -> HttpResponse:
    return rendered(user, SLAPolicy, pk, policy_data, status_code)


@router.get(
    "/sla-policies",
    response={200: PolicyPage, ERRORS: Problem},
    operation_id="list_sla_policies",
    summary="SLA policies: response and resolution hours per company and priority",
)
def list_policies(request: HttpRequest, params: Query[PolicyParams]) -> HttpResponse:
    refuse_unknown_params(request, PolicyParams.model_fields)
    require_permission(request.user, SLAPolicy, "view")
    rows = SLAPolicy.objects.restrict(request.user)
    if params.company is not None:
        rows = rows.filter(company_id=params.company)
    if params.priority is not None:
        rows = rows.filter(priority=params.priority)
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return json_response(
        {"items": [policy_data(p) for p in page.rows], "next_cursor": page.next_cursor}
    )


@router.post(
    "/sla-policies",
    response={201: PolicyOut, ERRORS: Problem},
    operation_id="create_sla_policy",
    summary="Add a company's SLA policy for one priority",
)
@idempotent
def create_policy(
    request: HttpRequest,
    payload: PolicyIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, SLAPolicy, "add")
    if not Company.objects.in_scope_of(request.user).filter(pk=payload.company).exists():
        raise NotFoundError(
            f"No company with id {payload.company}.", fields={"company": ["No such company."]}
        )
    draft = policies.PolicyDraft(
        payload.company, payload.priority, payload.response_hours, payload.resolution_hours
    )
    policy = policies.save_policy(Actor.of(request.user), draft)
    return _response(request.user, policy.pk, 201)


@router.get(
    "/sla-policies/{int:id}",
    response={200: PolicyOut, ERRORS: Problem},
    operation_id="get_sla_policy",
    summary="An SLA policy",
)
def get_policy(request: HttpRequest, id: int) -> HttpResponse:
    return _response(request.user, id)


@router.patch(
    "/sla-policies/{int:id}",
    response={200: PolicyOut, ERRORS: Problem},
    operation_id="update_sla_policy",
    summary="Change a policy's hours (cases opened later follow them)",
)
def update_policy(
    request: HttpRequest,
    id: int,
    payload: PolicyPatch,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    found = _policy(request.user, id, "change")
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(if_match, data.pop("version", None))
    draft = policies.PolicyDraft(
        company_id=found.company_id,
        priority=found.priority,
        response_hours=data.get("response_hours", found.response_hours),
        resolution_hours=data.get("resolution_hours", found.resolution_hours),
    )
    policies.save_policy(Actor.of(request.user), draft, policy_id=found.pk, version=version)
    return _response(request.user, found.pk)


@router.delete(
    "/sla-policies/{int:id}",
    response={204: None, ERRORS: Problem},
    operation_id="delete_sla_policy",
    summary="Remove a policy (cases opened later at that priority get no due times)",
)
def delete_policy(request: HttpRequest, id: int) -> HttpResponse:
    found = _policy(request.user, id, "delete")
    policies.delete_policy(Actor.of(request.user), found.pk)
    return HttpResponse(status=204)
