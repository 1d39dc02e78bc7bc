"""Receiving an authorized return with inspection, and resolving it.

See the design overview of :mod:`crossdock.sales.services.returns`; this
module holds the two steps after authorization: :func:`receive_return` (the
warehouse) and :func:`resolve_return` (AR for a credit note, sales for a
replacement order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, refuse_if
from crossdock.core.fields import QUANTITY_SCALE
from crossdock.core.inputs import exact, refuse
from crossdock.inventory.models import StockMove, Transfer
from crossdock.masterdata.models import LocationKind, Warehouse
from crossdock.sales.models import (
    ReturnAuthorization,
    ReturnLine,
    ReturnResolution,
    ReturnState,
    SalesOrder,
)
from crossdock.sales.models.returns import RECEIVABLE_STATES
from crossdock.sales.services.returns import (
    changed,
    in_state,
    require_role,
    return_picture,
    visible_return,
)

ZERO = Decimal(0)


@dataclass(frozen=True)
class LineInspection:
    """What arrived of one RMA line and what inspection decided (they add up)."""

    line_id: Any
    received: Any
    restocked: Any = "0"
    held: Any = "0"
    scrapped: Any = "0"


@dataclass(frozen=True)
class ReturnReceipt:
    lines: Sequence[LineInspection]
    note: str = ""


@dataclass
class _Outcome:
    line: ReturnLine
    received: Decimal
    restocked: Decimal = ZERO
    held: Decimal = ZERO
    scrapped: Decimal = ZERO

    @property
    def move(self) -> StockMove:
        """The return move bringing the line's goods back (set when the RMA was authorized)."""
        move = self.line.return_move
        assert move is not None
        return move


# -- receiving ------------------------------------------------------------------------------


def _outcomes(
    rma: ReturnAuthorization, receipt: ReturnReceipt, waiting: dict[int, ReturnLine]
) -> list[_Outcome]:
    """Every named line checked; the lines on the same return transfers not named arrived
    with nothing (a return transfer is received whole)."""
    problems: dict[str, list[str]] = {}
    if not receipt.lines:
        problems["lines"] = ["Say what arrived."]
    if len(receipt.note) > 500:
        problems["note"] = ["At most 500 characters."]
    found: dict[int, _Outcome] = {}
    for index, given in enumerate(receipt.lines):
        where = f"lines[{index}]"
        line = waiting.get(int(given.line_id)) if str(given.line_id).isdigit() else None
        if line is None:
            problems[f"{where}.line"] = [f"Not a line of {rma.reference} waiting for goods."]
            continue
        if line.pk in found:
            problems[f"{where}.line"] = ["Name each line once."]
            continue
        amounts: list[Decimal] = []
        for name in ("received", "restocked", "held", "scrapped"):
            raw = getattr(given, name)
            value = exact(
                "0" if raw in (None, "") and name != "received" else raw,
                QUANTITY_SCALE,
                f"{where}.{name}",
                problems,
            )
            if value is not None:
                amounts.append(value)
        if len(amounts) < 4:
            continue
        outcome = _Outcome(line, *amounts)
        received = outcome.received
        if received > line.quantity:
            problems[f"{where}.received"] = [
                f"At most {line.quantity.normalize():f} of {line.product.sku} was authorized."
            ]
            continue
        if outcome.restocked + outcome.held + outcome.scrapped != received:
            problems[f"{where}.received"] = [
                f"Restocked, held and scrapped must add up to the {received.normalize():f} "
                "received."
            ]
            continue
        found[line.pk] = outcome
    refuse_if(problems)
    touched = {o.move.transfer_id for o in found.values()}
    for line in waiting.values():
        rest = _Outcome(line, ZERO)
        if line.pk not in found and rest.move.transfer_id in touched:
            found[line.pk] = rest
    return list(found.values())


def _receive_transfers(actor: Actor, rma: ReturnAuthorization, outcomes: list[_Outcome]) -> None:
    """Process each touched return transfer for what arrived; cancel what did not."""
    from crossdock.inventory.models.stock import OPEN_STATES
    from crossdock.inventory.services.transfers import cancel_transfer
    from crossdock.inventory.services.validation import DoneLine, validate_transfer

    system = Actor.system(f"{rma.reference} received by {actor.label}")
    by_transfer: dict[int, list[_Outcome]] = defaultdict(list)
    for outcome in outcomes:
        assert outcome.move.transfer_id is not None
        by_transfer[outcome.move.transfer_id].append(outcome)
    for transfer_id, part in sorted(by_transfer.items()):
        done = [DoneLine(o.move.pk, o.received) for o in part if o.received > 0]
        if not done:
            cancel_transfer(system, transfer_id)
            continue
        validate_transfer(actor, transfer_id, done)
        for rest in Transfer.objects.filter(backorder_of_id=transfer_id, state__in=OPEN_STATES):
            cancel_transfer(system, rest.pk)


