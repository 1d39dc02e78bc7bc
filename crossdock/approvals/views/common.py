"""What the approvals pages share: permission and scope checks, redirects, facts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from crossdock.approvals import registry, selectors
from crossdock.approvals.models import ApprovalRequest
from crossdock.core.permissions import has_model_permission


def require_permission(user: Any, model: type[Any], action: str) -> None:
    if not has_model_permission(user, model, action):
        label = model._meta.verbose_name_plural
        raise PermissionDenied(f"Your role does not allow you to {action} {label}.")


def visible_request(user: Any, pk: int) -> ApprovalRequest:
    found = (
        selectors.requests_visible_to(user)
        .select_related("policy", "requester", "company")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404(f"No approval request with id {pk}.")
    return found


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if target and allowed else default


def labelled_facts(request: ApprovalRequest) -> list[tuple[str, str]]:
    """The facts the policy judged, labelled as the document type names them."""
    fields = registry.get(request.document_type).fields
    return [
        (
            fields[name].label if name in fields else name,
            ("yes" if value else "no") if isinstance(value, bool) else str(value),
        )
        for name, value in request.facts.items()
        if value is not None
    ]
