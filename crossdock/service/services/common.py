"""What every service of cases shares: the row lock, visibility, the audit-and-event step."""

from __future__ import annotations

from typing import Any

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, NotFoundError, StaleVersionError
from crossdock.core.permissions import require
from crossdock.service.events import ServiceCaseChanged
from crossdock.service.models import CaseStatus, ServiceCase


def lock_case(case_id: Any) -> ServiceCase:
    """The case, locked for the rest of the transaction."""
    found = (
        ServiceCase.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
        if str(case_id).isdigit()
        else None
    )
    if found is None:
        raise NotFoundError(f"No service case with id {case_id}.")
    return found


def visible_case(
    actor: Actor, case_id: Any, action: str, version: int | None = None
) -> ServiceCase:
    """Lock the case and check the actor may ``action`` it (cases out of scope are not found)."""
    visible = ServiceCase.objects.restrict(actor.user) if actor.user is not None else None
    if visible is not None and not (
        str(case_id).isdigit() and visible.filter(pk=int(case_id)).exists()
    ):
        raise NotFoundError(f"No service case with id {case_id}.")
    case = lock_case(case_id)
    require(actor, case, action)
    if version is not None and version != case.version:
        raise StaleVersionError(
            f"{case.number} was changed by someone else (version {case.version}); reload it.",
            fields={"version": ["Does not match the current version."]},
        )
    return case


def in_status(case: ServiceCase, *statuses: str) -> None:
    if case.status not in statuses:
        wanted = " or ".join(CaseStatus(s).label.lower() for s in statuses)
        raise ConflictError(
            f"{case.number} is {case.get_status_display().lower()}; it must be {wanted}.",
            fields={"status": [f"Must be {wanted}."]},
        )


def changed(
    actor: Actor, case: ServiceCase, change: str, before: dict[str, Any] | None, **extra: Any
) -> ServiceCase:
    """Audit the saved change (before/after, and ``extra`` such as a note) and publish
    ``service.case.<change>``."""
    after = {**audit.snapshot(case), **extra}
    action = "create" if before is None else f"service.case.{change}"
    audit.record(actor, audit.Change(action, case, before, after))
    events.publish(ServiceCaseChanged(case.pk, change, company_id=case.company_id))
    return case
