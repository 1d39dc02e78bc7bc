"""The nightly KPI snapshot: every KPI × every dimension of one day, replaced atomically.

Design overview
---------------
:func:`take_snapshot` computes, for each registered KPI, the company totals and
one slice per dimension the KPI supports, each with the KPI's set-based
queries (no per-document loop), over the KPI's snapshot window ending on the
day (the day itself for flows, 30 days for stock ratios). Computing happens
before the transaction; the day's old rows are then deleted and the new ones
bulk-inserted in one transaction, so readers see the old day or the new day,
never half of each, and re-running a day replaces it. Figures of the present
(aged inventory, stockouts) are recorded only for today or yesterday: stock of
a past day cannot be read back from the quants.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from crossdock.core import events
from crossdock.insight.events import KpiSnapshotTaken
from crossdock.insight.models import KpiSnapshot
from crossdock.insight.registry import KPIS, Kpi, Scope


@dataclass(frozen=True)
class SnapshotResult:
    day: datetime.date
    rows: int
    replaced: int
    kpis: int


def snapshot_rows(
    kpi: Kpi, day: datetime.date, taken_at: datetime.datetime, today: datetime.date
) -> list[KpiSnapshot]:
    """The snapshot rows of one KPI for ``day`` (totals and every dimension), unsaved."""
    if kpi.point_in_time and day < today - datetime.timedelta(days=1):
        return []
    start = day - datetime.timedelta(days=kpi.snapshot_days - 1)
    rows = []
    for dimension in (None, *(d for d in kpi.dimensions if d != "company")):
        scope = Scope(start=start, end=day, by=dimension, today=today)
        for figure in kpi.figures(scope):
            rows.append(
                KpiSnapshot(
                    company_id=figure.company_id,
                    kpi=kpi.code,
                    day=day,
                    window_start=start,
                    dimension=dimension or "",
                    dimension_value=(figure.dimension_value or "") if dimension else "",
                    value=figure.value,
                    numerator=figure.numerator,
                    denominator=figure.denominator,
                    taken_at=taken_at,
                )
            )
    return rows


def take_snapshot(day: datetime.date, *, codes: list[str] | None = None) -> SnapshotResult:
    """Compute every KPI (or those named) for ``day`` and replace that day's rows at once."""
    today = timezone.localdate()
    if day > today:
        raise ValueError(f"{day} is in the future; a snapshot records a day that has begun.")
    taken_at = timezone.now()
    chosen = [KPIS[code] for code in (codes or sorted(KPIS))]
    rows = [row for kpi in chosen for row in snapshot_rows(kpi, day, taken_at, today)]
    with transaction.atomic():
        old = KpiSnapshot.objects.filter(day=day, kpi__in=[k.code for k in chosen])
        replaced, _ = old.delete()
        KpiSnapshot.objects.bulk_create(rows, batch_size=2000)
        events.publish(KpiSnapshotTaken(day, len(rows), replaced))
    return SnapshotResult(day, len(rows), replaced, len(chosen))
