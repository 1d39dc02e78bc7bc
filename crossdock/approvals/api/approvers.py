"""Who approves besides the policy's rules: out-of-office delegations and budget owners."""

from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query

from crossdock.api.errors import Problem
from crossdock.api.headers import IdempotencyKeyHeader
from crossdock.api.http import json_response
from crossdock.api.idempotency import idempotent
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.approvals import policies, selectors, services
from crossdock.approvals.api.common import (
    ERRORS,
    company_in_scope,
    page_response,
    router,
)
from crossdock.approvals.api.schemas import (
    BudgetOwnerIn,
    BudgetOwnerListParams,
    BudgetOwnerOut,
    BudgetOwnerPage,
    DelegationIn,
    DelegationListParams,
    DelegationOut,
    DelegationPage,
)
from crossdock.approvals.models import BudgetOwner, Delegation
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.models import User


def _delegation(delegation: Delegation) -> dict[str, Any]:
    return {
        "id": delegation.pk,
        "delegator": delegation.delegator_id,
        "delegator_label": delegation.delegator.get_username(),
        "delegate": delegation.delegate_id,
        "delegate_label": delegation.delegate.get_username(),
        "starts_on": delegation.starts_on,
        "ends_on": delegation.ends_on,
        "reason": delegation.reason,
    }


def _budget_owner(row: BudgetOwner) -> dict[str, Any]:
    return {
        "id": row.pk,
        "company": row.company_id,
        "category": row.category_id,
        "category_path": row.category.path,
        "owner": row.owner_id,
        "owner_label": row.owner.get_username(),
        "version": row.version,
    }


def _colleague(user: Any, user_id: int, field: str) -> User:
    """A user the caller may name (someone sharing a company); else a 422 naming ``field``."""
    if user_id == user.pk:
        return user
    found = selectors.colleagues(user).filter(pk=user_id).first()
    if found is None:
        raise DomainError(
            f"{field}: no active user with id {user_id} in your companies.",
            fields={field: [f"No active user with id {user_id} in your companies."]},
        )
    return found


@router.get(
    "/delegations",
    response={200: DelegationPage, ERRORS: Problem},
    operation_id="list_delegations",
    summary="Out-of-office delegations you give or receive (all, for administrators)",
)
def list_delegations(request: HttpRequest, params: Query[DelegationListParams]) -> HttpResponse:
    refuse_unknown_params(request, DelegationListParams.model_fields)
    user: Any = request.user
    rows = Delegation.objects.select_related("delegator", "delegate")
    if not user.has_perm("approvals.view_delegation"):
        rows = rows.filter(Q(delegator=user) | Q(delegate=user))
    if params.current:
        rows = rows.filter(ends_on__gte=timezone.now().date())
    page = paginate(rows, "-starts_on", params.cursor, params.limit)
    return page_response([_delegation(d) for d in page.rows], page.next_cursor)


@router.post(
    "/delegations",
    response={201: DelegationOut, ERRORS: Problem},
    operation_id="create_delegation",
    summary="Delegate your approvals while you are away",
)
@idempotent
def create_delegation(
    request: HttpRequest,
    payload: DelegationIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    user: Any = request.user
    delegator = (
        user if payload.delegator is None else _colleague(user, payload.delegator, "delegator")
    )
    delegation = services.set_delegation(
        Actor.of(user),
        delegator=delegator,
        delegate=_colleague(user, payload.delegate, "delegate"),
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        reason=payload.reason,
    )
    return json_response(_delegation(delegation), 201)


@router.get(
    "/budget-owners",
    response={200: BudgetOwnerPage, ERRORS: Problem},
    operation_id="list_budget_owners",
    summary="Budget owners of product categories (approver rule 'budget_owner')",
)
def list_budget_owners(request: HttpRequest, params: Query[BudgetOwnerListParams]) -> HttpResponse:
    refuse_unknown_params(request, BudgetOwnerListParams.model_fields)
    require_permission(request.user, BudgetOwner, "view")
    rows = BudgetOwner.objects.restrict(request.user).select_related("category", "owner")
    if params.company:
        rows = rows.filter(company_id=params.company)
    page = paginate(rows, "id", params.cursor, params.limit)
    return page_response([_budget_owner(r) for r in page.rows], page.next_cursor)


@router.post(
    "/budget-owners",
    response={200: BudgetOwnerOut, 201: BudgetOwnerOut, ERRORS: Problem},
    operation_id="set_budget_owner",
    summary="Name the budget owner of a category in a company",
    description="201 when the category had no owner yet, 200 when the owner was replaced.",
)
@idempotent
def set_budget_owner(
    request: HttpRequest,
    payload: BudgetOwnerIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> HttpResponse:
    require_permission(request.user, BudgetOwner, "add")
    company_in_scope(request.user, payload.company)
    row, created = policies.set_budget_owner(
        Actor.of(request.user),
        company_id=payload.company,
        category_id=payload.category,
        owner_id=payload.owner,
    )
    row = BudgetOwner.objects.select_related("category", "owner").get(pk=row.pk)
    return json_response(_budget_owner(row), 201 if created else 200, etag_version=row.version)
