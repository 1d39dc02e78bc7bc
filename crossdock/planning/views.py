"""The planner's workbench under ``/planning/``: the suggestions grid of the latest run with
bulk decisions, one product at one warehouse (chart, figures, policy, overrides) and the
planning exception queue.

Thin: whoever may view suggestions sees the screens (read-only without the change
permission), a company outside the user's scope is a 404 and every decision is one call of
:mod:`crossdock.planning.services.suggestions` or :mod:`~crossdock.planning.services.policies`;
a refusal is shown inline naming the field and nothing is written.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.models import Company, Partner, Product, Warehouse
from crossdock.planning.charts import item_chart
from crossdock.planning.models import (
    DemandDay,
    ForecastOverride,
    PlanningException,
    PlanningExceptionKind,
    PlanningItem,
    PolicyMethod,
    ReorderPolicy,
    ReplenishmentRun,
    RunState,
    SimulationRun,
    Suggestion,
    SuggestionAction,
    SuggestionState,
)
from crossdock.planning.services import policies, suggestions
from crossdock.planning.services.simulate import run_simulation
from crossdock.web.views.common import chosen_company, is_partial, render_page

PAGE_SIZE = 50
SORTS = {
    "product": "product__sku",
    "warehouse": "warehouse__code",
    "quantity": "quantity",
    "order_by": "order_by",
    "action": "action",
    "state": "state",
    "supplier": "supplier__name",
}
BULK_ACTIONS = ("approve", "reject", *suggestions.DOCUMENT_TYPES)
PATTERNS = ("smooth", "erratic", "intermittent", "lumpy")


def _need(request: HttpRequest, model: Any, action: str) -> None:
    if not has_model_permission(request.user, model, action):
        raise PermissionDenied(f"Your role does not allow you to {action} this.")


def _plain(value: Any) -> str:
    return f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)


def _latest_run(company: Company) -> ReplenishmentRun | None:
    return (
        ReplenishmentRun.objects.filter(company=company, state=RunState.DONE)
        .order_by("-started_at", "-pk")
        .first()
    )


def _filters(request: HttpRequest) -> dict[str, str]:
    names = ("warehouse", "action", "supplier", "abc", "pattern", "state", "risk", "sort")
    source = request.POST if request.method == "POST" else request.GET
    return {name: source.get(name, "").strip() for name in names}


def _filtered(request: HttpRequest, run: ReplenishmentRun | None, chosen: dict[str, str]) -> Any:
    if run is None:
        return Suggestion.objects.none()
    rows: QuerySet[Suggestion] = Suggestion.objects.restrict(request.user).filter(run=run)
    if chosen["warehouse"].isdigit():
        rows = rows.filter(warehouse_id=int(chosen["warehouse"]))
    if chosen["action"] in SuggestionAction.values:
        rows = rows.filter(action=chosen["action"])
    if chosen["supplier"].isdigit():
        rows = rows.filter(supplier_id=int(chosen["supplier"]))
    if chosen["state"] in SuggestionState.values:
        rows = rows.filter(state=chosen["state"])
    item = PlanningItem.objects.filter(product=OuterRef("product"), warehouse=OuterRef("warehouse"))
    if chosen["abc"] in ("A", "B", "C"):
        rows = rows.filter(Exists(item.filter(abc=chosen["abc"])))
    if chosen["pattern"] in PATTERNS:
        rows = rows.filter(Exists(item.filter(pattern=chosen["pattern"])))
    if chosen["risk"]:
        risk = PlanningException.objects.filter(
            product=OuterRef("product"),
            warehouse=OuterRef("warehouse"),
            kind=PlanningExceptionKind.STOCKOUT_RISK,
            closed_at__isnull=True,
        )
        rows = rows.filter(Exists(risk))
    key = chosen["sort"].lstrip("-")
    order = SORTS.get(key, "order_by")
    if chosen["sort"].startswith("-"):
        order = f"-{order}"
    return rows.order_by(order, "pk")


def _selected_ids(request: HttpRequest, rows: Any) -> list[int]:
    if request.POST.get("all_filtered"):
        # one more than allowed, so that too large a selection is refused, not cut short
        return list(rows.values_list("pk", flat=True)[: suggestions.MAX_IDS + 1])
    return [int(v) for v in request.POST.getlist("ids") if v.isdigit()]


def _act(request: HttpRequest, ids: list[int]) -> tuple[str, dict[str, list[str]], int]:
    """Run the chosen bulk action; returns (message, errors, status)."""
    action = request.POST.get("bulk", "")
    if action not in BULK_ACTIONS:
        return "", {"bulk": ["Choose an action."]}, 422
    if not ids:
        return "", {"ids": ["Select at least one suggestion."]}, 422
    actor = Actor.of(request.user)
    try:
        if action == "approve":
            done = suggestions.approve_suggestions(actor, ids)
            return f"{len(done)} suggestion(s) approved.", {}, 200
        if action == "reject":
            done = suggestions.reject_suggestions(actor, ids, request.POST.get("reason", ""))
            return f"{len(done)} suggestion(s) rejected.", {}, 200
        conversion = suggestions.convert_suggestions(actor, ids, action)
    except PermissionDenied as error:
        return "", {"__all__": [str(error) or "Your role does not allow this."]}, 403
    except DomainError as error:
        return "", error.fields or {"__all__": [error.message]}, 422
    references = ", ".join(d["reference"] for d in conversion.documents)
    return f"Converted into {len(conversion.documents)} document(s): {references}.", {}, 200


@login_required
@require_http_methods(["GET", "POST"])
def workbench(request: HttpRequest) -> HttpResponse:
    _need(request, Suggestion, "view")
    company = chosen_company(request)
    run = _latest_run(company)
    chosen = _filters(request)
    rows = _filtered(request, run, chosen)
    notice, status = "", 200
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        _need(request, Suggestion, "change")
        notice, errors, status = _act(request, _selected_ids(request, rows))
        if status == 422 and is_partial(request):
            status = 200  # HTMX swaps only successful answers; the refusal is shown inline
    page = Paginator(
        rows.select_related("product", "warehouse", "supplier", "source_warehouse"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    last = ReplenishmentRun.objects.filter(company=company).order_by("-started_at", "-pk").first()
    query = "&".join(f"{k}={v}" for k, v in chosen.items() if v and k != "sort")
    context = {
        "title": "Planner workbench",
        "company": company,
        "companies": Company.objects.in_scope_of(request.user).order_by("code"),
        "run": run,
        "last": last,
        "page": page,
        "chosen": chosen,
        "query": query,
        "warehouses": Warehouse.objects.filter(company=company).order_by("code"),
        "suppliers": Partner.objects.filter(company=company, is_supplier=True).order_by("name"),
        "actions": SuggestionAction.choices,
        "states": SuggestionState.choices,
        "patterns": PATTERNS,
        "bulk_actions": BULK_ACTIONS,
        "notice": notice,
        "errors": errors,
        "can_change": has_model_permission(request.user, Suggestion, "change"),
        "can_run": has_model_permission(request.user, ReplenishmentRun, "add"),
        "sorts": list(SORTS),
    }
    return render_page(request, "planning/workbench.html", context, status=status)


@login_required
@require_POST
def run_now(request: HttpRequest) -> HttpResponse:
    _need(request, ReplenishmentRun, "add")
    company = chosen_company(request)
    from crossdock.planning.tasks import run_company_replenishment

    run_company_replenishment.enqueue(company.pk, False, request.user.pk)
    messages.success(request, f"Replenishment run of {company.code} started.")
    return redirect(f"{reverse('planning:workbench')}?company={company.pk}")


def _weekly_history(product: Product, warehouse: Warehouse, end: datetime.date) -> list[Decimal]:
    start = end - datetime.timedelta(weeks=104)
    weeks = [Decimal(0)] * 104
    rows = (
        DemandDay.objects.filter(
            product=product, warehouse=warehouse, day__gt=start, day__lte=end, is_outlier=False
        )
        .values("day")
        .annotate(total=Sum("quantity"))
    )
    for row in rows:
        index = min(103, (row["day"] - start - datetime.timedelta(days=1)).days // 7)
        weeks[index] += Decimal(row["total"])
    return weeks


def _policy_draft(product: Product, warehouse: Warehouse, data: Any) -> policies.PolicyDraft:
    def value(name: str) -> Any:
        text = data.get(name, "").strip()
        return text or None

    return policies.PolicyDraft(
        product_id=product.pk,
        warehouse_id=warehouse.pk,
        method=data.get("method", PolicyMethod.REORDER_POINT),
        min_quantity=value("min_quantity"),
        max_quantity=value("max_quantity"),
        service_level=value("service_level"),
        note=data.get("note", "").strip(),
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_detail(request: HttpRequest, product: int, warehouse: int) -> HttpResponse:
    _need(request, Suggestion, "view")
    place = Warehouse.objects.filter(pk=warehouse).first()
    thing = Product.objects.filter(pk=product).first()
    companies = Company.objects.in_scope_of(request.user)
    if place is None or thing is None or not companies.filter(pk=place.company_id).exists():
        raise Http404("No such product at that warehouse.")
    item = PlanningItem.objects.filter(product=thing, warehouse=place).first()
    policy = ReorderPolicy.objects.filter(product=thing, warehouse=place).first()
    errors: dict[str, list[str]] = {}
    sent: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = request.POST.get("form")
        actor = Actor.of(request.user)
        sent = {k: str(request.POST.get(k, "")) for k in request.POST if k != "csrfmiddlewaretoken"}
        try:
            if form == "policy":
                _need(request, ReorderPolicy, "change")
                policies.set_reorder_policy(actor, _policy_draft(thing, place, request.POST))
                messages.success(request, "Policy saved.")
            elif form == "automatic":
                _need(request, ReorderPolicy, "delete")
                if policy is not None:
                    policies.clear_reorder_policy(actor, policy.pk)
                messages.success(request, "The policy is automatic again.")
            elif form == "override":
                _need(request, ForecastOverride, "add")
                policies.create_forecast_override(
                    actor,
                    policies.OverrideDraft(
                        product_id=thing.pk,
                        warehouse_id=place.pk,
                        starts_on=request.POST.get("starts_on", ""),
                        ends_on=request.POST.get("ends_on", ""),
                        reason=request.POST.get("reason", ""),
                        daily_quantity=request.POST.get("daily_quantity", "").strip() or None,
                        change_percent=request.POST.get("change_percent", "").strip() or None,
                    ),
                )
                messages.success(request, "Forecast override added.")
            else:
                errors = {"form": ["Unknown form."]}
        except DomainError as error:
            errors = error.fields or {"__all__": [error.message]}
        if errors:
            status = 422
        else:
            return redirect(request.path)
    end = (item.history_end if item and item.history_end else None) or timezone.localdate()
    history = _weekly_history(thing, place, end)
    forecast: list[Decimal] = []
    projected: list[Decimal] = []
    if item is not None:
        for text in item.forecast:
            try:
                forecast.append(Decimal(str(text)))
            except InvalidOperation:
                continue
        stock = item.on_hand + item.open_supply - item.backordered
        for value in forecast:
            stock -= value
            projected.append(stock)
    chart = item_chart(
        history,
        forecast,
        item.forecast_sd if item else Decimal(0),
        projected,
        reorder_point=item.reorder_point if item else Decimal(0),
        safety_stock=item.safety_stock if item else Decimal(0),
        first_label=str(end - datetime.timedelta(weeks=104)),
        last_label=str(end + datetime.timedelta(weeks=len(forecast))),
    )
    context = {
        "title": f"{thing.sku} at {place.code}",
        "product": thing,
        "warehouse": place,
        "item": item,
        "policy": policy,
        "chart": chart,
        "overrides": ForecastOverride.objects.filter(product=thing, warehouse=place)[:20],
        "exceptions": PlanningException.objects.filter(
            product=thing, warehouse=place, closed_at__isnull=True
        ).order_by("-severity"),
        "methods": PolicyMethod.choices,
        "errors": errors,
        "sent": sent,
        "can_change": has_model_permission(request.user, ReorderPolicy, "change"),
        "figures": {
            k: _plain(getattr(item, k))
            for k in ("on_hand", "open_supply", "safety_stock", "reorder_point", "order_up_to")
        }
        if item
        else {},
    }
    return render_page(request, "planning/item_detail.html", context, status=status)


@login_required
@require_GET
def exceptions(request: HttpRequest) -> HttpResponse:
    _need(request, PlanningException, "view")
    company = chosen_company(request)
    chosen = {n: request.GET.get(n, "").strip() for n in ("kind", "warehouse", "severity", "owner")}
    rows = PlanningException.objects.restrict(request.user).filter(
        company=company, closed_at__isnull=True
    )
    if chosen["kind"] in PlanningExceptionKind.values:
        rows = rows.filter(kind=chosen["kind"])
    if chosen["warehouse"].isdigit():
        rows = rows.filter(warehouse_id=int(chosen["warehouse"]))
    if chosen["severity"] in ("1", "2", "3"):
        rows = rows.filter(severity=int(chosen["severity"]))
    if chosen["owner"]:
        rows = rows.filter(owner_role=chosen["owner"])
    page = Paginator(
        rows.select_related("product", "warehouse").order_by("-severity", "opened_at", "pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    now = timezone.now()
    for row in page.object_list:
        row.age_days = (now - row.opened_at).days
    context = {
        "title": "Planning exceptions",
        "company": company,
        "page": page,
        "chosen": chosen,
        "kinds": PlanningExceptionKind.choices,
        "warehouses": Warehouse.objects.filter(company=company).order_by("code"),
    }
    return render_page(request, "planning/workbench_exceptions.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def simulations(request: HttpRequest) -> HttpResponse:
    _need(request, SimulationRun, "view")
    company = chosen_company(request)
    errors: dict[str, list[str]] = {}
    sent: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        _need(request, SimulationRun, "add")
        sent = {n: request.POST.get(n, "").strip() for n in ("warehouse", "starts_on", "ends_on")}
        try:
            done = run_simulation(
                Actor.of(request.user), sent["warehouse"], sent["starts_on"], sent["ends_on"]
            )
        except DomainError as error:
            errors = error.fields or {"__all__": [error.message]}
            status = 422
        else:
            messages.success(request, f"Simulation {done.pk} recorded.")
            return redirect(f"{reverse('planning:simulations')}?company={company.pk}")
    context = {
        "title": "Policy simulations",
        "company": company,
        "warehouses": Warehouse.objects.filter(company=company).order_by("code"),
        "runs": SimulationRun.objects.restrict(request.user)
        .filter(company=company)
        .select_related("warehouse")[:20],
        "errors": errors,
        "sent": sent,
        "can_add": has_model_permission(request.user, SimulationRun, "add"),
    }
    return render_page(request, "planning/simulations.html", context, status=status)
