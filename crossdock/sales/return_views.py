"""Customer return screens under ``/sales/returns/``: the list, a new RMA picked from a
customer's delivered lines, and the RMA's page with submit, receive-and-inspect, resolve
and cancel.

Views are thin: they check the model permission, scope every query to the user's
companies (a row outside them is a 404), read the form and call one service; a refusal
is shown on the field it names and nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.inventory.models import Transfer
from crossdock.masterdata.models import Partner
from crossdock.sales.models import (
    ReturnAuthorization,
    ReturnReason,
    ReturnResolution,
    ReturnState,
)
from crossdock.sales.models.returns import CANCELLABLE_STATES, RECEIVABLE_STATES
from crossdock.sales.return_selectors import return_detail, returnable_deliveries
from crossdock.sales.services import returns
from crossdock.web.views.common import render_page

PER_PAGE = 50


def _require(user: Any, action: str = "view") -> None:
    if not has_model_permission(user, ReturnAuthorization, action):
        raise PermissionDenied(f"Your role does not allow you to {action} customer returns.")


def _rma(request: HttpRequest, pk: int) -> ReturnAuthorization:
    _require(request.user)
    found = (
        ReturnAuthorization.objects.restrict(request.user)
        .select_related("customer", "company", "replacement_order", "created_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such return.")
    return found


@login_required
@require_safe
def return_list(request: HttpRequest) -> HttpResponse:
    _require(request.user)
    rows = ReturnAuthorization.objects.restrict(request.user).select_related("customer")
    state = request.GET.get("state", "")
    if state in ReturnState.values:
        rows = rows.filter(state=state)
    context = {
        "title": "Customer returns",
        "page": Paginator(rows.order_by("-pk"), PER_PAGE).get_page(request.GET.get("page")),
        "state": state,
        "states": ReturnState.choices,
        "can_add": has_model_permission(request.user, ReturnAuthorization, "add"),
    }
    return render_page(request, "sales/returns/list.html", context)


def _customer(request: HttpRequest, raw: str) -> Partner | None:
    if not raw.isdigit():
        return None
    return (
        Partner.objects.in_scope_of(request.user)
        .filter(pk=int(raw), is_customer=True)
        .select_related("company")
        .first()
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def return_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, "add")
    source = request.POST if request.method == "POST" else request.GET
    customer = _customer(request, source.get("customer", ""))
    errors: dict[str, list[str]] = {}
    rows = returnable_deliveries(request.user, customer) if customer else []
    if request.method == "POST":
        lines = [
            returns.ReturnLineDraft(row.move_id, raw.strip(), row.order_line_id)
            for row in rows
            if (raw := request.POST.get(f"quantity-{row.move_id}", "")).strip()
        ]
        draft = returns.ReturnDraft(
            customer_id=customer.pk if customer else None,
            reason=request.POST.get("reason", ""),
            resolution=request.POST.get("resolution", ""),
            note=request.POST.get("note", ""),
            lines=lines,
        )
        try:
            rma = returns.create_return(Actor.of(request.user), draft)
        except DomainError as error:
            errors = _by_move(error.fields or {"__all__": [error.message]}, lines)
            messages.error(request, error.message)
        else:
            messages.success(request, f"{rma} opened.")
            return redirect("sales_returns:detail", pk=rma.pk)
    customers = (
        Partner.objects.in_scope_of(request.user)
        .filter(is_customer=True, active=True)
        .order_by("code")
        .values_list("pk", "code", "name")[:500]
    )
    context = {
        "title": "New customer return",
        "customer": customer,
        "customers": customers,
        "rows": [
            {
                "row": row,
                "value": request.POST.get(f"quantity-{row.move_id}", ""),
                "errors": errors.get(f"move-{row.move_id}", []),
            }
            for row in rows
        ],
        "errors": errors,
        "general_errors": [*errors.get("lines", []), *errors.get("__all__", [])],
        "form": request.POST,
        "reasons": ReturnReason.choices,
        "resolutions": ReturnResolution.choices,
    }
    return render_page(request, "sales/returns/new.html", context, status=422 if errors else 200)


def _by_move(
    fields: dict[str, list[str]], lines: list[returns.ReturnLineDraft]
) -> dict[str, list[str]]:
    """The service names lines by position; the form shows them by delivery move."""
    shown: dict[str, list[str]] = {}
    for name, found in fields.items():
        if name.startswith("lines[") and "]" in name:
            index = int(name[6 : name.index("]")])
            name = f"move-{lines[index].move_id}" if index < len(lines) else "lines"
        shown.setdefault(name, []).extend(found)
    return shown


@login_required
@require_safe
def return_page(request: HttpRequest, pk: int) -> HttpResponse:
    rma = _rma(request, pk)
    user = request.user
    can_change = has_model_permission(user, ReturnAuthorization, "change")
    can_add = has_model_permission(user, ReturnAuthorization, "add")
    context = {
        "title": str(rma),
        "rma": rma,
        "detail": return_detail(rma),
        "lines": list(
            rma.lines.select_related("product", "order_line__order", "delivered_move__transfer")
        ),
        "can_submit": can_add and rma.state == ReturnState.DRAFT,
        "can_cancel": can_add and rma.state in CANCELLABLE_STATES,
        "can_receive": can_change
        and rma.state in RECEIVABLE_STATES
        and has_model_permission(user, Transfer, "change"),
        "can_resolve": can_change and rma.state == ReturnState.RECEIVED,
    }
    return render_page(request, "sales/returns/detail.html", context)


def _act(request: HttpRequest, pk: int, action: str, call: Any, done: str) -> HttpResponse:
    rma = _rma(request, pk)
    _require(request.user, action)
    try:
        call(Actor.of(request.user), rma.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{rma} {done}.")
    return redirect("sales_returns:detail", pk=rma.pk)


@login_required
@require_POST
def return_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "add", returns.submit_return, "sent for approval")


@login_required
@require_POST
def return_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _act(
        request,
        pk,
        "add",
        lambda actor, rma_id: returns.cancel_return(actor, rma_id, reason),
        "cancelled",
    )


@login_required
@require_POST
def return_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "change", returns.resolve_return, "resolved")


@login_required
@require_POST
def return_receive(request: HttpRequest, pk: int) -> HttpResponse:
    rma = _rma(request, pk)
    _require(request.user, "change")
    inspections = []
    for line in rma.lines.filter(inspected=False).order_by("sequence", "pk"):
        values = {
            name: request.POST.get(f"{name}-{line.pk}", "").strip()
            for name in ("received", "restocked", "held", "scrapped")
        }
        if any(values.values()):
            inspections.append(returns.LineInspection(line.pk, **values))
    receipt = returns.ReturnReceipt(inspections, note=request.POST.get("note", ""))
    try:
        returns.receive_return(Actor.of(request.user), rma.pk, receipt)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{rma}: goods received and inspected.")
    return redirect("sales_returns:detail", pk=rma.pk)
