"""Stock-flow screens: return a transfer, send stock to another warehouse, confirm an arrival,
scrap or set aside damaged stock, keep the putaway rules.

Thin like :mod:`crossdock.inventory.views`: role (403), row scope (404), a
form for the input's shape, one service call; a refusal of the service shows
on the form, naming the field where it can.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.inventory import reports, services
from crossdock.inventory.flow_forms import (
    ArrivalForm,
    DispatchForm,
    PutawayRuleForm,
    ReturnForm,
    ScrapForm,
)
from crossdock.inventory.models import Lot, PutawayRule, StockMove, Transfer, TransferKind
from crossdock.inventory.services.returns import returnable
from crossdock.inventory.views import _require, _transfer
from crossdock.masterdata.models.organisation import INTERNAL_KINDS
from crossdock.web.views.common import render_page


def _refused(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form: on the field it names, else on top."""
    for name, problems in (error.fields or {"__all__": [error.message]}).items():
        field = name.split(".")[-1] if name.split(".")[-1] in form.fields else None
        for problem in problems:
            form.add_error(field, problem)


def _stock_locations(user: Any, warehouse_id: int | None = None) -> Any:
    places = reports.visible_locations(user).filter(kind__in=sorted(INTERNAL_KINDS), active=True)
    if warehouse_id is not None:
        places = places.filter(warehouse_id=warehouse_id)
    return places.order_by("path")


# -- returns ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnRow:
    move_id: int
    lot_id: int | None
    sku: str
    lot: str
    left: Decimal

    @property
    def field(self) -> str:
        return f"line_{self.move_id}_{self.lot_id or 0}"


