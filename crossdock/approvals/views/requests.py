"""Approval requests: the list and one request with its decision context and history."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from crossdock.approvals import registry, selectors
from crossdock.approvals.forms import DecisionForm
from crossdock.approvals.models import ApprovalRequest
from crossdock.approvals.views.common import labelled_facts, require_permission, visible_request
from crossdock.core.audit import history_of
from crossdock.web.navigation import AUDIT_PERMISSION
from crossdock.web.views.audit import visible_entries
from crossdock.web.views.common import render_page

PER_PAGE = 50
HISTORY_LIMIT = 50


@login_required
@require_safe
def request_list(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, ApprovalRequest, "view")
    status = request.GET.get("status", "pending")
    rows = selectors.requests_visible_to(request.user).select_related("policy", "requester")  # type: ignore[arg-type]
    if status in ApprovalRequest.Status.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    page = Paginator(rows.order_by("-submitted_at", "-pk"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    labels = {t.code: t.label for t in registry.all_types()}
    context = {
        "title": "Approval requests",
        "page": page,
        "rows": [
            {"request": row, "type_label": labels.get(row.document_type, row.document_type)}
            for row in page.object_list
        ],
        "status": status,
        "statuses": ApprovalRequest.Status.choices,
    }
    return render_page(request, "approvals/request_list.html", context)


def _history(user: Any, approval: ApprovalRequest) -> list[Any] | None:
    if not user.has_perm(AUDIT_PERMISSION):
        return None
    return list(visible_entries(user, history_of(approval))[:HISTORY_LIMIT])


def _document_url(approval: ApprovalRequest) -> str:
    from crossdock.masterdata.registry import BY_MODEL

    record_type = BY_MODEL.get(registry.get(approval.document_type).model)
    if record_type is None or not approval.document_id.isdigit():
        return ""
    return reverse("web:record_detail", args=[record_type.slug, int(approval.document_id)])


@login_required
@require_safe
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    approval = visible_request(request.user, pk)
    context = selectors.decision_context(approval)
    can_decide = selectors.decidable_steps(request.user).filter(request=approval).exists()  # type: ignore[arg-type]
    page = {
        "title": approval.document_label,
        "approval": approval,
        "context": context,
        "facts": labelled_facts(approval),
        "can_decide": can_decide,
        "form": DecisionForm(),
        "document_url": _document_url(approval),
        "history": _history(request.user, approval),
        "audit_url": reverse("web:audit_list")
        + f"?object_type=approvals.approvalrequest&object_id={approval.pk}",
    }
    return render_page(request, "approvals/request_detail.html", page)
