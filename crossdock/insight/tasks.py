"""Background tasks of insight (``crossdock worker`` runs them)."""

import datetime

from django.tasks import task
from django.utils import timezone

from crossdock.core.schedule import every


@task()
def take_kpi_snapshot(day: str | None = None) -> dict[str, object]:
    """Snapshot every KPI for ``day`` (ISO date; default yesterday); run it every night."""
    from crossdock.insight.services.snapshots import take_snapshot

    when = (
        datetime.date.fromisoformat(day)
        if day
        else timezone.localdate() - datetime.timedelta(days=1)
    )
    result = take_snapshot(when)
    return {"day": result.day.isoformat(), "rows": result.rows, "replaced": result.replaced}


every(
    "insight.kpi-snapshot",
    cron="15 1 * * *",
    task=take_kpi_snapshot,
    description="Snapshot every KPI for yesterday",
)


@task()
def refresh_exception_queues(kinds: list[str] | None = None) -> dict[str, int]:
    """Open, refresh and close the exception-queue items of every kind (or those named)."""
    from crossdock.insight.queues.services import refresh_queues

    result = refresh_queues(kinds=kinds)
    return {"opened": result.opened, "refreshed": result.refreshed, "closed": result.closed}


every(
    "insight.exception-queues",
    cron="*/15 * * * *",
    task=refresh_exception_queues,
    description="Open, refresh and close the exception-queue items",
)
