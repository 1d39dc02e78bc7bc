"""Moving a case through its life: progress, waiting, resolved, closed, reopened.

Allowed moves (anything else is a 409 naming ``status``, nothing written)::

    open, waiting        → in progress
    open, in progress    → waiting on customer
    open, in progress,
    waiting              → resolved   (stamps resolved_at, and the first response if none)
    resolved             → closed     (stamps closed_at)
    resolved, closed     → open       (reopened: both stamps cleared, due times kept)
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.errors import refuse_if
from crossdock.service.models import OPEN_STATUSES, CaseStatus, ServiceCase
from crossdock.service.services.cases import DESCRIPTION_LENGTH
from crossdock.service.services.common import changed, in_status, visible_case

MOVES: dict[str, tuple[str, ...]] = {
    CaseStatus.IN_PROGRESS: (CaseStatus.OPEN, CaseStatus.WAITING),
    CaseStatus.WAITING: (CaseStatus.OPEN, CaseStatus.IN_PROGRESS),
    CaseStatus.RESOLVED: OPEN_STATUSES,
    CaseStatus.CLOSED: (CaseStatus.RESOLVED,),
    CaseStatus.OPEN: (CaseStatus.RESOLVED, CaseStatus.CLOSED),
}
CHANGE_NAMES: dict[str, str] = {
    CaseStatus.IN_PROGRESS: "in-progress",
    CaseStatus.WAITING: "waiting",
    CaseStatus.RESOLVED: "resolved",
    CaseStatus.CLOSED: "closed",
    CaseStatus.OPEN: "reopened",
}


def change_status(
    actor: Actor,
    case_id: Any,
    status: str,
    note: str = "",
    *,
    at: datetime.datetime | None = None,
    version: int | None = None,
) -> ServiceCase:
    """Move the case to ``status`` if its life allows it from where it is."""
    if status not in MOVES:
        refuse_if({"status": [f"One of {', '.join(MOVES)}."]})
    if len(note) > DESCRIPTION_LENGTH:
        refuse_if({"note": [f"At most {DESCRIPTION_LENGTH} characters."]})
    with transaction.atomic():
        case = visible_case(actor, case_id, "change", version)
        in_status(case, *MOVES[status])
        before = audit.snapshot(case)
        when = max(at or timezone.now(), case.opened_at)
        case.status = status
        if status == CaseStatus.RESOLVED:
            case.resolved_at = when
            case.first_response_at = case.first_response_at or when
            case.resolution = note.strip() or case.resolution
        elif status == CaseStatus.CLOSED:
            case.closed_at = max(when, case.resolved_at or when)
        elif status == CaseStatus.OPEN:
            case.resolved_at = None
            case.closed_at = None
        case.version = F("version") + 1
        case.save()
        case.refresh_from_db()
        return changed(actor, case, CHANGE_NAMES[status], before, note=note.strip())


def resolve_case(actor: Actor, case_id: Any, resolution: str = "", **kwargs: Any) -> ServiceCase:
    """Resolve the case, saying what was done."""
    return change_status(actor, case_id, CaseStatus.RESOLVED, resolution, **kwargs)


def close_case(actor: Actor, case_id: Any, note: str = "", **kwargs: Any) -> ServiceCase:
    """Close a resolved case (the customer agreed, or the time to object passed)."""
    return change_status(actor, case_id, CaseStatus.CLOSED, note, **kwargs)


def reopen_case(actor: Actor, case_id: Any, note: str = "", **kwargs: Any) -> ServiceCase:
    """Open a resolved or closed case again (the problem came back)."""
    return change_status(actor, case_id, CaseStatus.OPEN, note, **kwargs)
