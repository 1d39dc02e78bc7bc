"""Purchasing screens under ``/purchasing/``: orders (list, new, edit, detail and the actions
their state allows — submit, send, PDF, confirm, receive, bill, cancel, close), the expected
receipts of the warehouses, the supplier catalogue, the AP bill-match queue, the vendor
scorecards (a table per period, a supplier's monthly trend drawn as charts, risk classes
written back) and the buyers' exception queue (refresh, re-send an unconfirmed order).

Views are thin: they check the model permission, scope every query to the user's companies
(an order outside them is a 404), parse a form and call one service; a refusal of the
service is shown on the field it names and nothing is written.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import F, Min, Q, Sum
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.accounting.exports import file_response
from crossdock.accounting.models import Invoice
from crossdock.approvals.models import ApprovalRequest
from crossdock.approvals.services import request_for
from crossdock.core.audit import history_of
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.fields import QuantityField
from crossdock.core.permissions import has_model_permission
from crossdock.inventory.models import Transfer
from crossdock.masterdata.models import Company, Partner
from crossdock.purchasing import charts, selectors
from crossdock.purchasing import forms as pf
from crossdock.purchasing.documents import order_pdf
from crossdock.purchasing.governance import PURCHASE_ORDER
from crossdock.purchasing.models import (
    BillMatch,
    OrderState,
    PurchaseException,
    PurchaseOrder,
    PurchaseOrderLine,
    SupplierProduct,
)
from crossdock.purchasing.models.orders import EDITABLE_STATES, OPEN_STATES, RECEIVABLE_STATES
from crossdock.purchasing.scorecards import Scorecard, apply_risk_classes, scorecards
from crossdock.purchasing.services import catalogue, exceptions, matching, orders, receiving
from crossdock.web.navigation import AUDIT_PERMISSION
from crossdock.web.views.audit import visible_entries
from crossdock.web.views.common import render_page
from crossdock.web.workspace import workspace_of

PER_PAGE = 50
HISTORY_LIMIT = 30
ZERO = Decimal(0)
CANCELLABLE = (
    OrderState.DRAFT,
    OrderState.TO_APPROVE,
    OrderState.APPROVED,
    OrderState.SENT,
    OrderState.CONFIRMED,
)
CLOSABLE = (OrderState.PARTIALLY_RECEIVED, OrderState.RECEIVED, OrderState.BILLED)


def _require(user: Any, model: type[models.Model], action: str = "view") -> None:
    if not has_model_permission(user, model, action):
        plural = model._meta.verbose_name_plural
        raise PermissionDenied(f"Your role does not allow you to {action} {plural}.")


def _order(request: HttpRequest, pk: int, action: str = "view") -> PurchaseOrder:
    _require(request.user, PurchaseOrder, action)
    found = (
        PurchaseOrder.objects.restrict(request.user, action)
        .select_related("company", "supplier", "warehouse", "currency", "buyer")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such purchase order.")
    return found


def _refused(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, error.message)


# -- orders: list -------------------------------------------------------------------------------


def _order_rows(request: HttpRequest, form: pf.OrderFilterForm) -> Any:
    open_line = Q(lines__received_quantity__lt=F("lines__quantity"))
    rows = (
        PurchaseOrder.objects.restrict(request.user)
        .select_related("supplier", "warehouse", "currency")
        .annotate(
            open_quantity=Coalesce(
                Sum(Greatest(F("lines__quantity") - F("lines__received_quantity"), ZERO)),
                ZERO,
                output_field=QuantityField(),  # scaled integers, read back as Decimals
            ),
            next_due=Min(
                Coalesce("lines__confirmed_date", "lines__expected_date"), filter=open_line
            ),
        )
        .order_by("-order_date", "-pk")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["state"] == "open":
            rows = rows.filter(state__in=OPEN_STATES)
        elif data["state"]:
            rows = rows.filter(state=data["state"])
        if data["supplier"]:
            rows = rows.filter(supplier=data["supplier"])
        if data["warehouse"]:
            rows = rows.filter(warehouse=data["warehouse"])
        if data["late"]:
            rows = rows.filter(state__in=RECEIVABLE_STATES, next_due__lt=timezone.localdate())
    return rows


def _late_days(order: Any, today: datetime.date) -> int:
    if order.state not in RECEIVABLE_STATES or order.next_due is None:
        return 0
    return max((today - order.next_due).days, 0)


@login_required
@require_safe
def order_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, PurchaseOrder)
    form = pf.OrderFilterForm(request.GET or None, user=request.user)
    rows = _order_rows(request, form)
    today = timezone.localdate()
    if request.GET.get("format") == "csv":
        header = [
            "reference",
            "supplier",
            "warehouse",
            "state",
            "order_date",
            "expected_date",
            "next_due",
            "late_days",
            "open_quantity",
            "amount",
            "currency",
        ]
        table = [
            [
                o.reference,
                o.supplier.code,
                o.warehouse.code,
                o.state,
                o.order_date,
                o.expected_date,
                o.next_due or "",
                _late_days(o, today),
                o.open_quantity,
                o.amount,
                o.currency.code,
            ]
            for o in rows[:10_000]
        ]
        return file_response("purchase-orders", header, table, "csv")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    for order in page.object_list:
        order.late_days = _late_days(order, today)
    context = {
        "title": "Purchase orders",
        "form": form,
        "page": page,
        "can_add": has_model_permission(request.user, PurchaseOrder, "add"),
        "csv_query": request.GET.copy(),
    }
    return render_page(request, "purchasing/order_list.html", context)


# -- orders: new and edit -----------------------------------------------------------------------


def _with_one_more_line(data: Any, prefix: str) -> Any:
    data = data.copy()
    total = data.get(f"{prefix}-TOTAL_FORMS", "0")
    data[f"{prefix}-TOTAL_FORMS"] = str(int(total) + 1 if total.isdigit() else 1)
    return data


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, PurchaseOrder, "add")
    initial = {"expected_date": timezone.localdate() + datetime.timedelta(days=7)}
    return _order_screen(request, initial, None, None)


@login_required
@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk, "change")
    if order.state not in EDITABLE_STATES:
        messages.error(
            request, f"{order} is {order.get_state_display().lower()}; it cannot change."
        )
        return redirect("purchasing:order_detail", pk=order.pk)
    initial = {
        "supplier": order.supplier_id,
        "warehouse": order.warehouse_id,
        "expected_date": order.expected_date,
        "note": order.note,
        "version": order.version,
    }
    lines = [
        {"sku": line.product.sku, "quantity": line.quantity, "unit_price": line.unit_price}
        for line in order.lines.select_related("product").order_by("sequence", "pk")
    ]
    return _order_screen(request, initial, lines, order)


def _order_screen(
    request: HttpRequest,
    initial: dict[str, Any],
    lines: list[dict[str, Any]] | None,
    order: PurchaseOrder | None,
) -> HttpResponse:
    adding = request.method == "POST" and "add_line" in request.POST
    data = _with_one_more_line(request.POST, "lines") if adding else request.POST or None
    form = pf.OrderForm(data, user=request.user, editing=order is not None, initial=initial)
    formset = pf.OrderLineFormSet(data, prefix="lines", initial=lines)
    if request.method == "POST" and not adding and form.is_valid() and formset.is_valid():
        rows = pf.filled(formset)
        actor = Actor.of(request.user)
        try:
            if order is None:
                saved = orders.create_purchase_order(actor, pf.order_draft(form, rows))
            else:
                saved = orders.revise_purchase_order(
                    actor,
                    order.pk,
                    pf.order_draft(form, rows),
                    expected_version=form.cleaned_data["version"],
                    reason=form.cleaned_data["reason"],
                )
        except DomainError as error:
            pf.show_refusal(error, form, rows={"lines": rows})
        else:
            messages.success(request, f"{saved} saved ({saved.get_state_display().lower()}).")
            return redirect("purchasing:order_detail", pk=saved.pk)
    context = {
        "title": f"Edit {order}" if order else "New purchase order",
        "form": form,
        "formset": formset,
        "order": order,
        "show_errors": not adding,
    }
    return render_page(request, "purchasing/order_form.html", context)


# -- orders: detail and actions -----------------------------------------------------------------


def _history(user: Any, order: PurchaseOrder) -> list[Any] | None:
    if not user.has_perm(AUDIT_PERMISSION):
        return None
    return list(visible_entries(user, history_of(order))[:HISTORY_LIMIT])


def _revisions(order: PurchaseOrder, skus: dict[int, str]) -> list[dict[str, Any]]:
    shown = []
    for revision in order.revisions.select_related("changed_by").order_by("-number"):
        changes = [
            {**change, "sku": skus.get(change.get("product"), f"#{change.get('product')}")}
            for change in revision.changes
        ]
        shown.append({"revision": revision, "changes": changes})
    return shown


def _source_sales_order(user: Any, order: PurchaseOrder) -> dict[str, Any] | None:
    """The sister company's sales order an intercompany order mirrors: its reference, and
    its id when the user may open it."""
    if not order.is_intercompany:
        return None
    from django.apps import apps

    sales_orders = apps.get_model("sales", "SalesOrder").objects  # sales builds on purchasing
    visible = sales_orders.restrict(user).filter(mirrored_purchase_order=order)
    return {
        "reference": order.intercompany_origin,
        "id": visible.values_list("pk", flat=True).first(),
    }


@login_required
@require_safe
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    user = request.user
    lines = list(order.lines.select_related("product", "offer").order_by("sequence", "pk"))
    today = timezone.localdate()
    for line in lines:
        due = line.confirmed_date or line.expected_date
        late = order.state in RECEIVABLE_STATES and line.open_quantity > 0 and due < today
        setattr(line, "late", late)  # noqa: B010
    skus = {line.product_id: line.product.sku for line in lines}
    revisions = order.revisions.all()
    missing = {c.get("product") for r in revisions for c in r.changes} - set(skus)
    if missing:
        from crossdock.masterdata.models import Product

        skus |= dict(Product.objects.filter(pk__in=missing).values_list("pk", "sku"))
    can_change = has_model_permission(user, PurchaseOrder, "change")
    bills = (
        BillMatch.objects.restrict(user).filter(order=order).select_related("invoice")
        if has_model_permission(user, BillMatch, "view")
        else BillMatch.objects.none()
    )
    manual = not order.is_intercompany  # an intercompany order follows its sales order
    context = {
        "title": str(order),
        "order": order,
        "lines": lines,
        "source_sales_order": _source_sales_order(user, order),
        "landed": _landed_with_margins(order),
        "revisions": _revisions(order, skus),
        "approval": request_for(PURCHASE_ORDER, order.pk),
        "history": _history(user, order),
        "bills": list(bills.order_by("-pk")),
        "can_edit": manual and can_change and order.state in EDITABLE_STATES,
        "can_submit": can_change and order.state == OrderState.DRAFT,
        "can_send": can_change and order.state in (OrderState.APPROVED, OrderState.SENT),
        "can_confirm": manual
        and can_change
        and order.state in (OrderState.APPROVED, OrderState.SENT, OrderState.CONFIRMED),
        "can_receive": manual
        and order.state in RECEIVABLE_STATES
        and has_model_permission(user, Transfer, "add"),
        "can_bill": manual
        and any(line.received_quantity > line.billed_quantity for line in lines)
        and order.state not in (OrderState.CANCELLED, OrderState.DRAFT)
        and has_model_permission(user, Invoice, "add"),
        "can_cancel": manual
        and can_change
        and order.state in CANCELLABLE
        and not any(line.received_quantity for line in lines),
        "can_close": can_change and order.state in CLOSABLE,
    }
    return render_page(request, "purchasing/order_detail.html", context)


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ("submit", "send", "cancel", "close"):
        raise Http404("Unknown action.")
    order = _order(request, pk, "change")
    actor = Actor.of(request.user)
    reason = pf.ReasonForm(request.POST)
    text = reason.cleaned_data["reason"] if reason.is_valid() else ""
    try:
        if action == "submit":
            done = orders.submit_purchase_order(actor, order.pk)
            if done.state == OrderState.APPROVED:
                messages.success(request, "No approval needed: the order is approved.")
            else:
                messages.success(request, "Submitted for approval.")
        elif action == "send":
            done = orders.send_purchase_order(actor, order.pk)
            to = done.supplier.email
            messages.success(request, f"Sent{f' to {to}' if to else ''}.")
        elif action == "cancel":
            orders.cancel_purchase_order(actor, order.pk, text)
            messages.success(request, f"{order} cancelled.")
        else:
            orders.close_purchase_order(actor, order.pk, text)
            messages.success(request, f"{order} closed.")
    except DomainError as error:
        _refused(request, error)
    return redirect("purchasing:order_detail", pk=order.pk)


@login_required
@require_safe
def order_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    response = HttpResponse(order_pdf(order), content_type="application/pdf")
    name = order.reference.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def order_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk, "change")
    lines = list(order.lines.select_related("product").order_by("sequence", "pk"))
    initial = [
        {
            "line": line.pk,
            "quantity": line.confirmed_quantity or line.quantity,
            "date": line.confirmed_date or line.expected_date,
        }
        for line in lines
    ]
    formset = pf.ConfirmFormSet(request.POST or None, prefix="lines", initial=initial)
    error_form = pf.ReasonForm({})
    error_form.is_valid()
    if request.method == "POST" and formset.is_valid():
        answers = [
            orders.Confirmation(
                row.cleaned_data["line"], row.cleaned_data["quantity"], row.cleaned_data["date"]
            )
            for row in formset.forms
        ]
        try:
            orders.confirm_purchase_order(Actor.of(request.user), order.pk, answers)
        except DomainError as error:
            pf.show_refusal(error, error_form, rows={"confirmations": list(formset.forms)})
        else:
            messages.success(request, "The supplier's confirmation is recorded.")
            return redirect("purchasing:order_detail", pk=order.pk)
    context = {
        "title": f"Confirm {order}",
        "order": order,
        "rows": list(zip(lines, formset.forms, strict=False)),
        "formset": formset,
        "error_form": error_form,
    }
    return render_page(request, "purchasing/order_confirm.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def order_receive(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    _require(request.user, Transfer, "add")
    lines = [
        line
        for line in order.lines.select_related("product").order_by("sequence", "pk")
        if line.open_quantity > 0 or request.method == "POST"
    ]
    initial = [{"line": line.pk} for line in lines]
    scanning = request.method == "POST" and request.POST.get("action") == "scan"
    scan_message = ""
    if scanning:
        rows_typed, scan_message = _add_scan(request, order, lines)
        formset = pf.ReceiveFormSet(prefix="lines", initial=rows_typed)
    else:
        formset = pf.ReceiveFormSet(request.POST or None, prefix="lines", initial=initial)
    note = pf.ReasonForm(None if scanning else request.POST or None)
    error_form = pf.ReasonForm({})
    error_form.is_valid()
    if request.method == "POST" and not scanning and formset.is_valid() and note.is_valid():
        rows = pf.filled(formset)
        arriving = [
            receiving.ReceiptLine(
                row.cleaned_data["line"],
                row.cleaned_data["quantity"],
                row.cleaned_data["lot"],
                row.cleaned_data["expires_on"],
            )
            for row in rows
        ]
        try:
            transfer = receiving.receive_purchase_order(
                Actor.of(request.user), order.pk, arriving, note=note.cleaned_data["reason"]
            )
        except DomainError as error:
            pf.show_refusal(_by_row(error, rows), error_form, rows={"lines": rows})
        else:
            messages.success(request, f"Received as {transfer.reference}.")
            return redirect("purchasing:order_detail", pk=order.pk)
    by_id = {line.pk: line for line in lines}
    rows_shown = [
        (by_id.get(_line_of(form) or 0), form) for form in formset.forms if _line_of(form) in by_id
    ]
    context = {
        "title": f"Receive {order}",
        "order": order,
        "rows": rows_shown,
        "formset": formset,
        "error_form": error_form,
        "receivable": order.state in RECEIVABLE_STATES,
        "scan_message": scan_message,
        "note": request.POST.get("reason", "") if scanning else "",
    }
    return render_page(request, "purchasing/order_receive.html", context)


def _typed_rows(request: HttpRequest) -> list[dict[str, Any]]:
    """The receive rows as typed so far (the form is not validated while scanning)."""
    try:
        total = min(int(request.POST.get("lines-TOTAL_FORMS", "0")), 2000)
    except ValueError:
        total = 0
    rows = []
    for index in range(total):
        value = request.POST.get(f"lines-{index}-line", "")
        if not value.isdigit():
            continue
        rows.append(
            {
                "line": int(value),
                "quantity": request.POST.get(f"lines-{index}-quantity", "").strip(),
                "lot": request.POST.get(f"lines-{index}-lot", "").strip(),
                "expires_on": request.POST.get(f"lines-{index}-expires_on", "").strip(),
            }
        )
    return rows


def _add_scan(
    request: HttpRequest, order: PurchaseOrder, lines: list[PurchaseOrderLine]
) -> tuple[list[dict[str, Any]], str]:
    """Add one scanned label (GS1-128, DataMatrix, a plain GTIN or a SKU) to the rows:
    the quantity of its line goes up by the label's count, with its lot and expiry."""
    from crossdock.inventory.gs1 import read_scan
    from crossdock.inventory.scanning import match_scan

    rows = _typed_rows(request) or [{"line": line.pk} for line in lines]
    text = request.POST.get("scan", "").strip()
    if not text:
        return rows, "Scan a label first."
    try:
        match = match_scan(request.user, read_scan(text))
    except DomainError as error:
        return rows, error.message
    if match.problem or match.product is None:
        return rows, match.problem or "That label names no product."
    line = next((item for item in lines if item.product_id == match.product.pk), None)
    if line is None:
        return rows, f"{match.product.sku} is not on {order}."
    lot = match.lot_name
    expiry = match.scan.expires_on.isoformat() if match.scan.expires_on else ""
    target = next(
        (row for row in rows if row["line"] == line.pk and (row.get("lot", "") in ("", lot))),
        None,
    )
    if target is None:
        target = {"line": line.pk, "quantity": "", "lot": "", "expires_on": ""}
        rows.append(target)
    try:
        before = Decimal(target.get("quantity") or "0")
    except ArithmeticError:
        before = Decimal(0)
    target["quantity"] = f"{(before + match.quantity).normalize():f}"
    if lot:
        target["lot"] = lot
    if expiry:
        target["expires_on"] = expiry
    what = f"{match.quantity.normalize():f} × {match.product.sku}" + (f" lot {lot}" if lot else "")
    return rows, f"Added {what}."


