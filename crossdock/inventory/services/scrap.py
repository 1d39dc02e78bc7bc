"""Scrap and damage: stock written off, or set aside where it can never be sold.

*Scrap* moves stock from a location of the warehouse to the company's scrap
location (or, for a company set up before scrap locations existed, its
inventory-loss location), with the reason. It is a write-off, so it goes
through the approvals engine exactly like a stock adjustment
(:mod:`crossdock.inventory.services.adjustments`): the company's policies on
the ``stock-adjustment`` document type decide (typically "above 1,000 a
warehouse manager approves"); with no policy applying it is processed at once.
Leaving the company's stock, it is valued out like a delivery.

*Damage* moves stock into the warehouse's damaged location at once (an
internal transfer, no valuation change): it stays on hand but is never
reserved or promised, until it is scrapped or repaired back.

Both check the stock up front (free stock of that product and lot in that
very location) so a scrap waiting for approval is not a promise on stock that
is not there; processing re-checks under the quant locks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from crossdock.approvals.services import submit
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.inventory.models import Lot, MoveState, Quant, Transfer, TransferKind
from crossdock.inventory.services.documents import (
    MoveSpec,
    TransferSpec,
    fail,
    refuse,
    write_transfer,
)
from crossdock.inventory.services.validation import validate_transfer
from crossdock.masterdata.models import Location, LocationKind, Product, Tracking, Warehouse
from crossdock.masterdata.models.organisation import INTERNAL_KINDS
from crossdock.masterdata.services import warehouse_location


@dataclass(frozen=True)
class ScrapLine:
    product_id: int
    location_id: int
    quantity: Decimal
    lot_id: int | None = None


@dataclass(frozen=True)
class ScrapDraft:
    warehouse_id: int
    lines: Sequence[ScrapLine]
    reason: str


def scrap_location(warehouse: Warehouse) -> Location:
    """The company's scrap location, else its inventory-loss location."""
    places = Location.objects.filter(company_id=warehouse.company_id, active=True)
    found = places.filter(kind=LocationKind.SCRAP).order_by("path").first()
    return found or places.get(kind=LocationKind.INVENTORY_LOSS)


def scrap_stock(actor: Actor, draft: ScrapDraft) -> Transfer:
    """Scrap stock (one source location per call), through approval when a policy says so."""
    warehouse, source = _checked(draft)
    with transaction.atomic():
        transfer = write_transfer(
            actor,
            TransferSpec(
                warehouse=warehouse,
                kind=TransferKind.SCRAP,
                source_id=source.pk,
                destination_id=scrap_location(warehouse).pk,
                moves=_moves(draft),
                action="inventory.scrap.request",
                origin=draft.reason.strip(),
                state=MoveState.WAITING_APPROVAL,
            ),
        )
        submit(actor, transfer)
        transfer.refresh_from_db()
        return transfer


def damage_stock(actor: Actor, draft: ScrapDraft) -> Transfer:
    """Move stock into the warehouse's damaged location now; it is never available there."""
    warehouse, source = _checked(draft)
    damaged = warehouse_location(warehouse, LocationKind.DAMAGED)
    if damaged is None or source.pk == damaged.pk:
        refuse("lines[0].location", "The stock is already in the damaged location.")
    with transaction.atomic():
        transfer = write_transfer(
            actor,
            TransferSpec(
                warehouse=warehouse,
                kind=TransferKind.INTERNAL,
                source_id=source.pk,
                destination_id=damaged.pk,
                moves=_moves(draft),
                action="inventory.damage",
                origin=f"Damaged: {draft.reason.strip()}",
            ),
        )
        return validate_transfer(actor, transfer.pk)


def _moves(draft: ScrapDraft) -> list[MoveSpec]:
    return [MoveSpec(line.product_id, line.quantity, line.lot_id) for line in draft.lines]


def _checked(draft: ScrapDraft) -> tuple[Warehouse, Location]:
    """The warehouse and the one source location, every line checked; nothing written."""
    warehouse = Warehouse.objects.filter(pk=draft.warehouse_id).first()
    if warehouse is None:
        raise DomainError("warehouse: unknown warehouse.", fields={"warehouse": ["Unknown."]})
    problems: dict[str, list[str]] = {}
    if not draft.reason.strip():
        problems["reason"] = ["Say why the stock is written off."]
    if not draft.lines:
        problems["lines"] = ["Name at least one product."]
    if len({line.location_id for line in draft.lines}) > 1:
        problems["lines"] = ["One source location per scrap."]
    locations = Location.objects.in_bulk({line.location_id for line in draft.lines})
    products = Product.objects.select_related("base_unit").in_bulk(
        {line.product_id for line in draft.lines}
    )
    lots = Lot.objects.in_bulk({line.lot_id for line in draft.lines if line.lot_id})
    wanted: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
    for index, line in enumerate(draft.lines):
        where = f"lines[{index}]"
        location = locations.get(line.location_id)
        product = products.get(line.product_id)
        if location is None or location.warehouse_id != warehouse.pk:
            problems[f"{where}.location"] = [f"Choose a location of {warehouse.code}."]
        elif location.kind not in INTERNAL_KINDS:
            problems[f"{where}.location"] = [f"{location.path} does not hold stock."]
        if product is None:
            problems[f"{where}.product"] = ["Unknown product."]
            continue
        lot = lots.get(line.lot_id) if line.lot_id else None
        if line.lot_id and (lot is None or lot.product_id != product.pk):
            problems[f"{where}.lot"] = ["Not a lot of this product."]
        elif line.lot_id is None and product.tracking != Tracking.NONE:
            problems[f"{where}.lot"] = [f"{product.sku} is tracked; say which lot or serial."]
        if not isinstance(line.quantity, Decimal) or line.quantity <= 0:
            problems[f"{where}.quantity"] = ["The quantity must be a positive decimal."]
            continue
        try:
            product.base_unit.check_quantity(line.quantity)
        except ValidationError as error:
            problems[f"{where}.quantity"] = [m for ms in error.message_dict.values() for m in ms]
        wanted[(product.pk, line.location_id, line.lot_id)] += line.quantity
    fail(problems)
    for index, line in enumerate(draft.lines):
        key = (line.product_id, line.location_id, line.lot_id)
        free = _free(*key)
        if wanted[key] > free:
            location = locations[line.location_id]
            fail(
                {
                    f"lines[{index}].quantity": [
                        f"Only {free.normalize():f} of {products[line.product_id].sku} "
                        f"free in {location.path}."
                    ]
                }
            )
    return warehouse, locations[draft.lines[0].location_id]


def _free(product_id: int, location_id: int, lot_id: int | None) -> Decimal:
    quants = Quant.objects.filter(product_id=product_id, location_id=location_id)
    quants = quants.filter(lot__isnull=True) if lot_id is None else quants.filter(lot_id=lot_id)
    totals = quants.aggregate(quantity=Sum("quantity"), reserved=Sum("reserved"))
    return (totals["quantity"] or Decimal(0)) - (totals["reserved"] or Decimal(0))
