"""Sending stock from one warehouse to another, through transit.

A dispatch (``TRANSIT_OUT``) takes stock from the sending warehouse to a
transit location; validating it (all or part, the rest on a backorder)
creates the arrival (``TRANSIT_IN``) at the receiving warehouse for exactly the
quantities and lots dispatched, scheduled for the expected arrival date
(:mod:`crossdock.inventory.services.steps`). Until the arrival is confirmed
the goods are on hand in transit: the stock screens show them there, and the
receiving warehouse's availability counts them as incoming (and in transit).
Confirming the arrival validates it; a short arrival leaves a backorder still
in transit.

Valuation
---------
Inside one company the goods travel through the company's own transit
location and keep their cost: no valuation layer is written (see
:mod:`crossdock.inventory.services.valuation`).

Between two companies of the group the goods go to the *receiving* company's
transit location, so ownership passes at dispatch: the sender's stock is
valued out at its cost (FIFO/average/standard) and the receiver's stock in at
the transfer price carried by each move (``unit_cost``; by default the
product's standard cost). Accounting posts this as an inter-company sale by
the sender and a purchase by the receiver at the transfer price, from the
``StockValued`` events of both companies; the inventory side only records the
layers.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError
from crossdock.core.permissions import require
from crossdock.inventory.models import Lot, MoveState, Transfer, TransferKind
from crossdock.inventory.services.documents import (
    MoveSpec,
    TransferSpec,
    fail,
    refuse,
    write_transfer,
)
from crossdock.inventory.services.reservation import reserve_moves
from crossdock.inventory.services.transfers import lock_transfer
from crossdock.inventory.services.validation import DoneLine, validate_transfer
from crossdock.masterdata.models import Location, LocationKind, Product, Warehouse
from crossdock.masterdata.models.organisation import INTERNAL_KINDS
from crossdock.masterdata.services import warehouse_location


@dataclass(frozen=True)
class DispatchLine:
    product_id: int
    quantity: Decimal
    lot_id: int | None = None
    transfer_price: Decimal | None = None  # between companies; the standard cost by default


@dataclass(frozen=True)
class DispatchDraft:
    from_warehouse_id: int
    to_warehouse_id: int
    lines: Sequence[DispatchLine]
    expected_on: datetime.date | None = None
    source_id: int | None = None  # where the goods are taken; the stock location by default
    destination_id: int | None = None  # where they arrive; the stock location by default
    origin: str = ""


def dispatch_to_warehouse(actor: Actor, draft: DispatchDraft) -> Transfer:
    """Create the dispatch (confirmed and reserved); validating it creates the arrival."""
    sender, receiver, source, destination, transit = _places(draft)
    moves = _moves(draft, sender, receiver)
    with transaction.atomic():
        dispatch = write_transfer(
            actor,
            TransferSpec(
                warehouse=sender,
                kind=TransferKind.TRANSIT_OUT,
                source_id=source.pk,
                destination_id=transit.pk,
                moves=moves,
                action="inventory.dispatch",
                origin=draft.origin or f"{sender.code}>{receiver.code}",
                extra={"final_destination": destination, "promised_on": draft.expected_on},
            ),
        )
        reserve_moves(actor, dispatch.moves.values_list("pk", flat=True))
        dispatch.refresh_from_db()
        return dispatch


def _places(draft: DispatchDraft) -> tuple[Warehouse, Warehouse, Location, Location, Location]:
    warehouses = Warehouse.objects.select_related("company").in_bulk(
        [draft.from_warehouse_id, draft.to_warehouse_id]
    )
    sender = warehouses.get(draft.from_warehouse_id)
    receiver = warehouses.get(draft.to_warehouse_id)
    problems: dict[str, list[str]] = {}
    if sender is None:
        problems["from_warehouse"] = ["Unknown warehouse."]
    if receiver is None:
        problems["to_warehouse"] = ["Unknown warehouse."]
    elif sender is not None and receiver.pk == sender.pk:
        problems["to_warehouse"] = ["Choose another warehouse than the sending one."]
    elif not receiver.active or not receiver.company.active:
        problems["to_warehouse"] = [f"{receiver.code} is not active."]
    fail(problems)
    assert sender is not None
    assert receiver is not None
    source = _stock_place(sender, draft.source_id, "source")
    destination = _stock_place(receiver, draft.destination_id, "destination")
    transit = (
        Location.objects.filter(
            company_id=receiver.company_id, kind=LocationKind.TRANSIT, active=True
        )
        .order_by("path")
        .first()
    )
    if transit is None:
        refuse("to_warehouse", f"{receiver.company} has no transit location.")
    assert transit is not None
    return sender, receiver, source, destination, transit


def _stock_place(warehouse: Warehouse, location_id: int | None, name: str) -> Location:
    """A stock location of ``warehouse`` (its stock location by default), or a refusal."""
    if location_id is None:
        found = warehouse_location(warehouse, LocationKind.RESERVE)
        if found is None:
            refuse(name, f"{warehouse.code} has no stock location.")
        return found
    place = Location.objects.filter(pk=location_id).first()
    if place is None:
        refuse(name, "Unknown location.")
    assert place is not None
    if place.company_id != warehouse.company_id:
        refuse(name, f"{place.path} belongs to another company than {warehouse.code}.")
    if place.warehouse_id != warehouse.pk or place.kind not in INTERNAL_KINDS:
        refuse(name, f"Choose a stock location of {warehouse.code}.")
    return place


def _moves(draft: DispatchDraft, sender: Warehouse, receiver: Warehouse) -> list[MoveSpec]:
    between_companies = sender.company_id != receiver.company_id
    products = Product.objects.select_related("base_unit").in_bulk(
        {line.product_id for line in draft.lines}
    )
    lots = Lot.objects.in_bulk({line.lot_id for line in draft.lines if line.lot_id})
    problems: dict[str, list[str]] = {}
    if not draft.lines:
        problems["lines"] = ["Name at least one product."]
    moves = []
    for index, line in enumerate(draft.lines):
        where = f"lines[{index}]"
        product = products.get(line.product_id)
        if product is None:
            problems[f"{where}.product"] = ["Unknown product."]
            continue
        if line.lot_id and (line.lot_id not in lots or lots[line.lot_id].product_id != product.pk):
            problems[f"{where}.lot"] = ["Not a lot of this product."]
        if not isinstance(line.quantity, Decimal) or line.quantity <= 0:
            problems[f"{where}.quantity"] = ["The quantity must be a positive decimal."]
            continue
        try:
            product.base_unit.check_quantity(line.quantity)
        except ValidationError as error:
            problems[f"{where}.quantity"] = [m for ms in error.message_dict.values() for m in ms]
        if line.transfer_price is not None and line.transfer_price < 0:
            problems[f"{where}.transfer_price"] = ["The transfer price cannot be negative."]
        price = None
        if between_companies:
            price = product.standard_cost if line.transfer_price is None else line.transfer_price
        moves.append(MoveSpec(product.pk, line.quantity, line.lot_id, unit_cost=price))
    fail(problems)
    return moves


def confirm_arrival(
    actor: Actor,
    arrival_id: Any,
    done: Sequence[DoneLine] | None = None,
    *,
    location_id: int | None = None,
) -> Transfer:
    """Receive an arrival (all of it, or ``done``; the rest stays in transit on a backorder).

    ``location_id`` receives into another stock location of the arriving
    warehouse than the one planned.
    """
    with transaction.atomic():
        arrival = lock_transfer(arrival_id)
        require(actor, arrival, "change")
        if arrival.kind != TransferKind.TRANSIT_IN:
            raise ConflictError(
                f"{arrival.reference} is not an arrival from another warehouse.",
                fields={"transfer": ["Not an arrival."]},
            )
        if location_id is not None and location_id != arrival.destination_id:
            place = _stock_place(arrival.warehouse, location_id, "location")
            open_moves = arrival.moves.exclude(state__in=[MoveState.DONE, MoveState.CANCELLED])
            open_moves.update(destination=place)
            Transfer.objects.filter(pk=arrival.pk).update(destination=place)
        return validate_transfer(actor, arrival.pk, done)
