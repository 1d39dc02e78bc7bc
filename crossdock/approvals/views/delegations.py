"""Out of office: delegating one's approvals for a date range."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from crossdock.approvals import services
from crossdock.approvals.forms import DelegationForm
from crossdock.approvals.models import Delegation
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.web.forms import add_domain_error
from crossdock.web.views.common import render_page


@login_required
@require_http_methods(["GET", "POST"])
def delegations(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = DelegationForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.set_delegation(Actor.of(user), delegator=user, **form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status
            else:
                messages.success(request, "Delegation saved.")
                return redirect("approvals:delegations")
        else:
            status = 422
    today = timezone.now().date()
    context = {
        "title": "Out of office",
        "form": form,
        "given": Delegation.objects.filter(delegator=user, ends_on__gte=today).select_related(
            "delegate"
        ),
        "received": Delegation.objects.filter(delegate=user, ends_on__gte=today).select_related(
            "delegator"
        ),
        "today": today,
    }
    return render_page(request, "approvals/delegations.html", context, status=status)
