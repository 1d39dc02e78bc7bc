"""Stock adjustments: counted differences booked to inventory loss, through the approvals engine.

A request creates an adjustment transfer waiting for approval; each line moves
the difference between the location and the company's inventory-loss
location (a gain comes from it, a loss goes to it). The approvals engine
decides by the company's policies (typically: above a value, a warehouse
manager approves); once approved the transfer is confirmed and processed,
once rejected it is cancelled. The requester can never approve their own
adjustment.

Scrap (:mod:`crossdock.inventory.services.scrap`) is a write-off too and goes
through the same document type and policies: a policy on ``amount`` covers
both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crossdock.approvals import registry
from crossdock.approvals.registry import AMOUNT, CATEGORY, WAREHOUSE, DocumentType
from crossdock.approvals.services import submit
from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.permissions import require
from crossdock.inventory.models import Lot, MoveState, StockMove, Transfer, TransferKind
from crossdock.inventory.services.transfers import _reference
from crossdock.inventory.services.validation import DoneLine, validate_transfer
from crossdock.masterdata.models import Location, LocationKind, Product, Warehouse
from crossdock.masterdata.models.organisation import INTERNAL_KINDS

STOCK_ADJUSTMENT = "stock-adjustment"


@dataclass(frozen=True)
class AdjustmentLine:
    product_id: int
    location_id: int
    difference: Decimal  # counted minus expected: positive = gain, negative = loss
    lot_id: int | None = None  # the lot or serial counted (tracked products)


@dataclass(frozen=True)
class AdjustmentDraft:
    warehouse_id: int
    lines: Sequence[AdjustmentLine]
    reason: str


def request_adjustment(actor: Actor, draft: AdjustmentDraft) -> Transfer:
    """Create an adjustment and route it for approval; it is processed once approved."""
    warehouse = Warehouse.objects.filter(pk=draft.warehouse_id).first()
    if warehouse is None:
        raise DomainError("warehouse: unknown warehouse.", fields={"warehouse": ["Unknown."]})
    problems = _problems(draft, warehouse)
    if problems:
        name, messages = next(iter(problems.items()))
        raise DomainError(f"{name}: {messages[0]}", fields=problems)
    loss = Location.objects.get(company=warehouse.company, kind=LocationKind.INVENTORY_LOSS)
    with transaction.atomic():
        transfer = Transfer(
            company=warehouse.company,
            warehouse=warehouse,
            reference=_reference(TransferKind.ADJUSTMENT, warehouse),
            kind=TransferKind.ADJUSTMENT,
            state=MoveState.WAITING_APPROVAL,
            source=loss,
            destination=loss,
            origin=draft.reason[:100],
        )
        require(actor, transfer, "add")
        transfer.save()
        StockMove.objects.bulk_create(
            StockMove(
                company=warehouse.company,
                transfer=transfer,
                product_id=line.product_id,
                quantity=abs(line.difference),
                source_id=loss.pk if line.difference > 0 else line.location_id,
                destination_id=line.location_id if line.difference > 0 else loss.pk,
                lot_id=line.lot_id,
                state=MoveState.WAITING_APPROVAL,
                origin=transfer.reference,
            )
            for line in draft.lines
        )
        audit.record(
            actor,
            audit.Change(
                "inventory.adjustment.request",
                transfer,
                None,
                {
                    "reason": draft.reason,
                    "lines": [
                        [ln.product_id, ln.location_id, str(ln.difference)]
                        + ([ln.lot_id] if ln.lot_id else [])
                        for ln in draft.lines
                    ],
                },
            ),
        )
        submit(actor, transfer)
        transfer.refresh_from_db()
        return transfer


def _problems(draft: AdjustmentDraft, warehouse: Warehouse) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if not draft.reason.strip():
        problems["reason"] = ["Say why the stock is adjusted."]
    if not draft.lines:
        problems["lines"] = ["An adjustment needs at least one line."]
    locations = Location.objects.in_bulk({ln.location_id for ln in draft.lines})
    products = Product.objects.select_related("base_unit").in_bulk(
        {ln.product_id for ln in draft.lines}
    )
    lots = Lot.objects.in_bulk({ln.lot_id for ln in draft.lines if ln.lot_id})
    for index, line in enumerate(draft.lines):
        where = f"lines[{index}]"
        location = locations.get(line.location_id)
        product = products.get(line.product_id)
        if location is None or location.warehouse_id != warehouse.pk:
            problems[f"{where}.location"] = ["Choose a location of this warehouse."]
        elif location.kind not in INTERNAL_KINDS:
            problems[f"{where}.location"] = [f"{location.path} does not hold stock."]
        lot = lots.get(line.lot_id) if line.lot_id else None
        if product is None:
            problems[f"{where}.product"] = ["Unknown product."]
        elif line.lot_id and (lot is None or lot.product_id != product.pk):
            problems[f"{where}.lot"] = ["Not a lot of this product."]
        elif line.difference == 0:
            problems[f"{where}.difference"] = ["A difference of zero changes nothing."]
        else:
            try:
                product.base_unit.check_quantity(abs(line.difference), "difference")
            except ValidationError as error:
                problems[f"{where}.difference"] = [
                    m for ms in error.message_dict.values() for m in ms
                ]
    return problems


def _value(transfer: Transfer) -> Decimal:
    total = Decimal(0)
    for move in transfer.moves.select_related("product"):
        total += move.quantity * move.product.standard_cost
    return total.quantize(Decimal("0.01"))


def _facts(transfer: Transfer) -> dict[str, Any]:
    moves = list(transfer.moves.select_related("product__category"))
    biggest = max(moves, key=lambda m: m.quantity * m.product.standard_cost, default=None)
    return {
        "amount": _value(transfer),
        "warehouse": transfer.warehouse.code,
        "category": biggest.product.category.path if biggest else None,
    }


def _approved(actor: Actor, transfer: Transfer) -> None:
    transfer.moves.filter(state=MoveState.WAITING_APPROVAL).update(state=MoveState.CONFIRMED)
    Transfer.objects.filter(pk=transfer.pk).update(state=MoveState.CONFIRMED)
    moves = list(transfer.moves.select_related("lot").order_by("pk"))
    # A gain of a lot comes from inventory loss like a receipt: processing needs the lot's name.
    gains = {m.pk for m in moves if m.source_id == transfer.source_id}
    done = (
        [DoneLine(m.pk, m.quantity, m.lot.name if m.lot and m.pk in gains else "") for m in moves]
        if any(m.lot_id for m in moves)
        else None
    )
    validate_transfer(Actor.system(f"approved adjustment by {actor.label}"), transfer.pk, done)


def _rejected(actor: Actor, transfer: Transfer, comment: str) -> None:
    transfer.moves.exclude(state=MoveState.DONE).update(state=MoveState.CANCELLED)
    Transfer.objects.filter(pk=transfer.pk).update(
        state=MoveState.CANCELLED, updated_at=timezone.now()
    )
    audit.record(
        actor, audit.Change("inventory.adjustment.rejected", transfer, None, {"comment": comment})
    )


def _describe(move: StockMove) -> str:
    gain = move.destination.kind in INTERNAL_KINDS
    place = move.destination if gain else move.source
    return f"{'+' if gain else '−'}{move.quantity.normalize()} {move.product.sku} @ {place.path}"


def _summary(transfer: Transfer) -> dict[str, str]:
    moves = transfer.moves.select_related("product", "source", "destination")[:10]
    return {
        transfer.get_kind_display(): transfer.reference,
        "Warehouse": transfer.warehouse.name,
        "Reason": transfer.origin,
        "Value at standard cost": str(_value(transfer)),
        "Lines": "; ".join(_describe(move) for move in moves),
    }


registry.register(
    DocumentType(
        code=STOCK_ADJUSTMENT,
        label="Stock adjustment",
        model=Transfer,
        fields={"amount": AMOUNT, "warehouse": WAREHOUSE, "category": CATEGORY},
        facts=_facts,
        company_id=lambda transfer: transfer.company_id,
        summary=_summary,
        on_approved=_approved,
        on_rejected=_rejected,
        category_path=lambda transfer: _facts(transfer)["category"],
    )
)