def _by_row(error: DomainError, rows: list[Any]) -> DomainError:
    """A lot refusal of the receipt names its stock move; put it on the row of that product."""
    skus = {index: row.cleaned_data["line"] for index, row in enumerate(rows) if row.cleaned_data}
    products = dict(
        PurchaseOrderLine.objects.filter(pk__in=skus.values()).values_list("pk", "product__sku")
    )
    renamed: dict[str, list[str]] = {}
    for name, problems in error.fields.items():
        if name.startswith("move ") and "." in name:
            field = name.rsplit(".", 1)[1]
            index = next(
                (i for i, line in skus.items() if f"{products.get(line)} " in error.message),
                None,
            )
            if index is not None:
                name = f"lines[{index}].{field}"
                problems = [error.message.split(": ", 1)[-1]]
        renamed[name] = problems
    return DomainError(error.message, fields=renamed)


def _line_of(form: Any) -> int | None:
    value = form["line"].value()
    return int(value) if str(value or "").isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
def order_bill(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    _require(request.user, Invoice, "add")
    lines = [
        line
        for line in order.lines.select_related("product").order_by("sequence", "pk")
        if line.received_quantity > line.billed_quantity
    ]
    form = pf.BillForm(request.POST or None, initial={"date": timezone.localdate()})
    formset = pf.BillPriceFormSet(
        request.POST or None, prefix="lines", initial=[{"line": line.pk} for line in lines]
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        prices = {
            row.cleaned_data["line"]: row.cleaned_data["unit_price"]
            for row in formset.forms
            if row.cleaned_data.get("unit_price") is not None
        }
        try:
            bill = matching.bill_purchase_order(
                Actor.of(request.user),
                order.pk,
                form.cleaned_data["partner_reference"],
                date=form.cleaned_data["date"],
                prices=prices,
            )
        except DomainError as error:
            keyed = {"prices": {_line_of(row) or 0: row for row in formset.forms}}
            pf.show_refusal(error, form, keyed=keyed)
        else:
            match = BillMatch.objects.filter(invoice=bill).first()
            if bill.state == "posted":
                messages.success(request, f"{bill} matched the order and is posted.")
            else:
                status = match.get_status_display().lower() if match else "not matched"
                messages.warning(request, f"{bill} is held in the AP match queue: {status}.")
            return redirect("purchasing:order_detail", pk=order.pk)
    by_id = {line.pk: line for line in lines}
    context = {
        "title": f"Bill {order}",
        "order": order,
        "form": form,
        "formset": formset,
        "rows": [(by_id.get(_line_of(f) or 0), f) for f in formset.forms if _line_of(f) in by_id],
    }
    return render_page(request, "purchasing/order_bill.html", context)


# -- expected receipts --------------------------------------------------------------------------


@login_required
@require_safe
def expected_receipts(request: HttpRequest) -> HttpResponse:
    _require(request.user, PurchaseOrder)
    form = pf.ReceiptFilterForm(request.GET or None, user=request.user)
    scope = PurchaseOrder.objects.restrict(request.user)
    until = None
    if form.is_valid():
        if form.cleaned_data["warehouse"]:
            scope = scope.filter(warehouse=form.cleaned_data["warehouse"])
        until = form.cleaned_data["until"]
    today = timezone.localdate()
    found = selectors.expected_receipts(scope, today=today, until=until)
    days: dict[datetime.date, list[selectors.ExpectedReceipt]] = {}
    for receipt in found[:1000]:
        days.setdefault(receipt.due, []).append(receipt)
    context = {
        "title": "Expected receipts",
        "form": form,
        "days": sorted(days.items()),
        "today": today,
        "late_count": sum(1 for r in found if r.late_days),
        "can_receive": has_model_permission(request.user, Transfer, "add"),
    }
    return render_page(request, "purchasing/receipts.html", context)


# -- the supplier catalogue ---------------------------------------------------------------------


@login_required
@require_safe
def catalogue_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, SupplierProduct)
    form = pf.CatalogueFilterForm(request.GET or None, user=request.user)
    rows = (
        SupplierProduct.objects.restrict(request.user)
        .select_related("company", "supplier", "product", "currency")
        .prefetch_related("breaks")
        .order_by("product__sku", "preference", "supplier__code", "pk")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["supplier"]:
            rows = rows.filter(supplier=data["supplier"])
        if data["product"]:
            text = data["product"].strip()
            rows = rows.filter(
                Q(product__sku__icontains=text)
                | Q(product__name__icontains=text)
                | Q(supplier_sku__icontains=text)
            )
        if data["contract"] == "on":
            rows = rows.exclude(contract_reference="")
        elif data["contract"] == "off":
            rows = rows.filter(contract_reference="")
        if data["active"]:
            rows = rows.filter(active=data["active"] == "yes")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": "Supplier catalogue",
        "form": form,
        "page": page,
        "can_add": has_model_permission(request.user, SupplierProduct, "add"),
        "can_change": has_model_permission(request.user, SupplierProduct, "change"),
    }
    return render_page(request, "purchasing/catalogue_list.html", context)


def _offer_company(request: HttpRequest) -> Company:
    companies = Company.objects.in_scope_of(request.user).order_by("code")
    company = workspace_of(request).current or companies.first()
    if company is None:
        raise Http404("No company to write in.")
    return company


@login_required
@require_http_methods(["GET", "POST"])
def offer_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, SupplierProduct, "add")
    return _offer_screen(request, _offer_company(request), None, {}, None)


