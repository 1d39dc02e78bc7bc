"""Service case screens under ``/service/``: the list with filters, a new case, and the
case's page with assign, answer, wait, resolve, close and reopen.

Views are thin: they check the model permission, scope every query to the user's
companies (a row outside them is a 404), read the form and call one service; a refusal
is shown on the field it names and nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.models import Partner
from crossdock.service.models import (
    CaseCategory,
    CasePriority,
    CaseStatus,
    ServiceCase,
)
from crossdock.service.selectors import CaseFilters, filter_cases, is_overdue
from crossdock.service.services import cases, status
from crossdock.service.services.status import MOVES
from crossdock.web.views.common import render_page

PER_PAGE = 50


def _require(user: Any, action: str = "view") -> None:
    if not has_model_permission(user, ServiceCase, action):
        raise PermissionDenied(f"Your role does not allow you to {action} service cases.")


def _case(request: HttpRequest, pk: int) -> ServiceCase:
    _require(request.user)
    found = (
        ServiceCase.objects.restrict(request.user)
        .select_related("customer", "company", "owner", "sales_order", "product")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such case.")
    return found


def _agents() -> list[tuple[int, str]]:
    """Active users whose roles let them work cases (the owners one may pick), in one query."""
    may_work = Q(groups__permissions__codename="change_servicecase") | Q(is_superuser=True)
    users = get_user_model().objects.filter(may_work, is_active=True).distinct()
    return [(pk, name) for pk, name in users.order_by("username").values_list("pk", "username")]


def _filters(request: HttpRequest) -> CaseFilters:
    get = request.GET
    owner = get.get("owner", "")
    overdue = {"yes": True, "no": False}.get(get.get("overdue", ""))
    return CaseFilters(
        status=get.get("status") if get.get("status") in CaseStatus.values else None,
        priority=get.get("priority") if get.get("priority") in CasePriority.values else None,
        owner=int(owner) if owner.isdigit() else None,
        overdue=overdue,
    )


@login_required
@require_safe
def case_list(request: HttpRequest) -> HttpResponse:
    _require(request.user)
    now = timezone.now()
    filters = _filters(request)
    rows = filter_cases(
        ServiceCase.objects.restrict(request.user).select_related("customer", "owner"),
        filters,
        now,
    )
    page = Paginator(rows.order_by("-pk"), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": "Service cases",
        "page": page,
        "overdue_ids": {c.pk for c in page.object_list if is_overdue(c, now)},
        "filters": request.GET,
        "statuses": CaseStatus.choices,
        "priorities": CasePriority.choices,
        "owners": _agents(),
        "can_add": has_model_permission(request.user, ServiceCase, "add"),
    }
    return render_page(request, "service/case_list.html", context)


def _form_draft(post: Any) -> cases.CaseDraft:
    return cases.CaseDraft(
        customer_id=post.get("customer", ""),
        subject=post.get("subject", ""),
        category=post.get("category", ""),
        priority=post.get("priority", CasePriority.NORMAL),
        description=post.get("description", ""),
        sales_order_id=post.get("sales_order", "").strip() or None,
        product_id=post.get("product", "").strip() or None,
        return_authorization_id=post.get("return_authorization", "").strip() or None,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, "add")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            case = cases.open_case(Actor.of(request.user), _form_draft(request.POST))
        except DomainError as error:
            errors = error.fields or {"__all__": [error.message]}
            messages.error(request, error.message)
        else:
            messages.success(request, f"{case} opened.")
            return redirect("service:case_detail", pk=case.pk)
    customers = (
        Partner.objects.in_scope_of(request.user)
        .filter(is_customer=True, active=True)
        .order_by("code")
        .values_list("pk", "code", "name")[:500]
    )
    context = {
        "title": "New service case",
        "customers": customers,
        "categories": CaseCategory.choices,
        "priorities": CasePriority.choices,
        "form": request.POST if request.method == "POST" else request.GET,
        "errors": errors,
        "general_errors": errors.get("__all__", []),
    }
    return render_page(request, "service/case_form.html", context, status=422 if errors else 200)


@login_required
@require_safe
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    can_change = has_model_permission(request.user, ServiceCase, "change")
    moves = [s for s, allowed in MOVES.items() if case.status in allowed] if can_change else []
    context = {
        "title": str(case),
        "case": case,
        "overdue": is_overdue(case, timezone.now()),
        "can_change": can_change and case.is_open,
        "moves": [(s, CaseStatus(s).label, status.CHANGE_NAMES[s]) for s in moves],
        "owners": _agents() if can_change else [],
    }
    return render_page(request, "service/case_detail.html", context)


def _act(request: HttpRequest, pk: int, call: Any, done: str) -> HttpResponse:
    case = _case(request, pk)
    _require(request.user, "change")
    version = request.POST.get("version", "")
    try:
        call(Actor.of(request.user), case.pk, int(version) if version.isdigit() else None)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{case} {done}.")
    return redirect("service:case_detail", pk=case.pk)


@login_required
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    owner = request.POST.get("owner", "")
    return _act(
        request, pk, lambda a, c, v: cases.assign_case(a, c, owner or None, version=v), "assigned"
    )


@login_required
@require_POST
def case_respond(request: HttpRequest, pk: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _act(
        request, pk, lambda a, c, v: cases.record_response(a, c, note, version=v), "answered"
    )


@login_required
@require_POST
def case_move(request: HttpRequest, pk: int) -> HttpResponse:
    target, note = request.POST.get("status", ""), request.POST.get("note", "")
    return _act(
        request,
        pk,
        lambda a, c, v: status.change_status(a, c, target, note, version=v),
        "updated",
    )
