"""What a person sees of the exception queues: visible items and the queue summaries.

A person sees an item when one of their roles grants ``insight.view_exceptionitem``, the
item is in one of their companies (and warehouses), and either they hold the kind's
owner role, may read the documents the kind is about (its ``reads`` permission), or own
the item.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from crossdock.insight.models import ExceptionItem
from crossdock.insight.queues.registry import SOURCES

QUEUE_LABELS = {
    "purchasing": "Purchasing",
    "planning": "Planning",
    "payables": "Accounts payable",
    "credit": "Credit control",
    "approvals": "Approvals",
    "warehouse": "Warehouse",
    "returns": "Customer returns",
    "service": "Service cases",
    "anomalies": "Anomalies",
}


def queue_label(queue: str) -> str:
    return QUEUE_LABELS.get(queue, queue.replace("_", " ").replace("-", " ").capitalize())


def roles_of(user: Any) -> frozenset[str]:
    cached = getattr(user, "_crossdock_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._crossdock_roles = cached
    return cached


def visible_kinds(user: Any) -> list[str]:
    """The kinds whose items the user sees (by owner role or by the documents' permission)."""
    if user.is_superuser:
        return sorted(SOURCES)
    roles = roles_of(user)
    return sorted(
        kind
        for kind, source in SOURCES.items()
        if source.owner_role in roles or (source.reads and user.has_perm(source.reads))
    )


def visible_items(user: Any, action: str = "view") -> QuerySet[ExceptionItem]:
    """The items the user may see (``action`` "change": may work)."""
    rows = ExceptionItem.objects.restrict(user, action)
    return rows.filter(Q(kind__in=visible_kinds(user)) | Q(owner_id=user.pk))


def open_items(rows: QuerySet[ExceptionItem], *, snoozed: bool = False) -> QuerySet[ExceptionItem]:
    """Open items; snoozed ones only when asked for."""
    rows = rows.filter(closed_at__isnull=True)
    if not snoozed:
        rows = rows.filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=timezone.now()))
    return rows


@dataclass(frozen=True)
class QueueSummary:
    queue: str
    label: str
    kinds: list[dict[str, str]]
    open: int
    low: int
    medium: int
    high: int
    oldest_since: datetime.datetime | None

    @property
    def oldest_age_days(self) -> int | None:
        if self.oldest_since is None:
            return None
        return (timezone.now() - self.oldest_since).days


def queue_summaries(user: Any, rows: QuerySet[ExceptionItem] | None = None) -> list[QueueSummary]:
    """One summary per queue the user sees: open items by severity and the oldest's start."""
    kinds = visible_kinds(user)
    queues: dict[str, list[dict[str, str]]] = {}
    for kind in kinds:
        source = SOURCES[kind]
        queues.setdefault(source.queue, []).append({"kind": kind, "label": source.label})
    base = open_items(rows if rows is not None else visible_items(user))
    counts: dict[str, dict[int, int]] = {}
    oldest: dict[str, datetime.datetime] = {}
    grouped = (
        base.order_by().values("queue", "severity").annotate(n=Count("pk"), first=Min("since"))
    )
    for row in grouped:
        queue = row["queue"]
        counts.setdefault(queue, {1: 0, 2: 0, 3: 0})[row["severity"]] = row["n"]
        if queue not in oldest or row["first"] < oldest[queue]:
            oldest[queue] = row["first"]
        queues.setdefault(queue, [])
    order = list(QUEUE_LABELS)
    summaries = []
    for queue in sorted(queues, key=lambda q: (order.index(q) if q in order else 99, q)):
        found = counts.get(queue, {1: 0, 2: 0, 3: 0})
        summaries.append(
            QueueSummary(
                queue=queue,
                label=queue_label(queue),
                kinds=queues[queue],
                open=found[1] + found[2] + found[3],
                low=found[1],
                medium=found[2],
                high=found[3],
                oldest_since=oldest.get(queue),
            )
        )
    return summaries


def owner_candidates(items: list[ExceptionItem]) -> dict[tuple[int, str], list[tuple[int, str]]]:
    """(company, owner role) → the active users of that role with access to the company.

    Who an item may be given to from the queue screen, as (id, username) pairs ordered by
    username; one query for all the items of a page.
    """
    from crossdock.core.models import User

    wanted = {(item.company_id, item.owner_role) for item in items if item.owner_role}
    found: dict[tuple[int, str], list[tuple[int, str]]] = {key: [] for key in wanted}
    if not wanted:
        return found
    companies = {company for company, _ in wanted}
    rows = (
        User.objects.filter(is_active=True, groups__name__in={role for _, role in wanted})
        .filter(Q(is_superuser=True) | Q(access__companies__id__in=companies))
        .order_by("username")
        .values_list("pk", "username", "groups__name", "is_superuser", "access__companies__id")
        .distinct()
    )
    for pk, username, role, superuser, company in rows:
        for key in [(c, role) for c in companies] if superuser else [(company, role)]:
            if key in found and (pk, username) not in found[key]:
                found[key].append((pk, username))
    return found
