"""Quality screens under ``/quality/``: the inspection queue (pending first) and a
phone-friendly results form, inspection plans (list, new, edit), and nonconformances with
the return-to-vendor action.

Views are thin: they check the model permission, scope every query to the user's
companies (a row outside them is a 404), read the form and call one service; a refusal of
the service is shown on the field it names and nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.inventory.models import Transfer
from crossdock.quality import forms as qf
from crossdock.quality.models import (
    CheckKind,
    Disposition,
    Inspection,
    InspectionPlan,
    InspectionState,
    Nonconformance,
)
from crossdock.quality.selectors import inspection_queue as queue_of
from crossdock.quality.services import inspections, nonconformance, plans
from crossdock.web.views.common import render_page

PER_PAGE = 50


def _require(user: Any, model: type[models.Model], action: str = "view") -> None:
    if not has_model_permission(user, model, action):
        plural = model._meta.verbose_name_plural
        raise PermissionDenied(f"Your role does not allow you to {action} {plural}.")


def _inspection(request: HttpRequest, pk: int, action: str = "view") -> Inspection:
    _require(request.user, Inspection, action)
    found = (
        Inspection.objects.restrict(request.user, action)
        .select_related("product__base_unit", "supplier", "receipt", "warehouse", "plan")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such inspection.")
    return found


def _nonconformance(request: HttpRequest, pk: int, action: str = "view") -> Nonconformance:
    _require(request.user, Nonconformance, action)
    found = (
        Nonconformance.objects.restrict(request.user, action)
        .select_related(
            "inspection__product",
            "inspection__supplier",
            "inspection__receipt",
            "return_transfer",
            "disposition_transfer",
            "credit_note",
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such nonconformance.")
    return found


# -- the inspection queue -------------------------------------------------------------------


@login_required
@require_safe
def inspection_queue(request: HttpRequest) -> HttpResponse:
    _require(request.user, Inspection)
    rows = queue_of(request.user)
    state = request.GET.get("state", "")
    if state in InspectionState.values:
        rows = rows.filter(state=state)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": "Inspections",
        "page": page,
        "state": state,
        "states": InspectionState.choices,
        "pending": Inspection.objects.restrict(request.user)
        .filter(state=InspectionState.PENDING)
        .count(),
    }
    return render_page(request, "quality/queue.html", context)


def _outcome(request: HttpRequest, inspection: Inspection) -> inspections.InspectionOutcome:
    results = []
    for check in inspection.plan.checks.all():
        raw = request.POST.get(f"check-{check.pk}", "").strip()
        if check.kind == CheckKind.MEASURED:
            results.append(inspections.CheckOutcome(check.pk, value=raw or None))
        else:
            passed = {"pass": True, "fail": False}.get(raw)
            results.append(inspections.CheckOutcome(check.pk, passed=passed))
    return inspections.InspectionOutcome(
        results=results,
        accepted_quantity=request.POST.get("accepted_quantity", "").strip(),
        rejected_quantity=request.POST.get("rejected_quantity", "").strip() or "0",
        disposition=request.POST.get("disposition", ""),
        description=request.POST.get("description", ""),
        note=request.POST.get("note", ""),
        version=_int(request.POST.get("version")),
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection(request, pk)
    can_record = inspection.is_pending and has_model_permission(request.user, Inspection, "change")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied("This inspection cannot be recorded by you.")
        inspection = _inspection(request, pk, "change")
        try:
            inspections.record_results(
                Actor.of(request.user), inspection.pk, _outcome(request, inspection)
            )
        except DomainError as error:
            errors = error.fields or {"__all__": [error.message]}
            messages.error(request, error.message)
        else:
            messages.success(request, f"{inspection} recorded.")
            return redirect("quality:inspection_detail", pk=inspection.pk)
    checks = list(inspection.plan.checks.all())
    results = {r.plan_check_id: r for r in inspection.results.all()}
    field_of = {check.pk: f"results[{index}]" for index, check in enumerate(checks)}
    rows = [
        {
            "check": check,
            "result": results.get(check.pk),
            "value": request.POST.get(f"check-{check.pk}", ""),
            "errors": [
                message
                for name, found in errors.items()
                if name.startswith(field_of[check.pk] + ".")
                for message in found
            ],
        }
        for check in checks
    ]
    found_nonconformance = Nonconformance.objects.filter(inspection=inspection).first()
    context = {
        "title": str(inspection),
        "inspection": inspection,
        "rows": rows,
        "can_record": can_record,
        "errors": errors,
        "form": request.POST,
        "dispositions": Disposition.choices,
        "nonconformance": found_nonconformance,
    }
    return render_page(request, "quality/inspection_detail.html", context)


# -- plans ----------------------------------------------------------------------------------


@login_required
@require_safe
def plan_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, InspectionPlan)
    rows = (
        InspectionPlan.objects.restrict(request.user)
        .select_related("company", "product", "category", "supplier")
        .prefetch_related("checks")
        .order_by("company__code", "name", "pk")
    )
    context = {
        "title": "Inspection plans",
        "page": Paginator(rows, PER_PAGE).get_page(request.GET.get("page")),
        "can_add": has_model_permission(request.user, InspectionPlan, "add"),
        "can_change": has_model_permission(request.user, InspectionPlan, "change"),
    }
    return render_page(request, "quality/plan_list.html", context)


def _plan_draft(form: qf.PlanForm, rows: list[Any]) -> plans.PlanDraft:
    data = form.cleaned_data
    return plans.PlanDraft(
        company_id=data["company"].pk,
        name=data["name"],
        product_id=data["product"].pk if data["product"] else None,
        category_id=data["category"].pk if data["category"] else None,
        supplier_id=data["supplier"].pk if data["supplier"] else None,
        sampling=data["sampling"],
        sample_size=data["sample_size"],
        sample_percent=data["sample_percent"],
        instructions=data["instructions"],
        active=data["active"],
        checks=[
            plans.CheckDraft(
                row.cleaned_data["name"],
                row.cleaned_data["kind"],
                row.cleaned_data["target"],
                row.cleaned_data["min_value"],
                row.cleaned_data["max_value"],
                row.cleaned_data["unit"],
            )
            for row in rows
        ],
    )


def _show(error: DomainError, form: qf.PlanForm, rows: list[Any]) -> None:
    for name, found in (error.fields or {"__all__": [error.message]}).items():
        for message in found:
            if name.startswith("checks["):
                index = int(name[len("checks[") : name.index("]")])
                field = name.partition("].")[2] or None
                if index < len(rows):
                    target = rows[index]
                    target.add_error(field if field in target.fields else None, message)
                    continue
            form.add_error(name if name in form.fields else None, message)


def _initial(plan: InspectionPlan) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    header = {
        "company": plan.company_id, "name": plan.name, "product": plan.product_id,
        "category": plan.category_id, "supplier": plan.supplier_id, "sampling": plan.sampling,
        "sample_size": plan.sample_size, "sample_percent": plan.sample_percent,
        "instructions": plan.instructions, "active": plan.active,
    }  # fmt: skip
    names = ("name", "kind", "target", "min_value", "max_value", "unit")
    checks = [{name: getattr(c, name) for name in names} for c in plan.checks.all()]
    return header, checks


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def plan_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    plan = None
    if pk is None:
        _require(request.user, InspectionPlan, "add")
        header: dict[str, Any] = {"sampling": "all", "active": True}
        checks: list[dict[str, Any]] = []
    else:
        _require(request.user, InspectionPlan, "change")
        plan = InspectionPlan.objects.restrict(request.user, "change").filter(pk=pk).first()
        if plan is None:
            raise Http404("No such inspection plan.")
        header, checks = _initial(plan)
    blank = {"kind": CheckKind.PASS_FAIL}
    initial_rows = checks + [blank] * (qf.CHECK_ROWS - len(checks) if len(checks) < 6 else 2)
    data = request.POST if request.method == "POST" else None
    form = qf.PlanForm(data, initial=header, user=request.user)
    formset = qf.CheckFormSet(data, prefix="checks", initial=initial_rows)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        rows = [row for row in formset.forms if row.cleaned_data.get("name", "").strip()]
        try:
            saved = plans.save_plan(
                Actor.of(request.user),
                _plan_draft(form, rows),
                plan_id=plan.pk if plan else None,
                version=_int(request.POST.get("version")),
            )
        except DomainError as error:
            _show(error, form, rows)
        else:
            messages.success(request, f"Plan {saved.name} saved.")
            return redirect("quality:plan_list")
    context = {
        "title": f"Edit {plan.name}" if plan else "New inspection plan",
        "plan": plan,
        "form": form,
        "formset": formset,
    }
    return render_page(request, "quality/plan_form.html", context)


# -- nonconformances ------------------------------------------------------------------------


@login_required
@require_safe
def nonconformance_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, Nonconformance)
    rows = (
        Nonconformance.objects.restrict(request.user)
        .select_related("inspection__product", "inspection__supplier", "return_transfer")
        .order_by("-pk")
    )
    context = {
        "title": "Nonconformances",
        "page": Paginator(rows, PER_PAGE).get_page(request.GET.get("page")),
    }
    return render_page(request, "quality/nonconformance_list.html", context)


@login_required
@require_safe
def nonconformance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = _nonconformance(request, pk)
    context = {
        "title": str(found),
        "nc": found,
        "can_return": found.can_return
        and has_model_permission(request.user, Nonconformance, "change")
        and has_model_permission(request.user, Transfer, "add"),
        "rejected_value": (found.quantity * (found.inspection.receipt_move.unit_cost or 0)),
    }
    return render_page(request, "quality/nonconformance_detail.html", context)


@login_required
@require_POST
def nonconformance_return(request: HttpRequest, pk: int) -> HttpResponse:
    found = _nonconformance(request, pk, "change")
    _require(request.user, Transfer, "add")
    try:
        done = nonconformance.return_to_vendor(
            Actor.of(request.user), found.pk, note=request.POST.get("note", "")
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        assert done.return_transfer is not None
        messages.success(
            request,
            f"{done}: return {done.return_transfer.reference} created and a vendor credit "
            "note drafted.",
        )
    return redirect("quality:nonconformance_detail", pk=found.pk)
