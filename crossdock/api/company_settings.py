"""The GET and PATCH of a company's settings (``/api/v1/<module>-settings/{company_id}``).

Every module whose settings live in one row per company
(:mod:`crossdock.core.company_settings`) answers the same way: role permission on the
settings model (403), the company within the user's scope (404), the settings (the
defaults at version 0 until saved) with the version as ETag, and a PATCH that changes
only the fields sent, refusing a lost update from ``If-Match`` or ``version`` in the
body (412). A module's router keeps its schemas and its service; these helpers do the
rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse
from ninja import Schema

from crossdock.api.http import expected_version, json_response
from crossdock.api.queries import require_permission
from crossdock.core.company_settings import settings_for, settings_version
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError
from crossdock.masterdata.models import Company

Render = Callable[[Any], dict[str, Any]]
Update = Callable[..., Any]  # update(actor, company_id, changes, *, expected_version)


def scoped_company(user: Any, pk: int) -> Company:
    """The company if it is within the user's scope (404 otherwise)."""
    company = Company.objects.in_scope_of(user).filter(pk=pk).first()
    if company is None:
        raise NotFoundError(f"No company with id {pk}.")
    return company


def settings_response(model: type[models.Model], company_id: int, render: Render) -> HttpResponse:
    """The company's settings rendered, with their version as the ETag."""
    settings = settings_for(model, company_id)  # type: ignore[type-var]
    return json_response(render(settings), etag_version=settings_version(settings))


def get_company_settings(
    request: HttpRequest, model: type[models.Model], company_id: int, render: Render
) -> HttpResponse:
    require_permission(request.user, model, "view")
    company = scoped_company(request.user, company_id)
    return settings_response(model, company.pk, render)


def patch_company_settings(
    request: HttpRequest,
    model: type[models.Model],
    company_id: int,
    payload: Schema,
    if_match: str | None,
    *,
    update: Update,
    render: Render,
) -> HttpResponse:
    """Apply the fields sent (``version`` aside) through ``update`` and answer the result."""
    require_permission(request.user, model, "change")
    company = scoped_company(request.user, company_id)
    sent: Mapping[str, Any] = payload.model_dump(exclude_unset=True)
    changes = {k: v for k, v in sent.items() if k != "version"}
    update(
        Actor.of(request.user),
        company.pk,
        changes,
        expected_version=expected_version(if_match, sent.get("version")),
    )
    return settings_response(model, company.pk, render)
