"""Invoice screens under ``/accounting/invoices/``: customer invoices, vendor bills and credit
notes — list, draft with lines, detail, post, credit note, PDF — and drafting the
invoice of a done delivery or the bill of a done receipt from the transfer's page."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.accounting.invoice_forms import (
    KIND_FILTERS,
    InvoiceFilterForm,
    InvoiceForm,
    initial_of,
    invoice_input,
    line_formset,
    show_refusal,
)
from crossdock.accounting.models import (
    CREDIT_KINDS,
    Allocation,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceState,
)
from crossdock.accounting.pdf import invoice_pdf
from crossdock.accounting.services import invoice_sources, invoicing
from crossdock.accounting.views import _companies, _require
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.inventory.models import Transfer
from crossdock.masterdata.models import Company
from crossdock.web.views.common import render_page
from crossdock.web.workspace import workspace_of

ZERO = Decimal(0)


@login_required
@require_safe
def invoice_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, Invoice)
    form = InvoiceFilterForm(request.GET or None, companies=_companies(request))
    rows = (
        Invoice.objects.restrict(request.user)
        .select_related("company", "partner", "currency")
        .order_by("-date", "-pk")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["company"]:
            rows = rows.filter(company=data["company"])
        if data["kind"]:
            rows = rows.filter(kind__in=KIND_FILTERS[data["kind"]])
        if data["state"]:
            rows = rows.filter(state=data["state"])
        if data["partner"]:
            text = data["partner"].strip()
            rows = rows.filter(Q(partner__name__icontains=text) | Q(partner__code__iexact=text))
        if data["since"]:
            rows = rows.filter(date__gte=data["since"])
        if data["until"]:
            rows = rows.filter(date__lte=data["until"])
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {"title": "Invoices and bills", "form": form, "page": page}
    return render_page(request, "accounting/invoice_list.html", context)


def _draft_company(request: HttpRequest) -> Company:
    """The company a new draft is written in: the one chosen, else the current one."""
    companies = _companies(request)
    chosen = request.POST.get("company") or request.GET.get("company")
    company = companies.filter(pk=chosen).first() if str(chosen or "").isdigit() else None
    company = company or workspace_of(request).current or companies.first()
    if company is None:
        raise Http404("No company to write in.")
    return company


def _with_one_more_line(data: Any) -> Any:
    data = data.copy()
    total = data.get("lines-TOTAL_FORMS", "0")
    data["lines-TOTAL_FORMS"] = str(int(total) + 1 if total.isdigit() else 1)
    return data


@login_required
@require_http_methods(["GET", "POST"])
def invoice_create(request: HttpRequest) -> HttpResponse:
    """A draft invoice, bill or credit note; a refusal keeps what was typed and writes nothing."""
    _require(request.user, Invoice, "add")
    company = _draft_company(request)
    kind = request.GET.get("kind")
    initial = {
        "company": company,
        "date": timezone.localdate(),
        "kind": kind if kind in InvoiceKind.values else InvoiceKind.CUSTOMER_INVOICE,
    }
    return _draft_screen(request, company, initial, None)


@login_required
@require_http_methods(["GET", "POST"])
def invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft's header and lines (its company and kind stay)."""
    invoice = _invoice(request, pk, "change")
    if invoice.state != InvoiceState.DRAFT:
        messages.error(request, f"{invoice} is {invoice.get_state_display().lower()}.")
        return redirect("accounting:invoice_detail", pk=invoice.pk)
    return _draft_screen(request, invoice.company, *initial_of(invoice), invoice=invoice)


def _draft_screen(
    request: HttpRequest,
    company: Company,
    initial: dict[str, Any],
    lines: list[dict[str, Any]] | None,
    invoice: Invoice | None = None,
) -> HttpResponse:
    adding = request.method == "POST" and "add_line" in request.POST
    data = _with_one_more_line(request.POST) if adding else request.POST or None
    form = InvoiceForm(
        data, companies=_companies(request), company=company, initial=initial,
        editing=invoice is not None,
    )  # fmt: skip
    formset = line_formset(data, company, lines)
    if request.method == "POST" and not adding and form.is_valid() and formset.is_valid():
        rows = formset.filled()
        actor = Actor.of(request.user)
        try:
            if invoice is None:
                saved = invoicing.create_invoice(actor, invoice_input(form, rows))
            else:
                version = form.cleaned_data["version"]
                saved = invoicing.update_invoice(
                    actor, invoice.pk, invoice_input(form, rows), version=version
                )
        except DomainError as error:
            show_refusal(error, form, formset, rows)
        else:
            messages.success(request, f"{saved} saved.")
            return redirect("accounting:invoice_detail", pk=saved.pk)
    context = {
        "title": f"Edit {invoice}" if invoice else "New invoice or bill",
        "form": form,
        "formset": formset,
        "company": company,
        "invoice": invoice,
        "show_errors": not adding,
    }
    return render_page(request, "accounting/invoice_form.html", context)


