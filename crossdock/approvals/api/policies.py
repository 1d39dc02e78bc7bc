"""Approval policies: list, create, read, replace, activate, retire, simulate; the metrics."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query

from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader, IfMatchHeader
from crossdock.api.http import expected_version, json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.approvals import policies, selectors
from crossdock.approvals.api.common import (
    ERRORS,
    company_in_scope,
    page_response,
    router,
)
from crossdock.approvals.api.schemas import (
    MetricsOut,
    MetricsParams,
    PolicyFields,
    PolicyIn,
    PolicyListParams,
    PolicyOut,
    PolicyPage,
    SimulationIn,
    SimulationOut,
)
from crossdock.approvals.models import ApprovalLevel, ApprovalPolicy, ApprovalRequest, ApproverRule
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError


def _draft(payload: PolicyFields) -> policies.PolicyDraft:
    return policies.PolicyDraft(
        company_id=payload.company,
        document_type=payload.document_type,
        name=payload.name,
        condition=payload.condition,
        levels=[
            policies.LevelDraft(
                name=level.name,
                rule=level.rule,
                mode=level.mode,
                min_approvals=level.min_approvals,
                role=level.role if level.rule == ApproverRule.ROLE else "",
                user_id=level.user,
                manager_depth=level.manager_depth,
                sla_hours=level.sla_hours,
                escalate_to_id=level.escalate_to,
            )
            for level in payload.levels
        ],
    )


def _level(level: ApprovalLevel) -> dict[str, Any]:
    return {
        "sequence": level.sequence,
        "name": level.name,
        "rule": level.rule,
        "mode": level.mode,
        "min_approvals": level.min_approvals,
        "role": level.role,
        "user": level.user_id,
        "manager_depth": level.manager_depth,
        "sla_hours": level.sla_hours,
        "escalate_to": level.escalate_to_id,
    }


def _policy(policy: ApprovalPolicy) -> dict[str, Any]:
    return {
        "id": policy.pk,
        "company": policy.company_id,
        "document_type": policy.document_type,
        "name": policy.name,
        "condition": policy.condition,
        "status": policy.status,
        "version": policy.version,
        "levels": [_level(level) for level in policy.levels.all()],
        "created_at": policy.created_at,
        "updated_at": policy.updated_at,
    }


def _policy_response(user: Any, policy_id: int, status: int = 200) -> HttpResponse:
    policy = _get_policy(user, policy_id, "view")
    return json_response(_policy(policy), status, etag_version=policy.version)


def _get_policy(user: Any, policy_id: int, action: str) -> ApprovalPolicy:
    require_permission(user, ApprovalPolicy, action)
    policy = (
        ApprovalPolicy.objects.restrict(user, action)
        .prefetch_related("levels")
        .filter(pk=policy_id)
        .first()
    )
    if policy is None:
        raise NotFoundError(f"No approval policy with id {policy_id}.")
    return policy


@router.get(
    "/approval-policies",
    response={200: PolicyPage, ERRORS: Problem},
    operation_id="list_approval_policies",
    summary="List approval policies",
)
def list_policies(request: HttpRequest, params: Query[PolicyListParams]) -> HttpResponse:
    refuse_unknown_params(request, PolicyListParams.model_fields)
    require_permission(request.user, ApprovalPolicy, "view")
    rows = ApprovalPolicy.objects.restrict(request.user).prefetch_related("levels")
    if params.company:
        rows = rows.filter(company_id=params.company)
    if params.document_type:
        rows = rows.filter(document_type=params.document_type)
    if params.status:
        rows = rows.filter(status=params.status)
    page = paginate(rows, params.ordering, params.cursor, params.limit)
    return page_response([_policy(p) for p in page.rows], page.next_cursor)


@router.post(
    "/approval-policies",
    response={201: PolicyOut, ERRORS: Problem},
    operation_id="create_approval_policy",
    summary="Create a draft approval policy",
    description="Validated on save (condition, levels, reachability); activate it separately.",
)
@idempotent
def create_policy(
    request: HttpRequest,
    payload: PolicyIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, ApprovalPolicy, "add")
    company_in_scope(request.user, payload.company)
    policy = policies.save_policy(Actor.of(request.user), _draft(payload))
    return _policy_response(request.user, policy.pk, 201)


@router.post(
    "/approval-policies/simulate",
    response={200: SimulationOut, ERRORS: Problem},
    operation_id="simulate_approval_policy",
    summary="Apply a draft policy to the documents of the last days",
    description="Writes nothing: which documents would have needed approval, by whom, "
    "how many requests per approver, and the expected added cycle time.",
)
def simulate_policy(request: HttpRequest, payload: SimulationIn) -> HttpResponse:
    require_permission(request.user, ApprovalPolicy, "view")
    company_in_scope(request.user, payload.company)
    draft = _draft(payload)
    history = selectors.documents_since(draft.document_type, draft.company_id, payload.days)
    result = selectors.simulate(draft, history)
    return json_response({"days": payload.days, **result.__dict__})


@router.get(
    "/approval-policies/{int:id}",
    response={200: PolicyOut, ERRORS: Problem},
    operation_id="get_approval_policy",
    summary="Get an approval policy with its levels",
)
def get_policy(request: HttpRequest, id: int) -> HttpResponse:
    return _policy_response(request.user, id)


@router.put(
    "/approval-policies/{int:id}",
    response={200: PolicyOut, ERRORS: Problem},
    operation_id="replace_approval_policy",
    summary="Replace a policy's name, condition and levels",
    description="An active policy is re-checked against the other active ones. "
    "Send If-Match or version to refuse lost updates.",
)
def replace_policy(
    request: HttpRequest,
    id: int,
    payload: PolicyIn,
    if_match: IfMatchHeader = None,
) -> HttpResponse:
    policy = _get_policy(request.user, id, "change")
    company_in_scope(request.user, payload.company)
    version = expected_version(if_match, payload.version)
    policies.save_policy(
        Actor.of(request.user), _draft(payload), policy_id=policy.pk, expected_version=version
    )
    return _policy_response(request.user, policy.pk)


def _set_status(request: HttpRequest, policy_id: int, status: str) -> HttpResponse:
    policy = _get_policy(request.user, policy_id, "change")
    policies.set_policy_status(Actor.of(request.user), policy.pk, status)
    return _policy_response(request.user, policy.pk)


@router.post(
    "/approval-policies/{int:id}/activate",
    response={200: PolicyOut, ERRORS: Problem},
    operation_id="activate_approval_policy",
    summary="Activate a policy (refused if it overlaps another with a different outcome)",
)
@idempotent
def activate_policy(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    return _set_status(request, id, ApprovalPolicy.Status.ACTIVE)


@router.post(
    "/approval-policies/{int:id}/retire",
    response={200: PolicyOut, ERRORS: Problem},
    operation_id="retire_approval_policy",
    summary="Retire a policy (its pending requests carry on)",
)
@idempotent
def retire_policy(
    request: HttpRequest,
    id: int,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    return _set_status(request, id, ApprovalPolicy.Status.RETIRED)


@router.get(
    "/approval-metrics",
    response={200: MetricsOut, ERRORS: Problem},
    operation_id="get_approval_metrics",
    summary="Cycle time, rejection and override rates per policy and approver; aging",
)
def get_metrics(request: HttpRequest, params: Query[MetricsParams]) -> HttpResponse:
    refuse_unknown_params(request, MetricsParams.model_fields)
    require_permission(request.user, ApprovalPolicy, "view")
    requests = ApprovalRequest.objects.restrict(request.user)
    if params.company:
        requests = requests.filter(company_id=params.company)
    if params.document_type:
        requests = requests.filter(document_type=params.document_type)
    return json_response(
        {
            "policies": [m.__dict__ for m in selectors.policy_metrics(requests)],
            "approvers": [m.__dict__ for m in selectors.approver_metrics(requests)],
            "aging": selectors.aging(requests),
        }
    )
