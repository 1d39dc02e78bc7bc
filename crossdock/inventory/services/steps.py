"""Multi-step receipts and deliveries, and the arrival that follows a dispatch.

Design overview
---------------
A warehouse receives in 1, 2 or 3 steps (``Warehouse.receipt_steps``:
stock; input → stock; input → quality hold → stock) and delivers in 1, 2 or 3
(``delivery_steps``: ship; pick → ship; pick → pack → ship).

:func:`first_step` is applied when a transfer is created: a receipt into the
warehouse's stock is sent to its input location instead, a delivery from its
stock becomes the pick to the packing zone or output; either remembers where
the chain ends in ``final_destination``.

:func:`carry_on` runs when a transfer is validated, in the same transaction:
the quantities just done (per product and lot) become the next step's
transfer — from where they landed to the next hop, linked through
``previous_step`` — reserved at once. If an earlier part of the same step
(the validated transfer or one of its backorders) already opened that next
transfer and it is still open, it is fed instead, so partial validations and
backorders keep one next document per wave. An inter-warehouse dispatch
(``TRANSIT_OUT``) carries on the same way into the arrival (``TRANSIT_IN``) at
the destination warehouse, scheduled for the expected arrival date.

The next step is created by the system on behalf of whoever validated: the
operator of the sending warehouse may not see the receiving one.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from crossdock.core.context import Actor
from crossdock.inventory.models import MoveLine, MoveState, StockMove, Transfer, TransferKind
from crossdock.inventory.models.stock import OPEN_STATES
from crossdock.inventory.services.documents import MoveSpec, TransferSpec, write_transfer
from crossdock.masterdata.models import Location, LocationKind, Warehouse
from crossdock.masterdata.models.organisation import INTERNAL_KINDS, SELLABLE_KINDS
from crossdock.masterdata.services import ensure_step_locations, warehouse_location

if TYPE_CHECKING:
    from crossdock.inventory.services.transfers import TransferDraft


def first_step(draft: TransferDraft, warehouse: Warehouse) -> TransferDraft:
    """The draft of the chain's first step when the warehouse receives or ships in steps."""
    if "final_destination_id" in draft.extra:
        return draft
    places = Location.objects.in_bulk([draft.source_id, draft.destination_id])
    source, destination = places[draft.source_id], places[draft.destination_id]
    if (
        draft.kind == TransferKind.RECEIPT
        and warehouse.receipt_steps > 1
        and destination.warehouse_id == warehouse.pk
        and destination.kind in SELLABLE_KINDS
    ):
        first = _place(warehouse, LocationKind.INPUT)
        return replace(
            draft,
            destination_id=first.pk,
            extra={**draft.extra, "final_destination_id": destination.pk},
        )
    if (
        draft.kind == TransferKind.DELIVERY
        and warehouse.delivery_steps > 1
        and source.warehouse_id == warehouse.pk
        and source.kind in SELLABLE_KINDS
        and destination.kind == LocationKind.CUSTOMER
    ):
        kind = LocationKind.PACKING if warehouse.delivery_steps >= 3 else LocationKind.OUTPUT
        first = _place(warehouse, kind)
        return replace(
            draft,
            kind=TransferKind.INTERNAL,
            destination_id=first.pk,
            extra={**draft.extra, "final_destination_id": destination.pk},
        )
    return draft


def _place(warehouse: Warehouse, kind: LocationKind) -> Location:
    found = warehouse_location(warehouse, kind)
    if found is None:
        ensure_step_locations(Actor.system("warehouse steps"), warehouse)
        found = warehouse_location(warehouse, kind)
    return found


def next_hop(warehouse: Warehouse, here: Location, final: Location) -> Location:
    """Where stock that reached ``here`` goes next on its way to ``final``."""
    if final.kind == LocationKind.CUSTOMER:  # pick → pack → ship
        if here.kind == LocationKind.PACKING:
            return _place(warehouse, LocationKind.OUTPUT)
        return final
    if here.kind == LocationKind.INPUT and warehouse.receipt_steps >= 3:
        return _place(warehouse, LocationKind.QUALITY_HOLD)
    return final


