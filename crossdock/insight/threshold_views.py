"""The queue-thresholds screen: when a cause becomes an exception item, per company.

Everyone who may read the thresholds sees them; managers and the controller change them.
A field left empty goes back to the deployment's value. A refused save names each field
and writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from crossdock.core.company_settings import settings_version
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.insight.models import QueueThresholds
from crossdock.insight.queues.company_thresholds import (
    queue_thresholds_for,
    update_queue_thresholds,
)
from crossdock.insight.queues.thresholds import DEFAULTS, deployment_values
from crossdock.masterdata.models import Company
from crossdock.web.views.common import chosen_company, render_page


def _sent(request: HttpRequest, own: dict[str, Any]) -> dict[str, Any]:
    """The names whose field changed: a whole number as text, or ``None`` when emptied."""
    changed: dict[str, Any] = {}
    for name in DEFAULTS:
        if name not in request.POST:
            continue
        value = request.POST[name].strip()
        if value != str(own.get(name, "")):
            changed[name] = (int(value) if value.isdigit() else value) if value else None
    return changed


@login_required
@require_http_methods(["GET", "POST"])
def thresholds_page(request: HttpRequest) -> HttpResponse:
    if not has_model_permission(request.user, QueueThresholds, "view"):
        raise PermissionDenied("Your role does not allow you to view queue thresholds.")
    company = chosen_company(request)
    row = queue_thresholds_for(company.pk)
    own = {k: v for k, v in row.values.items() if k in DEFAULTS}
    shown = {name: str(own.get(name, "")) for name in DEFAULTS}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if not has_model_permission(request.user, QueueThresholds, "change"):
            raise PermissionDenied("Your role does not allow you to change queue thresholds.")
        version = request.POST.get("version", "")
        try:
            update_queue_thresholds(
                Actor.of(request.user),
                company.pk,
                _sent(request, own),
                expected_version=int(version) if version.isdigit() else None,
            )
        except DomainError as error:
            errors = error.fields or {"__all__": [error.message]}
            shown.update({n: request.POST[n].strip() for n in DEFAULTS if n in request.POST})
            status = 422
        else:
            messages.success(request, f"Queue thresholds of {company.code} saved.")
            return redirect(f"{reverse('insight_queues:thresholds')}?company={company.pk}")
    base = deployment_values()
    fields = [
        {
            "name": name,
            "label": name.replace("_", " ").capitalize(),
            "value": shown[name],
            "placeholder": base[name],
            "errors": errors.get(name, []),
        }
        for name in DEFAULTS
    ]
    context = {
        "title": "Queue thresholds",
        "company": company,
        "companies": Company.objects.in_scope_of(request.user).order_by("code"),
        "fields": fields,
        "form_errors": errors.get("__all__", []) + errors.get("version", []),
        "version": settings_version(row),
        "can_change": has_model_permission(request.user, QueueThresholds, "change"),
    }
    return render_page(request, "insight/queue_thresholds.html", context, status=status)
