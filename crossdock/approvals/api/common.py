"""What every approvals endpoint shares: the router, error statuses, paging and scope checks."""

from typing import Any

from django.http import HttpResponse
from ninja import Router

from crossdock.api.http import json_response
from crossdock.core.errors import DomainError
from crossdock.masterdata.models import Company

router = Router(tags=["Approvals"])

ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422})


def company_in_scope(user: Any, company_id: int) -> None:
    """422 naming ``company`` when the user may not work in it (its existence does not leak)."""
    if not Company.objects.in_scope_of(user).filter(pk=company_id).exists():
        raise DomainError(
            f"company: no company with id {company_id}.",
            fields={"company": [f"No company with id {company_id}."]},
        )


def page_response(items: list[dict[str, Any]], next_cursor: str | None) -> HttpResponse:
    return json_response({"items": items, "next_cursor": next_cursor})
