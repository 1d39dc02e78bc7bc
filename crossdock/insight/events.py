"""Insight's domain events (past tense; webhooks subscribe to them)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from crossdock.core.events import DomainEvent


@dataclass(frozen=True)
class KpiSnapshotTaken(DomainEvent):
    """The KPI figures of a day were (re)computed: ``rows`` written, ``replaced`` removed."""

    name = "insight.kpi-snapshot.taken"
    day: datetime.date
    rows: int
    replaced: int
