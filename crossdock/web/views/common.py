"""What every page view checks first: role permission (403) and row scope (404)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from crossdock.core.permissions import can_act_on, has_model_permission
from crossdock.masterdata.registry import RecordType


def require_permission(user: Any, record_type: RecordType, action: str) -> None:
    """Refuse with 403 when none of the user's roles grants ``action`` on the record type."""
    if not has_model_permission(user, record_type.model, action):
        raise PermissionDenied(
            f"Your role does not allow you to {action} {record_type.label_plural}."
        )


def scoped_object(record_type: RecordType, user: Any, pk: int, action: str = "view") -> Any:
    """The row if the user may ``action`` it; 404 when it is outside their scope or missing."""
    require_permission(user, record_type, action)
    queryset = record_type.model.objects.restrict(user, action)
    if record_type.select_related:
        queryset = queryset.select_related(*record_type.select_related)
    instance = queryset.filter(pk=pk).first()
    if instance is None:
        raise Http404(f"No {record_type.label} with id {pk}.")
    return instance


def require_row_action(user: Any, record_type: RecordType, instance: Any, action: str) -> None:
    """Refuse with 403 when the user may see the row but not ``action`` it."""
    if not can_act_on(user, instance, action):
        raise PermissionDenied(f"You may not {action} this {record_type.label}.")


def is_partial(request: HttpRequest) -> bool:
    """An HTMX request that wants a fragment (a history restore needs the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def chosen_company(request: HttpRequest) -> Any:
    """The company a per-company page shows: ``?company=`` (or the posted one) within the
    user's scope (404 otherwise), else the workspace's current company, else the first."""
    from crossdock.masterdata.models import Company
    from crossdock.web.workspace import workspace_of

    companies = Company.objects.in_scope_of(request.user).order_by("code")
    chosen = request.POST.get("company") or request.GET.get("company")
    if chosen:
        found = companies.filter(pk=chosen).first() if chosen.isdigit() else None
        if found is None:
            raise Http404("No such company.")
        return found
    current = workspace_of(request).current
    company = current if current is not None else companies.first()
    if company is None:
        raise Http404("No company to show.")
    return company
