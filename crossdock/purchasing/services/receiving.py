"""Receiving goods against purchase orders.

:func:`receive_purchase_order` turns what the warehouse counted off the truck
— per order line a quantity, and for tracked products the lot or serial and
its expiry — into one receipt transfer from the supplier into the order's
warehouse (through input and quality where the warehouse receives in steps),
processes it at once, and links each receipt move to its order line. The
moves carry the order price converted at the day's rate into the company's
currency, so stock is valued at what was ordered and the bill's difference
becomes a price variance. Receiving more than the company's over-receipt
tolerance allows is refused before anything is written.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.errors import refuse_if
from crossdock.core.fields import PRICE_SCALE, QUANTITY_SCALE
from crossdock.core.inputs import exact
from crossdock.inventory.models import Transfer, TransferKind
from crossdock.inventory.services import (
    DoneLine,
    LineDraft,
    TransferDraft,
    confirm_transfer,
    create_transfer,
    validate_transfer,
)
from crossdock.masterdata.models import Location, LocationKind
from crossdock.masterdata.services import warehouse_location
from crossdock.purchasing.models import PurchaseOrderLine, PurchaseReceiptLine
from crossdock.purchasing.models.orders import RECEIVABLE_STATES
from crossdock.purchasing.selectors import settings_for
from crossdock.purchasing.services.orders import (
    _changed,
    _in_state,
    _refuse_intercompany,
    _visible_order,
    refresh_progress,
)

HUNDRED = Decimal(100)
PRICE = Decimal(1).scaleb(-PRICE_SCALE)


@dataclass(frozen=True)
class ReceiptLine:
    """What arrived for one order line (one lot or serial per receipt line)."""

    line_id: int
    quantity: Decimal
    lot_name: str = ""
    expires_on: datetime.date | None = None


def receive_purchase_order(
    actor: Actor, order_id: Any, lines: Sequence[ReceiptLine], *, note: str = ""
) -> Transfer:
    """Receive goods on an order: one processed receipt transfer, linked line by line."""
    from crossdock.accounting.services.rates import company_rate

    with transaction.atomic():
        order = _visible_order(actor, order_id, "view")
        _refuse_intercompany(order, "receive")
        _in_state(order, *RECEIVABLE_STATES)
        order_lines = {
            line.pk: line
            for line in order.lines.select_for_update(of=("self",))
            .select_related("product")
            .order_by("pk")
        }
        tolerance = settings_for(order.company_id).over_receipt_percent
        problems: dict[str, list[str]] = {}
        if not lines:
            problems["lines"] = ["Receive at least one line."]
        arriving: dict[int, Decimal] = {}
        for index, item in enumerate(lines):
            where = f"lines[{index}]"
            line = order_lines.get(item.line_id)
            if line is None:
                problems[f"{where}.line"] = [f"Line {item.line_id} is not on {order.reference}."]
                continue
            quantity = exact(
                item.quantity, QUANTITY_SCALE, f"{where}.quantity", problems, positive=True
            )
            if quantity is not None:
                arriving[line.pk] = arriving.get(line.pk, Decimal(0)) + quantity
        for line_id, quantity in arriving.items():
            line = order_lines[line_id]
            allowed = line.quantity * (1 + tolerance / HUNDRED)
            if line.received_quantity + quantity > allowed:
                index = next(i for i, item in enumerate(lines) if item.line_id == line_id)
                problems[f"lines[{index}].quantity"] = [
                    f"{line.product.sku}: {line.received_quantity.normalize():f} received and "
                    f"{quantity.normalize():f} arriving is more than the "
                    f"{line.quantity.normalize():f} ordered allows "
                    f"(over-receipt tolerance {tolerance.normalize():f} %)."
                ]
        refuse_if(problems)
        today = timezone.localdate()
        rate = company_rate(order.company, order.currency, today)
        supplier_location = Location.objects.get(
            company=order.company, warehouse__isnull=True, kind=LocationKind.SUPPLIER
        )
        destination = warehouse_location(order.warehouse, LocationKind.RESERVE)
        draft = TransferDraft(
            warehouse_id=order.warehouse_id,
            kind=TransferKind.RECEIPT,
            source_id=supplier_location.pk,
            destination_id=destination.pk,
            partner_id=order.supplier_id,
            origin=order.reference,
            lines=[
                LineDraft(
                    order_lines[item.line_id].product_id,
                    Decimal(item.quantity),
                    unit_cost=(order_lines[item.line_id].unit_price * rate).quantize(PRICE),
                )
                for item in lines
            ],
        )
        transfer = create_transfer(actor, draft)
        confirm_transfer(actor, transfer.pk)
        moves = list(transfer.moves.order_by("pk"))
        done = [
            DoneLine(move.pk, Decimal(item.quantity), item.lot_name.strip(), item.expires_on)
            for move, item in zip(moves, lines, strict=True)
        ]
        transfer = validate_transfer(actor, transfer.pk, done)
        PurchaseReceiptLine.objects.bulk_create(
            PurchaseReceiptLine(line_id=item.line_id, move=move, quantity=Decimal(item.quantity))
            for move, item in zip(moves, lines, strict=True)
        )
        for line_id, quantity in arriving.items():  # the lines are locked above
            order_lines[line_id].received_quantity += quantity
        PurchaseOrderLine.objects.bulk_update(
            [order_lines[line_id] for line_id in arriving], ["received_quantity"]
        )
        before = audit.snapshot(order)
        refresh_progress(order)
        _changed(
            actor,
            order,
            "receive",
            before,
            {
                **audit.snapshot(order),
                "receipt": transfer.reference,
                "received": {str(k): str(v) for k, v in arriving.items()},
                "note": note,
            },
        )
        from crossdock.purchasing.services.matching import rematch_waiting_bills

        rematch_waiting_bills(actor, order)
        return transfer
