"""Service feeds one queue: customer cases past their SLA due times."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone

from crossdock.insight.queues.registry import HIGH, MEDIUM, Wanted, source
from crossdock.insight.queues.sources.common import link


@source(
    "service_case_past_sla",
    queue="service",
    label="Service cases past SLA",
    owner_role="service-agent",
    reads="service.view_servicecase",
)
def cases_past_sla(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """An open service case past its first-response due time without an answer, or past its
    resolution due time. Owned by the case's owner (else any service agent); high when the
    resolution is late. Closes when the case is resolved or closed."""
    from crossdock.service.models import ServiceCase
    from crossdock.service.services.escalation import overdue_cases

    now = timezone.now()
    rows = (
        ServiceCase.objects.filter(overdue_cases(now), company_id__in=company_ids)
        .order_by("pk")
        .values(
            "pk", "company_id", "number", "subject", "priority", "status", "owner_id",
            "customer__code", "customer__name", "first_response_at", "first_response_due",
            "resolve_due", "escalation_level",
        )
    )  # fmt: skip
    case_url = link("service:case_detail")
    for row in rows:
        resolution_late = row["resolve_due"] is not None and row["resolve_due"] < now
        due = row["resolve_due"] if resolution_late else row["first_response_due"]
        late = "resolution" if resolution_late else "first response"
        yield Wanted(
            key=f"service-case:{row['pk']}",
            company_id=row["company_id"],
            owner_id=row["owner_id"],
            severity=HIGH if resolution_late else MEDIUM,
            since=due,
            title=(
                f"{row['number']} of {row['customer__name']} is past its {late} due time: "
                f"{row['subject']}"
            )[:300],
            document_label=row["number"],
            document_url=case_url(row["pk"]),
            context={
                "customer": f"{row['customer__code']} {row['customer__name']}",
                "priority": row["priority"],
                "status": row["status"],
                "late": late,
                "due": due.isoformat() if due else None,
                "escalation_level": row["escalation_level"],
            },
        )
