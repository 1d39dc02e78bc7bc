"""Sales order screens under ``/sales/orders/``: the list, an order's page (lines with price,
discount, margin, warehouse and promise date; its deliveries, invoices, approval and history)
with the actions its state and the user's role allow — confirm, cancel, ship, invoice — and
order entry with a live panel.

The live panel is a dry run: while the rep types, HTMX posts the form to
:func:`order_panel`, which hands the draft to :func:`~crossdock.sales.services.orders.check_draft`
(nothing is written) and shows each line's price from the price list, its margin and whether
it needs approval, the available-to-promise per warehouse with the promise date, and the
customer's credit exposure with this order against the limit.

Views are thin: they check the model permission, scope every query to the user's companies
(an order outside them is a 404), parse a form and call one service; a refusal of the service
is shown on the field it names and nothing is written.
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

from crossdock.accounting.models import Invoice
from crossdock.approvals.services import request_for
from crossdock.core.audit import history_of
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.inventory.models import Transfer
from crossdock.sales import forms as sf
from crossdock.sales import queries
from crossdock.sales.live import live_panel
from crossdock.sales.models import SalesOrder, SalesOrderState
from crossdock.sales.models.orders import (
    EDITABLE_STATES,
    EXPOSED_STATES,
    HELD_STATES,
    SHIPPABLE_STATES,
)
from crossdock.sales.services import fulfilment, orders
from crossdock.sales.services.credit import CREDIT_RELEASE
from crossdock.web.navigation import AUDIT_PERMISSION
from crossdock.web.views.audit import visible_entries
from crossdock.web.views.common import render_page

PER_PAGE = 50
HISTORY_LIMIT = 30
CANCELLABLE = (
    SalesOrderState.QUOTATION,
    SalesOrderState.TO_APPROVE,
    SalesOrderState.CREDIT_HOLD,
    SalesOrderState.CONFIRMED,
    SalesOrderState.PARTIAL,
)
INVOICEABLE = (*SHIPPABLE_STATES, SalesOrderState.SHIPPED)
ACTIONS = ("confirm", "cancel", "ship", "invoice")


def require(user: Any, model: type[models.Model], action: str = "view") -> None:
    if not has_model_permission(user, model, action):
        plural = model._meta.verbose_name_plural
        raise PermissionDenied(f"Your role does not allow you to {action} {plural}.")


def _order(request: HttpRequest, pk: int, action: str = "view") -> SalesOrder:
    require(request.user, SalesOrder, action)
    found = (
        SalesOrder.objects.restrict(request.user, action)
        .select_related(
            "company__base_currency", "customer", "warehouse", "currency", "salesperson", "ship_to"
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such sales order.")
    return found


# -- the list -----------------------------------------------------------------------------------


@login_required
@require_safe
def order_list(request: HttpRequest) -> HttpResponse:
    require(request.user, SalesOrder)
    form = sf.OrderFilterForm(request.GET or None, user=request.user)
    rows = (
        SalesOrder.objects.restrict(request.user)
        .select_related("customer", "warehouse", "currency")
        .order_by("-order_date", "-pk")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["state"] == "open":
            rows = rows.filter(
                state__in=[SalesOrderState.QUOTATION, *HELD_STATES, *EXPOSED_STATES]
            ).exclude(state=SalesOrderState.SHIPPED)
        elif data["state"]:
            rows = rows.filter(state=data["state"])
        if data["customer"]:
            rows = rows.filter(customer=data["customer"])
        if data["channel"]:
            rows = rows.filter(channel=data["channel"])
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": "Sales orders",
        "form": form,
        "page": page,
        "can_add": has_model_permission(request.user, SalesOrder, "add"),
    }
    return render_page(request, "sales/order_list.html", context)


# -- entry: new, edit and the live panel ---------------------------------------------------------


def _with_one_more_line(data: Any) -> Any:
    data = data.copy()
    total = data.get("lines-TOTAL_FORMS", "0")
    data["lines-TOTAL_FORMS"] = str(int(total) + 1 if total.isdigit() else 1)
    return data


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    require(request.user, SalesOrder, "add")
    initial: dict[str, Any] = {}
    if str(request.GET.get("customer", "")).isdigit():
        initial["customer"] = int(request.GET["customer"])
    return _entry(request, initial, None, None)


@login_required
@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk, "change")
    if order.state not in EDITABLE_STATES:
        messages.error(
            request, f"{order} is {order.get_state_display().lower()}; only a quotation changes."
        )
        return redirect("sales:order_detail", pk=order.pk)
    initial = {
        "customer": order.customer_id,
        "channel": order.channel,
        "requested_date": order.requested_date,
        "customer_reference": order.customer_reference,
        "note": order.note,
        "version": order.version,
    }
    lines = [
        {
            "sku": line.product.sku,
            "quantity": line.quantity.normalize(),
            "unit_price": line.unit_price.normalize(),
            "warehouse": line.warehouse_id if line.warehouse_chosen else None,
        }
        for line in order.lines.select_related("product").order_by("sequence", "pk")
    ]
    return _entry(request, initial, lines, order)


def _forms(request: HttpRequest, data: Any, initial: Any, lines: Any, order: Any) -> Any:
    form = sf.SalesOrderForm(data, user=request.user, editing=order is not None, initial=initial)
    formset = sf.SalesLineFormSet(
        data, prefix="lines", initial=lines, form_kwargs={"user": request.user}
    )
    return form, formset


def _entry(
    request: HttpRequest,
    initial: dict[str, Any],
    lines: list[dict[str, Any]] | None,
    order: SalesOrder | None,
) -> HttpResponse:
    adding = request.method == "POST" and "add_line" in request.POST
    data = _with_one_more_line(request.POST) if adding else request.POST or None
    form, formset = _forms(request, data, initial, lines, order)
    if request.method == "POST" and not adding and form.is_valid() and formset.is_valid():
        rows = sf.filled(formset)
        actor = Actor.of(request.user)
        try:
            draft = sf.order_draft(form, rows, order.customer if order else None)
            if order is None:
                saved = orders.create_sales_order(actor, draft)
            else:
                saved = orders.update_sales_order(
                    actor, order.pk, draft, version=form.cleaned_data["version"]
                )
        except DomainError as error:
            sf.show_refusal(error, form, rows)
        else:
            messages.success(request, f"{saved} saved ({saved.get_state_display().lower()}).")
            return redirect("sales:order_detail", pk=saved.pk)
    panel = live_panel(request.user, form, formset, order) if data is not None or order else None
    context = {
        "title": f"Edit {order}" if order else "New sales order",
        "form": form,
        "formset": formset,
        "order": order,
        "panel": panel,
        "show_errors": not adding,
    }
    return render_page(request, "sales/order_form.html", context)


@login_required
@require_POST
def order_panel(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The live panel of an order being typed: a dry run of pricing, sourcing and credit."""
    order = _order(request, pk, "change") if pk is not None else None
    if order is None:
        require(request.user, SalesOrder, "add")
    initial = {"customer": order.customer_id} if order else {}
    form, formset = _forms(request, request.POST, initial, None, order)
    panel = live_panel(request.user, form, formset, order)
    return render_page(request, "sales/_panel.html", {"panel": panel})


