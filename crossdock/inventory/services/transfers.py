"""Creating, confirming and cancelling transfers."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError
from crossdock.core.permissions import require
from crossdock.inventory.events import TransferChanged
from crossdock.inventory.models import MoveLine, MoveState, StockMove, Transfer, TransferKind
from crossdock.masterdata.models import Location, Product, Warehouse


@dataclass(frozen=True)
class LineDraft:
    product_id: int
    quantity: Decimal
    lot_id: int | None = None
    unit_cost: Decimal | None = None


@dataclass(frozen=True)
class TransferDraft:
    warehouse_id: int
    kind: str
    source_id: int
    destination_id: int
    lines: Sequence[LineDraft]
    partner_id: int | None = None
    scheduled_at: datetime.datetime | None = None
    origin: str = ""
    priority: int = 50
    promised_on: datetime.date | None = None
    reference: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _reference(kind: str, warehouse: Warehouse) -> str:
    prefix = {
        TransferKind.RECEIPT: "IN",
        TransferKind.DELIVERY: "OUT",
        TransferKind.INTERNAL: "INT",
        TransferKind.TRANSIT_OUT: "TRO",
        TransferKind.TRANSIT_IN: "TRI",
        TransferKind.ADJUSTMENT: "ADJ",
        TransferKind.SCRAP: "SCR",
        TransferKind.RETURN: "RET",
    }[TransferKind(kind)]
    count = Transfer.objects.filter(warehouse=warehouse, kind=kind).count() + 1
    reference = f"{warehouse.code}/{prefix}/{count:06d}"
    while Transfer.objects.filter(reference=reference).exists():
        count += 1
        reference = f"{warehouse.code}/{prefix}/{count:06d}"
    return reference


def _problems(draft: TransferDraft, warehouse: Warehouse) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if draft.kind not in TransferKind.values:
        problems["kind"] = [f"Unknown transfer kind {draft.kind!r}."]
    locations = Location.objects.in_bulk([draft.source_id, draft.destination_id])
    for name, location_id in (("source", draft.source_id), ("destination", draft.destination_id)):
        location = locations.get(location_id)
        if location is None:
            problems[name] = ["Unknown location."]
        elif location.company_id != warehouse.company_id:
            problems[name] = [f"{location.path} belongs to another company."]
        elif location.kind == "view":
            problems[name] = [f"{location.path} only groups locations; choose one inside it."]
    if draft.source_id == draft.destination_id:
        problems["destination"] = ["The destination must differ from the source."]
    if not draft.lines:
        problems["lines"] = ["A transfer needs at least one line."]
    products = Product.objects.select_related("base_unit").in_bulk(
        [line.product_id for line in draft.lines]
    )
    for index, line in enumerate(draft.lines):
        where = f"lines[{index}]"
        product = products.get(line.product_id)
        if product is None:
            problems[f"{where}.product"] = ["Unknown product."]
            continue
        if not isinstance(line.quantity, Decimal) or line.quantity <= 0:
            problems[f"{where}.quantity"] = ["The quantity must be a positive decimal."]
            continue
        try:
            product.base_unit.check_quantity(line.quantity)
        except ValidationError as error:
            problems[f"{where}.quantity"] = [m for ms in error.message_dict.values() for m in ms]
        if product.status == "obsolete" and draft.kind == TransferKind.RECEIPT:
            problems[f"{where}.product"] = [f"{product.sku} is obsolete; it cannot be received."]
    return problems


def create_transfer(actor: Actor, draft: TransferDraft) -> Transfer:
    """Create a draft transfer with its moves; every bad line is reported, nothing written."""
    warehouse = Warehouse.objects.select_related("company").filter(pk=draft.warehouse_id).first()
    if warehouse is None:
        raise DomainError("warehouse: unknown warehouse.", fields={"warehouse": ["Unknown."]})
    problems = _problems(draft, warehouse)
    if problems:
        name, messages = next(iter(problems.items()))
        raise DomainError(f"{name}: {messages[0]}", fields=problems)
    from crossdock.inventory.services.steps import first_step

    draft = first_step(draft, warehouse)
    with transaction.atomic():
        transfer = Transfer(
            company=warehouse.company,
            warehouse=warehouse,
            reference=draft.reference or _reference(draft.kind, warehouse),
            kind=draft.kind,
            source_id=draft.source_id,
            destination_id=draft.destination_id,
            partner_id=draft.partner_id,
            scheduled_at=draft.scheduled_at or timezone.now(),
            origin=draft.origin,
            priority=draft.priority,
            promised_on=draft.promised_on,
            **draft.extra,
        )
        require(actor, transfer, "add")
        transfer.save()
        StockMove.objects.bulk_create(
            StockMove(
                company=warehouse.company,
                transfer=transfer,
                product_id=line.product_id,
                quantity=line.quantity,
                source_id=draft.source_id,
                destination_id=draft.destination_id,
                lot_id=line.lot_id,
                scheduled_at=transfer.scheduled_at,
                priority=draft.priority,
                promised_on=draft.promised_on,
                unit_cost=line.unit_cost,
                origin=transfer.reference,
            )
            for line in draft.lines
        )
        audit.record(
            actor,
            audit.Change(
                "create", transfer, None, {**audit.snapshot(transfer), "lines": len(draft.lines)}
            ),
        )
        events.publish(TransferChanged(transfer.pk, "created", company_id=transfer.company_id))
        return transfer


def lock_transfer(transfer_id: Any) -> Transfer:
    transfer = Transfer.objects.select_for_update().filter(pk=transfer_id).first()
    if transfer is None:
        raise NotFoundError(f"No transfer with id {transfer_id}.")
    return transfer


def confirm_transfer(actor: Actor, transfer_id: Any) -> Transfer:
    """Make a draft transfer's moves count as expected stock (and reservable)."""
    with transaction.atomic():
        transfer = lock_transfer(transfer_id)
        require(actor, transfer, "change")
        if transfer.state != MoveState.DRAFT:
            raise ConflictError(f"{transfer.reference} is {transfer.get_state_display().lower()}.")
        transfer.moves.filter(state=MoveState.DRAFT).update(state=MoveState.CONFIRMED)
        transfer.state = MoveState.CONFIRMED
        transfer.version = F("version") + 1
        transfer.save(update_fields=["state", "version", "updated_at"])
        transfer.refresh_from_db()
        audit.record(
            actor, audit.Change("inventory.confirm", transfer, None, {"state": "confirmed"})
        )
        events.publish(TransferChanged(transfer.pk, "confirmed", company_id=transfer.company_id))
        return transfer


def cancel_transfer(actor: Actor, transfer_id: Any) -> Transfer:
    """Cancel the open moves of a transfer, releasing their reservations."""
    with transaction.atomic():
        transfer = lock_transfer(transfer_id)
        require(actor, transfer, "change")
        if transfer.state in (MoveState.DONE, MoveState.CANCELLED):
            raise ConflictError(f"{transfer.reference} is already {transfer.state}.")
        from crossdock.inventory.services.reservation import release_lines

        open_lines = MoveLine.objects.filter(move__transfer=transfer, done=False)
        release_lines(list(open_lines))
        transfer.moves.exclude(state=MoveState.DONE).update(state=MoveState.CANCELLED)
        transfer.state = MoveState.CANCELLED
        transfer.save(update_fields=["state", "updated_at"])
        audit.record(
            actor, audit.Change("inventory.cancel", transfer, None, {"state": "cancelled"})
        )
        events.publish(TransferChanged(transfer.pk, "cancelled", company_id=transfer.company_id))
        return transfer