@login_required
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, SupplierProduct, "change")
    offer = (
        SupplierProduct.objects.restrict(request.user, "change")
        .select_related("company", "supplier", "product", "currency")
        .filter(pk=pk)
        .first()
    )
    if offer is None:
        raise Http404("No such catalogue entry.")
    initial = {
        "supplier": offer.supplier_id,
        "sku": offer.product.sku,
        "supplier_sku": offer.supplier_sku,
        "minimum_quantity": offer.minimum_quantity,
        "order_multiple": offer.order_multiple,
        "lead_time_days": offer.lead_time_days,
        "valid_from": offer.valid_from,
        "valid_to": offer.valid_to,
        "contract_reference": offer.contract_reference,
        "preference": offer.preference,
        "estimated_landed_cost_percent": offer.estimated_landed_cost_percent,
        "free_freight_value": offer.free_freight_value,
        "version": offer.version,
    }
    breaks = [
        {"min_quantity": b.min_quantity, "unit_price": b.unit_price}
        for b in offer.breaks.order_by("min_quantity")
    ]
    return _offer_screen(request, offer.company, offer, initial, breaks)


def _offer_screen(
    request: HttpRequest,
    company: Company,
    offer: SupplierProduct | None,
    initial: dict[str, Any],
    breaks: list[dict[str, Any]] | None,
) -> HttpResponse:
    data = request.POST or None
    form = pf.OfferForm(data, user=request.user, editing=offer is not None, initial=initial)
    formset = pf.BreakFormSet(data, prefix="breaks", initial=breaks)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        rows = pf.filled(formset)
        currency_id = offer.currency_id if offer else None
        try:
            saved = catalogue.save_offer(
                Actor.of(request.user),
                pf.offer_draft(company.pk, currency_id, form, rows),
                offer_id=offer.pk if offer else None,
                expected_version=form.cleaned_data["version"] if offer else None,
            )
        except DomainError as error:
            pf.show_refusal(error, form, rows={"breaks": rows}, field_aliases={"product": "sku"})
        else:
            messages.success(request, f"{saved.product.sku} of {saved.supplier.code} saved.")
            return redirect("purchasing:catalogue")
    context = {
        "title": f"Edit {offer.product.sku} of {offer.supplier.code}"
        if offer
        else "New catalogue entry",
        "form": form,
        "formset": formset,
        "offer": offer,
        "company": company,
    }
    return render_page(request, "purchasing/offer_form.html", context)


