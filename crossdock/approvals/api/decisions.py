"""Approval requests: the lists (``?mine=true``: my inbox), the decision context, decisions."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query

from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.approvals import selectors, services
from crossdock.approvals.api.common import ERRORS, page_response, router
from crossdock.approvals.api.schemas import (
    BulkApproveIn,
    BulkApproveOut,
    DecisionIn,
    RequestDetailOut,
    RequestListParams,
    RequestPage,
)
from crossdock.approvals.models import ApprovalRequest, ApprovalStep
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError


def _request(request: ApprovalRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "company": request.company_id,
        "document_type": request.document_type,
        "document_id": request.document_id,
        "document_label": request.document_label,
        "policy": request.policy_id,
        "policy_name": request.policy.name,
        "status": request.status,
        "current_level": request.current_level,
        "requester": request.requester_id,
        "submitted_at": request.submitted_at,
        "decided_at": request.decided_at,
        "facts": request.facts,
        "version": request.version,
    }


def _step(step: ApprovalStep) -> dict[str, Any]:
    return {
        "id": step.pk,
        "level": step.level,
        "order": step.order,
        "approver": step.approver_id,
        "approver_label": step.approver.get_username(),
        "on_behalf_of": step.on_behalf_of_id,
        "status": step.status,
        "opened_at": step.opened_at,
        "due_at": step.due_at,
        "decided_at": step.decided_at,
        "comment": step.comment,
    }


def _visible_request(user: Any, request_id: int) -> ApprovalRequest:
    found = (
        selectors.requests_visible_to(user).select_related("policy").filter(pk=request_id).first()
    )
    if found is None:
        raise NotFoundError(f"No approval request with id {request_id}.")
    return found


def _request_detail(user: Any, request_id: int) -> HttpResponse:
    request = _visible_request(user, request_id)
    context = selectors.decision_context(request)
    audit_url = reverse("api-v1:list_audit_entries")
    return json_response(
        {
            **_request(request),
            "document_type_label": context["document_type"],
            "summary": context["summary"],
            "facts_labelled": context["facts"],
            "history": context["history"],
            "steps": [_step(step) for step in context["steps"]],
            "can_decide": selectors.decidable_steps(user).filter(request=request).exists(),
            "audit_url": f"{audit_url}?object_type=approvals.approvalrequest"
            f"&object_id={request.pk}",
        },
        etag_version=request.version,
    )


@router.get(
    "/approval-requests",
    response={200: RequestPage, ERRORS: Problem},
    operation_id="list_approval_requests",
    summary="List approval requests",
    description="Requests of your companies; mine=true: only those waiting for your decision.",
)
def list_requests(request: HttpRequest, params: Query[RequestListParams]) -> HttpResponse:
    refuse_unknown_params(request, RequestListParams.model_fields)
    require_permission(request.user, ApprovalRequest, "view")
    user: Any = request.user
    rows = selectors.requests_visible_to(user)
    if params.mine:
        rows = rows.filter(pk__in=selectors.decidable_steps(user).values("request_id"))
    if params.status:
        rows = rows.filter(status=params.status)
    if params.document_type:
        rows = rows.filter(document_type=params.document_type)
    if params.company:
        rows = rows.filter(company_id=params.company)
    page = paginate(rows.select_related("policy"), params.ordering, params.cursor, params.limit)
    return page_response([_request(r) for r in page.rows], page.next_cursor)


@router.get(
    "/approval-requests/{int:id}",
    response={200: RequestDetailOut, ERRORS: Problem},
    operation_id="get_approval_request",
    summary="An approval request with its decision context and steps",
)
def get_request(request: HttpRequest, id: int) -> HttpResponse:
    return _request_detail(request.user, id)


@router.post(
    "/approval-requests/{int:id}/approve",
    response={200: RequestDetailOut, ERRORS: Problem},
    operation_id="approve_approval_request",
    summary="Approve your open step of a request",
    description="Approving twice changes nothing; 403 if you have no open step on it.",
)
@idempotent
def approve_request(
    request: HttpRequest,
    id: int,
    payload: DecisionIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    services.decide(Actor.of(request.user), id, approve=True, comment=payload.comment)
    return _request_detail(request.user, id)


@router.post(
    "/approval-requests/{int:id}/reject",
    response={200: RequestDetailOut, ERRORS: Problem},
    operation_id="reject_approval_request",
    summary="Reject a request (a comment is required); the document goes back to its requester",
)
@idempotent
def reject_request(
    request: HttpRequest,
    id: int,
    payload: DecisionIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    services.decide(Actor.of(request.user), id, approve=False, comment=payload.comment)
    return _request_detail(request.user, id)


@router.post(
    "/approval-requests/bulk-approve",
    response={200: BulkApproveOut, ERRORS: Problem},
    operation_id="bulk_approve_approval_requests",
    summary="Approve several requests; each succeeds or fails on its own",
)
@idempotent
def bulk_approve(
    request: HttpRequest,
    payload: BulkApproveIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    ids = list(dict.fromkeys(payload.ids))
    results = services.bulk_approve(Actor.of(request.user), ids, payload.comment)
    return json_response(
        {"results": [{"request": r.request_id, "ok": r.ok, "message": r.message} for r in results]}
    )
