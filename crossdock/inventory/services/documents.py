"""What the stock-flow services share: refusing with every problem named, and writing a transfer.

Returns, scrap, damage, inter-warehouse dispatches and the steps of multi-step
receipts and deliveries all write a transfer with its moves in one go (already
confirmed), audit it and publish the change; :func:`write_transfer` is that one
place, so every flow leaves the same trail.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import require
from crossdock.inventory.events import TransferChanged
from crossdock.inventory.models import MoveState, StockMove, Transfer
from crossdock.inventory.services.transfers import _reference
from crossdock.masterdata.models import Warehouse


def fail(problems: dict[str, list[str]]) -> None:
    """Refuse with every problem found (the first one in the message)."""
    if problems:
        name, messages = next(iter(problems.items()))
        raise DomainError(f"{name}: {messages[0]}", fields=problems)


def refuse(name: str, message: str) -> NoReturn:
    """Refuse with one problem about field ``name``."""
    raise DomainError(f"{name}: {message}", fields={name: [message]})


@dataclass(frozen=True)
class MoveSpec:
    """One move of a transfer a flow writes (in the product's base unit)."""

    product_id: int
    quantity: Decimal
    lot_id: int | None = None
    unit_cost: Decimal | None = None
    returned_move_id: int | None = None


@dataclass(frozen=True)
class TransferSpec:
    warehouse: Warehouse
    kind: str
    source_id: int
    destination_id: int
    moves: Sequence[MoveSpec]
    action: str  # the audit action, e.g. "inventory.return"
    partner_id: int | None = None
    origin: str = ""
    scheduled_at: datetime.datetime | None = None
    state: str = MoveState.CONFIRMED
    extra: dict[str, Any] | None = None
    company_id: int | None = None  # of the moves; the warehouse's company by default


def write_transfer(actor: Actor, spec: TransferSpec) -> Transfer:
    """Write a transfer and its moves (confirmed unless told otherwise), audited and published.

    Call inside the flow's transaction, after its checks: this only writes.
    """
    warehouse = spec.warehouse
    transfer = Transfer(
        company_id=warehouse.company_id,
        warehouse=warehouse,
        reference=_reference(spec.kind, warehouse),
        kind=spec.kind,
        state=spec.state,
        source_id=spec.source_id,
        destination_id=spec.destination_id,
        partner_id=spec.partner_id,
        scheduled_at=spec.scheduled_at or timezone.now(),
        origin=spec.origin[:100],
        **(spec.extra or {}),
    )
    require(actor, transfer, "add")
    transfer.save()
    StockMove.objects.bulk_create(
        StockMove(
            company_id=spec.company_id or warehouse.company_id,
            transfer=transfer,
            product_id=move.product_id,
            quantity=move.quantity,
            source_id=spec.source_id,
            destination_id=spec.destination_id,
            lot_id=move.lot_id,
            state=spec.state,
            scheduled_at=transfer.scheduled_at,
            unit_cost=move.unit_cost,
            origin=transfer.reference,
            returned_move_id=move.returned_move_id,
        )
        for move in spec.moves
    )
    audit.record(
        actor,
        audit.Change(
            spec.action,
            transfer,
            None,
            {
                **audit.snapshot(transfer),
                "moves": [
                    [m.product_id, str(m.quantity), m.lot_id, m.returned_move_id]
                    for m in spec.moves
                ],
            },
        ),
    )
    events.publish(TransferChanged(transfer.pk, "created", company_id=transfer.company_id))
    return transfer
