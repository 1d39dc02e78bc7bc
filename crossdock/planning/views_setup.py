"""Planning setup screens under ``/planning/``: settings, transfer lanes and promotions.

Thin: whoever may view sees the screen (read-only without the change permission), a company
outside the user's scope is a 404, and a save is one service call of
:mod:`crossdock.planning.services.setup`; a refusal is shown on the field it names and
nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.models import Company, Warehouse
from crossdock.planning.models import PlanningSettings, Promotion, TransferLane
from crossdock.planning.services import setup
from crossdock.web.views.common import chosen_company, render_page

SETTING_LABELS = {
    "review_period_days": "Review period (days)",
    "history_days": "History planned from (days)",
    "horizon_weeks": "Horizon (weeks)",
    "service_measure": "Service measure (cycle or fill_rate)",
    "service_level_a": "Service level A (%)",
    "service_level_b": "Service level B (%)",
    "service_level_c": "Service level C (%)",
    "excess_cover_months": "Excess above (months of cover)",
    "dead_stock_days": "Dead stock after (days without demand)",
    "bias_limit_percent": "Forecast bias limit (%)",
    "outlier_limit": "Outlier limit (k × MAD)",
}


def _allowed(request: HttpRequest, model: Any, action: str) -> bool:
    return has_model_permission(request.user, model, action)


def _need(request: HttpRequest, model: Any, action: str) -> None:
    if not _allowed(request, model, action):
        raise PermissionDenied(f"Your role does not allow you to {action} this.")


def _plain(value: Any) -> str:
    return f"{value.normalize():f}" if hasattr(value, "normalize") else str(value)


def _int_or_text(value: str) -> Any:
    text = value.strip()
    return int(text) if text.isdigit() else text


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    _need(request, PlanningSettings, "view")
    company = chosen_company(request)
    may_change = _allowed(request, PlanningSettings, "change")
    settings = setup.settings_for(company.pk)
    values = {name: _plain(getattr(settings, name)) for name in SETTING_LABELS}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        _need(request, PlanningSettings, "change")
        sent = {name: request.POST[name].strip() for name in SETTING_LABELS if name in request.POST}
        data: dict[str, Any] = {
            name: value for name, value in sent.items() if value != values[name]
        }
        for name in setup.RANGES:
            if name in data:
                data[name] = _int_or_text(data[name])
        version = request.POST.get("version", "")
        try:
            setup.update_planning_settings(
                Actor.of(request.user),
                company.pk,
                data,
                expected_version=int(version) if version.isdigit() else None,
            )
        except DomainError as error:
            errors = error.fields or {"__all__": [error.message]}
            values.update(sent)
            status = 422
        else:
            messages.success(request, f"Planning settings of {company.code} saved.")
            return redirect(f"{reverse('planning:settings')}?company={company.pk}")
    fields = [
        {"name": n, "label": label, "value": values[n], "errors": errors.get(n, [])}
        for n, label in SETTING_LABELS.items()
    ]
    context = {
        "title": "Planning settings",
        "company": company,
        "companies": Company.objects.in_scope_of(request.user).order_by("code"),
        "fields": fields,
        "form_errors": errors.get("__all__", []) + errors.get("version", []),
        "saved": settings.pk is not None,
        "version": setup.settings_version(settings),
        "can_change": may_change,
    }
    return render_page(request, "planning/setup_settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def lanes_page(request: HttpRequest) -> HttpResponse:
    _need(request, TransferLane, "view")
    errors: dict[str, list[str]] = {}
    sent: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        _need(request, TransferLane, "add")
        sent = {n: request.POST.get(n, "").strip() for n in ("from", "to", "lead_time_days")}
        try:
            setup.create_transfer_lane(
                Actor.of(request.user),
                {
                    "from_warehouse": _int_or_text(sent["from"]),
                    "to_warehouse": _int_or_text(sent["to"]),
                    "lead_time_days": _int_or_text(sent["lead_time_days"] or "1"),
                },
            )
        except DomainError as error:
            errors = error.fields or {"__all__": [error.message]}
            status = 422
        else:
            messages.success(request, "Transfer lane added.")
            return redirect("planning:lanes")
    context = {
        "title": "Transfer lanes",
        "lanes": TransferLane.objects.restrict(request.user)
        .select_related("from_warehouse", "to_warehouse", "company")
        .order_by("from_warehouse__code", "to_warehouse__code"),
        "warehouses": Warehouse.objects.in_scope_of(request.user).order_by("code"),
        "sent": sent,
        "errors": errors,
        "can_add": _allowed(request, TransferLane, "add"),
        "can_delete": _allowed(request, TransferLane, "delete"),
    }
    return render_page(request, "planning/setup_lanes.html", context, status=status)


@login_required
@require_POST
def lane_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, TransferLane, "delete")
    try:
        setup.delete_transfer_lane(Actor.of(request.user), pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Transfer lane removed.")
    return redirect("planning:lanes")


@login_required
@require_http_methods(["GET", "POST"])
def promotions_page(request: HttpRequest) -> HttpResponse:
    _need(request, Promotion, "view")
    company = chosen_company(request)
    errors: dict[str, list[str]] = {}
    sent: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        _need(request, Promotion, "add")
        names = ("name", "product", "category", "warehouse", "starts_on", "ends_on")
        sent = {n: request.POST.get(n, "").strip() for n in names}
        data: dict[str, Any] = {
            "name": sent["name"],
            "starts_on": sent["starts_on"],
            "ends_on": sent["ends_on"],
        }
        for name in ("product", "category", "warehouse"):
            if sent[name]:
                data[name] = _int_or_text(sent[name])
        try:
            setup.create_promotion(Actor.of(request.user), company.pk, data)
        except DomainError as error:
            errors = error.fields or {"__all__": [error.message]}
            status = 422
        else:
            messages.success(request, f"Promotion {sent['name']} added.")
            return redirect(f"{reverse('planning:promotions')}?company={company.pk}")
    context = {
        "title": "Promotions",
        "company": company,
        "companies": Company.objects.in_scope_of(request.user).order_by("code"),
        "promotions": Promotion.objects.restrict(request.user)
        .filter(company=company)
        .select_related("product", "category", "warehouse"),
        "warehouses": Warehouse.objects.filter(company=company).order_by("code"),
        "sent": sent,
        "errors": errors,
        "can_add": _allowed(request, Promotion, "add"),
        "can_delete": _allowed(request, Promotion, "delete"),
    }
    return render_page(request, "planning/setup_promotions.html", context, status=status)


@login_required
@require_POST
def promotion_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, Promotion, "delete")
    try:
        setup.delete_promotion(Actor.of(request.user), pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Promotion removed.")
    return redirect("planning:promotions")
