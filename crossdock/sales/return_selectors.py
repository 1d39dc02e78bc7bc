"""Queries for customer returns: what a customer can still return, and an RMA's picture."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from crossdock.inventory.models import MoveState, StockMove
from crossdock.masterdata.models import LocationKind, Partner
from crossdock.sales.models import ReturnAuthorization, SalesOrder, SalesOrderLine
from crossdock.sales.services.returns import RETURN_APPROVAL, open_return_transfers, returnable

MAX_DELIVERED = 500


@dataclass(frozen=True)
class Returnable:
    """A done delivery move of one of the customer's orders with something left to return."""

    move_id: int
    order_id: int
    order_reference: str
    order_line_id: int | None
    delivery_reference: str
    product_id: int
    sku: str
    name: str
    delivered: Decimal
    returnable: Decimal
    unit_price: Decimal | None
    currency: str
    done_at: Any


def returnable_deliveries(user: Any, customer: Partner) -> list[Returnable]:
    """The customer's delivered lines still returnable, newest first (at most 500)."""
    orders = {
        o.reference: o
        for o in SalesOrder.objects.restrict(user)
        .filter(customer=customer)
        .select_related("currency")
    }
    moves = list(
        StockMove.objects.filter(
            transfer__origin__in=list(orders),
            state=MoveState.DONE,
            destination__kind=LocationKind.CUSTOMER,
        )
        .select_related("transfer", "product")
        .order_by("-done_at", "-pk")[:MAX_DELIVERED]
    )
    left = returnable([m.pk for m in moves])
    first_line: dict[tuple[int, int], SalesOrderLine] = {}
    for order_line in SalesOrderLine.objects.filter(
        order_id__in=[o.pk for o in orders.values()]
    ).order_by("-sequence", "-pk"):
        first_line[(order_line.order_id, order_line.product_id)] = order_line
    rows = []
    for move in moves:
        assert move.transfer is not None
        order = orders[move.transfer.origin]
        line = first_line.get((order.pk, move.product_id))
        if left.get(move.pk, Decimal(0)) <= 0:
            continue
        rows.append(
            Returnable(
                move_id=move.pk,
                order_id=order.pk,
                order_reference=order.reference,
                order_line_id=line.pk if line else None,
                delivery_reference=move.transfer.reference,
                product_id=move.product_id,
                sku=move.product.sku,
                name=move.product.name,
                delivered=move.quantity,
                returnable=left[move.pk],
                unit_price=line.unit_price if line else None,
                currency=order.currency.code,
                done_at=move.done_at,
            )
        )
    return rows


def return_detail(rma: ReturnAuthorization) -> dict[str, Any]:
    """The RMA with its lines, its approval request, transfers and resolution, JSON-ready."""
    from crossdock.approvals.services import request_for
    from crossdock.inventory.models import Transfer

    request = request_for(RETURN_APPROVAL, rma.pk)
    lines = rma.lines.select_related(
        "product", "order_line__order", "delivered_move__transfer", "return_move__transfer"
    ).order_by("sequence", "pk")
    transfers = Transfer.objects.filter(origin=rma.reference).order_by("pk")
    return {
        "id": rma.pk, "company": rma.company_id, "reference": rma.reference,
        "customer": rma.customer_id, "state": rma.state, "reason": rma.reason,
        "resolution": rma.resolution, "note": rma.note, "created_by": rma.created_by_id,
        "rejection_comment": rma.rejection_comment,
        "authorized_at": rma.authorized_at.isoformat() if rma.authorized_at else None,
        "received_at": rma.received_at.isoformat() if rma.received_at else None,
        "closed_at": rma.closed_at.isoformat() if rma.closed_at else None,
        "replacement_order": rma.replacement_order_id,
        "credit_notes": sorted(n.pk for n in rma.credit_notes.all()),
        "resolution_note": rma.resolution_note,
        "approval_request": request.pk if request else None,
        "transfers": [
            {"id": t.pk, "reference": t.reference, "kind": t.kind, "state": t.state}
            for t in transfers
        ],
        "open_return_transfers": open_return_transfers(rma),
        "version": rma.version,
        "lines": [
            {
                "id": x.pk, "product": x.product_id, "sku": x.product.sku,
                "sales_order": x.order_line.order_id,
                "sales_order_reference": x.order_line.order.reference,
                "order_line": x.order_line_id, "unit_price": str(x.order_line.unit_price),
                "delivered_move": x.delivered_move_id,
                "delivery": x.delivered_move.transfer.reference
                if x.delivered_move.transfer else None,
                "return_move": x.return_move_id,
                "quantity": str(x.quantity), "received_quantity": str(x.received_quantity),
                "restocked_quantity": str(x.restocked_quantity),
                "held_quantity": str(x.held_quantity),
                "scrapped_quantity": str(x.scrapped_quantity),
                "credited_quantity": str(x.credited_quantity), "inspected": x.inspected,
            }
            for x in lines
        ],
    }  # fmt: skip