# -- the AP match queue -------------------------------------------------------------------------


def _match(request: HttpRequest, invoice_id: int, action: str = "view") -> BillMatch:
    _require(request.user, BillMatch, action)
    found = BillMatch.objects.restrict(request.user, action).filter(invoice_id=invoice_id).first()
    if found is None:
        raise Http404("No such bill match.")
    return found


@login_required
@require_safe
def match_queue(request: HttpRequest) -> HttpResponse:
    _require(request.user, BillMatch)
    form = pf.MatchFilterForm(request.GET or None)
    rows = selectors.match_queue(BillMatch.objects.restrict(request.user)).select_related(
        "invoice__currency"
    )
    if form.is_valid() and form.cleaned_data["status"]:
        rows = rows.filter(status=form.cleaned_data["status"])
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    ids = [str(match.pk) for match in page.object_list]
    approvals: dict[str, ApprovalRequest] = {}
    for approval in ApprovalRequest.objects.filter(
        document_type=matching.BILL_VARIANCE, document_id__in=ids
    ).order_by("submitted_at", "pk"):
        approvals[approval.document_id] = approval  # the latest wins
    for match in page.object_list:
        setattr(match, "approval", approvals.get(str(match.pk)))  # noqa: B010
    context = {
        "title": "Bill match queue",
        "form": form,
        "page": page,
        "can_change": has_model_permission(request.user, BillMatch, "change"),
        "can_import": has_model_permission(request.user, BillMatch, "change")
        and has_model_permission(request.user, Invoice, "add"),
        "note_form": pf.NoteForm(),
    }
    return render_page(request, "purchasing/match_queue.html", context)


