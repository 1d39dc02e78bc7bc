"""Validating (processing) a transfer: the moment stock really moves.

Each move is done for the quantity given (all of it by default). Stock leaving
an internal location must be reserved; what is not reserved yet is reserved now
under the same locks. Stock arriving from outside gets a line with its lot or
serial (created on receipt, with its expiry). All quants touched are locked in
primary-key order, updated in memory, checked (never negative where the
warehouse forbids it; a serial never twice in stock) and written back in bulk;
then valuation layers are recorded. Whatever is not done goes to a backorder.
Lines arriving in a warehouse's stock follow its putaway rules
(:mod:`~crossdock.inventory.services.putaway`); what a step of a multi-step
receipt or delivery, or a dispatch, has done becomes its next step
(:mod:`~crossdock.inventory.services.steps`).

Lock order
----------
Validating takes its row locks in the order every stock-valuing service
shares (a landed cost or a vendor bill's price difference,
:mod:`crossdock.accounting.services.revaluation`, from its own document on):

1. the transfer, then its moves (by key);
2. quants, by key (reserving what is short, then moving the lines);
3. valuation rows: open FIFO layers, then average-cost pools, each by key;
4. the stock journal's number counter (posting the valuation entry);
5. the audit chain head — always last.

The head is a single row that nearly every transaction writes, so a
transaction holding it must not wait for any other lock: a delivery that held
it from reserving while waiting for a layer that a landed cost had locked
(the landed cost then waiting for the head) was a deadlock on PostgreSQL.
So the entries of the reservation and the backorder are recorded at the end,
with the validation's own; the first audit entry written is the valuation
posting's, after the layers, pools and counter are held. One step still
follows the head: in a multi-step warehouse, :func:`~.steps.carry_on` opens
and reserves the next step (its transfer and the quants where the goods just
landed). On SQLite the immediate write transaction serialises writers and no
order matters.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.bulk import insert_values, update_rows
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError
from crossdock.core.permissions import require
from crossdock.inventory.events import TransferChanged
from crossdock.inventory.models import Lot, MoveLine, MoveState, StockMove, Transfer
from crossdock.inventory.services.putaway import put_away
from crossdock.inventory.services.quants import lock_quants, save_quants
from crossdock.inventory.services.reservation import (
    _refresh_transfer_states,
    reservation_changes,
    reserve_moves,
)
from crossdock.inventory.services.steps import carry_on
from crossdock.inventory.services.transfers import lock_transfer
from crossdock.inventory.services.valuation import flows_of, record_layers
from crossdock.masterdata.models import Location, Product, Tracking
from crossdock.masterdata.models.organisation import INTERNAL_KINDS


@dataclass(frozen=True)
class DoneLine:
    """What was really processed for one move (lot/serial by name; created on receipt)."""

    move_id: int
    quantity: Decimal
    lot_name: str = ""
    expires_on: datetime.date | None = None


def _fail(problems: dict[str, list[str]]) -> None:
    if problems:
        name, messages = next(iter(problems.items()))
        raise DomainError(f"{name}: {messages[0]}", fields=problems)


def validate_transfer(
    actor: Actor, transfer_id: Any, done: Sequence[DoneLine] | None = None
) -> Transfer:
    """Process a transfer (all of it, or ``done``); the rest becomes a backorder."""
    with transaction.atomic():
        transfer = lock_transfer(transfer_id)
        require(actor, transfer, "change")
        if transfer.state in (MoveState.DONE, MoveState.CANCELLED, MoveState.DRAFT):
            raise ConflictError(
                f"{transfer.reference} is {transfer.get_state_display().lower()}; "
                "only a confirmed transfer can be processed."
            )
        moves = list(
            transfer.moves.select_for_update()
            .exclude(state__in=[MoveState.DONE, MoveState.CANCELLED])
            .order_by("pk")
        )
        locations = Location.objects.in_bulk(
            {m.source_id for m in moves} | {m.destination_id for m in moves}
        )
        products = Product.objects.select_related("base_unit").in_bulk(
            {m.product_id for m in moves}
        )
        plan = _plan(moves, done, products)
        now = timezone.now()
        outgoing = [m for m in moves if locations[m.source_id].kind in INTERNAL_KINDS]
        short = [m for m in outgoing if m.state != MoveState.ASSIGNED and plan.get(m.pk)]
        reserved = reserve_moves(actor, [m.pk for m in short], audited=False) if short else None
        lines, split = _done_lines(moves, plan, locations, products, now)
        put_away(transfer, lines)
        _apply(lines, locations, products)
        _save_lines(lines, split)
        done_moves = _close_moves(moves, plan, now)
        backorder_change = _backorder(transfer, moves, plan)
        record_layers(flows_of(done_moves, locations), now, products)
        carry_on(actor, transfer, lines)
        transfer.state = MoveState.DONE
        transfer.done_at = now
        transfer.save(update_fields=["state", "done_at", "updated_at"])
        # The audit chain head is the last lock (module doc): these entries come after valuing.
        if reserved is not None:
            for change in reservation_changes(reserved.transfer_ids):
                audit.record(actor, change)
        if backorder_change is not None:
            audit.record(actor, backorder_change)
        audit.record(
            actor,
            audit.Change(
                "inventory.validate",
                transfer,
                None,
                {"moves": {str(m.pk): str(q) for m, q in done_moves}},
            ),
        )
        events.publish(TransferChanged(transfer.pk, "done", company_id=transfer.company_id))
        return transfer


def _plan(
    moves: list[StockMove], done: Sequence[DoneLine] | None, products: dict[int, Product]
) -> dict[int, list[DoneLine]]:
    """The done quantities per move, checked: right move, unit decimals, not more than planned."""
    by_id = {m.pk: m for m in moves}
    if done is None:
        return {m.pk: [DoneLine(m.pk, m.quantity)] for m in moves}
    plan: dict[int, list[DoneLine]] = defaultdict(list)
    problems: dict[str, list[str]] = {}
    for index, line in enumerate(done):
        where = f"lines[{index}]"
        move = by_id.get(line.move_id)
        if move is None:
            problems[f"{where}.move"] = ["Not an open move of this transfer."]
            continue
        if line.quantity <= 0:
            problems[f"{where}.quantity"] = ["The quantity must be positive."]
            continue
        unit = products[move.product_id].base_unit
        if line.quantity != line.quantity.quantize(unit.quantum):
            problems[f"{where}.quantity"] = [
                f"{unit.code} allows at most {unit.decimal_places} decimal places."
            ]
        plan[move.pk].append(line)
    for move_id, lines in plan.items():
        if sum(ln.quantity for ln in lines) > by_id[move_id].quantity:
            problems[f"move {move_id}"] = ["More than planned; add a new line instead."]
    _fail(problems)
    return dict(plan)


LotKey = tuple[int, str]  # product, lot or serial name


def _lot_for(
    product: Product, line: DoneLine, receiving: bool, where: str, known: dict[LotKey, Lot]
) -> int | None:
    if product.tracking == Tracking.NONE:
        return None
    name = line.lot_name.strip()
    if not name:
        raise DomainError(
            f"{where}.lot: {product.sku} is tracked by {product.tracking}; give the lot or serial.",
            fields={f"{where}.lot": ["Required."]},
        )
    if product.tracking == Tracking.SERIAL and line.quantity != 1:
        raise DomainError(
            f"{where}.quantity: one serial number is one unit.",
            fields={f"{where}.quantity": ["Serial numbers are one unit each."]},
        )
    lot = known.get((product.pk, name))
    if lot is None:
        if not receiving:
            raise DomainError(
                f"{where}.lot: unknown lot {name!r} of {product.sku}.",
                fields={f"{where}.lot": ["Unknown lot."]},
            )
        lot = Lot.objects.create(product=product, name=name, expires_on=_expiry(product, line))
        known[(product.pk, name)] = lot
    elif not receiving and lot.expires_on and lot.expires_on < timezone.now().date():
        raise DomainError(
            f"{where}.lot: lot {name} expired on {lot.expires_on}.",
            fields={f"{where}.lot": ["Expired."]},
        )
    return lot.pk


def _expiry(product: Product, line: DoneLine) -> datetime.date | None:
    """A new lot's expiry: as received, else from the product's shelf life."""
    if line.expires_on is None and product.shelf_life_days:
        return timezone.now().date() + datetime.timedelta(days=product.shelf_life_days)
    return line.expires_on


def _find_lots(keys: set[LotKey]) -> dict[LotKey, Lot]:
    found: dict[LotKey, Lot] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 400):
        chunk = ordered[start : start + 400]
        for lot in Lot.objects.filter(
            product_id__in={p for p, _ in chunk}, name__in={n for _, n in chunk}
        ):
            if (lot.product_id, lot.name) in keys:
                found[(lot.product_id, lot.name)] = lot
    return found


def _known_lots(
    moves: list[StockMove],
    plan: dict[int, list[DoneLine]],
    locations: dict[int, Location],
    products: dict[int, Product],
) -> dict[LotKey, Lot]:
    """The lots the done lines name, found in bulk; a receipt's new lots created in bulk."""
    first_line: dict[LotKey, DoneLine] = {}
    received: set[LotKey] = set()
    for move in moves:
        product = products[move.product_id]
        if product.tracking == Tracking.NONE:
            continue
        receiving = locations[move.source_id].kind not in INTERNAL_KINDS
        for line in plan.get(move.pk, []):
            name = line.lot_name.strip()
            if name:
                first_line.setdefault((product.pk, name), line)
                if receiving:
                    received.add((product.pk, name))
    known = _find_lots(set(first_line))
    new = received - set(known)
    if new:
        Lot.objects.bulk_create(
            [
                Lot(product_id=p, name=n, expires_on=_expiry(products[p], first_line[(p, n)]))
                for p, n in sorted(new)
            ],
            ignore_conflicts=True,  # a concurrent receipt of the same new lot: use its row
        )
        known.update(_find_lots(new))
    return known