# -- an order and its actions --------------------------------------------------------------------


def _history(user: Any, order: SalesOrder) -> list[Any] | None:
    if not user.has_perm(AUDIT_PERMISSION):
        return None
    return list(visible_entries(user, history_of(order))[:HISTORY_LIMIT])


def _approval(order: SalesOrder) -> Any:
    if order.state == SalesOrderState.CREDIT_HOLD or order.released_by:
        found = request_for(CREDIT_RELEASE, order.pk)
        if found is not None:
            return found
    return request_for(orders.PRICE_EXCEPTION, order.pk)


@login_required
@require_safe
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    user = request.user
    lines = list(order.lines.select_related("product", "warehouse").order_by("sequence", "pk"))
    for line in lines:
        line.order = order  # margin_percent reads the order's rate
    may_change = has_model_permission(user, SalesOrder, "change")
    may_enter = may_change and has_model_permission(user, SalesOrder, "add")
    to_invoice = any(line.shipped_quantity > line.invoiced_quantity for line in lines)
    context = {
        "title": str(order),
        "order": order,
        "lines": lines,
        "deliveries": queries.deliveries_of(user, order),
        "mirrored": queries.mirrored_order_of(user, order),
        "invoices": queries.invoices_of(user, order),
        "approval": _approval(order),
        "history": _history(user, order),
        "can_edit": may_enter and order.state in EDITABLE_STATES,
        "can_confirm": may_enter and order.state == SalesOrderState.QUOTATION,
        "can_cancel": may_enter and order.state in CANCELLABLE,
        "can_ship": order.state in SHIPPABLE_STATES
        and has_model_permission(user, Transfer, "change"),
        "can_invoice": may_change
        and order.state in INVOICEABLE
        and to_invoice
        and has_model_permission(user, Invoice, "add"),
    }
    return render_page(request, "sales/order_detail.html", context)


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("Unknown action.")
    order = _order(request, pk, "view" if action == "ship" else "change")
    actor = Actor.of(request.user)
    try:
        if action == "confirm":
            done = orders.confirm_sales_order(actor, order.pk)
            messages.success(request, _confirmed(done))
        elif action == "cancel":
            reason = sf.ReasonForm(request.POST)
            text = reason.cleaned_data["reason"] if reason.is_valid() else ""
            done = orders.cancel_sales_order(actor, order.pk, text)
            messages.success(request, f"{order} is {done.get_state_display().lower()}.")
        elif action == "ship":
            shipped = fulfilment.ship_sales_order(actor, order.pk)
            names = ", ".join(t.reference for t in shipped)
            messages.success(request, f"Shipped: {names}.")
        else:
            invoices = fulfilment.invoice_sales_orders(actor, [order.pk])
            names = ", ".join(i.number or f"#{i.pk}" for i in invoices)
            messages.success(request, f"Invoiced: {names}.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("sales:order_detail", pk=order.pk)


def _confirmed(order: SalesOrder) -> str:
    if order.state == SalesOrderState.TO_APPROVE:
        return f"{order} waits for a sales manager to approve its prices."
    if order.state == SalesOrderState.CREDIT_HOLD:
        return f"{order} is on credit hold: {order.hold_reason}."
    return f"{order} is confirmed and released to the warehouse."
