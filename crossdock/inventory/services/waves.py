"""Pick waves: several outgoing transfers picked in one walk, then validated together.

Design overview
---------------
:func:`create_pick_wave` groups outgoing transfers of one warehouse that have
reserved lines — the ones chosen, or every fully reserved one scheduled up to a
day (optionally only those planned for one carrier). The transfers are locked
in key order first, so two waves made at once never take the same transfer: a
transfer is in one open wave at a time.

The pick list (:func:`crossdock.inventory.selectors.pick_list`) is read from the
reserved move lines in one query, in the order of the source locations'
``pick_sequence`` then ``path``.

:func:`complete_picking` turns what was picked (every reserved line, or the
quantities confirmed per line) into :class:`~.validation.DoneLine` s per move and
validates each transfer with :func:`~.validation.validate_transfer`, in one
transaction: a refusal for one transfer leaves every transfer of the wave as it
was. What is not picked goes to the transfers' backorders; a transfer with
nothing picked stays open (and may join a later wave).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, NotFoundError
from crossdock.core.permissions import require
from crossdock.inventory.events import PickWaveChanged
from crossdock.inventory.models import (
    MoveLine,
    MoveState,
    PickWave,
    PickWaveState,
    Transfer,
    TransferKind,
)
from crossdock.inventory.models.stock import OPEN_STATES
from crossdock.inventory.services.documents import fail, refuse
from crossdock.inventory.services.validation import DoneLine, validate_transfer
from crossdock.masterdata.models import LocationKind, Warehouse
from crossdock.masterdata.models.organisation import INTERNAL_KINDS


@dataclass(frozen=True)
class PickWaveDraft:
    """A wave of the given transfers, or of every ready one of the warehouse (filters apply)."""

    warehouse_id: int
    transfer_ids: Sequence[int] = ()
    carrier: str = ""  # ready transfers planned for this carrier (their Shipment)
    scheduled_until: datetime.date | None = None  # ready transfers scheduled up to this day


@dataclass(frozen=True)
class PickedLine:
    """A reserved move line picked, fully or in part."""

    move_line_id: int
    quantity: Decimal


def outgoing_transfers() -> QuerySet[Transfer]:
    """Transfers that take stock out towards a customer: deliveries and first pick steps."""
    return Transfer.objects.filter(
        Q(kind=TransferKind.DELIVERY, source__kind__in=sorted(INTERNAL_KINDS))
        | Q(
            kind=TransferKind.INTERNAL,
            final_destination__kind=LocationKind.CUSTOMER,
            source__kind__in=sorted(INTERNAL_KINDS - {LocationKind.PACKING, LocationKind.OUTPUT}),
        )
    )


def _in_open_wave() -> Exists:
    return Exists(
        PickWave.transfers.through.objects.filter(
            transfer_id=OuterRef("pk"), pickwave__state=PickWaveState.OPEN
        )
    )


def _has_reserved_lines() -> Exists:
    return Exists(MoveLine.objects.filter(move__transfer_id=OuterRef("pk"), done=False))


def ready_transfers(warehouse: Warehouse, carrier: str = "", until: Any = None) -> QuerySet:
    """Fully reserved outgoing transfers of the warehouse not in an open wave."""
    found = (
        outgoing_transfers()
        .filter(warehouse=warehouse, state=MoveState.ASSIGNED)
        .exclude(_in_open_wave())
    )
    if carrier.strip():
        found = found.filter(shipment__carrier__iexact=carrier.strip())
    if until is not None:
        found = found.filter(scheduled_at__date__lte=until)
    return found


def _reference(warehouse: Warehouse) -> str:
    count = PickWave.objects.filter(warehouse=warehouse).count() + 1
    reference = f"{warehouse.code}/WAVE/{count:06d}"
    while PickWave.objects.filter(reference=reference).exists():
        count += 1
        reference = f"{warehouse.code}/WAVE/{count:06d}"
    return reference


def _chosen(draft: PickWaveDraft, warehouse: Warehouse) -> list[Transfer]:
    """The chosen transfers, locked in key order, each checked (every problem named)."""
    ids = sorted(set(draft.transfer_ids))
    locked = {
        t.pk: t for t in Transfer.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    outgoing = set(outgoing_transfers().filter(pk__in=ids).values_list("pk", flat=True))
    waved = set(Transfer.objects.filter(_in_open_wave(), pk__in=ids).values_list("pk", flat=True))
    reserved = set(
        MoveLine.objects.filter(move__transfer_id__in=ids, done=False).values_list(
            "move__transfer_id", flat=True
        )
    )
    problems: dict[str, list[str]] = {}
    for index, pk in enumerate(draft.transfer_ids):
        where = f"transfers[{index}]"
        transfer = locked.get(pk)
        if transfer is None or transfer.warehouse_id != warehouse.pk:
            problems[where] = [f"No transfer with id {pk} in {warehouse.code}."]
        elif pk not in outgoing:
            problems[where] = [f"{transfer.reference} is not a delivery or a pick."]
        elif transfer.state not in OPEN_STATES:
            problems[where] = [f"{transfer.reference} is {transfer.get_state_display().lower()}."]
        elif pk not in reserved:
            problems[where] = [f"{transfer.reference} has no reserved stock to pick."]
        elif pk in waved:
            problems[where] = [f"{transfer.reference} is already in an open wave."]
    fail(problems)
    return [locked[pk] for pk in ids]


def create_pick_wave(actor: Actor, draft: PickWaveDraft) -> PickWave:
    """Group outgoing transfers with reserved stock into a wave to pick in location order."""
    with transaction.atomic():
        warehouse = Warehouse.objects.filter(pk=draft.warehouse_id).first()
        if warehouse is None:
            refuse("warehouse", f"No warehouse with id {draft.warehouse_id}.")
        wave = PickWave(
            company_id=warehouse.company_id,
            warehouse=warehouse,
            reference=_reference(warehouse),
            carrier=draft.carrier.strip()[:60],
            created_by=actor.user,
        )
        require(actor, wave, "add")
        if draft.transfer_ids:
            transfers = _chosen(draft, warehouse)
        else:
            ids = ready_transfers(warehouse, draft.carrier, draft.scheduled_until).values("pk")
            transfers = list(
                Transfer.objects.select_for_update()
                .filter(pk__in=ids)
                .exclude(_in_open_wave())  # checked again under the lock
                .order_by("pk")
            )
            if not transfers:
                refuse("transfers", f"No transfer of {warehouse.code} is ready to pick.")
        wave.save()
        wave.transfers.set(transfers)
        audit.record(
            actor,
            audit.Change(
                "inventory.pick-wave.create",
                wave,
                None,
                {**audit.snapshot(wave), "transfers": [t.pk for t in transfers]},
            ),
        )
        events.publish(PickWaveChanged(wave.pk, "created", company_id=wave.company_id))
        return wave


def lock_wave(wave_id: Any) -> PickWave:
    wave = PickWave.objects.select_for_update().filter(pk=wave_id).first()
    if wave is None:
        raise NotFoundError(f"No pick wave with id {wave_id}.")
    return wave


def _open(actor: Actor, wave_id: Any) -> PickWave:
    wave = lock_wave(wave_id)
    require(actor, wave, "change")
    if wave.state != PickWaveState.OPEN:
        raise ConflictError(f"{wave.reference} is {wave.get_state_display().lower()}.")
    return wave


def _done_per_transfer(
    wave: PickWave, picked: Sequence[PickedLine] | None
) -> dict[int, list[DoneLine]]:
    """The picked quantities as done lines per transfer and move (lot by name)."""
    lines = {
        line.pk: line
        for line in MoveLine.objects.filter(
            move__transfer__pick_waves=wave, done=False, move__state__in=OPEN_STATES
        ).select_related("move", "lot")
    }
    wanted: list[tuple[MoveLine, Decimal]]
    if picked is None:
        wanted = [(line, line.quantity) for line in lines.values()]
    else:
        wanted = []
        problems: dict[str, list[str]] = {}
        for index, item in enumerate(picked):
            line = lines.get(item.move_line_id)
            if line is None:
                problems[f"lines[{index}].move_line"] = ["Not a line to pick in this wave."]
            elif item.quantity <= 0:
                problems[f"lines[{index}].quantity"] = ["The quantity must be positive."]
            elif item.quantity > line.quantity:
                problems[f"lines[{index}].quantity"] = [
                    f"Only {line.quantity.normalize():f} reserved on this line."
                ]
            else:
                wanted.append((line, item.quantity))
        seen = [item.move_line_id for item in picked]
        for index, pk in enumerate(seen):
            if seen.index(pk) != index:
                problems[f"lines[{index}].move_line"] = ["This line is given twice."]
        fail(problems)
    per_move: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    for line, quantity in wanted:
        lot = line.lot.name if line.lot else ""
        per_move[(line.move.transfer_id or 0, line.move_id, lot)] += quantity
    done: dict[int, list[DoneLine]] = defaultdict(list)
    for (transfer_id, move_id, lot), quantity in sorted(per_move.items()):
        done[transfer_id].append(DoneLine(move_id, quantity, lot))
    return done


def complete_picking(
    actor: Actor, wave_id: Any, picked: Sequence[PickedLine] | None = None
) -> PickWave:
    """Validate what was picked of each transfer (all reserved lines by default); close the wave."""
    with transaction.atomic():
        wave = _open(actor, wave_id)
        done = _done_per_transfer(wave, picked)
        if not done:
            refuse("lines", "Nothing was picked.")
        for transfer_id in sorted(done):
            validate_transfer(actor, transfer_id, done[transfer_id])
        wave.state = PickWaveState.DONE
        wave.done_at = timezone.now()
        wave.save(update_fields=["state", "done_at", "updated_at"])
        audit.record(
            actor,
            audit.Change(
                "inventory.pick-wave.complete",
                wave,
                None,
                {
                    "state": wave.state,
                    "picked": {
                        str(t): {str(d.move_id): str(d.quantity) for d in lines}
                        for t, lines in done.items()
                    },
                },
            ),
        )
        events.publish(PickWaveChanged(wave.pk, "done", company_id=wave.company_id))
        return wave


def cancel_pick_wave(actor: Actor, wave_id: Any) -> PickWave:
    """Give the wave up; its transfers stay as they are and may join another wave."""
    with transaction.atomic():
        wave = _open(actor, wave_id)
        wave.state = PickWaveState.CANCELLED
        wave.save(update_fields=["state", "updated_at"])
        audit.record(
            actor, audit.Change("inventory.pick-wave.cancel", wave, None, {"state": wave.state})
        )
        events.publish(PickWaveChanged(wave.pk, "cancelled", company_id=wave.company_id))
        return wave
