"""Landed-cost screens under ``/accounting/landed-costs/``: list, draft, detail, post, cancel."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.accounting.models import (
    Invoice,
    InvoiceKind,
    InvoiceState,
    LandedCost,
    LandedCostState,
    SplitMethod,
)
from crossdock.accounting.services.landed import (
    LandedCostInput,
    cancel_landed_cost,
    create_landed_cost,
    post_landed_cost,
)
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.inventory.models import StockMove
from crossdock.inventory.selectors import layers_of_moves
from crossdock.masterdata.models import Company
from crossdock.web.views.common import render_page
from crossdock.web.workspace import workspace_of


class LandedCostForm(forms.Form):
    """A draft landed cost in the current company, over receipt transfers."""

    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label="Description", max_length=200)
    amount = forms.DecimalField(label="Amount", min_value=0, decimal_places=4, max_digits=18)
    split_method = forms.ChoiceField(label="Split", choices=SplitMethod.choices)
    transfers = forms.CharField(
        label="Receipts",
        max_length=2000,
        help_text="Receipt transfer references, separated by commas or spaces.",
    )
    vendor_bill = forms.ModelChoiceField(
        label="Vendor bill", queryset=Invoice.objects.none(), required=False
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vendor_bill"].queryset = Invoice.objects.filter(  # type: ignore[attr-defined]
            company=company, kind=InvoiceKind.VENDOR_BILL
        ).exclude(state=InvoiceState.CANCELLED)

    def references(self) -> list[str]:
        return [r for r in re.split(r"[\s,;]+", self.cleaned_data["transfers"]) if r]

    def show(self, error: DomainError) -> None:
        """Put a service refusal on the fields it names (receipts for the moves)."""
        for name, problems in error.fields.items():
            field = "transfers" if name == "moves" else name
            for problem in problems:
                self.add_error(field if field in self.fields else None, problem)
        if not error.fields:
            self.add_error(None, error.message)


def _require(user: Any, action: str = "view") -> None:
    if not has_model_permission(user, LandedCost, action):
        raise PermissionDenied(f"Your role does not allow you to {action} landed costs.")


def _landed_cost(request: HttpRequest, pk: int, action: str = "view") -> LandedCost:
    _require(request.user, action)
    found = LandedCost.objects.restrict(request.user, action).filter(pk=pk).first()
    if found is None:
        raise Http404("No such landed cost.")
    return found


@login_required
@require_safe
def landed_cost_list(request: HttpRequest) -> HttpResponse:
    _require(request.user)
    found = (
        LandedCost.objects.restrict(request.user)
        .select_related("company", "entry")
        .order_by("-date", "-pk")
    )
    current = workspace_of(request).current
    if current is not None:
        found = found.filter(company=current)
    state = request.GET.get("state")
    if state in LandedCostState.values:
        found = found.filter(state=state)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    context = {"title": "Landed costs", "page": page, "state": state}
    return render_page(request, "accounting/landed_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def landed_cost_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, "add")
    company = (
        workspace_of(request).current
        or Company.objects.in_scope_of(request.user).order_by("code").first()
    )
    if company is None:
        raise Http404("No company to write in.")
    initial = {"date": timezone.localdate(), "split_method": SplitMethod.BY_VALUE}
    form = LandedCostForm(request.POST or None, company=company, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        bill = data["vendor_bill"]
        try:
            landed = create_landed_cost(
                Actor.of(request.user),
                LandedCostInput(
                    company_id=company.pk,
                    date=data["date"],
                    description=data["description"],
                    amount=data["amount"],
                    split_method=data["split_method"],
                    transfer_references=form.references(),
                    vendor_bill_id=bill.pk if bill else None,
                ),
            )
        except DomainError as error:
            form.show(error)
        else:
            messages.success(request, f"{landed} saved.")
            return redirect("accounting:landed_cost_detail", pk=landed.pk)
    context = {"title": "New landed cost", "form": form, "company": company}
    return render_page(request, "accounting/landed_form.html", context)


@login_required
@require_safe
def landed_cost_detail(request: HttpRequest, pk: int) -> HttpResponse:
    landed = _landed_cost(request, pk)
    move_ids = list(landed.targets.values_list("move_id", flat=True))
    moves = (
        StockMove.objects.filter(pk__in=move_ids)
        .select_related("transfer", "product")
        .order_by("pk")
    )
    received = {
        move_id: (quantity, value)
        for move_id, quantity, value in layers_of_moves(move_ids, landed.company_id)
        .filter(quantity__gt=0)
        .values_list("move_id", "quantity", "value")
    }
    targets = [(move, *received.get(move.pk, (None, None))) for move in moves]
    lines = list(landed.lines.select_related("move__transfer", "product").order_by("move_id"))
    context = {
        "title": str(landed),
        "landed": landed,
        "targets": targets,
        "lines": lines,
        "totals": [
            sum((getattr(x, f) for x in lines), start=0) for f in ("allocated", "on_hand", "sold")
        ],
        "can_change": has_model_permission(request.user, LandedCost, "change"),
    }
    return render_page(request, "accounting/landed_detail.html", context)


@login_required
@require_POST
def landed_cost_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    landed = _landed_cost(request, pk, "change")
    actor = Actor.of(request.user)
    try:
        if action == "post":
            posted = post_landed_cost(actor, landed.pk)
            messages.success(request, f"Landed cost posted as {posted.number}.")
        elif action == "cancel":
            cancel_landed_cost(actor, landed.pk)
            messages.success(request, "Landed cost cancelled.")
        else:
            raise Http404("Unknown action.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("accounting:landed_cost_detail", pk=landed.pk)
