"""Domain events.

Design overview
---------------
A service publishes an event (a frozen dataclass named in the past tense)
inside its transaction. :func:`publish` then

1. stores it in the outbox (:class:`~crossdock.core.models.OutboxEvent`), so
   webhooks see exactly the events whose change committed;
2. calls the in-process handlers registered with :func:`subscribe` at once,
   inside the same transaction — a higher domain reacting to a lower one
   (accounting posting a receipt) commits or rolls back with it;
3. schedules the handlers registered with ``after_commit=True`` through
   ``transaction.on_commit`` — e-mails, task enqueueing and other side effects
   never run for a change that rolled back.

Dependencies point one way: a lower domain publishes, a higher one subscribes.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from crossdock.core.audit import canonical_json
from crossdock.core.context import current_request_id
from crossdock.core.models import OutboxEvent


@dataclass(frozen=True)
class DomainEvent:
    """Base class; subclasses add typed fields and set ``name``."""

    name: str = field(init=False, default="event")
    company_id: int | None = field(default=None, kw_only=True)

    def payload(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("name", None)
        data.pop("company_id", None)
        return json.loads(canonical_json(data))


@dataclass(frozen=True)
class RecordChanged(DomainEvent):
    """A master-data record was created, updated or deleted (``name`` says which)."""

    object_type: str
    object_id: str
    action: str
    actor_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"{self.object_type}.{self.action}")


Handler = Callable[[DomainEvent], None]
_handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)
_after_commit_handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)


def subscribe(
    event_type: type[DomainEvent], *, after_commit: bool = False
) -> Callable[[Handler], Handler]:
    """Register a handler for an event type (and its subclasses)."""

    def register(handler: Handler) -> Handler:
        registry = _after_commit_handlers if after_commit else _handlers
        if handler not in registry[event_type]:
            registry[event_type].append(handler)
        return handler

    return register


def unsubscribe(event_type: type[DomainEvent], handler: Handler) -> None:
    for registry in (_handlers, _after_commit_handlers):
        if handler in registry[event_type]:
            registry[event_type].remove(handler)


def _matching(
    registry: dict[type[DomainEvent], list[Handler]], event: DomainEvent
) -> list[Handler]:
    return [h for cls in type(event).__mro__ for h in registry.get(cls, [])]


def publish(event: DomainEvent) -> None:
    """Store and dispatch an event; must be called inside the service's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events.publish() must be called inside a transaction")
    OutboxEvent.objects.create(
        name=event.name,
        company_id=event.company_id,
        payload=event.payload(),
        request_id=current_request_id(),
    )
    for handler in _matching(_handlers, event):
        handler(event)
    for handler in _matching(_after_commit_handlers, event):
        transaction.on_commit(functools.partial(handler, event))


def publish_many(batch: Sequence[DomainEvent]) -> None:
    """Store and dispatch many events at once (one outbox insert); as :func:`publish`.

    For services that change many rows set-based (a queue refresh opening thousands of
    items): the outbox gets one row per event in a single bulk insert, then each event
    goes to its handlers in order.
    """
    if not batch:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events.publish_many() must be called inside a transaction")
    request_id = current_request_id()
    OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(
                name=event.name,
                company_id=event.company_id,
                payload=event.payload(),
                request_id=request_id,
            )
            for event in batch
        ],
        batch_size=1000,
    )
    for event in batch:
        for handler in _matching(_handlers, event):
            handler(event)
        for handler in _matching(_after_commit_handlers, event):
            transaction.on_commit(functools.partial(handler, event))
