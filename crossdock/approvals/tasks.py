"""Background tasks of the approvals engine."""

from django.tasks import task

from crossdock.approvals.services import escalate_overdue


@task()
def escalate_overdue_steps() -> int:
    """Move approval steps past their SLA to their fallback approvers (run it every few minutes)."""
    return escalate_overdue()
