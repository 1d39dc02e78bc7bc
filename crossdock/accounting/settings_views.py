"""The ledger settings screen: lock date, where price differences go, and which account holds
each posting role. Everything on the form is saved together or not at all."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from crossdock.accounting import services
from crossdock.accounting.chart_template import TEMPLATES
from crossdock.accounting.forms import DATE
from crossdock.accounting.models import Account, AccountRole, LedgerSettings, PriceDifference
from crossdock.accounting.views import _companies, _require
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.models import Company
from crossdock.web.views.common import render_page
from crossdock.web.workspace import workspace_of


class LedgerSettingsForm(forms.Form):
    lock_date = forms.DateField(
        label="Books locked up to", widget=DATE, required=False,
        help_text="Nothing dated on or before it can be posted. Leave empty to unlock.",
    )  # fmt: skip
    price_difference = forms.ChoiceField(
        label="Vendor-bill price differences go to", choices=PriceDifference.choices
    )

    def __init__(self, *args: Any, settings: LedgerSettings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        holders = services.accounts_by_role(settings.company_id)
        accounts = list(
            Account.objects.filter(company_id=settings.company_id, active=True).order_by("code")
        )
        self.roles: list[tuple[str, str]] = []
        for row in TEMPLATES.get(settings.chart_template, ()):
            if not row.role:
                continue
            fitting = [a for a in accounts if a.account_type == row.account_type]
            holder = holders.get(row.role)
            self.fields[f"role_{row.role}"] = forms.TypedChoiceField(
                label=AccountRole(row.role).label,
                choices=[(a.pk, str(a)) for a in fitting],
                coerce=int,
                initial=holder.pk if holder else None,
            )
            self.roles.append((row.role, f"role_{row.role}"))

    def role_fields(self) -> list[forms.BoundField]:
        return [self[name] for _, name in self.roles]

    def setting_fields(self) -> list[forms.BoundField]:
        return [self["lock_date"], self["price_difference"]]


def _company(request: HttpRequest) -> Company:
    chosen = request.GET.get("company") or request.POST.get("company")
    companies = _companies(request)
    if chosen:
        company = companies.filter(pk=chosen).first() if str(chosen).isdigit() else None
        if company is None:
            raise Http404("No such company in your scope.")
        return company
    current = workspace_of(request).current
    company = current if current is not None else companies.first()
    if company is None:
        raise Http404("No company in your scope.")
    return company


def _save(actor: Actor, company: Company, form: LedgerSettingsForm) -> None:
    """Apply the form in one transaction; a refusal undoes what was applied before it."""
    data = form.cleaned_data
    with transaction.atomic():
        settings = services.ensure_ledger(company.pk)
        if data["lock_date"] != settings.lock_date:
            services.set_lock_date(actor, company.pk, data["lock_date"])
        services.set_price_difference(actor, company.pk, data["price_difference"])
        holders = services.accounts_by_role(company.pk)
        for role, name in form.roles:
            wanted = data[name]
            if holders.get(role) is None or holders[role].pk != wanted:
                try:
                    services.assign_role(actor, company.pk, role, wanted)
                except DomainError as exc:
                    reason = next(iter(exc.fields.values()), [exc.message])[0]
                    raise DomainError(f"{name}: {reason}", fields={name: [reason]}) from exc


@login_required
@require_http_methods(["GET", "POST"])
def ledger_settings(request: HttpRequest) -> HttpResponse:
    _require(request.user, LedgerSettings)
    company = _company(request)
    settings = services.ensure_ledger(company.pk)
    can_change = has_model_permission(request.user, LedgerSettings, "change")
    initial = {"lock_date": settings.lock_date, "price_difference": settings.price_difference}
    if request.method == "POST":
        _require(request.user, LedgerSettings, "change")
        form = LedgerSettingsForm(request.POST, settings=settings)
        if form.is_valid():
            try:
                _save(Actor.of(request.user), company, form)
            except DomainError as exc:
                for field, problems in exc.fields.items():
                    target = field if field in form.fields else None
                    for problem in problems:
                        form.add_error(target, problem)
                if not exc.fields:
                    form.add_error(None, exc.message)
            else:
                messages.success(request, f"Ledger settings of {company.code} saved.")
                return redirect(f"{request.path}?company={company.pk}")
    else:
        form = LedgerSettingsForm(initial=initial, settings=settings)
    context = {
        "title": "Ledger settings",
        "company": company,
        "companies": _companies(request),
        "form": form,
        "can_change": can_change,
    }
    return render_page(request, "accounting/ledger_settings.html", context)
