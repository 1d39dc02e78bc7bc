"""Sourcing screens under ``/purchasing/``: requisitions (list, new, detail with submit,
cancel, convert into orders, send for quotation) and RFQs (list, new, detail with quote
entry, the comparison table and the award; quotes imported from CSV or XLSX with a dry
run, and the RFQ's quote sheet to fill in).

Thin like :mod:`crossdock.purchasing.views`: model permission checked, every query scoped
to the user's companies (a document outside them is a 404), one service call per POST; a
service refusal is shown with the fields it names and nothing is written.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.accounting.exports import file_response
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.models import Currency, Partner, Product, Warehouse
from crossdock.purchasing.comparison import compare_quotes
from crossdock.purchasing.models import (
    PurchaseOrder,
    PurchaseRequisition,
    RequestForQuotation,
    RequisitionState,
    RfqState,
)
from crossdock.purchasing.services import sourcing
from crossdock.purchasing.services.quote_import import (
    KNOWN,
    TEMPLATE_COLUMNS,
    import_quotes,
    template_rows,
)
from crossdock.web.views.common import render_page

FORM_LINES = 8
LIST_LIMIT = 200
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _require(user: Any, model: type[models.Model], action: str = "view") -> None:
    if not has_model_permission(user, model, action):
        plural = model._meta.verbose_name_plural
        raise PermissionDenied(f"Your role does not allow you to {action} {plural}.")


def _requisition(request: HttpRequest, pk: int, action: str = "view") -> PurchaseRequisition:
    _require(request.user, PurchaseRequisition, action)
    found = (
        PurchaseRequisition.objects.restrict(request.user, action)
        .select_related("warehouse", "requested_by", "company")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such requisition.")
    return found


def _rfq(request: HttpRequest, pk: int, action: str = "view") -> RequestForQuotation:
    _require(request.user, RequestForQuotation, action)
    found = (
        RequestForQuotation.objects.restrict(request.user, action)
        .select_related("warehouse", "company__base_currency", "requisition")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such request for quotation.")
    return found


def _refused(request: HttpRequest, error: DomainError) -> None:
    details = "; ".join(f"{name}: {' '.join(text)}" for name, text in (error.fields or {}).items())
    messages.error(request, details or error.message)


def _decimal(value: str) -> Any:
    """The text as a Decimal, or the text itself so the service names the bad field."""
    try:
        return Decimal(value.strip())
    except (InvalidOperation, ValueError):
        return value


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _lines(request: HttpRequest) -> tuple[list[tuple[int, Any, str]], dict[str, list[str]]]:
    """The form's (product, quantity, note) rows; products are given by SKU."""
    skus = request.POST.getlist("sku")
    quantities = request.POST.getlist("quantity")
    notes = request.POST.getlist("note")
    found = Product.objects.in_bulk([s.strip() for s in skus if s.strip()], field_name="sku")
    rows: list[tuple[int, Any, str]] = []
    problems: dict[str, list[str]] = {}
    for index, sku in enumerate(skus):
        sku = sku.strip()
        if not sku:
            continue
        product = found.get(sku)
        if product is None:
            problems[f"lines[{index}].product"] = [f"No product with SKU {sku}."]
            continue
        quantity = quantities[index] if index < len(quantities) else ""
        note = notes[index] if index < len(notes) else ""
        rows.append((product.pk, _decimal(quantity), note))
    return rows, problems


# -- requisitions -----------------------------------------------------------------------------


