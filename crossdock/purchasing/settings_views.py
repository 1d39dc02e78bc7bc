"""The purchasing settings screen under ``/purchasing/settings/``: a company's receiving and
matching tolerances and the reminder period of unconfirmed orders.

Thin like :mod:`crossdock.purchasing.views`: whoever may view the settings sees them
(read-only without ``change_purchasingsettings``), a company outside the user's scope is
a 404, and a save is one service call; a refusal is shown on the field it names and
nothing is written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from crossdock.core.audit import history_of
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, StaleVersionError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.models import Company
from crossdock.purchasing import forms as pf
from crossdock.purchasing.models import PurchasingSettings
from crossdock.purchasing.selectors import settings_for
from crossdock.purchasing.services.settings import (
    FIELDS,
    settings_version,
    update_purchasing_settings,
)
from crossdock.web.navigation import AUDIT_PERMISSION
from crossdock.web.views.audit import visible_entries
from crossdock.web.views.common import chosen_company, render_page

HISTORY_LIMIT = 20


def _plain(value: Decimal) -> str:
    """``2.0000`` as ``2``, ``0.5000`` as ``0.5`` (never ``1E+2``)."""
    return f"{value.normalize():f}"


def _initial(settings: PurchasingSettings) -> dict[str, Any]:
    return {
        "over_receipt_percent": _plain(settings.over_receipt_percent),
        "price_tolerance_percent": _plain(settings.price_tolerance_percent),
        "quantity_tolerance_percent": _plain(settings.quantity_tolerance_percent),
        "confirmation_reminder_days": settings.confirmation_reminder_days,
        "version": settings_version(settings),
    }


@login_required
@require_http_methods(["GET", "POST"])
def purchasing_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_model_permission(user, PurchasingSettings, "view"):
        raise PermissionDenied("Your role does not allow you to view purchasing settings.")
    company = chosen_company(request)
    may_change = has_model_permission(user, PurchasingSettings, "change")
    settings = settings_for(company.pk)
    status = 200
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied("Your role does not allow you to change purchasing settings.")
        form = pf.PurchasingSettingsForm(request.POST, initial=_initial(settings))
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in FIELDS}
            try:
                update_purchasing_settings(
                    Actor.of(user), company.pk, data, expected_version=form.cleaned_data["version"]
                )
            except StaleVersionError as error:
                form.add_error(None, error.message)
            except DomainError as error:
                pf.show_refusal(error, form)
            else:
                messages.success(request, f"Purchasing settings of {company.code} saved.")
                return redirect(f"{reverse('purchasing:settings')}?company={company.pk}")
        status = 422
    else:
        form = pf.PurchasingSettingsForm(initial=_initial(settings), read_only=not may_change)
    history = None
    if settings.pk is not None and user.has_perm(AUDIT_PERMISSION):
        history = list(visible_entries(user, history_of(settings))[:HISTORY_LIMIT])
    context = {
        "title": "Purchasing settings",
        "company": company,
        "companies": Company.objects.in_scope_of(user).order_by("code"),
        "form": form,
        "settings": settings,
        "saved": settings.pk is not None,
        "can_change": may_change,
        "history": history,
    }
    return render_page(request, "purchasing/settings.html", context, status=status)
