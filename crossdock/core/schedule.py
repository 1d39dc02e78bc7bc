"""The schedule: background tasks that run by the clock (nightly replenishment, KPI snapshots …).

Design overview
---------------
Each app declares its periodic tasks with :func:`every` (in its ``tasks`` module):
a name, a cron expression in the server's time zone and the task. ``crossdock
scheduler`` wakes up, asks :func:`enqueue_due` what is due and hands each due
run to the task backend, where ``crossdock worker`` processes pick it up.

A run is claimed by inserting a :class:`~crossdock.core.models.ScheduledRun`
row for ``(name, due_at)`` — unique — in the same transaction as the enqueue, so
several scheduler processes never enqueue the same run twice, and a scheduler
that was down enqueues one catch-up run for what it missed, not one per missed
slot. The cron expression of an entry can be changed, or the entry switched off
with an empty string, through the ``CROSSDOCK_SCHEDULE`` setting.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cronsim import CronSim, CronSimError
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

# How far back a scheduler that has never run, or was down, looks for a slot it missed.
CATCH_UP = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Periodic:
    """A task run by the clock. ``kwargs`` are passed to the task each time."""

    name: str
    cron: str
    task: Any
    description: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def effective_cron(self) -> str:
        """The cron expression in force: the ``CROSSDOCK_SCHEDULE`` override, else the default."""
        overrides: dict[str, str] = getattr(settings, "CROSSDOCK_SCHEDULE", {})
        return overrides.get(self.name, self.cron)

    def slots(self, after: datetime.datetime) -> Iterator[datetime.datetime]:
        """The due times strictly after ``after``, in order (aware datetimes)."""
        zone = timezone.get_current_timezone()
        local = timezone.localtime(after, zone).replace(tzinfo=None, microsecond=0)
        for moment in CronSim(self.effective_cron, local):
            aware = timezone.make_aware(moment, zone)
            if aware > after:
                yield aware


SCHEDULE: dict[str, Periodic] = {}


def every(name: str, *, cron: str, task: Any, description: str, **kwargs: Any) -> Periodic:
    """Declare ``task`` to run whenever ``cron`` says; refuses a bad expression at import."""
    try:
        CronSim(cron, datetime.datetime(2000, 1, 1))
    except CronSimError as error:
        raise ValueError(f"Schedule {name!r}: cron {cron!r} is not valid ({error}).") from error
    if name in SCHEDULE and SCHEDULE[name].task is not task:
        raise ValueError(f"Schedule {name!r} is declared twice.")
    entry = Periodic(name=name, cron=cron, task=task, description=description, kwargs=kwargs)
    SCHEDULE[name] = entry
    return entry


def latest_due(entry: Periodic, now: datetime.datetime) -> datetime.datetime | None:
    """The most recent slot at or before ``now`` inside the catch-up window, if any."""
    if not entry.effective_cron:
        return None
    latest = None
    for slot in entry.slots(now - CATCH_UP):
        if slot > now:
            break
        latest = slot
    return latest


def next_due(entry: Periodic, now: datetime.datetime) -> datetime.datetime | None:
    """The first slot after ``now`` (``None`` when the entry is switched off)."""
    if not entry.effective_cron:
        return None
    return next(entry.slots(now), None)


@dataclass(frozen=True)
class Enqueued:
    name: str
    due_at: datetime.datetime
    task_id: str


def enqueue_due(now: datetime.datetime | None = None) -> list[Enqueued]:
    """Enqueue every entry whose latest slot has not been claimed yet; returns what it enqueued."""
    from crossdock.core.models import ScheduledRun

    now = now or timezone.now()
    enqueued: list[Enqueued] = []
    for entry in sorted(SCHEDULE.values(), key=lambda item: item.name):
        due_at = latest_due(entry, now)
        if due_at is None:
            continue
        if ScheduledRun.objects.filter(name=entry.name, due_at__gte=due_at).exists():
            continue
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(name=entry.name, due_at=due_at, enqueued_at=now)
                result = entry.task.enqueue(**entry.kwargs)
                run.task_id = str(result.id)
                run.save(update_fields=["task_id"])
        except IntegrityError:
            continue  # another scheduler claimed this slot first
        enqueued.append(Enqueued(name=entry.name, due_at=due_at, task_id=run.task_id))
    return enqueued


def seconds_until_next(now: datetime.datetime | None = None, ceiling: float = 60.0) -> float:
    """How long the scheduler may sleep: until the next slot of any entry, at most ``ceiling``."""
    now = now or timezone.now()
    upcoming = [due for entry in SCHEDULE.values() if (due := next_due(entry, now)) is not None]
    if not upcoming:
        return ceiling
    return max(0.0, min(ceiling, (min(upcoming) - now).total_seconds()))