def _warehouse_of(outcome: _Outcome) -> int:
    transfer = outcome.move.transfer
    assert transfer is not None
    return transfer.warehouse_id


def _dispose(actor: Actor, rma: ReturnAuthorization, outcomes: list[_Outcome]) -> None:
    """Restock (into stock, at once) and scrap (governed) out of each warehouse's quality hold."""
    from crossdock.inventory.services.scrap import ScrapDraft, ScrapLine, scrap_stock
    from crossdock.inventory.services.transfers import (
        LineDraft,
        TransferDraft,
        confirm_transfer,
        create_transfer,
    )
    from crossdock.inventory.services.validation import validate_transfer
    from crossdock.masterdata.services import warehouse_location

    by_warehouse: dict[int, list[_Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_warehouse[_warehouse_of(outcome)].append(outcome)
    for warehouse_id, part in sorted(by_warehouse.items()):
        warehouse = Warehouse.objects.get(pk=warehouse_id)
        hold = warehouse_location(warehouse, LocationKind.QUALITY_HOLD)
        restock = [o for o in part if o.restocked > 0]
        if restock:
            stock = warehouse_location(warehouse, LocationKind.RESERVE)
            transfer = create_transfer(
                actor,
                TransferDraft(
                    warehouse_id=warehouse_id,
                    kind="internal",
                    source_id=hold.pk,
                    destination_id=stock.pk,
                    lines=[
                        LineDraft(o.line.product_id, o.restocked, o.move.lot_id) for o in restock
                    ],
                    origin=rma.reference,
                ),
            )
            confirm_transfer(actor, transfer.pk)
            validate_transfer(actor, transfer.pk)
        scrap = [o for o in part if o.scrapped > 0]
        if scrap:
            scrap_stock(
                actor,
                ScrapDraft(
                    warehouse_id=warehouse_id,
                    lines=[
                        ScrapLine(
                            o.line.product_id,
                            hold.pk,
                            o.scrapped,
                            o.move.lot_id,
                        )
                        for o in scrap
                    ],
                    reason=f"{rma.reference}: returned by {rma.customer.code}, "
                    f"{rma.get_reason_display().lower()}",
                ),
            )


def receive_return(actor: Actor, rma_id: Any, receipt: ReturnReceipt) -> ReturnAuthorization:
    """Receive return transfers of an authorized RMA and record each line's inspection."""
    with transaction.atomic():
        rma = visible_return(actor, rma_id, "change")
        require_role(
            actor,
            Transfer,
            "change",
            "Returned goods are received by the warehouse; your roles do not process transfers.",
        )
        in_state(rma, *RECEIVABLE_STATES)
        waiting = {
            line.pk: line
            for line in rma.lines.filter(inspected=False).select_related(
                "product", "return_move__transfer"
            )
        }
        outcomes = _outcomes(rma, receipt, waiting)
        before = return_picture(rma)
        _receive_transfers(actor, rma, outcomes)
        _dispose(actor, rma, outcomes)
        for o in outcomes:
            o.line.received_quantity = o.received
            o.line.restocked_quantity = o.restocked
            o.line.held_quantity = o.held
            o.line.scrapped_quantity = o.scrapped
            o.line.inspected = True
        ReturnLine.objects.bulk_update(
            [o.line for o in outcomes],
            [
                "received_quantity",
                "restocked_quantity",
                "held_quantity",
                "scrapped_quantity",
                "inspected",
            ],
        )
        everything_in = len(outcomes) == len(waiting)
        rma.state = ReturnState.RECEIVED if everything_in else ReturnState.RECEIVING
        if everything_in:
            rma.received_at = timezone.now()
        rma.save(update_fields=["state", "received_at", "updated_at"])
        changed(
            actor, rma, "receive", before, {**return_picture(rma), "note": receipt.note.strip()}
        )
        return rma


# -- resolving ------------------------------------------------------------------------------


def _credit_plan(lines: list[ReturnLine]) -> tuple[dict[int, list[Any]], list[str]]:
    """Per posted invoice, the credit lines for the received quantities; and what could not be
    credited because it was not invoiced (or already credited)."""
    from crossdock.accounting.models import InvoiceLine
    from crossdock.accounting.models.invoices import InvoiceKind, InvoiceState
    from crossdock.accounting.services.invoice_sources import CreditLine

    moves = [line.delivered_move_id for line in lines]
    invoiced = list(
        InvoiceLine.objects.filter(
            stock_move_id__in=moves,
            invoice__kind=InvoiceKind.CUSTOMER_INVOICE,
            invoice__state=InvoiceState.POSTED,
        ).order_by("invoice_id", "sequence", "pk")
    )
    credited: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for invoice_id, move_id, product_id, price, total in (
        InvoiceLine.objects.filter(
            stock_move_id__in=moves,
            invoice__kind=InvoiceKind.CUSTOMER_CREDIT,
            invoice__credit_of__isnull=False,
        )
        .exclude(invoice__state=InvoiceState.CANCELLED)
        .values_list("invoice__credit_of_id", "stock_move_id", "product_id", "unit_price")
        .annotate(total=Sum("quantity"))
    ):
        credited[(invoice_id, move_id, product_id, price)] += total
    plan: dict[int, list[Any]] = defaultdict(list)
    short: list[str] = []
    for line in lines:
        rest = line.received_quantity
        for invoice_line in (x for x in invoiced if x.stock_move_id == line.delivered_move_id):
            key = (
                invoice_line.invoice_id,
                invoice_line.stock_move_id,
                invoice_line.product_id,
                invoice_line.unit_price,
            )
            room = min(invoice_line.quantity, max(invoice_line.quantity - credited[key], ZERO))
            take = min(rest, room)
            if take <= 0:
                continue
            credited[key] += take
            rest -= take
            line.credited_quantity += take
            plan[invoice_line.invoice_id].append(CreditLine(invoice_line.pk, take))
        if rest > 0:
            short.append(f"{line.product.sku} {rest.normalize():f}")
    return plan, short


def _resolve_credit(actor: Actor, rma: ReturnAuthorization, lines: list[ReturnLine]) -> str:
    from crossdock.accounting.models import Invoice
    from crossdock.accounting.services.invoice_sources import credit_note_for
    from crossdock.accounting.services.invoicing import post_invoice

    require_role(
        actor,
        Invoice,
        "add",
        "Credit notes are written by accounts receivable; your roles do not write invoices.",
    )
    plan, short = _credit_plan(lines)
    notes = []
    for invoice_id, credit_lines in sorted(plan.items()):
        note = credit_note_for(actor, invoice_id, credit_lines)
        notes.append(post_invoice(actor, note.pk))
    ReturnLine.objects.bulk_update(lines, ["credited_quantity"])
    rma.credit_notes.add(*notes)
    said = []
    if notes:
        said.append("Credited on " + ", ".join(str(n) for n in notes) + ".")
    if short:
        said.append(
            "Not invoiced yet, so nothing credited for: "
            + ", ".join(short)
            + " (invoice the customer only for what it keeps)."
        )
    if not said:
        said.append("Nothing was received, so nothing was credited.")
    return " ".join(said)


def _resolve_replacement(actor: Actor, rma: ReturnAuthorization, lines: list[ReturnLine]) -> str:
    from crossdock.sales.services.orders import (
        SalesLineDraft,
        SalesOrderDraft,
        confirm_sales_order,
        create_sales_order,
    )

    require_role(
        actor,
        SalesOrder,
        "add",
        "A replacement is a new sales order; your roles do not enter sales orders.",
    )
    wanted = [line for line in lines if line.received_quantity > 0]
    if not wanted:
        return "Nothing was received, so nothing was replaced."
    currencies = {line.order_line.order.currency_id for line in wanted}
    if len(currencies) > 1:
        raise refuse(
            "resolution",
            "The returned orders are in several currencies; one replacement order cannot "
            "carry all of them.",
            ConflictError,
        )
    order = create_sales_order(
        actor,
        SalesOrderDraft(
            customer_id=rma.customer_id,
            currency_id=currencies.pop(),
            lines=[
                SalesLineDraft(
                    product_id=line.product_id,
                    quantity=line.received_quantity,
                    unit_price=line.order_line.unit_price,
                    warehouse_id=line.order_line.warehouse_id,
                    description=line.order_line.description,
                )
                for line in wanted
            ],
            customer_reference=rma.reference[:60],
            note=f"Replacement for {rma.reference}"[:200],
        ),
    )
    order = confirm_sales_order(actor, order.pk)
    rma.replacement_order = order
    return f"Replaced by {order.reference} ({order.get_state_display().lower()})."


def resolve_return(actor: Actor, rma_id: Any) -> ReturnAuthorization:
    """Close a received RMA with its credit note or replacement order."""
    with transaction.atomic():
        rma = visible_return(actor, rma_id, "change")
        in_state(rma, ReturnState.RECEIVED)
        before = return_picture(rma)
        lines = list(
            rma.lines.select_related("product", "order_line__order").order_by("sequence", "pk")
        )
        if rma.resolution == ReturnResolution.CREDIT_NOTE:
            said = _resolve_credit(actor, rma, lines)
        else:
            said = _resolve_replacement(actor, rma, lines)
        rma.state = ReturnState.CLOSED
        rma.closed_at = timezone.now()
        rma.resolution_note = said[:500]
        rma.save(
            update_fields=[
                "state",
                "closed_at",
                "resolution_note",
                "replacement_order",
                "updated_at",
            ]
        )
        changed(
            actor,
            rma,
            "resolve",
            before,
            {
                **return_picture(rma),
                "credit_notes": sorted(n.pk for n in rma.credit_notes.all()),
                "replacement_order": rma.replacement_order_id,
            },
        )
        return rma