@login_required
@require_POST
def match_action(request: HttpRequest, invoice_id: int, action: str) -> HttpResponse:
    if action not in ("rematch", "accept", "credit"):
        raise Http404("Unknown action.")
    match = _match(request, invoice_id, "change")
    actor = Actor.of(request.user)
    note = pf.NoteForm(request.POST)
    try:
        if action == "rematch":
            done = matching.match_bill(actor, match.invoice_id)
            messages.success(request, f"Matched again: {done.get_status_display().lower()}.")
        elif not note.is_valid():
            messages.error(request, f"{match.invoice}: say why (a note is required).")
        elif action == "accept":
            done = matching.accept_variance(actor, match.invoice_id, note.cleaned_data["note"])
            if done.status == "accepted":
                messages.success(request, "Variance accepted; the bill is posted.")
            else:
                messages.success(request, "Sent for approval to accept the variance.")
        else:
            matching.request_credit_note(actor, match.invoice_id, note.cleaned_data["note"])
            messages.success(request, "Credit note requested; the bill stays on hold.")
    except DomainError as error:
        _refused(request, error)
    return redirect("purchasing:match_queue")


# -- vendor scorecards --------------------------------------------------------------------------

HUNDRED = Decimal(100)
RISK_TONES = {"low": "good", "medium": "warn", "high": "bad"}