def carry_on(actor: Actor, transfer: Transfer, lines: list[MoveLine]) -> Transfer | None:
    """Create or feed the next step of ``transfer`` with what was just done; see the module doc."""
    if transfer.final_destination_id is None or not lines:
        return None
    final = Location.objects.select_related("warehouse").get(pk=transfer.final_destination_id)
    here = transfer.destination
    if transfer.kind == TransferKind.TRANSIT_OUT:
        warehouse = final.warehouse
        assert warehouse is not None
        kind, destination, ends = TransferKind.TRANSIT_IN, final, None
    elif transfer.destination_id != transfer.final_destination_id:
        warehouse = transfer.warehouse
        destination = next_hop(warehouse, here, final)
        last = destination.pk == final.pk and final.kind == LocationKind.CUSTOMER
        kind = TransferKind.DELIVERY if last else TransferKind.INTERNAL
        ends = final
    else:
        return None
    done: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    for line in lines:
        done[(line.product_id, line.lot_id)] += line.quantity
    moves = [MoveSpec(product, quantity, lot) for (product, lot), quantity in sorted(done.items())]
    system = Actor.system(f"{transfer.reference} validated by {actor.label}")
    following = _open_next(transfer, here.pk, destination.pk)
    if following is not None:
        new_ids = _feed(following, moves)
    else:
        following = write_transfer(
            system,
            TransferSpec(
                warehouse=warehouse,
                kind=kind,
                source_id=here.pk,
                destination_id=destination.pk,
                moves=moves,
                action="inventory.next-step",
                partner_id=transfer.partner_id,
                origin=transfer.origin or transfer.reference,
                scheduled_at=_arrival(transfer) if ends is None else None,
                extra={
                    "previous_step": transfer,
                    "final_destination_id": ends.pk if ends else None,
                    "promised_on": transfer.promised_on,
                    "priority": transfer.priority,
                },
            ),
        )
        new_ids = list(following.moves.values_list("pk", flat=True))
    if here.kind in INTERNAL_KINDS:
        from crossdock.inventory.services.reservation import reserve_moves

        reserve_moves(system, new_ids)
    return following


def _arrival(dispatch: Transfer) -> datetime.datetime:
    """The expected arrival: the dispatch's promised date (midday), else now."""
    if dispatch.promised_on is None:
        return timezone.now()
    noon = datetime.datetime.combine(dispatch.promised_on, datetime.time(12))
    return timezone.make_aware(noon) if timezone.is_naive(noon) else noon


def _family(transfer: Transfer) -> set[int]:
    """The transfer, the one it is a backorder of (up to the first), and all their backorders."""
    root = transfer
    while root.backorder_of_id is not None:
        root = Transfer.objects.get(pk=root.backorder_of_id)
    family = {root.pk}
    frontier = {root.pk}
    while frontier:
        frontier = set(
            Transfer.objects.filter(backorder_of_id__in=frontier).values_list("pk", flat=True)
        )
        family |= frontier
    return family


def _open_next(transfer: Transfer, source_id: int, destination_id: int) -> Transfer | None:
    return (
        Transfer.objects.select_for_update()
        .filter(
            previous_step_id__in=_family(transfer),
            state__in=OPEN_STATES,
            source_id=source_id,
            destination_id=destination_id,
        )
        .order_by("pk")
        .first()
    )


def _feed(following: Transfer, moves: list[MoveSpec]) -> list[int]:
    created = StockMove.objects.bulk_create(
        StockMove(
            company_id=following.company_id,
            transfer=following,
            product_id=move.product_id,
            quantity=move.quantity,
            source_id=following.source_id,
            destination_id=following.destination_id,
            lot_id=move.lot_id,
            state=MoveState.CONFIRMED,
            scheduled_at=following.scheduled_at,
            priority=following.priority,
            promised_on=following.promised_on,
            origin=following.reference,
        )
        for move in moves
    )
    if following.state == MoveState.ASSIGNED:
        Transfer.objects.filter(pk=following.pk).update(state=MoveState.PARTIAL)
    if any(move.pk is None for move in created):  # backends that do not return keys
        return list(following.moves.filter(state=MoveState.CONFIRMED).values_list("pk", flat=True))
    return [move.pk for move in created if move.pk is not None]
