"""Background tasks of the core (Django's tasks framework; ``crossdock worker`` runs them)."""

from django.tasks import task

from crossdock.core.checks import run_checks


@task()
def run_audit() -> dict[str, object]:
    """Run ``crossdock audit`` in the worker; returns a summary stored as the task result."""
    names, findings = run_checks()
    return {"checks": names, "problems": [f"{f.check}: {f.problem}" for f in findings]}
