"""Who approves: resolving a level's approver rule to users, with delegation applied."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q

from crossdock.approvals.models import ApprovalLevel, ApproverRule, BudgetOwner, Delegation
from crossdock.core.models import User
from crossdock.masterdata.models import ProductCategory


def _with_company_access(users: Any, company_id: int) -> Any:
    return (
        users.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(access__companies__id=company_id))
        .distinct()
    )


def resolve_level(
    level: ApprovalLevel,
    *,
    company_id: int,
    requester: User | None,
    category_path: str | None,
) -> list[User]:
    """The users a level asks, in order (before delegation), never the requester."""
    users: list[User]
    if level.rule == ApproverRule.ROLE:
        users = list(
            _with_company_access(User.objects.filter(groups__name=level.role), company_id).order_by(
                "username"
            )
        )
    elif level.rule == ApproverRule.USER:
        users = list(_with_company_access(User.objects.filter(pk=level.user_id or 0), company_id))
    elif level.rule == ApproverRule.MANAGER:
        users = []
        current = requester.manager if requester is not None else None
        while current is not None and len(users) < level.manager_depth:
            if current.is_active and current not in users:
                users.append(current)
            current = current.manager
    else:  # budget owner of the document's category, or of its nearest ancestor
        users = []
        path = category_path
        while path:
            owner = (
                BudgetOwner.objects.filter(
                    company_id=company_id,
                    category__in=ProductCategory.objects.filter(path=path),
                )
                .select_related("owner")
                .first()
            )
            if owner is not None:
                users = [owner.owner]
                break
            path = path.rpartition("/")[0]
    return [u for u in users if requester is None or u.pk != requester.pk]


def active_delegate(user: User, on: datetime.date) -> User | None:
    """Who decides for ``user`` on ``on`` (following a chain of delegations, without loops)."""
    seen = {user.pk}
    current: User | None = None
    probe = user
    while True:
        delegation = (
            Delegation.objects.filter(delegator=probe, starts_on__lte=on, ends_on__gte=on)
            .select_related("delegate")
            .order_by("-starts_on", "-id")
            .first()
        )
        if delegation is None or delegation.delegate_id in seen:
            return current
        seen.add(delegation.delegate_id)
        current = probe = delegation.delegate


def reaches_company(user_id: int, company_id: int) -> bool:
    """Whether the user exists, is active and may work in the company."""
    return _with_company_access(User.objects.filter(pk=user_id), company_id).exists()


def possible_approvers(level: ApprovalLevel, company_id: int) -> int | None:
    """How many users could ever answer this level (None when it depends on the requester)."""
    if level.rule == ApproverRule.ROLE:
        return _with_company_access(
            User.objects.filter(groups__name=level.role), company_id
        ).count()
    if level.rule == ApproverRule.USER:
        return _with_company_access(User.objects.filter(pk=level.user_id or 0), company_id).count()
    if level.rule == ApproverRule.BUDGET_OWNER:
        return BudgetOwner.objects.filter(company_id=company_id).count()
    return None
