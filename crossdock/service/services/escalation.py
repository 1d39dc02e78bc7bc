"""Escalating cases past their SLA due times; run by the clock every 15 minutes.

:func:`escalate_overdue_cases` finds, in one query, the open cases whose first
response is overdue (no response and ``first_response_due`` passed: level 1) or
whose resolution is overdue (``resolve_due`` passed: level 2) and whose
escalation level is below that. It raises each to its level, stamps
``escalated_at`` and audits and publishes ``service.case.escalated`` per case.
A case already at its level is left alone, so running it again changes
nothing (idempotent), and a case answered or resolved in time never escalates.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, Value, When

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.service.models import OPEN_STATUSES, ServiceCase
from crossdock.service.models.cases import RESOLUTION_LATE, RESPONSE_LATE
from crossdock.service.services.common import changed

SYSTEM = Actor.system("service SLA escalation")


@dataclass(frozen=True)
class EscalationResult:
    escalated: int
    case_ids: list[int]


def overdue_level(now: datetime.datetime) -> Case:
    """The level a case should be at, at ``now`` (0: on time)."""
    return Case(
        When(resolve_due__lt=now, then=Value(RESOLUTION_LATE)),
        When(first_response_at__isnull=True, first_response_due__lt=now, then=Value(RESPONSE_LATE)),
        default=Value(0),
        output_field=IntegerField(),
    )


def overdue_cases(now: datetime.datetime) -> Q:
    """Open cases past a due time they have not met."""
    return Q(status__in=OPEN_STATUSES) & (
        Q(resolve_due__lt=now) | Q(first_response_at__isnull=True, first_response_due__lt=now)
    )


def escalate_overdue_cases(now: datetime.datetime, actor: Actor = SYSTEM) -> EscalationResult:
    """Raise every overdue open case to its escalation level (idempotent)."""
    with transaction.atomic():
        cases = list(
            ServiceCase.objects.select_for_update(of=("self",))
            .filter(overdue_cases(now))
            .annotate(due_level=overdue_level(now))
            .filter(escalation_level__lt=F("due_level"))
            .order_by("pk")
        )
        escalated = []
        for case in cases:
            before = audit.snapshot(case)
            case.escalation_level = case.due_level
            case.escalated_at = now
            case.version += 1
            case.save(update_fields=["escalation_level", "escalated_at", "version", "updated_at"])
            changed(actor, case, "escalated", before)
            escalated.append(case.pk)
        return EscalationResult(len(escalated), escalated)