def _done_lines(
    moves: list[StockMove],
    plan: dict[int, list[DoneLine]],
    locations: dict[int, Location],
    products: dict[int, Product],
    now: datetime.datetime,
) -> tuple[list[MoveLine], list[MoveLine]]:
    """Turn reserved lines into done lines (splitting where less is done); add receipt lines."""
    reserved: dict[int, list[MoveLine]] = defaultdict(list)
    for line in MoveLine.objects.filter(move__in=moves, done=False).order_by("pk"):
        reserved[line.move_id].append(line)
    result: list[MoveLine] = []
    split: list[MoveLine] = []
    known = _known_lots(moves, plan, locations, products)
    for move in moves:
        product = products[move.product_id]
        internal_source = locations[move.source_id].kind in INTERNAL_KINDS
        for index, done_line in enumerate(plan.get(move.pk, [])):
            where = f"move {move.pk} line {index}"
            if not internal_source:
                lot_id = (
                    move.lot_id  # an arrival or a customer return brings back a known lot
                    if move.lot_id and not done_line.lot_name.strip()
                    else _lot_for(product, done_line, receiving=True, where=where, known=known)
                )
                result.append(
                    MoveLine(
                        move=move,
                        product=product,
                        source_id=move.source_id,
                        destination_id=move.destination_id,
                        lot_id=lot_id or move.lot_id,
                        quantity=done_line.quantity,
                        done=True,
                        done_at=now,
                    )
                )
                continue
            wanted_lot = (
                _lot_for(product, done_line, receiving=False, where=where, known=known)
                if done_line.lot_name
                else None
            )
            result.extend(
                _take_reserved(
                    move,
                    reserved[move.pk],
                    done_line.quantity,
                    wanted_lot,
                    now,
                    locations,
                    product,
                    split,
                )
            )
    return result, split


