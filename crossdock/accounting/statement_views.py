"""Finance screens for the statements: balance sheet, profit and loss, the consolidated group,
aged receivables and payables (with drill-down to a partner's open items) and GRNI — each with
CSV and XLSX downloads of exactly what is shown."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from crossdock.accounting import exports, statements
from crossdock.accounting.forms import DATE
from crossdock.accounting.models import Installment, JournalEntry, Payment, Side
from crossdock.accounting.views import _companies, _require, _with_default_company
from crossdock.core.errors import DomainError
from crossdock.masterdata.models import Company, Currency
from crossdock.web.views.common import render_page

BUCKETS = (30, 60, 90)


class StatementForm(forms.Form):
    company = forms.ModelChoiceField(label="Company", queryset=Company.objects.none())
    date_from = forms.DateField(label="From", required=False, widget=DATE)
    as_of = forms.DateField(label="To / as of", required=False, widget=DATE,
                            help_text="Leave empty for today.")  # fmt: skip

    def __init__(self, *args: Any, companies: Any, period: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies  # type: ignore[attr-defined]
        if not period:
            del self.fields["date_from"]


class GroupForm(forms.Form):
    date_from = forms.DateField(label="From", required=False, widget=DATE)
    as_of = forms.DateField(label="To / as of", required=False, widget=DATE)
    currency = forms.ModelChoiceField(label="Reporting currency", required=False,
                                      queryset=Currency.objects.filter(active=True))  # fmt: skip

    def __init__(self, *args: Any, period: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not period:
            del self.fields["date_from"]


def _show(
    request: HttpRequest,
    title: str,
    form: forms.Form,
    table: tuple[list[str], list[list[Any]]] | None,
    filename: str,
    **extra: Any,
) -> HttpResponse:
    fmt = request.GET.get("format")
    if table is not None and fmt in ("csv", "xlsx"):
        return exports.file_response(filename, *table, fmt)
    header, rows = table if table is not None else ([], [])
    context = {"title": title, "form": form, "header": header, "rows": rows, **extra}
    return render_page(request, "accounting/statement.html", context)


def _statement_page(request: HttpRequest, period: bool) -> HttpResponse:
    _require(request.user, JournalEntry)
    form = StatementForm(
        _with_default_company(request), companies=_companies(request), period=period
    )
    table, filename, note = None, "statement", ""
    title = "Profit and loss" if period else "Balance sheet"
    if form.is_valid():
        company = form.cleaned_data["company"]
        as_of = form.cleaned_data["as_of"] or timezone.localdate()
        if period:
            start = form.cleaned_data["date_from"] or as_of.replace(month=1, day=1)
            statement = statements.profit_and_loss(company.pk, start, as_of)
            note = f"Result: {statement.result} {statement.currency}"
        else:
            statement = statements.balance_sheet(company.pk, as_of)
        table = exports.statement_table(statement)
        filename, title = statement.title.lower().replace(" ", "-"), statement.title
    return _show(request, title, form, table, filename, note=note)


@login_required
@require_safe
def balance_sheet(request: HttpRequest) -> HttpResponse:
    return _statement_page(request, period=False)


@login_required
@require_safe
def profit_and_loss(request: HttpRequest) -> HttpResponse:
    return _statement_page(request, period=True)


def _group_page(request: HttpRequest, period: bool) -> HttpResponse:
    _require(request.user, JournalEntry)
    form = GroupForm(request.GET or None, period=period)
    companies = list(_companies(request).select_related("base_currency"))
    table, title, note = None, "Consolidated statements", ""
    if companies and (form.is_valid() or not request.GET):
        data = form.cleaned_data if form.is_bound else {}
        as_of = data.get("as_of") or timezone.localdate()
        currency = data.get("currency") or companies[0].base_currency
        start = (data.get("date_from") or as_of.replace(month=1, day=1)) if period else None
        try:
            statement = statements.consolidated(companies, currency, as_of, start)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            table, title, note = exports.statement_table(statement), statement.title, statement.note
    return _show(request, title, form, table, title.lower().replace(" ", "-"), note=note)


@login_required
@require_safe
def consolidated_balance_sheet(request: HttpRequest) -> HttpResponse:
    return _group_page(request, period=False)


@login_required
@require_safe
def consolidated_profit_and_loss(request: HttpRequest) -> HttpResponse:
    return _group_page(request, period=True)


def _aged_page(request: HttpRequest, side: Side) -> HttpResponse:
    _require(request.user, Payment)
    form = StatementForm(_with_default_company(request), companies=_companies(request),
                         period=False)  # fmt: skip
    table, title, items, filename = None, f"Aged {side}s", None, f"aged-{side}s"
    if form.is_valid():
        company = form.cleaned_data["company"]
        as_of = form.cleaned_data["as_of"] or timezone.localdate()
        partner = request.GET.get("partner")
        partner_id = int(partner) if partner and partner.isdigit() else None
        rows = statements.aged_balances(company.pk, side, as_of, BUCKETS, partner_id)
        table = exports.aged_table(rows, BUCKETS)
        title = f"Aged {side}s {company.code} on {as_of}"
        filename = f"aged-{side}s-{company.code}-{as_of}"
        if partner_id is not None:
            items = (
                Installment.objects.filter(company=company, side=side, partner_id=partner_id)
                .exclude(open_amount=0)
                .select_related("invoice", "currency")
                .order_by("due_date", "pk")
            )
    return _show(request, title, form, table, filename, items=items, drill=True)


@login_required
@require_safe
def aged_receivables(request: HttpRequest) -> HttpResponse:
    return _aged_page(request, Side.RECEIVABLE)


@login_required
@require_safe
def aged_payables(request: HttpRequest) -> HttpResponse:
    return _aged_page(request, Side.PAYABLE)


@login_required
@require_safe
def grni(request: HttpRequest) -> HttpResponse:
    _require(request.user, JournalEntry)
    form = StatementForm(_with_default_company(request), companies=_companies(request),
                         period=False)  # fmt: skip
    table, title, note = None, "Goods received not invoiced", ""
    if form.is_valid():
        company = form.cleaned_data["company"]
        table = exports.grni_table(statements.grni(company.pk))
        title = f"Goods received not invoiced {company.code}"
        note = f"GRNI account: {statements.grni_ledger_balance(company.pk)}"
    return _show(request, title, form, table, "grni", note=note)