def _scorecard_company(request: HttpRequest, chosen: Company | None) -> Company:
    if chosen is not None:
        return chosen
    companies = Company.objects.in_scope_of(request.user).order_by("code")
    company = workspace_of(request).current or companies.first()
    if company is None:
        raise Http404("You work in no company.")
    return company


def _period_of(form: pf.ScorecardPeriodForm) -> tuple[datetime.date, datetime.date]:
    end = form.cleaned_data.get("end") or timezone.localdate()
    start = form.cleaned_data.get("start") or selectors.default_period(end)[0]
    return start, end


@login_required
@require_safe
def scorecard_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, PurchaseOrder)
    form = pf.ScorecardPeriodForm(request.GET or None, user=request.user)
    valid = form.is_valid() or not form.is_bound
    data = form.cleaned_data if form.is_bound and valid else {}
    company = _scorecard_company(request, data.get("company"))
    start, end = _period_of(form) if data else selectors.default_period(timezone.localdate())
    cards = scorecards(company.pk, start, end) if valid else []
    context = {
        "title": "Vendor scorecards",
        "form": form,
        "company": company,
        "start": start,
        "end": end,
        "cards": cards,
        "risk_tones": RISK_TONES,
        "can_apply": valid and has_model_permission(request.user, Partner, "change"),
    }
    return render_page(request, "purchasing/scorecard_list.html", context)


