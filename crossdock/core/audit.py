"""The hash-chained audit trail.

Design overview
---------------
Every service that changes state calls :func:`record` inside its transaction
with the actor, the action and before/after snapshots. Entries are appended
strictly in order: the writer locks the single :class:`AuditChainHead` row,
takes the next sequence number and chains the new entry's hash to the previous
one. Because the head is locked, two concurrent writers can never produce the
same sequence or fork the chain; on SQLite the immediate write transaction
gives the same guarantee.

The head is one row that nearly every transaction writes, held until commit:
take it **last**. A service records its entries after it has locked every
other row it needs (quants, valuation layers, cost pools, journal counters);
one that must call a locking helper after an auditing one defers that entry
(``reserve_moves(..., audited=False)`` in a transfer's validation). Otherwise
two transactions each holding what the other waits for deadlock on PostgreSQL.

:func:`verify_chain` walks the entries in sequence order and recomputes each
hash. A changed entry fails its own hash; a deleted entry leaves a gap in the
sequence and breaks the next entry's link; entries cut from the end no longer
match the head. ``crossdock audit`` runs it.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from crossdock.core.context import Actor, current_request_id
from crossdock.core.models import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64
_HASHED_FIELDS = (
    "sequence",
    "recorded_at",
    "actor_id",
    "actor_label",
    "request_id",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "company_id",
    "before",
    "after",
    "previous_hash",
)


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot serialise {type(value).__name__} for the audit trail")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def snapshot(instance: models.Model) -> dict[str, Any]:
    """A JSON-ready picture of a row's concrete fields (foreign keys by id)."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        data[field.attname] = json.loads(canonical_json(value))
    for field in instance._meta.many_to_many:
        if instance.pk is not None:
            data[field.name] = sorted(getattr(instance, field.name).values_list("pk", flat=True))
    return data


def compute_hash(entry: AuditEntry) -> str:
    recorded_at = entry.recorded_at
    fields = {name: getattr(entry, name) for name in _HASHED_FIELDS}
    # Normalise the timestamp to microseconds in UTC, as both databases return it.
    fields["recorded_at"] = recorded_at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


def object_type_of(instance: models.Model) -> str:
    return instance._meta.label_lower


def company_of(instance: models.Model) -> int | None:
    company_id = getattr(instance, "company_id", None)
    if company_id is None and instance._meta.label_lower == "masterdata.company":
        return instance.pk
    return company_id


@dataclass(frozen=True)
class Change:
    """What one audit entry says happened to one object."""

    action: str
    instance: models.Model
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def record(actor: Actor, change: Change) -> AuditEntry:
    """Append an entry to the chain; must run inside the service's transaction."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must be called inside a transaction")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
    instance = change.instance
    entry = AuditEntry(
        sequence=head.last_sequence + 1,
        recorded_at=timezone.now(),
        actor_id=actor.user_id,
        actor_label=actor.label[:150],
        request_id=current_request_id(),
        action=change.action,
        object_type=object_type_of(instance),
        object_id=str(instance.pk),
        object_label=str(instance)[:255],
        company_id=company_of(instance),
        before=change.before,
        after=change.after,
        previous_hash=head.last_hash,
    )
    entry.entry_hash = compute_hash(entry)
    entry.save(force_insert=True)
    AuditChainHead.objects.filter(id=1).update(
        last_sequence=entry.sequence, last_hash=entry.entry_hash
    )
    return entry


@dataclass(frozen=True)
class ChainProblem:
    sequence: int
    problem: str


def verify_chain(batch_size: int = 5000) -> list[ChainProblem]:
    """Recompute the chain; return every break found (empty when intact)."""
    problems: list[ChainProblem] = []
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    for entry in _entries_in_order(batch_size):
        if entry.sequence != expected_sequence:
            problems.append(
                ChainProblem(
                    expected_sequence,
                    f"entries {expected_sequence}..{entry.sequence - 1} are missing",
                )
            )
        if entry.previous_hash != expected_previous:
            problems.append(ChainProblem(entry.sequence, "link to the previous entry is broken"))
        if compute_hash(entry) != entry.entry_hash:
            problems.append(ChainProblem(entry.sequence, "entry content was changed"))
        expected_previous = entry.entry_hash
        expected_sequence = entry.sequence + 1
    head = AuditChainHead.objects.filter(id=1).first()
    last_sequence = expected_sequence - 1
    if head is not None and (head.last_sequence, head.last_hash) != (
        last_sequence,
        expected_previous,
    ):
        problems.append(
            ChainProblem(
                last_sequence,
                f"chain ends at #{last_sequence} but the head records #{head.last_sequence}",
            )
        )
    return problems


def _entries_in_order(batch_size: int) -> Iterator[AuditEntry]:
    last = 0
    while True:
        batch = list(AuditEntry.objects.filter(sequence__gt=last).order_by("sequence")[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].sequence


def history_of(instance: models.Model) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        object_type=object_type_of(instance), object_id=str(instance.pk)
    ).order_by("-sequence")


def json_ready(value: Any) -> Any:
    """``value`` with Decimals, dates and the like turned into JSON strings."""
    return json.loads(canonical_json(value))