def _return_rows(transfer: Transfer) -> list[ReturnRow]:
    left = returnable(transfer)
    skus = dict(
        StockMove.objects.filter(pk__in={m for m, _ in left}).values_list("pk", "product__sku")
    )
    lots = dict(
        Lot.objects.filter(pk__in={lot for _, lot in left if lot}).values_list("pk", "name")
    )
    return [
        ReturnRow(move, lot, skus[move], lots.get(lot, "") if lot else "", quantity)
        for (move, lot), quantity in sorted(left.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
    ]


@login_required
@require_http_methods(["GET", "POST"])
def transfer_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Return part of a done receipt (to the supplier) or delivery (from the customer)."""
    _require(request.user, Transfer, "add")
    transfer = _transfer(request, pk)
    if transfer.kind not in (TransferKind.RECEIPT, TransferKind.DELIVERY):
        raise Http404("Only receipts and deliveries are returned.")
    rows = _return_rows(transfer)
    locations = _stock_locations(request.user, transfer.warehouse_id)
    is_receipt = transfer.kind == TransferKind.RECEIPT
    default = (transfer.final_destination_id or transfer.destination_id) if is_receipt else None
    form = ReturnForm(
        request.POST or None,
        rows=rows,
        locations=locations,
        initial={"location": default or transfer.source_id},
    )
    if request.method == "POST" and form.is_valid():
        lines = [services.ReturnLine(m, q, lot) for m, lot, q in form.lines()]
        try:
            returned = services.return_transfer(
                Actor.of(request.user),
                transfer.pk,
                lines,
                location_id=form.cleaned_data["location"].pk,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, f"{returned.reference} created: validate it to move stock.")
            return redirect("inventory:transfer_detail", pk=returned.pk)
    context = {
        "title": f"Return {transfer.reference}",
        "transfer": transfer,
        "form": form,
        "rows": [(row, form[row.field]) for row in rows],
        "is_receipt": is_receipt,
    }
    return render_page(request, "inventory/return.html", context)


# -- inter-warehouse ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dispatch(request: HttpRequest) -> HttpResponse:
    """Send stock to another warehouse of the group; it arrives through transit."""
    _require(request.user, Transfer, "add")
    senders = reports.visible_warehouses(request.user).filter(active=True).order_by("code")
    form = DispatchForm(
        request.POST or None, senders=senders, initial={"from_warehouse": request.GET.get("from")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = services.dispatch_to_warehouse(
                Actor.of(request.user),
                services.DispatchDraft(
                    data["from_warehouse"].pk,
                    data["to_warehouse"].pk,
                    [services.DispatchLine(data["product"].pk, data["quantity"])],
                    expected_on=data.get("expected_on"),
                ),
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, f"{sent.reference} created: validate it when it leaves.")
            return redirect("inventory:transfer_detail", pk=sent.pk)
    context = {"title": "Send to another warehouse", "form": form}
    return render_page(request, "inventory/dispatch.html", context)


@login_required
@require_POST
def transfer_arrive(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm the arrival of everything still expected (into another location if chosen)."""
    transfer = _transfer(request, pk, "change")
    form = ArrivalForm(
        request.POST, locations=_stock_locations(request.user, transfer.warehouse_id)
    )
    if not form.is_valid():
        messages.error(request, "Choose a location of this warehouse.")
        return redirect("inventory:transfer_detail", pk=transfer.pk)
    location = form.cleaned_data.get("location")
    try:
        services.confirm_arrival(
            Actor.of(request.user), transfer.pk, location_id=location.pk if location else None
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{transfer.reference} arrived.")
    return redirect("inventory:transfer_detail", pk=transfer.pk)


# -- scrap and damage ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def scrap(request: HttpRequest) -> HttpResponse:
    """Scrap stock (through approval above a policy's value) or set it aside as damaged."""
    _require(request.user, Transfer, "add")
    form = ScrapForm(request.POST or None, locations=_stock_locations(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        location = data["location"]
        lot = None
        if data.get("lot"):
            lot = Lot.objects.filter(product=data["product"], name=data["lot"].strip()).first()
            if lot is None:
                form.add_error("lot", "Unknown lot of this product.")
        if form.is_valid():
            draft = services.ScrapDraft(
                location.warehouse_id,
                [
                    services.ScrapLine(
                        data["product"].pk, location.pk, data["quantity"], lot.pk if lot else None
                    )
                ],
                data["reason"],
            )
            run = (
                services.scrap_stock if data["action"] == ScrapForm.SCRAP else services.damage_stock
            )
            try:
                done = run(Actor.of(request.user), draft)
            except DomainError as error:
                _refused(form, error)
            else:
                state = "waits for approval" if done.state == "approval" else "done"
                messages.success(request, f"{done.reference} {state}.")
                return redirect("inventory:transfer_detail", pk=done.pk)
    context = {"title": "Scrap or damage", "form": form}
    return render_page(request, "inventory/scrap.html", context)


# -- putaway rules ------------------------------------------------------------------------------


@login_required
@require_safe
def putaway_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, PutawayRule)
    rules = (
        PutawayRule.objects.restrict(request.user)
        .select_related("warehouse", "product", "category", "location")
        .order_by("warehouse__code", "sequence", "pk")[:500]
    )
    context = {
        "title": "Putaway rules",
        "rules": rules,
        "can_add": _can(request.user, "add"),
        "can_change": _can(request.user, "change"),
    }
    return render_page(request, "inventory/putaway_list.html", context)


def _can(user: Any, action: str) -> bool:
    from crossdock.core.permissions import has_model_permission

    return has_model_permission(user, PutawayRule, action)


@login_required
@require_http_methods(["GET", "POST"])
def putaway_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    action = "add" if pk is None else "change"
    _require(request.user, PutawayRule, action)
    rule = None
    if pk is not None:
        rule = PutawayRule.objects.restrict(request.user, action).filter(pk=pk).first()
        if rule is None:
            raise Http404(f"No putaway rule with id {pk}.")
    initial = (
        {
            "warehouse": rule.warehouse_id,
            "product": rule.product.sku if rule.product else "",
            "category": rule.category_id,
            "location": rule.location_id,
            "sequence": rule.sequence,
        }
        if rule
        else {}
    )
    form = PutawayRuleForm(
        request.POST or None,
        initial=initial,
        warehouses=reports.visible_warehouses(request.user).order_by("code"),
        locations=_stock_locations(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        draft = services.PutawayRuleDraft(
            data["warehouse"].pk,
            data["location"].pk,
            data["product"].pk if data.get("product") else None,
            data["category"].pk if data.get("category") else None,
            data["sequence"],
        )
        try:
            services.save_putaway_rule(Actor.of(request.user), draft, pk)
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, "Putaway rule saved.")
            return redirect("inventory:putaway_list")
    title = "New putaway rule" if rule is None else "Edit putaway rule"
    context = {"title": title, "form": form, "rule": rule}
    return render_page(request, "inventory/putaway_form.html", context)


@login_required
@require_POST
def putaway_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, PutawayRule, "delete")
    rule = PutawayRule.objects.restrict(request.user, "delete").filter(pk=pk).first()
    if rule is None:
        raise Http404(f"No putaway rule with id {pk}.")
    services.delete_putaway_rule(Actor.of(request.user), rule.pk)
    messages.success(request, "Putaway rule deleted.")
    return redirect("inventory:putaway_list")