@login_required
@require_POST
def scorecard_apply(request: HttpRequest) -> HttpResponse:
    _require(request.user, PurchaseOrder)
    _require(request.user, Partner, "change")
    form = pf.ScorecardPeriodForm(request.POST, user=request.user)
    if not form.is_valid():
        name, problems = next(iter(form.errors.items()))
        messages.error(request, f"{form.fields[name].label if name in form.fields else name}: "
                       f"{problems[0]}")  # fmt: skip
        return redirect("purchasing:scorecards")
    company = _scorecard_company(request, form.cleaned_data["company"])
    start, end = _period_of(form)
    try:
        changes = apply_risk_classes(Actor.of(request.user), company.pk, start, end)
    except DomainError as error:
        _refused(request, error)
    else:
        if changes:
            listed = ", ".join(f"{code} {old or 'none'} → {new}" for code, old, new in changes)
            messages.success(request, f"Risk classes applied: {listed}.")
        else:
            messages.info(request, "Every scored supplier already has its risk class.")
    query = f"?company={company.pk}&start={start.isoformat()}&end={end.isoformat()}"
    return redirect(reverse("purchasing:scorecards") + query)


def _percent(value: Decimal) -> str:
    return f"{(value * HUNDRED).quantize(Decimal('1'))} %"


def _fraction_chart(key: str, title: str, labels: list[str], values: list[Any]) -> charts.Chart:
    return charts.bar_chart(
        key, title, labels, [None if v is None else v * HUNDRED for v in values],
        low=ZERO, high=HUNDRED, show=lambda v: f"{v.quantize(Decimal('1'))} %",
        tone=lambda v: "good" if v >= 95 else "warn" if v >= 80 else "bad",
    )  # fmt: skip


