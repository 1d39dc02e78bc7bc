"""``GET /api/v1/audit-entries``: the audit trail, read-only.

Needs ``core.view_auditentry`` (controllers, executives, auditors,
administrators). Entries of companies outside the user's access are never
shown; entries without a company (group-wide reference data, users) are.
"""

import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from crossdock.api.errors import Problem
from crossdock.api.http import json_response
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import Text
from crossdock.core.models import AuditEntry
from crossdock.core.permissions import access_of

router = Router(tags=["Audit trail"])


class AuditEntryOut(Schema):
    id: int
    sequence: int
    recorded_at: datetime.datetime
    actor: int | None
    actor_label: str
    request_id: str
    action: str
    object_type: str = Field(description="app_label.model, e.g. masterdata.partner")
    object_id: str
    object_label: str
    company: int | None
    before: Any
    after: Any
    previous_hash: str
    entry_hash: str


class AuditEntryPage(Schema):
    items: list[AuditEntryOut]
    next_cursor: str | None


class AuditParams(Schema):
    object_type: Text | None = Field(None, max_length=100)
    object_id: Text | None = Field(None, max_length=64)
    cursor: Text | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=500)


def _serialize(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "sequence": entry.sequence,
        "recorded_at": entry.recorded_at.isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "request_id": entry.request_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_label": entry.object_label,
        "company": entry.company_id,
        "before": entry.before,
        "after": entry.after,
        "previous_hash": entry.previous_hash,
        "entry_hash": entry.entry_hash,
    }


@router.get(
    "/audit-entries",
    response={200: AuditEntryPage, frozenset({401, 403, 422}): Problem},
    operation_id="list_audit_entries",
    summary="List audit entries, newest first",
)
def list_audit_entries(request: HttpRequest, params: Query[AuditParams]) -> HttpResponse:
    refuse_unknown_params(request, AuditParams.model_fields)
    require_permission(request.user, AuditEntry, "view")
    entries = AuditEntry.objects.all()
    company_ids = access_of(request.user).company_ids
    if company_ids is not None:
        entries = entries.filter(Q(company_id__in=company_ids) | Q(company_id__isnull=True))
    if params.object_type:
        entries = entries.filter(object_type=params.object_type)
    if params.object_id:
        entries = entries.filter(object_id=params.object_id)
    page = paginate(entries, "-sequence", params.cursor, params.limit)
    return json_response(
        {"items": [_serialize(e) for e in page.rows], "next_cursor": page.next_cursor}
    )
