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


@dataclass(frozen=True)
class ExceptionItemOpened(DomainEvent):
    """An exception item was opened: something needs a person."""

    name = "insight.exception.opened"
    item_id: int
    kind: str
    queue: str
    key: str
    severity: int
    owner_role: str
    owner_id: int | None
    title: str


@dataclass(frozen=True)
class ExceptionItemClosed(DomainEvent):
    """An exception item was closed: its cause is gone (``resolved``) or a person dismissed it."""

    name = "insight.exception.closed"
    item_id: int
    kind: str
    queue: str
    key: str
    reason: str


@dataclass(frozen=True)
class ExceptionItemChanged(DomainEvent):
    """A person assigned, snoozed or ran the suggested action of an item (``change`` says which)."""

    name = "insight.exception.changed"
    item_id: int
    kind: str
    change: str
    actor_id: int | None = None
