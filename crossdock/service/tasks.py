"""Background tasks of service (``crossdock worker`` runs them)."""

from django.tasks import task
from django.utils import timezone

from crossdock.core.schedule import every


@task()
def escalate_overdue_service_cases() -> dict[str, int]:
    """Escalate the open cases past their SLA due times; run it every 15 minutes."""
    from crossdock.service.services.escalation import escalate_overdue_cases

    result = escalate_overdue_cases(timezone.now())
    return {"escalated": result.escalated}


every(
    "service.escalations",
    cron="*/15 * * * *",
    task=escalate_overdue_service_cases,
    description="Escalate service cases past their SLA due times",
)
