"""Finance screens under ``/accounting/``: entries, manual entry, trial balance, general
ledger and the stock valuation ↔ ledger reconciliation, each report with a CSV export."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crossdock.accounting import reports, selectors, services
from crossdock.accounting.forms import CompanyDateForm, EntryForm, LedgerForm
from crossdock.accounting.models import Account, JournalEntry, JournalKind
from crossdock.accounting.services import EntryDraft, LineDraft
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.models import Company
from crossdock.web.views.common import render_page
from crossdock.web.workspace import workspace_of

ZERO = Decimal(0)


def _require(user: Any, model: type[models.Model], action: str = "view") -> None:
    if not has_model_permission(user, model, action):
        plural = model._meta.verbose_name_plural
        raise PermissionDenied(f"Your role does not allow you to {action} {plural}.")


def _companies(request: HttpRequest) -> Any:
    return Company.objects.in_scope_of(request.user).order_by("code")


def _with_default_company(request: HttpRequest) -> Any:
    data = request.GET.copy()
    if not data.get("company"):
        current = workspace_of(request).current or _companies(request).first()
        if current is not None:
            data["company"] = str(current.pk)
    return data


@login_required
@require_safe
def entry_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, JournalEntry)
    entries = (
        JournalEntry.objects.restrict(request.user)
        .select_related("journal", "company")
        .order_by("-date", "-pk")
    )
    state = request.GET.get("state")
    if state in ("draft", "posted"):
        entries = entries.filter(state=state)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    context = {"title": "Journal entries", "page": page, "state": state}
    return render_page(request, "accounting/entry_list.html", context)


def _entry(request: HttpRequest, pk: int, action: str = "view") -> JournalEntry:
    _require(request.user, JournalEntry, action)
    entry = JournalEntry.objects.restrict(request.user, action).filter(pk=pk).first()
    if entry is None:
        raise Http404("No such journal entry.")
    return entry


@login_required
@require_safe
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    lines = list(entry.lines.select_related("account", "product", "partner").order_by("pk"))
    context = {
        "title": str(entry),
        "entry": entry,
        "lines": lines,
        "total_debit": sum((line.debit for line in lines), ZERO),
        "total_credit": sum((line.credit for line in lines), ZERO),
        "can_change": has_model_permission(request.user, JournalEntry, "change"),
        "reversal": JournalEntry.objects.filter(reversal_of=entry).first(),
    }
    return render_page(request, "accounting/entry_detail.html", context)


@login_required
@require_POST
def entry_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    entry = _entry(request, pk, "change")
    actor = Actor.of(request.user)
    try:
        if action == "post":
            services.post_draft(actor, entry.pk)
            messages.success(request, "Entry posted.")
        elif action == "reverse":
            reversal = services.reverse_entry(actor, entry.pk)
            messages.success(request, f"Reversal {reversal.number} posted.")
            return redirect("accounting:entry_detail", pk=reversal.pk)
        else:
            raise Http404("Unknown action.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("accounting:entry_detail", pk=entry.pk)


@login_required
@require_http_methods(["GET", "POST"])
def entry_create(request: HttpRequest) -> HttpResponse:
    """A manual entry in the current company; refused entries keep what was typed."""
    _require(request.user, JournalEntry, "add")
    company = workspace_of(request).current or _companies(request).first()
    if company is None:
        raise Http404("No company to write in.")
    services.ensure_ledger(company.pk)
    journal = services.journal_of(company.pk, JournalKind.GENERAL)
    initial = {"date": timezone.localdate(), "journal": journal}
    form = EntryForm(request.POST or None, company=company, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        lines = [
            LineDraft(
                account_id=data[f"account_{i}"].pk,
                debit=data[f"debit_{i}"] or ZERO,
                credit=data[f"credit_{i}"] or ZERO,
                label=data[f"label_{i}"],
            )
            for i in range(EntryForm.LINES)
            if data.get(f"account_{i}") is not None
        ]
        draft = EntryDraft(company.pk, data["journal"].pk, data["date"], lines, data["memo"])
        try:
            if "save_draft" in request.POST:
                entry = services.save_draft(Actor.of(request.user), draft)
            else:
                (entry_id,) = services.post_entries(Actor.of(request.user), [draft])
                entry = JournalEntry.objects.get(pk=entry_id)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{entry} saved.")
            return redirect("accounting:entry_detail", pk=entry.pk)
    context = {"title": "New journal entry", "form": form, "company": company}
    return render_page(request, "accounting/entry_form.html", context)


@login_required
@require_safe
def trial_balance(request: HttpRequest) -> HttpResponse:
    _require(request.user, JournalEntry)
    form = CompanyDateForm(_with_default_company(request), companies=_companies(request))
    rows = None
    if form.is_valid():
        company = form.cleaned_data["company"]
        as_of = form.cleaned_data["as_of"] or timezone.localdate()
        rows = selectors.trial_balance(company.pk, as_of)
        if request.GET.get("format") == "csv":
            return reports.csv_response(
                f"trial-balance-{company.code}-{as_of}.csv",
                ("code", "name", "account_type", "debit", "credit", "balance"),
                [reports.trial_balance_row(r) for r in rows],
            )
    context = {
        "title": "Trial balance",
        "form": form,
        "rows": rows,
        "total_debit": sum((r.debit for r in rows or []), ZERO),
        "total_credit": sum((r.credit for r in rows or []), ZERO),
    }
    return render_page(request, "accounting/trial_balance.html", context)


@login_required
@require_safe
def general_ledger(request: HttpRequest) -> HttpResponse:
    _require(request.user, JournalEntry)
    _require(request.user, Account)
    accounts = Account.objects.restrict(request.user).select_related("company")
    current = workspace_of(request).current
    if current is not None:
        accounts = accounts.filter(company=current)
    form = LedgerForm(request.GET or None, accounts=accounts.order_by("company", "code"))
    page = None
    if form.is_valid():
        data = form.cleaned_data
        page = selectors.general_ledger(
            data["account"], since=data["since"], until=data["until"], limit=100_000
        )
        if request.GET.get("format") == "csv":
            return reports.csv_response(
                f"ledger-{data['account'].code}.csv",
                ("date", "number", "label", "debit", "credit", "balance"),
                [reports.ledger_row(r) for r in page.rows],
            )
    rows = Paginator(page.rows, 100).get_page(request.GET.get("page")) if page else None
    context = {"title": "General ledger", "form": form, "ledger": page, "rows": rows}
    return render_page(request, "accounting/general_ledger.html", context)


@login_required
@require_safe
def stock_reconciliation(request: HttpRequest) -> HttpResponse:
    _require(request.user, JournalEntry)
    form = CompanyDateForm(_with_default_company(request), companies=_companies(request))
    rows = None
    if form.is_valid():
        company = form.cleaned_data["company"]
        as_of = form.cleaned_data["as_of"] or timezone.localdate()
        rows = selectors.stock_reconciliation(company.pk, as_of)
        if request.GET.get("format") == "csv":
            return reports.csv_response(
                f"stock-reconciliation-{company.code}-{as_of}.csv",
                ("product_label", "layers", "ledger", "difference"),
                [reports.reconciliation_row(r) for r in rows],
            )
    layers = sum((r.layers for r in rows or []), ZERO)
    ledger = sum((r.ledger for r in rows or []), ZERO)
    differences = [r for r in rows or [] if r.difference]
    context = {
        "title": "Stock valuation ↔ ledger",
        "form": form,
        "rows": Paginator(rows, 100).get_page(request.GET.get("page")) if rows else None,
        "layers": layers,
        "ledger": ledger,
        "difference": ledger - layers,
        "differences": differences,
        "shown": rows is not None,
    }
    return render_page(request, "accounting/stock_reconciliation.html", context)
