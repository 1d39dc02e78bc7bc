"""Background tasks of planning (``crossdock worker`` runs them).

``run_nightly_replenishment`` plans every active company (``crossdock scheduler``
enqueues it every night; ``crossdock replenish`` enqueues it by hand);
``run_company_replenishment`` plans one company on demand (the API queues it).
"""

from django.tasks import task

from crossdock.core.schedule import every


@task()
def run_company_replenishment(
    company_id: int, reuse_forecasts: bool = False, user_id: int | None = None
) -> dict[str, object]:
    """Plan one company; returns the run's id, state and counts (a failed run says why)."""
    from crossdock.core.context import Actor
    from crossdock.core.models import User
    from crossdock.planning.services.run import run_replenishment

    user = User.objects.filter(pk=user_id).first() if user_id else None
    actor = Actor.of(user) if user is not None else Actor.system("replenishment")
    run = run_replenishment(company_id, actor=actor, reuse_forecasts=reuse_forecasts)
    return {
        "run": run.pk,
        "state": run.state,
        "suggestions": run.suggestions_count,
        "exceptions": run.exceptions_count,
        "error": run.error,
    }


@task()
def run_nightly_replenishment(reuse_forecasts: bool = False) -> list[dict[str, object]]:
    """Plan every active company, one after the other; one failing does not stop the rest."""
    from crossdock.masterdata.models import Company
    from crossdock.planning.services.run import run_replenishment

    results: list[dict[str, object]] = []
    for company_id in (
        Company.objects.filter(active=True).order_by("pk").values_list("pk", flat=True)
    ):
        run = run_replenishment(company_id, reuse_forecasts=reuse_forecasts)
        results.append({"company": company_id, "run": run.pk, "state": run.state})
    return results


every(
    "planning.nightly-replenishment",
    cron="30 2 * * *",
    task=run_nightly_replenishment,
    description="Plan every active company: forecasts, policies, suggestions, exceptions",
)