def _take_reserved(
    move: StockMove,
    lines: list[MoveLine],
    quantity: Decimal,
    lot_id: int | None,
    now: datetime.datetime,
    locations: dict[int, Location],
    product: Product,
    split: list[MoveLine],
) -> list[MoveLine]:
    left = quantity
    taken = []
    for line in list(lines):
        if left <= 0:
            break
        if lot_id is not None and line.lot_id != lot_id:
            continue
        if line.quantity <= left:
            line.done, line.done_at = True, now
            left -= line.quantity
            taken.append(line)
        else:
            line.quantity -= left
            split.append(line)  # the rest stays reserved on the original line
            taken.append(
                MoveLine(
                    move=move,
                    product_id=line.product_id,
                    source_id=line.source_id,
                    destination_id=line.destination_id,
                    lot_id=line.lot_id,
                    quantity=left,
                    done=True,
                    done_at=now,
                )
            )
            # The split-off part was reserved too: the quant keeps its reservation accounting.
            left = Decimal(0)
    if left > 0:
        location = locations[move.source_id]
        raise DomainError(
            f"Not enough {product.sku} in {location.path}: {left} short "
            "(reserve or count the stock first).",
            fields={"quantity": [f"{left} short of {product.sku} in {location.path}."]},
        )
    for line in taken:
        if line in lines:
            lines.remove(line)
    return taken


