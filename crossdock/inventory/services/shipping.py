"""Shipping a delivery: validate what is reserved, record carrier and tracking, tell the customer.

:func:`ship` runs in one transaction: it locks the delivery, checks the
quantities to ship against what is reserved per move (and lot) — never more,
the refusal naming the line and field, nothing written — validates the
delivery with :func:`~.validation.validate_transfer` (the rest goes to a
backorder), records the :class:`~crossdock.inventory.models.Shipment` and
publishes :class:`~crossdock.inventory.events.ShipmentShipped`
(``inventory.shipment.shipped``), the event customer notifications subscribe
to (webhooks from the outbox, e-mail handlers after commit).

:func:`plan_shipment` records the carrier chosen before shipping (by a sales
order, say) on any outgoing transfer; pick waves can then be made per carrier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError
from crossdock.core.permissions import require
from crossdock.inventory.events import ShipmentShipped
from crossdock.inventory.models import (
    MoveLine,
    MoveState,
    Package,
    Shipment,
    Transfer,
    TransferKind,
)
from crossdock.inventory.models.stock import OPEN_STATES
from crossdock.inventory.services.documents import fail, refuse
from crossdock.inventory.services.transfers import lock_transfer
from crossdock.inventory.services.validation import DoneLine, validate_transfer
from crossdock.masterdata.models import LocationKind


def _text(name: str, value: str, problems: dict[str, list[str]], required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        problems[name] = ["Required."]
    elif len(value) > 60:
        problems[name] = ["At most 60 characters."]
    return value


def plan_shipment(
    actor: Actor, transfer_id: Any, carrier: str, service_level: str = ""
) -> Shipment:
    """Record the carrier (and service level) an open outgoing transfer will ship with."""
    with transaction.atomic():
        transfer = lock_transfer(transfer_id)
        require(actor, transfer, "change")
        problems: dict[str, list[str]] = {}
        carrier = _text("carrier", carrier, problems)
        service_level = _text("service_level", service_level, problems, required=False)
        fail(problems)
        if transfer.state not in (*OPEN_STATES, MoveState.DRAFT):
            raise ConflictError(f"{transfer.reference} is {transfer.get_state_display().lower()}.")
        shipment = Shipment.objects.filter(transfer=transfer).first()
        before = audit.snapshot(shipment) if shipment else None
        if shipment is None:
            shipment = Shipment(company_id=transfer.company_id, transfer=transfer)
        elif shipment.shipped_at is not None:
            raise ConflictError(f"{transfer.reference} has already shipped.")
        shipment.carrier, shipment.service_level = carrier, service_level
        require(actor, shipment, "change" if shipment.pk else "add")
        shipment.save()
        after = audit.snapshot(shipment)
        audit.record(actor, audit.Change("inventory.shipment.plan", shipment, before, after))
        return shipment


def _reserved(transfer: Transfer) -> tuple[dict[int, Decimal], dict[tuple[int, str], Decimal]]:
    """Reserved quantity per open move, and per move and lot name."""
    per_move: dict[int, Decimal] = defaultdict(Decimal)
    per_lot: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    rows = (
        MoveLine.objects.filter(move__transfer=transfer, move__state__in=OPEN_STATES, done=False)
        .values_list("move_id", "lot__name")
        .annotate(total=Sum("quantity"))
    )
    for move, lot, total in rows:
        per_move[move] += total
        per_lot[(move, lot or "")] += total
    return dict(per_move), dict(per_lot)


def _to_ship(transfer: Transfer, done: Sequence[DoneLine] | None) -> list[DoneLine]:
    """What to ship: all that is reserved, or ``done`` checked against it (never more)."""
    per_move, per_lot = _reserved(transfer)
    if done is None:
        if not per_lot:
            refuse("lines", f"Nothing of {transfer.reference} is reserved; reserve it first.")
        return [DoneLine(move, quantity, lot) for (move, lot), quantity in sorted(per_lot.items())]
    problems: dict[str, list[str]] = {}
    if not done:
        problems["lines"] = ["Give the lines to ship (or none to ship all that is reserved)."]
    moves = set(transfer.moves.filter(state__in=OPEN_STATES).values_list("pk", flat=True))
    shipped_move: dict[int, Decimal] = defaultdict(Decimal)
    shipped_lot: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for index, line in enumerate(done):
        where = f"lines[{index}]"
        if line.move_id not in moves:
            problems[f"{where}.move"] = ["Not an open move of this delivery."]
            continue
        if line.quantity <= 0:
            problems[f"{where}.quantity"] = ["The quantity must be positive."]
            continue
        shipped_move[line.move_id] += line.quantity
        reserved = per_move.get(line.move_id, Decimal(0))
        if shipped_move[line.move_id] > reserved:
            problems[f"{where}.quantity"] = [
                f"Only {reserved.normalize():f} reserved; "
                f"{shipped_move[line.move_id].normalize():f} cannot ship."
            ]
            continue
        lot = line.lot_name.strip()
        if lot:
            shipped_lot[(line.move_id, lot)] += line.quantity
            in_lot = per_lot.get((line.move_id, lot), Decimal(0))
            if shipped_lot[(line.move_id, lot)] > in_lot:
                problems[f"{where}.quantity"] = [
                    f"Only {in_lot.normalize():f} of lot {lot} reserved."
                ]
    fail(problems)
    return list(done)


def ship(
    actor: Actor,
    transfer_id: Any,
    carrier: str,
    tracking_number: str,
    *,
    service_level: str | None = None,
    done: Sequence[DoneLine] | None = None,
) -> Shipment:
    """Validate a delivery (what is reserved, or ``done``), record its shipment, notify."""
    with transaction.atomic():
        transfer = lock_transfer(transfer_id)
        require(actor, transfer, "change")
        if transfer.kind != TransferKind.DELIVERY or transfer.destination.kind != (
            LocationKind.CUSTOMER
        ):
            raise ConflictError(f"{transfer.reference} is not a delivery to a customer.")
        if transfer.state not in OPEN_STATES:
            raise ConflictError(
                f"{transfer.reference} is {transfer.get_state_display().lower()}; "
                "only an open delivery ships."
            )
        shipment = Shipment.objects.filter(transfer=transfer).first()
        if shipment is not None and shipment.shipped_at is not None:
            raise ConflictError(f"{transfer.reference} has already shipped.")
        problems: dict[str, list[str]] = {}
        carrier = _text("carrier", carrier, problems)
        tracking_number = _text("tracking_number", tracking_number, problems)
        level = _text("service_level", service_level or "", problems, required=False)
        if not problems and (
            Shipment.objects.filter(
                company_id=transfer.company_id,
                carrier=carrier,
                tracking_number=tracking_number,
            )
            .exclude(transfer=transfer)
            .exists()
        ):
            problems["tracking_number"] = [f"{carrier} {tracking_number} is already used."]
        fail(problems)
        lines = _to_ship(transfer, done)
        before = audit.snapshot(shipment) if shipment else None
        validate_transfer(actor, transfer.pk, lines)
        if shipment is None:
            shipment = Shipment(company_id=transfer.company_id, transfer=transfer)
            require(actor, shipment, "add")
        shipment.carrier = carrier
        shipment.service_level = level if service_level is not None else shipment.service_level
        shipment.tracking_number = tracking_number
        shipment.shipped_at = timezone.now()
        shipment.save()
        audit.record(
            actor, audit.Change("inventory.ship", shipment, before, audit.snapshot(shipment))
        )
        numbers = tuple(
            Package.objects.filter(transfer_id__in=shipped_with(transfer))
            .order_by("pk")
            .values_list("number", flat=True)
        )
        events.publish(
            ShipmentShipped(
                shipment_id=shipment.pk,
                transfer_id=transfer.pk,
                reference=transfer.reference,
                partner_id=transfer.partner_id,
                carrier=shipment.carrier,
                service_level=shipment.service_level,
                tracking_number=shipment.tracking_number,
                shipped_at=shipment.shipped_at.isoformat(),
                package_numbers=numbers,
                company_id=transfer.company_id,
            )
        )
        return shipment


def shipped_with(transfer: Transfer) -> list[int]:
    """The delivery and the earlier steps whose packages travel with it (pack, pick)."""
    ids = [transfer.pk]
    step = transfer.previous_step_id
    while step is not None and len(ids) < 3:
        ids.append(step)
        step = Transfer.objects.filter(pk=step).values_list("previous_step_id", flat=True).first()
    return ids
