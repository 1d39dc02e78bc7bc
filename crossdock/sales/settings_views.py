"""The sales settings screen under ``/sales/settings/``: a company's sourcing and invoice
policies, overdue hold and discount limit, and its margin floors per product category.

Thin like :mod:`crossdock.purchasing.settings_views`: whoever may view the settings sees
them (read-only without the change permission), a company or floor outside the user's scope
is a 404, and each save is one service call whose refusal is shown on the field it names
(nothing is written then). The margin-floor table is swapped in place by HTMX after an
add, change or removal; without HTMX each action redirects back to the page.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, NotFoundError, StaleVersionError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.models import Company
from crossdock.sales import settings_forms as sf
from crossdock.sales.models import MarginFloor, SalesSettings
from crossdock.sales.services import margin_floors
from crossdock.sales.services.settings import (
    FIELDS,
    settings_for,
    settings_version,
    update_sales_settings,
)
from crossdock.web.views.common import chosen_company, is_partial, render_page


def _plain(value: Decimal | None) -> str:
    """``10.0000`` as ``10``, ``0.5000`` as ``0.5`` (never ``1E+1``); nothing as blank."""
    return "" if value is None else f"{value.normalize():f}"


def _page_url(company: Company) -> str:
    return f"{reverse('sales:settings')}?company={company.pk}"


def _initial(settings: SalesSettings) -> dict[str, Any]:
    return {
        "sourcing_policy": settings.sourcing_policy,
        "invoice_policy": settings.invoice_policy,
        "overdue_hold_days": settings.overdue_hold_days,
        "max_discount_percent": _plain(settings.max_discount_percent),
        "version": settings_version(settings),
    }


def _floor_initial(floor: MarginFloor) -> dict[str, Any]:
    return {
        "min_margin_percent": _plain(floor.min_margin_percent),
        "max_discount_percent": _plain(floor.max_discount_percent),
        "version": floor.version,
    }


def _require_view(user: Any) -> None:
    if not has_model_permission(user, SalesSettings, "view") or not has_model_permission(
        user, MarginFloor, "view"
    ):
        raise PermissionDenied("Your role does not allow you to view sales settings.")


def _floors_context(
    request: HttpRequest,
    company: Company,
    *,
    add_form: sf.MarginFloorForm | None = None,
    refused: tuple[int, sf.MarginFloorForm] | None = None,
) -> dict[str, Any]:
    """The margin-floor table: one form per floor (the refused one as sent) and the add row."""
    user = request.user
    may = {a: has_model_permission(user, MarginFloor, a) for a in ("add", "change", "delete")}
    rows = []
    floors = MarginFloor.objects.filter(company=company).select_related("category")
    for floor in floors.order_by("category__path"):
        if refused is not None and refused[0] == floor.pk:
            form = refused[1]
        else:
            form = sf.MarginFloorForm(
                initial=_floor_initial(floor),
                adding=False,
                read_only=not may["change"],
                prefix=f"floor-{floor.pk}",
            )
        for field in form.fields.values():  # the inputs sit in the row, the form in its last cell
            field.widget.attrs["form"] = f"floor-form-{floor.pk}"
        rows.append({"floor": floor, "form": form})
    return {
        "company": company,
        "floor_rows": rows,
        "add_form": add_form or sf.MarginFloorForm(prefix="new"),
        "can_add_floor": may["add"],
        "can_change_floor": may["change"],
        "can_remove_floor": may["delete"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def sales_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_view(user)
    company = chosen_company(request)
    may_change = has_model_permission(user, SalesSettings, "change")
    settings = settings_for(company.pk)
    status = 200
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied("Your role does not allow you to change sales settings.")
        form = sf.SalesSettingsForm(request.POST, initial=_initial(settings))
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in FIELDS}
            try:
                update_sales_settings(
                    Actor.of(user),
                    company.pk,
                    expected_version=form.cleaned_data["version"],
                    **data,
                )
            except StaleVersionError as error:
                form.add_error(None, error.message)
            except DomainError as error:
                sf.show_refusal(error, form)
            else:
                messages.success(request, f"Sales settings of {company.code} saved.")
                return redirect(_page_url(company))
        status = 422
    else:
        form = sf.SalesSettingsForm(initial=_initial(settings), read_only=not may_change)
    return _page(request, company, form, status)


def _page(
    request: HttpRequest,
    company: Company,
    form: sf.SalesSettingsForm | None = None,
    status: int = 200,
    **floors: Any,
) -> HttpResponse:
    user = request.user
    settings = settings_for(company.pk)
    may_change = has_model_permission(user, SalesSettings, "change")
    if form is None:
        form = sf.SalesSettingsForm(initial=_initial(settings), read_only=not may_change)
    context = {
        "title": "Sales settings",
        "companies": Company.objects.in_scope_of(user).order_by("code"),
        "form": form,
        "settings": settings,
        "saved": settings.pk is not None,
        "can_change": may_change,
        **_floors_context(request, company, **floors),
    }
    return render_page(request, "sales/settings.html", context, status=status)


def _floors_answer(
    request: HttpRequest, company: Company, failed: bool, **floors: Any
) -> HttpResponse:
    """The table fragment for HTMX (200: HTMX swaps 2xx answers only); without HTMX a
    redirect to the page, or the page with the refused form (422)."""
    if is_partial(request):
        context = {**_floors_context(request, company, **floors), "is_fragment": True}
        return render_page(request, "sales/_margin_floors.html", context)
    if failed:
        return _page(request, company, status=422, **floors)
    return redirect(_page_url(company))


@login_required
@require_POST
def floor_add(request: HttpRequest) -> HttpResponse:
    _require_view(request.user)
    if not has_model_permission(request.user, MarginFloor, "add"):
        raise PermissionDenied("Your role does not allow you to add margin floors.")
    company = chosen_company(request)
    form = sf.MarginFloorForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            floor = margin_floors.create_margin_floor(
                Actor.of(request.user),
                margin_floors.MarginFloorDraft(
                    company_id=company.pk,
                    category_id=form.cleaned_data["category"].pk,
                    min_margin_percent=form.cleaned_data["min_margin_percent"],
                    max_discount_percent=form.cleaned_data["max_discount_percent"] or None,
                ),
            )
        except DomainError as error:
            sf.show_refusal(error, form)
        else:
            messages.success(request, f"Margin floor for {floor.category.path} added.")
            return _floors_answer(request, company, False)
    return _floors_answer(request, company, True, add_form=form)


def _visible_floor(request: HttpRequest, pk: int, action: str) -> MarginFloor:
    floor = (
        MarginFloor.objects.restrict(request.user, "view")
        .select_related("company", "category")
        .filter(pk=pk)
        .first()
    )
    if floor is None:
        raise Http404("No such margin floor.")
    if not has_model_permission(request.user, MarginFloor, action):
        raise PermissionDenied(f"Your role does not allow you to {action} margin floors.")
    return floor


@login_required
@require_POST
def floor_change(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request.user)
    floor = _visible_floor(request, pk, "change")
    form = sf.MarginFloorForm(request.POST, adding=False, prefix=f"floor-{floor.pk}")
    if form.is_valid():
        try:
            margin_floors.update_margin_floor(
                Actor.of(request.user),
                floor.pk,
                {
                    "min_margin_percent": form.cleaned_data["min_margin_percent"],
                    "max_discount_percent": form.cleaned_data["max_discount_percent"] or None,
                },
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as error:
            sf.show_refusal(error, form)
        else:
            messages.success(request, f"Margin floor for {floor.category.path} saved.")
            return _floors_answer(request, floor.company, False)
    return _floors_answer(request, floor.company, True, refused=(floor.pk, form))


@login_required
@require_POST
def floor_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request.user)
    floor = _visible_floor(request, pk, "delete")
    version = request.POST.get("version", "")
    try:
        margin_floors.delete_margin_floor(
            Actor.of(request.user),
            floor.pk,
            expected_version=int(version) if version.isdigit() else None,
        )
    except NotFoundError as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Margin floor for {floor.category.path} removed.")
    return _floors_answer(request, floor.company, False)
