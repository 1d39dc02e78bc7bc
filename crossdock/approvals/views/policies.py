"""Approval policies: list, detail, the editor, activation, simulation and metrics."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.approvals import policies, registry, selectors
from crossdock.approvals.forms import (
    MAX_LEVELS,
    LevelForm,
    LevelFormSet,
    PolicyForm,
    SimulationForm,
    companies_of,
    policy_draft,
    show_policy_error,
)
from crossdock.approvals.models import ApprovalPolicy, ApprovalRequest
from crossdock.approvals.views.common import require_permission
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.web.views.common import render_page

DEFAULT_SIMULATION_DAYS = 30


def _visible_policy(user: Any, pk: int, action: str = "view") -> ApprovalPolicy:
    require_permission(user, ApprovalPolicy, action)
    policy = (
        ApprovalPolicy.objects.restrict(user, action)
        .select_related("company")
        .prefetch_related("levels__user", "levels__escalate_to")
        .filter(pk=pk)
        .first()
    )
    if policy is None:
        raise Http404(f"No approval policy with id {pk}.")
    return policy


@login_required
@require_safe
def policy_list(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, ApprovalPolicy, "view")
    rows = (
        ApprovalPolicy.objects.restrict(request.user)
        .select_related("company")
        .prefetch_related("levels")
        .order_by("company__code", "document_type", "name")
    )
    labels = {t.code: t.label for t in registry.all_types()}
    context = {
        "title": "Approval policies",
        "rows": [
            {"policy": row, "type_label": labels.get(row.document_type, row.document_type)}
            for row in rows
        ],
        "can_add": has_model_permission(request.user, ApprovalPolicy, "add"),
    }
    return render_page(request, "approvals/policy_list.html", context)


@login_required
@require_safe
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _visible_policy(request.user, pk)
    context = {
        "title": policy.name,
        "policy": policy,
        "type_label": registry.get(policy.document_type).label,
        "condition": policy.condition,
        "levels": list(policy.levels.all()),
        "can_change": has_model_permission(request.user, ApprovalPolicy, "change"),
    }
    return render_page(request, "approvals/policy_detail.html", context)


def _editor(
    request: HttpRequest,
    form: PolicyForm,
    formset: Any,
    policy: ApprovalPolicy | None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "title": f"Edit {policy.name}" if policy else "New approval policy",
        "form": form,
        "formset": formset,
        "policy": policy,
        "simulation_form": SimulationForm(),
    }
    return render_page(request, "approvals/policy_form.html", context, status=status)


def _policy_forms(request: HttpRequest, policy: ApprovalPolicy | None) -> tuple[PolicyForm, Any]:
    user = request.user
    if request.method == "POST":
        data = _with_new_level(request.POST) if "add_level" in request.POST else request.POST
        return (
            PolicyForm(data, user=user),
            LevelFormSet(data, prefix="levels", form_kwargs={"user": user}),
        )
    if policy is not None:
        initial = PolicyForm.initial_of(policy)
        levels = [LevelForm.initial_of(level) for level in policy.levels.all()]
    else:
        company = companies_of(user).first()
        initial = {"company": company.pk if company else None, "condition": "{}"}
        levels = []
    return (
        PolicyForm(initial=initial, user=user),
        LevelFormSet(initial=levels, prefix="levels", form_kwargs={"user": user}),
    )


def _with_new_level(posted: QueryDict) -> QueryDict:
    """The posted editor with one more, blank level (the "Add a level" button)."""
    data = posted.copy()
    total = _int(data.get("levels-TOTAL_FORMS")) or 0
    if total < MAX_LEVELS:
        data["levels-TOTAL_FORMS"] = str(total + 1)
        for name, value in LevelForm.BLANK.items():
            data[f"levels-{total}-{name}"] = value
    return data


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:
        require_permission(request.user, ApprovalPolicy, "add")
        policy = None
    else:
        policy = _visible_policy(request.user, pk, "change")
    form, formset = _policy_forms(request, policy)
    if request.method != "POST" or "add_level" in request.POST:
        return _editor(request, form, formset, policy)
    if not (form.is_valid() and formset.is_valid()):
        return _editor(request, form, formset, policy, status=422)
    try:
        saved = policies.save_policy(
            Actor.of(request.user),
            policy_draft(form, formset),
            policy_id=policy.pk if policy else None,
            expected_version=_int(request.POST.get("version")),
        )
    except DomainError as error:
        show_policy_error(form, formset, error)
        return _editor(request, form, formset, policy, status=error.status)
    messages.success(request, f"Policy “{saved.name}” saved.")
    return redirect("approvals:policy_detail", pk=saved.pk)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


@login_required
@require_POST
def policy_status(request: HttpRequest, pk: int, status: str) -> HttpResponse:
    policy = _visible_policy(request.user, pk, "change")
    try:
        policies.set_policy_status(Actor.of(request.user), policy.pk, status)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        done = "activated" if status == ApprovalPolicy.Status.ACTIVE else "retired"
        messages.success(request, f"Policy “{policy.name}” {done}.")
    return redirect("approvals:policy_detail", pk=policy.pk)


@login_required
@require_http_methods(["GET", "POST"])
def simulate(request: HttpRequest) -> HttpResponse:
    """Run a draft (posted from the editor, or a saved policy's) over the last N days."""
    require_permission(request.user, ApprovalPolicy, "view")
    source = None
    if request.method != "POST" and request.GET.get("policy", "").isdigit():
        source = _visible_policy(request.user, int(request.GET["policy"]))
    form, formset = _policy_forms(request, source)
    posted = request.method == "POST"
    days_data = request.POST if posted else request.GET
    days_form = SimulationForm(days_data if "days" in days_data else None)
    draft, result, status = None, None, 200
    if posted:
        if form.is_valid() and formset.is_valid():
            draft = policy_draft(form, formset)
        else:
            status = 422
    elif source is not None:
        draft = policies.draft_of(source)
    if draft is not None and days_form.is_bound and not days_form.is_valid():
        status = 422
    elif draft is not None:
        chosen = days_form.cleaned_data.get("days") if days_form.is_bound else None
        days = chosen or DEFAULT_SIMULATION_DAYS
        try:
            history = selectors.documents_since(draft.document_type, draft.company_id, days)
            result = {"days": days, "outcome": selectors.simulate(draft, history)}
        except DomainError as error:
            status = error.status
            if posted:
                show_policy_error(form, formset, error)
            else:
                messages.error(request, error.message)
    context = {
        "title": "Simulate a policy",
        "form": form,
        "formset": formset,
        "days_form": days_form,
        "result": result,
        "source": source,
    }
    return render_page(request, "approvals/simulate.html", context, status=status)


@login_required
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, ApprovalPolicy, "view")
    requests = ApprovalRequest.objects.restrict(request.user)
    company = request.GET.get("company", "")
    companies = companies_of(request.user)
    if company.isdigit() and companies.filter(pk=int(company)).exists():
        requests = requests.filter(company_id=int(company))
    else:
        company = ""
    policy_companies = dict(
        ApprovalPolicy.objects.restrict(request.user).values_list("pk", "company__code")
    )
    context = {
        "title": "Approval metrics",
        "policies": [
            {"metrics": row, "company": policy_companies.get(row.policy_id, "")}
            for row in selectors.policy_metrics(requests)
        ],
        "approvers": selectors.approver_metrics(requests),
        "aging": selectors.aging(requests),
        "companies": companies,
        "company_filter": company,
    }
    return render_page(request, "approvals/metrics.html", context)