def _trend_charts(trend: list[Scorecard]) -> list[charts.Chart]:
    labels = [card.start.strftime("%b") for card in trend]
    scores = [card.score for card in trend]
    lead = [card.lead_time_mean_days for card in trend]
    promised = [card.promised_lead_time_days for card in trend]
    variance = [card.price_variance_percent for card in trend]
    lead_top = charts.ceiling(lead + promised, at_least=Decimal(5))
    variance_top = charts.ceiling(variance, at_least=Decimal(5))
    return [
        charts.line_chart(
            "score", "Score (0–100)", labels, [("Score", "score", scores)],
            low=ZERO, high=HUNDRED, show=lambda v: f"{v}",
            references=[(Decimal(85), "low risk"), (Decimal(70), "medium risk")],
        ),
        _fraction_chart("on-time", "On time", labels, [c.on_time_rate for c in trend]),
        _fraction_chart("in-full", "In full", labels, [c.in_full_rate for c in trend]),
        charts.line_chart(
            "lead-time", "Lead time (days)", labels,
            [("Actual (mean)", "actual", lead), ("Promised", "promised", promised)],
            low=ZERO, high=lead_top, show=lambda v: f"{v} d",
        ),
        _fraction_chart(
            "first-match", "First-time match", labels, [c.first_time_match_rate for c in trend]
        ),
        charts.bar_chart(
            "price", "Price against contract (%)", labels, variance,
            low=-variance_top, high=variance_top, show=lambda v: f"{v:+} %",
            tone=lambda v: "good" if v <= 0 else "warn" if v <= 2 else "bad",
        ),
    ]  # fmt: skip


@login_required
@require_safe
def scorecard_detail(request: HttpRequest, supplier_id: int) -> HttpResponse:
    _require(request.user, PurchaseOrder)
    supplier = (
        Partner.objects.in_scope_of(request.user)
        .select_related("company")
        .filter(pk=supplier_id)
        .first()
    )
    if supplier is None:
        raise Http404("No such supplier.")
    today = timezone.localdate()
    trend = selectors.supplier_trend(supplier.company_id, supplier.pk, today=today, months=12)
    start, end = selectors.default_period(today)
    (current,) = scorecards(supplier.company_id, start, end, supplier_ids={supplier.pk})
    context = {
        "title": f"Scorecard of {supplier.name}",
        "supplier": supplier,
        "current": current,
        "trend": trend,
        "charts": _trend_charts(trend),
        "risk_tones": RISK_TONES,
        "can_apply": has_model_permission(request.user, Partner, "change"),
    }
    return render_page(request, "purchasing/scorecard_detail.html", context)


# -- the buyers' exception queue ----------------------------------------------------------------

SEVERITIES = {3: "High", 2: "Medium", 1: "Low"}


@login_required
@require_safe
def exception_queue(request: HttpRequest) -> HttpResponse:
    _require(request.user, PurchaseException)
    form = pf.ExceptionFilterForm(request.GET or None)
    rows = selectors.exception_queue(PurchaseException.objects.restrict(request.user)).order_by(
        "-severity", "-days", "opened_at", "pk"
    )
    if form.is_valid():
        if form.cleaned_data["kind"]:
            rows = rows.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["mine"]:
            rows = rows.filter(owner_id=request.user.pk)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    can_change = has_model_permission(request.user, PurchaseOrder, "change")
    context = {
        "title": "Supplier follow-up",
        "form": form,
        "page": page,
        "severities": SEVERITIES,
        "can_refresh": can_change,
        "can_resend": can_change,
    }
    return render_page(request, "purchasing/exception_queue.html", context)


@login_required
@require_POST
def exception_refresh(request: HttpRequest) -> HttpResponse:
    _require(request.user, PurchaseOrder, "change")
    started = timezone.now()
    exceptions.refresh_exceptions()
    visible = PurchaseException.objects.restrict(request.user)
    opened = visible.filter(opened_at__gte=started).count()
    closed = visible.filter(closed_at__gte=started).count()
    messages.success(request, f"Refreshed: {opened} opened, {closed} closed.")
    return redirect("purchasing:exceptions")


@login_required
@require_POST
def exception_resend(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, PurchaseException)
    item = PurchaseException.objects.restrict(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404("No such exception.")
    order = _order(request, item.order_id, "change")
    try:
        sent = exceptions.resend_order(Actor.of(request.user), item.pk)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, f"{order} sent again to {sent.supplier.email}.")
    return redirect("purchasing:exceptions")


def _landed_with_margins(order: PurchaseOrder) -> list[dict[str, Any]]:
    """Per line: expected and actual landed costs (company currency), the landed unit cost
    and the margin against the product's list price where both are in the company currency."""
    landed = selectors.landed_costs(order)
    base = order.company.base_currency
    rows = []
    for row in landed.lines:
        line = row.line
        quantity = line.received_quantity or line.quantity
        per_unit = row.actual / quantity if row.actual and quantity else None
        unit_cost = line.unit_price * order.rate + (
            per_unit if per_unit is not None else line.estimated_landed_cost * order.rate
        )
        price = line.product.list_price
        margin = None
        if price and line.product.currency_id == base.pk:
            margin = ((price - unit_cost) * 100 / price).quantize(Decimal("0.1"))
        rows.append(
            {
                "line": line,
                "estimated": row.estimated,
                "actual": row.actual,
                "unit_cost": base.round(unit_cost),
                "list_price": price,
                "margin": margin,
                "basis": "actual" if per_unit is not None else "estimated",
            }
        )
    return rows
