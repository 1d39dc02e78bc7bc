"""Returns as reverse transfers: goods back to the supplier, or back from the customer.

A return reverses part of a done receipt or delivery. Each returned quantity
names the original move and, for tracked products, the lot or serial it came
with; it can never exceed what that move did with that lot minus what earlier
returns (done or still open) already took back. The original transfer is
locked while the return is written, so two clerks returning the same goods at
once cannot both succeed.

* A receipt's return takes the stock from where it was received (or a chosen
  location of the warehouse) back to the supplier's location; it is reserved
  at once and processed like any outgoing transfer.
* A delivery's return brings the goods from the customer's location into a
  chosen location of the warehouse — often quality hold, where they wait for
  inspection and never count as available.

Valuation runs in reverse at the original cost (see
:mod:`crossdock.inventory.services.valuation`): each return move carries the
cost its original move was valued at and points to it through
``returned_move``; the return transfer points to its original through
``returned_from``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError
from crossdock.core.fields import PRICE_SCALE
from crossdock.core.permissions import require
from crossdock.inventory.models import (
    MoveLine,
    MoveState,
    StockMove,
    Transfer,
    TransferKind,
    ValuationLayer,
)
from crossdock.inventory.services.documents import (
    MoveSpec,
    TransferSpec,
    fail,
    refuse,
    write_transfer,
)
from crossdock.inventory.services.reservation import reserve_moves
from crossdock.inventory.services.transfers import lock_transfer
from crossdock.masterdata.models import Location
from crossdock.masterdata.models.organisation import INTERNAL_KINDS

RETURNABLE = (TransferKind.RECEIPT, TransferKind.DELIVERY)
PRICE = Decimal(1).scaleb(-PRICE_SCALE)


@dataclass(frozen=True)
class ReturnLine:
    """Send back ``quantity`` of what ``move_id`` did (of ``lot_id``, for a tracked product)."""

    move_id: int
    quantity: Decimal
    lot_id: int | None = None


LotKey = tuple[int, int | None]  # original move, lot


def returnable(transfer: Transfer) -> dict[LotKey, Decimal]:
    """What can still be returned of a done transfer, per original move and lot."""
    done: dict[LotKey, Decimal] = defaultdict(Decimal)
    for move_id, lot_id, total in (
        MoveLine.objects.filter(move__transfer=transfer, done=True)
        .values_list("move_id", "lot_id")
        .annotate(total=Sum("quantity"))
    ):
        done[(move_id, lot_id)] += total
    for move_id, lot_id, total in (
        StockMove.objects.filter(returned_move__transfer=transfer)
        .exclude(state=MoveState.CANCELLED)
        .values_list("returned_move_id", "lot_id")
        .annotate(total=Sum("quantity"))
    ):
        done[(move_id, lot_id)] -= total
    return {key: left for key, left in done.items() if left > 0}


def return_transfer(
    actor: Actor,
    transfer_id: Any,
    lines: Sequence[ReturnLine],
    *,
    location_id: int | None = None,
    reason: str = "",
) -> Transfer:
    """Create (confirmed) the return of part of a done receipt or delivery; see the module doc.

    ``location_id`` is where a receipt's goods are taken from, or where a
    delivery's returned goods go (by default the place the delivery left from).
    """
    with transaction.atomic():
        original = lock_transfer(transfer_id)
        require(actor, original, "view")
        if original.kind not in RETURNABLE or original.state != MoveState.DONE:
            raise ConflictError(
                f"{original.reference}: only a done receipt or delivery can be returned.",
                fields={"transfer": ["Not a done receipt or delivery."]},
            )
        is_receipt = original.kind == TransferKind.RECEIPT
        place = _place(original, location_id, is_receipt)
        moves = _return_moves(original, lines, is_receipt)
        returned = write_transfer(
            actor,
            TransferSpec(
                warehouse=original.warehouse,
                kind=TransferKind.RETURN,
                source_id=place.pk if is_receipt else original.destination_id,
                destination_id=original.source_id if is_receipt else place.pk,
                moves=moves,
                action="inventory.return",
                partner_id=original.partner_id,
                origin=reason.strip() or f"Return of {original.reference}",
                extra={"returned_from": original},
            ),
        )
        if is_receipt:
            reserve_moves(actor, returned.moves.values_list("pk", flat=True))
        returned.refresh_from_db()
        return returned


def _place(original: Transfer, location_id: int | None, is_receipt: bool) -> Location:
    """Where a receipt's goods are taken from, or a delivery's returned goods go."""
    if location_id is None:
        default = original.final_destination_id or original.destination_id
        location_id = default if is_receipt else original.source_id
    place = Location.objects.filter(pk=location_id).first()
    name = "location"
    if place is None:
        refuse(name, "Unknown location.")
    assert place is not None
    if place.company_id != original.company_id:
        refuse(name, f"{place.path} belongs to another company.")
    if place.warehouse_id != original.warehouse_id or place.kind not in INTERNAL_KINDS:
        refuse(name, f"Choose a stock location of {original.warehouse.code}.")
    return place


def _return_moves(
    original: Transfer, lines: Sequence[ReturnLine], is_receipt: bool
) -> list[MoveSpec]:
    """The return's moves, every line checked against what is left to return."""
    left = returnable(original)
    moves = {m.pk: m for m in original.moves.filter(state=MoveState.DONE)}
    costs = _original_costs(list(moves))
    problems: dict[str, list[str]] = {}
    if not lines:
        problems["lines"] = ["Say what is returned."]
    wanted: dict[LotKey, Decimal] = defaultdict(Decimal)
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        move = moves.get(line.move_id)
        if move is None:
            problems[f"{where}.move"] = [f"Not a done move of {original.reference}."]
            continue
        if not isinstance(line.quantity, Decimal) or line.quantity <= 0:
            problems[f"{where}.quantity"] = ["The quantity must be a positive decimal."]
            continue
        lots = sorted(
            {lot for (m, lot) in left if m == move.pk}, key=lambda lot: (lot is None, lot)
        )
        lot_id = line.lot_id
        if lot_id is None and len(lots) == 1:
            lot_id = lots[0]
        elif lot_id is None and len(lots) > 1:
            problems[f"{where}.lot"] = ["This move had several lots; say which one."]
            continue
        wanted[(move.pk, lot_id)] += line.quantity
        can = left.get((move.pk, lot_id), Decimal(0))
        if wanted[(move.pk, lot_id)] > can:
            problems[f"{where}.quantity"] = [
                f"At most {can.normalize():f} of this line can still be returned."
            ]
    fail(problems)
    return [
        MoveSpec(
            product_id=moves[move_id].product_id,
            quantity=quantity,
            lot_id=lot_id,
            unit_cost=costs.get(move_id),
            returned_move_id=move_id,
        )
        for (move_id, lot_id), quantity in wanted.items()
    ]


def _original_costs(move_ids: list[int]) -> dict[int, Decimal]:
    """The unit cost each original move was valued at (from its valuation layers)."""
    costs: dict[int, Decimal] = {}
    for move_id, quantity, value in (
        ValuationLayer.objects.filter(move_id__in=move_ids)
        .exclude(quantity=0)  # value-only revaluations stay with the stock that remains
        .values_list("move_id")
        .annotate(quantity=Sum("quantity"), value=Sum("value"))
    ):
        if quantity:
            costs[move_id] = (value / quantity).quantize(PRICE)
    return costs