@login_required
@require_safe
def requisition_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, PurchaseRequisition)
    rows = PurchaseRequisition.objects.restrict(request.user).select_related(
        "warehouse", "requested_by"
    )
    state = request.GET.get("state")
    if state in RequisitionState.values:
        rows = rows.filter(state=state)
    return render_page(
        request,
        "purchasing/requisition_list.html",
        {
            "rows": rows[:LIST_LIMIT],
            "states": RequisitionState.choices,
            "state": state,
            "can_add": has_model_permission(request.user, PurchaseRequisition, "add"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def requisition_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, PurchaseRequisition, "add")
    warehouses = Warehouse.objects.in_scope_of(request.user).order_by("code")
    context: dict[str, Any] = {"warehouses": warehouses, "line_range": range(FORM_LINES)}
    if request.method == "POST":
        rows, problems = _lines(request)
        warehouse = warehouses.filter(pk=request.POST.get("warehouse") or 0).first()
        needed_by = _date(request.POST.get("needed_by", ""))
        if warehouse is None:
            problems["warehouse"] = ["Choose a warehouse."]
        if needed_by is None:
            problems["needed_by"] = ["Give a date (YYYY-MM-DD)."]
        context["errors"] = problems
        context["posted"] = request.POST
        if not problems:
            assert warehouse is not None
            assert needed_by is not None
            draft = sourcing.RequisitionDraft(
                warehouse_id=warehouse.pk,
                needed_by=needed_by,
                note=request.POST.get("note", ""),
                lines=[sourcing.RequisitionLineDraft(p, q, n) for p, q, n in rows],
            )
            try:
                created = sourcing.create_requisition(Actor.of(request.user), draft)
            except DomainError as error:
                context["errors"] = error.fields or {"__all__": [error.message]}
            else:
                messages.success(request, f"{created} saved as a draft.")
                return redirect("purchasing:requisition_detail", pk=created.pk)
        return render_page(request, "purchasing/requisition_form.html", context, status=422)
    return render_page(request, "purchasing/requisition_form.html", context)


@login_required
@require_safe
def requisition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    requisition = _requisition(request, pk)
    user = request.user
    may_change = has_model_permission(user, PurchaseRequisition, "change")
    state = requisition.state
    return render_page(
        request,
        "purchasing/requisition_detail.html",
        {
            "requisition": requisition,
            "lines": requisition.lines.select_related("product", "purchase_order"),
            "rfqs": requisition.rfqs.all(),
            "can_submit": may_change and state == RequisitionState.DRAFT,
            "can_cancel": may_change
            and state
            in (RequisitionState.DRAFT, RequisitionState.SUBMITTED, RequisitionState.APPROVED),
            "can_convert": may_change
            and state == RequisitionState.APPROVED
            and has_model_permission(user, PurchaseOrder, "add"),
            "can_quote": may_change
            and state == RequisitionState.APPROVED
            and has_model_permission(user, RequestForQuotation, "add"),
            "suppliers": _suppliers(requisition.company_id),
        },
    )


def _suppliers(company_id: int) -> Any:
    return (
        Partner.objects.filter(is_supplier=True, active=True)
        .filter(models.Q(company_id=company_id) | models.Q(company__isnull=True))
        .exclude(approval_status="rejected")
        .order_by("code")[:LIST_LIMIT]
    )


@login_required
@require_POST
def requisition_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ("submit", "cancel", "convert", "rfq"):
        raise Http404("Unknown action.")
    requisition = _requisition(request, pk, "change")
    actor = Actor.of(request.user)
    try:
        if action == "submit":
            done = sourcing.submit_requisition(actor, requisition.pk)
            if done.state == RequisitionState.APPROVED:
                messages.success(request, "No approval needed: the requisition is approved.")
            else:
                messages.success(request, "Submitted for approval.")
        elif action == "cancel":
            sourcing.cancel_requisition(actor, requisition.pk, request.POST.get("reason", ""))
            messages.success(request, f"{requisition} cancelled.")
        elif action == "convert":
            _require(request.user, PurchaseOrder, "add")
            orders = sourcing.convert_requisition(actor, requisition.pk)
            messages.success(request, f"Ordered: {', '.join(str(o) for o in orders)}.")
        else:
            _require(request.user, RequestForQuotation, "add")
            suppliers = [int(s) for s in request.POST.getlist("suppliers") if s.isdigit()]
            rfq = sourcing.requisition_to_rfq(actor, requisition.pk, suppliers)
            messages.success(request, f"{rfq} drafted.")
            return redirect("purchasing:rfq_detail", pk=rfq.pk)
    except DomainError as error:
        _refused(request, error)
    return redirect("purchasing:requisition_detail", pk=requisition.pk)


# -- RFQs -------------------------------------------------------------------------------------


@login_required
@require_safe
def rfq_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, RequestForQuotation)
    rows = RequestForQuotation.objects.restrict(request.user).select_related("warehouse")
    state = request.GET.get("state")
    if state in RfqState.values:
        rows = rows.filter(state=state)
    return render_page(
        request,
        "purchasing/rfq_list.html",
        {"rows": rows[:LIST_LIMIT], "states": RfqState.choices, "state": state},
    )


@login_required
@require_safe
def rfq_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rfq = _rfq(request, pk)
    may_change = has_model_permission(request.user, RequestForQuotation, "change")
    sent = rfq.state == RfqState.SENT
    return render_page(
        request,
        "purchasing/rfq_detail.html",
        {
            "rfq": rfq,
            "suppliers": rfq.suppliers.order_by("code"),
            "lines": rfq.lines.select_related("product").order_by("sequence", "pk"),
            "comparison": compare_quotes(rfq),
            "currencies": Currency.objects.filter(active=True).order_by("code"),
            "can_send": may_change and rfq.state in (RfqState.DRAFT, RfqState.SENT),
            "can_cancel": may_change and rfq.state in (RfqState.DRAFT, RfqState.SENT),
            "can_quote": may_change and sent,
            "can_award": may_change
            and sent
            and has_model_permission(request.user, PurchaseOrder, "add"),
        },
    )


def _quote_draft(request: HttpRequest) -> sourcing.QuoteDraft:
    post = request.POST
    lead = post.get("lead_time_days", "").strip()
    return sourcing.QuoteDraft(
        line_id=int(post.get("line") or 0) if (post.get("line") or "").isdigit() else 0,
        supplier_id=int(post.get("supplier") or 0) if (post.get("supplier") or "").isdigit() else 0,
        unit_price=_decimal(post.get("unit_price", "")),
        lead_time_days=int(lead) if lead.lstrip("-").isdigit() else -1,
        currency_id=int(post["currency"]) if post.get("currency", "").isdigit() else None,
        minimum_quantity=_decimal(post.get("minimum_quantity") or "0"),
        valid_until=_date(post.get("valid_until", "")),
        estimated_landed_cost_percent=_decimal(post.get("landed_percent") or "0"),
        note=post.get("note", ""),
    )


@login_required
@require_POST
def rfq_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ("send", "cancel", "quote", "award"):
        raise Http404("Unknown action.")
    rfq = _rfq(request, pk, "change")
    actor = Actor.of(request.user)
    try:
        if action == "send":
            sourcing.send_rfq(actor, rfq.pk)
            messages.success(request, f"{rfq} sent to its suppliers.")
        elif action == "cancel":
            sourcing.cancel_rfq(actor, rfq.pk, request.POST.get("reason", ""))
            messages.success(request, f"{rfq} cancelled.")
        elif action == "quote":
            sourcing.record_quotes(actor, rfq.pk, [_quote_draft(request)])
            messages.success(request, "Quote recorded.")
        else:
            _require(request.user, PurchaseOrder, "add")
            chosen = {key: request.POST.get(key, "") for key in request.POST}
            awards = {
                int(key.removeprefix("award-")): int(value)
                for key, value in chosen.items()
                if key.startswith("award-") and key[6:].isdigit() and value.isdigit()
            }
            supplier = request.POST.get("supplier", "")
            if supplier.isdigit():
                awards = sourcing.supplier_awards(rfq, int(supplier))
            orders = sourcing.award_rfq(actor, rfq.pk, awards)
            messages.success(request, f"Awarded: {', '.join(str(o) for o in orders)}.")
    except DomainError as error:
        _refused(request, error)
    return redirect("purchasing:rfq_detail", pk=rfq.pk)


# -- importing quotes ---------------------------------------------------------------------------


class QuoteImportForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX, one row per supplier and line.")
    dry_run = forms.BooleanField(required=False, initial=True, label="Only check (dry run)")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("Upload a .csv or .xlsx file.")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB.")
        return upload


@login_required
@require_http_methods(["GET", "POST"])
def rfq_quote_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Import the suppliers' quotes of a sent RFQ from a spreadsheet: check, then import."""
    rfq = _rfq(request, pk, "change")
    form = QuoteImportForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = import_quotes(
                    Actor.of(request.user),
                    rfq.pk,
                    upload.name,
                    upload.read(),
                    dry_run=form.cleaned_data["dry_run"],
                )
            except DomainError as error:
                form.add_error("file", error.message)
            if result is not None and result.ok:
                if not result.dry_run:
                    messages.success(
                        request,
                        f"Imported {result.created} new and {result.replaced} replaced quotes.",
                    )
                    return redirect("purchasing:rfq_detail", pk=rfq.pk)
                status = 200
    context = {
        "title": f"Import quotes for {rfq.reference}",
        "rfq": rfq,
        "form": form,
        "result": result,
        "columns": KNOWN,
        "can_quote": rfq.state == RfqState.SENT,
    }
    return render_page(request, "purchasing/rfq_quote_import.html", context, status=status)


@login_required
@require_safe
def rfq_quote_template(request: HttpRequest, pk: int) -> HttpResponse:
    """The RFQ's suppliers × lines as a CSV or XLSX to fill in and import back."""
    rfq = _rfq(request, pk)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    name = f"quotes-{rfq.reference.replace('/', '-')}"
    return file_response(name, TEMPLATE_COLUMNS, template_rows(rfq), fmt)