def _save_lines(lines: list[MoveLine], split: list[MoveLine]) -> None:
    """Write the done lines: new ones in bulk, reserved ones marked done, split ones shortened."""
    insert_values(
        MoveLine,
        ["move", "product", "source", "destination", "lot", "quantity", "done", "done_at"],
        [
            (ln.move_id, ln.product_id, ln.source_id, ln.destination_id, ln.lot_id, ln.quantity,
             True, ln.done_at)
            for ln in lines
            if ln.pk is None
        ],
    )  # fmt: skip
    update_rows(
        MoveLine, ["done", "done_at", "destination"], [ln for ln in lines if ln.pk is not None]
    )
    update_rows(MoveLine, ["quantity"], split)


def _apply(
    lines: list[MoveLine], locations: dict[int, Location], products: dict[int, Product]
) -> None:
    """Move the done lines' quantities between quants, under locks, with every invariant checked."""
    keys = {(ln.product_id, ln.source_id, ln.lot_id) for ln in lines} | {
        (ln.product_id, ln.destination_id, ln.lot_id) for ln in lines
    }
    unknown = {key[1] for key in keys} - set(locations)
    if unknown:  # reserved lines may come from bins below the move's source
        locations = {**locations, **Location.objects.in_bulk(unknown)}
    quants = lock_quants(keys)
    for line in lines:
        source = quants[(line.product_id, line.source_id, line.lot_id)]
        destination = quants[(line.product_id, line.destination_id, line.lot_id)]
        source.quantity -= line.quantity
        if locations[line.source_id].kind in INTERNAL_KINDS:
            source.reserved -= line.quantity
        destination.quantity += line.quantity
        if destination.quantity == line.quantity:
            destination.in_date = line.done_at or timezone.now()
    problems: dict[str, list[str]] = {}
    for (product_id, location_id, lot_id), quant in quants.items():
        product = products.get(product_id) or Product.objects.get(pk=product_id)
        place = locations[location_id].path
        if quant.quantity < 0 and not quant.allow_negative:
            problems[f"{product.sku}@{place}"] = [
                f"Not enough {product.sku} in {place}: it would go to {quant.quantity}."
            ]
        if (
            product.tracking == Tracking.SERIAL
            and lot_id is not None
            and locations[location_id].kind in INTERNAL_KINDS
            and quant.quantity > 1
        ):
            problems[f"{product.sku}@{place}"] = ["This serial number is already in stock."]
    if problems:
        _fail(problems)
    serials = {
        ln.lot_id
        for ln in lines
        if ln.lot_id
        and products[ln.product_id].tracking == Tracking.SERIAL
        and locations[ln.destination_id].kind in INTERNAL_KINDS
    }
    if serials:
        from crossdock.inventory.models import Quant

        doubles = (
            Quant.objects.filter(lot_id__in=serials, location__kind__in=list(INTERNAL_KINDS))
            .exclude(pk__in=[q.pk for q in quants.values()])
            .filter(quantity__gt=0)
        )
        if doubles.exists():
            raise DomainError(
                "A serial number received is already in stock elsewhere.",
                fields={"lot": ["Serial already in stock."]},
            )
    save_quants(quants.values())


