"""The companies a user works in and the one they are looking at (the company switcher).

This is a convenience on top of the security scope: lists of company-bound
records default to the current company, but what a user may see always comes
from ``Model.objects.restrict(user, action)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from crossdock.masterdata.models import Company, UserAccess

ALL_COMPANIES = "all"


@dataclass(frozen=True)
class Workspace:
    """The user's companies (by code) and their current one, if any."""

    companies: tuple[Company, ...]
    current: Company | None
    can_switch: bool

    def company(self, company_id: int | str) -> Company | None:
        return next((c for c in self.companies if str(c.pk) == str(company_id)), None)


def workspace_for(user: Any) -> Workspace:
    if user is None or not user.is_authenticated:
        return Workspace((), None, can_switch=False)
    access = UserAccess.objects.filter(user=user).select_related("current_company").first()
    if access is None:
        # Superusers need no access row: they filter over every company, with no default.
        companies = tuple(Company.objects.order_by("code")) if user.is_superuser else ()
        return Workspace(companies, None, can_switch=False)
    companies = tuple(access.companies.order_by("code"))
    current = access.current_company
    if current is not None and all(c.pk != current.pk for c in companies):
        current = None
    return Workspace(companies, current, can_switch=bool(companies))


def workspace_of(request: HttpRequest) -> Workspace:
    """The request user's workspace, read once per request."""
    cached: Workspace | None = getattr(request, "_crossdock_workspace", None)
    if cached is None:
        cached = workspace_for(request.user)
        request._crossdock_workspace = cached  # type: ignore[attr-defined]
    return cached
