"""Refreshing the exception queues and working their items.

Design overview
---------------
:func:`refresh_queues` (the worker runs it every 15 minutes; ``crossdock refresh-queues``
runs or enqueues it) asks each registered source what should be open today and compares
that with the open items of the source's kind, set-based, in one transaction per kind:
new causes are bulk-inserted, causes still there are bulk-updated (title, context,
severity, suggested action…), and the items whose cause is gone are closed with one
UPDATE (``close_reason`` "resolved"). Each opening and closing publishes
``insight.exception.opened`` / ``.closed`` for webhooks. A cause a person dismissed is
not raised again while it lasts; once it is gone, a new occurrence opens a new item.

The buyers' purchasing exceptions are refreshed first (their own service), since the
purchasing sources read them.

People work items through :func:`assign_item`, :func:`snooze_item`, :func:`dismiss_item`
and :func:`run_action` — each audited, in one transaction, publishing
``insight.exception.changed`` or ``.closed``. :func:`run_action` checks the action's
permission and that the person may see the item, runs the module's service, records the
outcome on the item and refreshes the item's kind so it closes at once if the action
removed its cause.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from crossdock.core.permissions import access_of
from crossdock.insight.events import ExceptionItemChanged, ExceptionItemClosed, ExceptionItemOpened
from crossdock.insight.models import ExceptionItem
from crossdock.insight.queues import selectors, thresholds
from crossdock.insight.queues.registry import ACTIONS, SOURCES, Source, Wanted

RESOLVED, DISMISSED, DISMISSAL_LAPSED = "resolved", "dismissed", "dismissal-lapsed"
# Other actions a person may choose instead of an item's suggested one.
ALTERNATIVES: dict[str, tuple[str, ...]] = {"release_credit_hold": ("keep_credit_hold",)}
REFRESHED_FIELDS = [
    "queue",
    "warehouse",
    "severity",
    "owner_role",
    "owner",
    "title",
    "context",
    "document_label",
    "document_url",
    "action",
    "action_label",
    "action_params",
    "since",
    "refreshed_at",
    "updated_at",
]


@dataclass
class KindResult:
    opened: int = 0
    refreshed: int = 0
    closed: int = 0


@dataclass
class RefreshResult:
    opened: int = 0
    refreshed: int = 0
    closed: int = 0
    kinds: dict[str, KindResult] = field(default_factory=dict)


def _companies() -> frozenset[int]:
    from crossdock.masterdata.models import Company

    return frozenset(Company.objects.values_list("pk", flat=True))


def refresh_queues(
    today: datetime.date | None = None,
    kinds: list[str] | None = None,
    *,
    upstream: bool = True,
) -> RefreshResult:
    """Open, refresh and close the items of every kind (or those named) to match today."""
    today = today or timezone.localdate()
    unknown = sorted(set(kinds or []) - set(SOURCES))
    if unknown:
        message = f"unknown exception kind(s): {', '.join(unknown)}"
        raise DomainError(f"kinds: {message}.", fields={"kinds": [message]})
    chosen = [SOURCES[kind] for kind in (kinds or sorted(SOURCES))]
    if upstream and any(s.queue == "purchasing" for s in chosen):
        from crossdock.purchasing.services.exceptions import refresh_exceptions

        refresh_exceptions(today)
    companies = _companies()
    result = RefreshResult()
    with thresholds.read_once():
        for source in chosen:
            done = refresh_kind(source, today, companies)
            result.kinds[source.kind] = done
            result.opened += done.opened
            result.refreshed += done.refreshed
            result.closed += done.closed
    return result


def _clean(source: Source, wanted: Wanted, now: datetime.datetime) -> dict[str, Any]:
    return {
        "company_id": wanted.company_id,
        "warehouse_id": wanted.warehouse_id,
        "queue": source.queue,
        "severity": min(max(int(wanted.severity), 1), 3),
        "owner_role": wanted.owner_role or source.owner_role,
        "owner_id": wanted.owner_id,
        "title": wanted.title[:300],
        "context": wanted.context,
        "document_label": wanted.document_label[:120],
        "document_url": wanted.document_url[:300],
        "action": wanted.action,
        "action_label": wanted.action_label[:300],
        "action_params": wanted.action_params,
        "since": wanted.since or now,
    }


def refresh_kind(source: Source, today: datetime.date, companies: frozenset[int]) -> KindResult:
    """Bring the open items of one kind in line with what its source wants (one transaction)."""
    wanted = {w.key[:120]: w for w in source.function(today, companies)}
    now = timezone.now()
    kind = source.kind
    with transaction.atomic():
        current = {
            item.key: item
            for item in ExceptionItem.objects.select_for_update().filter(
                kind=kind, closed_at__isnull=True
            )
        }
        dismissed = dict(
            ExceptionItem.objects.filter(kind=kind, close_reason=DISMISSED).values_list("key", "pk")
        )
        new, kept = [], []
        for key, want in wanted.items():
            values = _clean(source, want, now)
            item = current.get(key)
            if item is None:
                if key not in dismissed:
                    new.append(
                        ExceptionItem(kind=kind, key=key, opened_at=now, refreshed_at=now, **values)
                    )
                continue
            if item.assigned:
                values.pop("owner_id")
            for name, value in values.items():
                setattr(item, name, value)
            item.refreshed_at = item.updated_at = now
            kept.append(item)
        gone = [item for key, item in current.items() if key not in wanted]
        ExceptionItem.objects.bulk_create(new, batch_size=1000)
        ExceptionItem.objects.bulk_update(kept, REFRESHED_FIELDS, batch_size=1000)
        gone_ids = [item.pk for item in gone]
        for start in range(0, len(gone_ids), 1000):
            ExceptionItem.objects.filter(pk__in=gone_ids[start : start + 1000]).update(
                closed_at=now, close_reason=RESOLVED, updated_at=now
            )
        lapsed = [pk for key, pk in dismissed.items() if key not in wanted]
        for start in range(0, len(lapsed), 1000):
            ExceptionItem.objects.filter(pk__in=lapsed[start : start + 1000]).update(
                close_reason=DISMISSAL_LAPSED, updated_at=now
            )
        events.publish_many(
            [_opened(item) for item in new] + [_closed(item, RESOLVED) for item in gone]
        )
    return KindResult(len(new), len(kept), len(gone))


def _opened(item: ExceptionItem) -> ExceptionItemOpened:
    return ExceptionItemOpened(
        item.pk,
        item.kind,
        item.queue,
        item.key,
        item.severity,
        item.owner_role,
        item.owner_id,
        item.title,
        company_id=item.company_id,
    )


def _closed(item: ExceptionItem, reason: str) -> ExceptionItemClosed:
    return ExceptionItemClosed(
        item.pk, item.kind, item.queue, item.key, reason, company_id=item.company_id
    )


# -- working an item ---------------------------------------------------------------------


def _lock_visible(actor: Actor, item_id: Any, *, open_only: bool = True) -> ExceptionItem:
    """The item, locked, if the actor may work it (404 otherwise; 409 when closed)."""
    rows = ExceptionItem.objects.select_for_update(of=("self",))
    if actor.user is not None:
        rows = rows.filter(pk__in=selectors.visible_items(actor.user, "change").values("pk"))
    item = rows.filter(pk=item_id).first()
    if item is None:
        raise NotFoundError(f"No exception item with id {item_id}.")
    if open_only and not item.is_open:
        raise ConflictError(f"The item is closed ({item.close_reason}).")
    return item


def _changed(actor: Actor, item: ExceptionItem, change: str, before: dict, after: dict) -> None:
    audit.record(actor, audit.Change(f"insight.exception.{change}", item, before, after))
    events.publish(
        ExceptionItemChanged(item.pk, item.kind, change, actor.user_id, company_id=item.company_id)
    )


def assign_item(actor: Actor, item_id: Any, user_id: int | None) -> ExceptionItem:
    """Give the item to a person of its company (``None``: back to its role)."""
    from crossdock.core.models import User

    with transaction.atomic():
        item = _lock_visible(actor, item_id)
        if user_id is not None:
            user = User.objects.filter(pk=user_id, is_active=True).first()
            companies = access_of(user).company_ids if user is not None else frozenset()
            may = user is not None and (companies is None or item.company_id in companies)
            if not may:
                message = "not an active user with access to the item's company"
                raise DomainError(f"owner: {message}.", fields={"owner": [message]})
        before = {"owner": item.owner_id, "assigned": item.assigned}
        item.owner_id = user_id
        item.assigned = user_id is not None
        item.save(update_fields=["owner", "assigned", "updated_at"])
        _changed(actor, item, "assign", before, {"owner": user_id, "assigned": item.assigned})
        return item


def _iso(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def snooze_item(
    actor: Actor, item_id: Any, until: datetime.datetime | None, reason: str = ""
) -> ExceptionItem:
    """Hide the item from the queue until ``until`` (``None``: show it again now).

    ``reason`` (why it can wait) is audited and shown on the item as its last outcome.
    """
    if until is not None and until <= timezone.now():
        message = "must be in the future"
        raise DomainError(f"until: {message}.", fields={"until": [message]})
    reason = reason.strip()[:200]
    with transaction.atomic():
        item = _lock_visible(actor, item_id)
        before = {"snoozed_until": _iso(item.snoozed_until)}
        item.snoozed_until = until
        fields = ["snoozed_until", "updated_at"]
        if reason and until is not None:
            day = timezone.localtime(until).date()
            item.last_outcome = f"Snoozed until {day:%a %-d %b}: {reason}"[:300]
            fields.append("last_outcome")
        item.save(update_fields=fields)
        after = {"snoozed_until": _iso(until), **({"reason": reason} if reason else {})}
        _changed(actor, item, "snooze", before, after)
        return item


def dismiss_item(actor: Actor, item_id: Any, note: str) -> ExceptionItem:
    """Close the item as not needing action; it is not raised again while its cause lasts."""
    if not note.strip():
        message = "say why the item needs no action"
        raise DomainError(f"note: {message}.", fields={"note": [message]})
    with transaction.atomic():
        item = _lock_visible(actor, item_id)
        now = timezone.now()
        item.closed_at, item.close_reason = now, DISMISSED
        item.last_outcome = f"Dismissed: {note.strip()}"[:300]
        item.save(update_fields=["closed_at", "close_reason", "last_outcome", "updated_at"])
        audit.record(
            actor,
            audit.Change("insight.exception.dismiss", item, None, {"note": note.strip()[:300]}),
        )
        events.publish(_closed(item, DISMISSED))
        return item


@dataclass(frozen=True)
class ActionResult:
    message: str
    item: ExceptionItem


def run_action(
    actor: Actor, item_id: Any, params: dict[str, Any] | None = None, action: str | None = None
) -> ActionResult:
    """Run the item's suggested action (or an allowed alternative) as ``actor``.

    The person must see the item (company, warehouse, queue) and hold the action's
    permission; the module's service checks the rest. The outcome is recorded on the
    item, then the item's kind is refreshed so the item closes if its cause is gone.
    """
    if actor.user is None:
        raise PermissionDeniedError("Only a person runs an action from a queue.")
    with transaction.atomic():
        item = _lock_visible(actor, item_id)
        code = action or item.action
        if not code or code not in (item.action, *ALTERNATIVES.get(item.action, ())):
            message = f"this item offers {item.action or 'no action'}"
            raise DomainError(f"action: {message}.", fields={"action": [message]})
        registered = ACTIONS.get(code)
        if registered is None:
            raise DomainError(f"action: {code} is not available.", fields={"action": [code]})
        if not actor.user.has_perm(registered.permission):
            raise PermissionDeniedError(f"You may not {registered.label.lower()}.")
        merged = {**item.action_params, **(params or {})}
        message = registered.function(actor, item, merged)
        item.last_outcome = message[:300]
        item.save(update_fields=["last_outcome", "updated_at"])
        audit.record(
            actor,
            audit.Change(
                "insight.exception.run-action",
                item,
                None,
                {"action": code, "params": merged, "outcome": item.last_outcome},
            ),
        )
        events.publish(
            ExceptionItemChanged(
                item.pk, item.kind, f"action:{code}", actor.user_id, company_id=item.company_id
            )
        )
    refresh_queues(kinds=[item.kind])
    item.refresh_from_db()
    return ActionResult(message, item)