def _close_moves(
    moves: list[StockMove], plan: dict[int, list[DoneLine]], now: datetime.datetime
) -> list[tuple[StockMove, Decimal]]:
    done = []
    for move in moves:
        quantity = sum((ln.quantity for ln in plan.get(move.pk, [])), Decimal(0))
        if quantity <= 0:
            continue
        done.append((move, quantity))
    return done


def _backorder(
    transfer: Transfer, moves: list[StockMove], plan: dict[int, list[DoneLine]]
) -> audit.Change | None:
    """Finish the done moves; put what is left into a backorder transfer.

    Returns the backorder's audit entry, for the caller to record last (module doc).
    """
    now = timezone.now()
    remainders = []
    finished = []
    for move in moves:
        done_quantity = sum((ln.quantity for ln in plan.get(move.pk, [])), Decimal(0))
        remaining = move.quantity - done_quantity
        if done_quantity > 0:
            move.quantity = done_quantity
            move.state = MoveState.DONE
            move.done_at = now
            finished.append(move)
        if remaining > 0:
            remainders.append((move, remaining))
    update_rows(StockMove, ["quantity", "state", "done_at"], finished)
    if not remainders:
        return None
    backorder = Transfer.objects.create(
        company=transfer.company,
        warehouse=transfer.warehouse,
        reference=f"{transfer.reference}-B{transfer.backorders.count() + 1}",
        kind=transfer.kind,
        state=MoveState.CONFIRMED,
        source=transfer.source,
        destination=transfer.destination,
        partner=transfer.partner,
        scheduled_at=transfer.scheduled_at,
        origin=transfer.origin,
        backorder_of=transfer,
        priority=transfer.priority,
        promised_on=transfer.promised_on,
        previous_step=transfer.previous_step,
        final_destination=transfer.final_destination,
    )
    for move, remaining in remainders:
        open_lines = list(MoveLine.objects.filter(move=move, done=False))
        if move.state == MoveState.DONE:
            new_move = StockMove.objects.create(
                company=move.company,
                transfer=backorder,
                product=move.product,
                quantity=remaining,
                source=move.source,
                destination=move.destination,
                lot=move.lot,
                state=MoveState.CONFIRMED,
                scheduled_at=move.scheduled_at,
                priority=move.priority,
                promised_on=move.promised_on,
                unit_cost=move.unit_cost,
                origin=move.origin,
            )
            MoveLine.objects.filter(pk__in=[ln.pk for ln in open_lines]).update(move=new_move)
            reserved = sum((ln.quantity for ln in open_lines), Decimal(0))
            new_move.state = (
                MoveState.ASSIGNED
                if reserved >= remaining
                else MoveState.PARTIAL
                if reserved > 0
                else MoveState.CONFIRMED
            )
            new_move.save(update_fields=["state"])
        else:
            StockMove.objects.filter(pk=move.pk).update(transfer=backorder)
    _refresh_transfer_states({backorder.pk})  # reserved remainders make it (partly) assigned
    return audit.Change("inventory.backorder", backorder, None, audit.snapshot(backorder))