def _invoice(request: HttpRequest, pk: int, action: str = "view") -> Invoice:
    _require(request.user, Invoice, action)
    related = ("company__base_currency", "partner", "currency", "payment_term", "entry",
               "credit_of", "source_transfer")  # fmt: skip
    rows = Invoice.objects.restrict(request.user, action).select_related(*related)
    found = rows.filter(pk=pk).first()
    if found is None:
        raise Http404("No such invoice.")
    return found


def _tax_summary(lines: list[InvoiceLine]) -> list[dict[str, Any]]:
    """Per tax: the base it was charged on and the tax, in the document currency."""
    taxes: dict[Any, dict[str, Any]] = defaultdict(lambda: {"base": ZERO, "amount": ZERO})
    for line in lines:
        if line.tax is None:
            continue
        row = taxes[line.tax_id]
        row["tax"] = line.tax
        row["base"] += line.subtotal
        row["amount"] += line.tax_amount
    return list(taxes.values())


def _settled_by(invoice: Invoice, allocation: Allocation) -> dict[str, Any]:
    """One allocation seen from ``invoice``: what settled it (or what it settled), and how."""
    other = None
    if allocation.counter_installment_id is not None:
        counter = allocation.counter_installment
        assert counter is not None
        mine = counter.invoice_id == invoice.pk
        other = allocation.installment.invoice if mine else counter.invoice
    kind = "Early-payment discount" if allocation.discount else "Payment"
    return {
        "allocation": allocation,
        "payment": allocation.payment,
        "document": other,
        "kind": "Credit note offset" if other is not None else kind,
    }


@login_required
@require_safe
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice(request, pk)
    lines = list(invoice.lines.select_related("product", "tax", "account").order_by("sequence"))
    allocations = (
        Allocation.objects.filter(
            Q(installment__invoice=invoice) | Q(counter_installment__invoice=invoice)
        )
        .select_related("installment__invoice", "payment", "counter_installment__invoice")
        .order_by("date", "pk")
    )
    can_change = has_model_permission(request.user, Invoice, "change")
    is_draft = invoice.state == InvoiceState.DRAFT
    context = {
        "title": str(invoice),
        "invoice": invoice,
        "lines": lines,
        "taxes": _tax_summary(lines),
        "installments": list(invoice.installments.order_by("sequence")),
        "allocations": [_settled_by(invoice, a) for a in allocations],
        "credit_notes": list(invoice.credit_notes.order_by("pk")),
        "can_post": can_change and is_draft,
        "can_cancel": can_change and is_draft,
        "can_edit": can_change and is_draft,
        "can_credit": invoice.state == InvoiceState.POSTED
        and invoice.kind not in CREDIT_KINDS
        and has_model_permission(request.user, Invoice, "add"),
        "is_foreign": invoice.currency_id != invoice.company.base_currency_id,
    }
    return render_page(request, "accounting/invoice_detail.html", context)


@login_required
@require_POST
def invoice_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = Actor.of(request.user)
    try:
        if action == "post":
            invoice = _invoice(request, pk, "change")
            posted = invoicing.post_invoice(actor, invoice.pk)
            messages.success(request, f"Posted as {posted.number}.")
        elif action == "cancel":
            invoice = _invoice(request, pk, "change")
            invoicing.cancel_invoice(actor, invoice.pk)
            messages.success(request, f"{invoice} cancelled.")
        elif action == "credit-note":
            invoice = _invoice(request, pk)
            _require(request.user, Invoice, "add")
            note = invoice_sources.credit_note_for(actor, invoice.pk)
            messages.success(request, f"{note} drafted for {invoice}.")
            return redirect("accounting:invoice_detail", pk=note.pk)
        else:
            raise Http404("Unknown action.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("accounting:invoice_detail", pk=pk)


@login_required
@require_safe
def invoice_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice(request, pk)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    name = (invoice.number or f"draft-{invoice.pk}").replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@login_required
@require_POST
def invoice_from_transfer(request: HttpRequest, transfer_id: int, source: str) -> HttpResponse:
    """Draft the invoice of a done delivery or the bill of a done receipt, then show it."""
    _require(request.user, Invoice, "add")
    actor = Actor.of(request.user)
    try:
        if source == "delivery":
            invoice = invoice_sources.invoice_from_delivery(actor, transfer_id)
        elif source == "receipt":
            reference = request.POST.get("partner_reference", "").strip()
            invoice = invoice_sources.bill_from_receipt(actor, transfer_id, reference)
        else:
            raise Http404("Unknown source.")
    except DomainError as error:
        messages.error(request, error.message)
        if Transfer.objects.restrict(request.user).filter(pk=transfer_id).exists():
            return redirect("inventory:transfer_detail", pk=transfer_id)
        return redirect("accounting:invoice_list")
    messages.success(request, f"{invoice} drafted.")
    return redirect("accounting:invoice_detail", pk=invoice.pk)
