"""Reserving stock for moves, set-based, in priority order, by removal strategy.

Design overview
---------------
``reserve_moves`` loads the open moves, the quants they could draw from (the
source location's subtree, never quality-hold or damaged stock unless the move
starts there, never expired lots) and locks those quants in primary-key order.
It then serves the moves by priority (customer tier), then promised date, then
age, taking stock in the order of the move's removal strategy — FIFO (oldest
receipt first), FEFO (earliest expiry first) or closest location (pick
sequence) — and records each allocation as a :class:`MoveLine`. Everything is
written with bulk statements: thousands of moves reserve in one transaction.

A service that reserves on the way to taking more row locks (validating a
transfer) passes ``audited=False`` and appends the ``inventory.reserve`` entries
itself (:func:`reservation_changes`) once it holds every other lock: the audit
chain head is the last lock a transaction takes (see the lock order in
:mod:`~crossdock.inventory.services.validation`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from crossdock.core import audit
from crossdock.core.bulk import insert_values, update_values
from crossdock.core.context import Actor
from crossdock.inventory.models import (
    MoveLine,
    MoveState,
    Quant,
    RemovalRule,
    RemovalStrategy,
    StockMove,
    Transfer,
)
from crossdock.inventory.services.quants import save_quants
from crossdock.masterdata.models import Location, LocationKind, Product

BLOCKED_KINDS = (LocationKind.QUALITY_HOLD, LocationKind.DAMAGED)
RESERVABLE_STATES = (MoveState.CONFIRMED, MoveState.PARTIAL)


@dataclass(frozen=True)
class ReservationResult:
    assigned: int
    partial: int
    waiting: int
    transfer_ids: tuple[int, ...] = ()  # the transfers whose moves were served, in key order


@dataclass(slots=True)
class _Move:
    pk: int
    product_id: int
    source_id: int
    destination_id: int
    quantity: Decimal
    priority: int
    promised_on: datetime.date | None
    transfer_id: int | None
    lot_id: int | None
    state: str = MoveState.CONFIRMED


@dataclass(slots=True)
class _Stock:
    pk: int
    product_id: int
    location_id: int
    lot_id: int | None
    quantity: Decimal
    reserved: Decimal
    in_date: datetime.datetime
    path: str
    kind: str
    pick_sequence: int
    expires_on: datetime.date | None


def _strategy_resolver(moves: list[_Move]) -> Any:
    rules = list(RemovalRule.objects.select_related("category", "location"))
    by_location = {r.location.path: r.strategy for r in rules if r.location is not None}
    by_category = {
        r.category.path: r.strategy for r in rules if r.category is not None and r.location is None
    }
    info = {
        pk: (path, shelf_life)
        for pk, path, shelf_life in Product.objects.filter(
            pk__in={m.product_id for m in moves}
        ).values_list("pk", "category__path", "shelf_life_days")
    }

    def strategy(move: _Move, source_path: str) -> str:
        path = source_path
        while path:
            if path in by_location:
                return by_location[path]
            path = path.rpartition("/")[0]
        category_path, shelf_life = info[move.product_id]
        path = category_path
        while path:
            if path in by_category:
                return by_category[path]
            path = path.rpartition("/")[0]
        return RemovalStrategy.FEFO if shelf_life else RemovalStrategy.FIFO

    return strategy


_MOVE_FIELDS = (
    "pk", "product_id", "source_id", "destination_id", "quantity", "priority", "promised_on",
    "transfer_id", "lot_id",
)  # fmt: skip
_STOCK_FIELDS = (
    "pk", "product_id", "location_id", "lot_id", "quantity", "reserved", "in_date",
    "location__path", "location__kind", "location__pick_sequence", "lot__expires_on",
)  # fmt: skip


def reserve_moves(
    actor: Actor, move_ids: Iterable[int], *, audited: bool = True
) -> ReservationResult:
    """Reserve as much as is available for each move, highest priority first.

    With ``audited=False`` the caller records :func:`reservation_changes` itself.
    """
    ids = sorted(set(move_ids))
    with transaction.atomic():
        moves: list[_Move] = []
        for start in range(0, len(ids), 500):
            moves.extend(
                _Move(*row)
                for row in StockMove.objects.select_for_update()
                .filter(pk__in=ids[start : start + 500], state__in=RESERVABLE_STATES)
                .order_by("pk")
                .values_list(*_MOVE_FIELDS)
            )
        if not moves:
            return ReservationResult(0, 0, 0)
        moves.sort(key=lambda m: (m.priority, m.promised_on or datetime.date.max, m.pk))
        sources = Location.objects.in_bulk({m.source_id for m in moves})
        already = _already_reserved(ids)
        candidates = _lock_candidates(moves, sources)
        strategy_of = _strategy_resolver(moves)
        new_lines: list[tuple[Any, ...]] = []
        touched: dict[int, _Stock] = {}
        counts = {"assigned": 0, "partial": 0, "waiting": 0}
        for move in moves:
            source = sources[move.source_id]
            needed = move.quantity - already.get(move.pk, ZERO)
            pool = [
                q
                for q in candidates.get(move.product_id, [])
                if _inside(q, source) and (move.lot_id is None or q.lot_id == move.lot_id)
            ]
            for quant in _ordered(pool, strategy_of(move, source.path)):
                if needed <= 0:
                    break
                free = quant.quantity - quant.reserved
                if free <= 0:
                    continue
                take = min(free, needed)
                quant.reserved += take
                touched[quant.pk] = quant
                needed -= take
                new_lines.append(
                    (move.pk, move.product_id, quant.location_id, move.destination_id,
                     quant.lot_id, take, False)
                )  # fmt: skip
            if needed <= 0:
                move.state = MoveState.ASSIGNED
                counts["assigned"] += 1
            elif needed < move.quantity:
                move.state = MoveState.PARTIAL
                counts["partial"] += 1
            else:
                counts["waiting"] += 1
        insert_values(
            MoveLine,
            ["move", "product", "source", "destination", "lot", "quantity", "done"],
            new_lines,
        )
        update_values(Quant, ["reserved"], [(q.reserved, q.pk) for q in touched.values()])
        update_values(StockMove, ["state"], [(m.state, m.pk) for m in moves])
        transfer_ids = tuple(sorted({m.transfer_id for m in moves if m.transfer_id}))
        _refresh_transfer_states(set(transfer_ids))
        if audited:
            for change in reservation_changes(transfer_ids):
                audit.record(actor, change)
        return ReservationResult(**counts, transfer_ids=transfer_ids)


def reservation_changes(transfer_ids: Iterable[int]) -> list[audit.Change]:
    """The ``inventory.reserve`` audit entries for the transfers a reservation served."""
    transfers = Transfer.objects.in_bulk(set(transfer_ids))
    return [
        audit.Change("inventory.reserve", transfers[pk], None, None) for pk in sorted(transfers)
    ]


ZERO = Decimal(0)


def _already_reserved(ids: list[int]) -> dict[int, Decimal]:
    result: dict[int, Decimal] = {}
    for start in range(0, len(ids), 500):
        result.update(
            MoveLine.objects.filter(move_id__in=ids[start : start + 500], done=False)
            .values_list("move_id")
            .annotate(total=Sum("quantity"))
        )
    return result


def _inside(quant: _Stock, source: Location) -> bool:
    if quant.location_id == source.pk:
        return True
    if quant.kind in BLOCKED_KINDS:
        return False
    return quant.path.startswith(source.path + "/")


def _ordered(pool: list[_Stock], strategy: str) -> list[_Stock]:
    if strategy == RemovalStrategy.FEFO:
        return sorted(pool, key=lambda q: (q.expires_on or datetime.date.max, q.in_date, q.pk))
    if strategy == RemovalStrategy.CLOSEST:
        return sorted(pool, key=lambda q: (q.pick_sequence, q.path, q.pk))
    return sorted(pool, key=lambda q: (q.in_date, q.pk))


def _lock_candidates(moves: list[_Move], sources: dict[int, Location]) -> dict[int, list[_Stock]]:
    """Quants with free stock the moves could use, locked in ascending primary-key order."""
    today = timezone.now().date()
    area = Q()
    for source in {sources[m.source_id] for m in moves}:
        area |= Q(location=source) | Q(
            location__path__startswith=source.path + "/", location__company_id=source.company_id
        )
    product_ids = sorted({m.product_id for m in moves})
    candidate_pks: list[int] = []
    for start in range(0, len(product_ids), 500):
        candidate_pks.extend(
            Quant.objects.filter(area, product_id__in=product_ids[start : start + 500])
            .exclude(lot__expires_on__lt=today)
            .values_list("pk", flat=True)
        )
    candidate_pks.sort()
    result: dict[int, list[_Stock]] = defaultdict(list)
    for start in range(0, len(candidate_pks), 500):
        rows = (
            Quant.objects.select_for_update(of=("self",))
            .filter(pk__in=candidate_pks[start : start + 500])
            .order_by("pk")
            .values_list(*_STOCK_FIELDS)
        )
        for row in rows:
            quant = _Stock(*row)
            if quant.quantity > quant.reserved:
                result[quant.product_id].append(quant)
    return result


def _refresh_transfer_states(transfer_ids: set[int]) -> None:
    for transfer_id in sorted(transfer_ids):
        states = set(
            StockMove.objects.filter(transfer_id=transfer_id)
            .exclude(state__in=[MoveState.CANCELLED, MoveState.DONE])
            .values_list("state", flat=True)
        )
        if not states:
            continue
        if states == {MoveState.ASSIGNED}:
            state = MoveState.ASSIGNED
        elif states & {MoveState.ASSIGNED, MoveState.PARTIAL}:
            state = MoveState.PARTIAL
        else:
            state = MoveState.CONFIRMED
        Transfer.objects.filter(pk=transfer_id).update(state=state)


def release_lines(lines: list[MoveLine]) -> None:
    """Give the reserved stock of open lines back to their quants and delete the lines."""
    open_lines = [line for line in lines if not line.done]
    if not open_lines:
        return
    from crossdock.inventory.services.quants import lock_quants

    quants = lock_quants((ln.product_id, ln.source_id, ln.lot_id) for ln in open_lines)
    for line in open_lines:
        quant = quants[(line.product_id, line.source_id, line.lot_id)]
        quant.reserved -= line.quantity
    save_quants(quants.values())
    MoveLine.objects.filter(pk__in=[ln.pk for ln in open_lines]).delete()


def unreserve_move(actor: Actor, move_id: int) -> StockMove:
    """Release a move's reservation (it goes back to waiting for stock)."""
    with transaction.atomic():
        move = StockMove.objects.select_for_update().get(pk=move_id)
        release_lines(list(move.lines.filter(done=False)))
        if move.state in (MoveState.ASSIGNED, MoveState.PARTIAL):
            move.state = MoveState.CONFIRMED
            move.save(update_fields=["state"])
        if move.transfer_id:
            _refresh_transfer_states({move.transfer_id})
        return move
