"""The company switcher: which of the user's companies lists show by default."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.masterdata.services import switch_company as switch_company_service
from crossdock.web.workspace import workspace_of


@login_required
@require_POST
def switch_company(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("web:home")
    company = workspace_of(request).company(request.POST.get("company", "")[:20])
    if company is None:
        messages.error(request, "Choose one of your companies.")
        return redirect(next_url)
    try:
        switch_company_service(Actor.of(request.user), company)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, f"Now working in {company.name}.")
    return redirect(next_url)
