"""Customer returns (RMAs): authorizing, receiving with inspection, resolving.

Design overview
---------------
:func:`create_return` checks the whole request before anything is written:
the customer (a customer of a company the user works in), the reason and
resolution, and every line — it must name a done move that delivered goods
to a customer location on a delivery of one of *this customer's* orders
(several orders may share one RMA), and its quantity may not exceed what
that move delivered less what is already coming back: the return moves of
other returns (open or done) and the lines of RMAs still in draft or waiting
for approval. The customer's orders are locked (in primary-key order) while
this is checked and written, so two agents cannot authorize the same goods
twice.

:func:`submit_return` sends a draft through the approvals engine as
``sales-return``; a company without a policy for it gets one that asks any
sales manager (never an automatic yes). On approval the RMA is *authorized*:
for each delivery it covers, inventory's
:func:`~crossdock.inventory.services.returns.return_transfer` writes a
confirmed return transfer from the customer's location into the delivering
warehouse's quality hold, origin = the RMA's reference, at the delivery's
original cost. A rejection marks it *rejected* with the approver's comment.

:func:`receive_return` (the warehouse) receives return transfers whole: per
line, the quantity that arrived and what inspection decided — restocked into
the warehouse's stock location (an internal transfer out of quality hold,
processed at once), kept in quality hold, or scrapped through inventory's
:func:`~crossdock.inventory.services.scrap.scrap_stock` (so the company's
stock-adjustment policies still govern the write-off). The three must add up
to what arrived; what did not arrive is no longer expected (the rest of that
return transfer is cancelled). Lines on return transfers not received yet
keep the RMA *receiving*; when every line is in, it is *received*.

:func:`resolve_return` closes a received RMA with its resolution:

* **credit note** — for each line, the received quantity is credited through
  accounting's :func:`~crossdock.accounting.services.invoice_sources.credit_note_for`
  on the posted invoice lines of the delivery move (so at the price it was
  invoiced, which is the order line's price, and never more than was
  invoiced), one posted credit note per invoice. Goods not invoiced yet are
  not credited; the RMA says so in its ``resolution_note``.
* **replacement** — a new order for the received products and quantities at
  the original order lines' prices, created and confirmed like any order
  (so price approval and credit control apply).

Permissions: creating, submitting and cancelling need ``add`` on return
authorizations (service agents, sales reps and managers); receiving needs
``change`` on them and on transfers (the warehouse); resolving needs
``change`` and ``add`` on invoices (AR) or on sales orders (a replacement).
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

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, NotFoundError, PermissionDeniedError, refuse_if
from crossdock.core.fields import QUANTITY_SCALE
from crossdock.core.inputs import exact
from crossdock.core.permissions import has_model_permission, require
from crossdock.inventory.models import MoveLine, MoveState, StockMove, Transfer
from crossdock.masterdata.models import Company, LocationKind, Partner, Product
from crossdock.sales.events import SalesReturnChanged
from crossdock.sales.models import (
    ReturnAuthorization,
    ReturnLine,
    ReturnReason,
    ReturnResolution,
    ReturnState,
    SalesOrder,
    SalesOrderLine,
)
from crossdock.sales.models.returns import CANCELLABLE_STATES, PENDING_STATES

RETURN_APPROVAL = "sales-return"
MAX_LINES = 500
ZERO = Decimal(0)


@dataclass(frozen=True)
class ReturnLineDraft:
    """Return ``quantity`` of what the delivery move ``move_id`` delivered."""

    move_id: Any
    quantity: Any
    order_line_id: Any = None  # None: the order's first line of that product


@dataclass(frozen=True)
class ReturnDraft:
    customer_id: Any
    reason: str
    resolution: str
    lines: Sequence[ReturnLineDraft]
    note: str = ""


# -- shared ---------------------------------------------------------------------------------


def lock_return(rma_id: Any) -> ReturnAuthorization:
    found = (
        ReturnAuthorization.objects.select_for_update(of=("self",))
        .select_related("company", "customer")
        .filter(pk=rma_id)
        .first()
        if str(rma_id).isdigit()
        else None
    )
    if found is None:
        raise NotFoundError(f"No return authorization with id {rma_id}.")
    return found


def visible_return(actor: Actor, rma_id: Any, action: str) -> ReturnAuthorization:
    """Lock the RMA and check the actor may ``action`` it (invisible RMAs are not found)."""
    if (
        actor.user is not None
        and not ReturnAuthorization.objects.restrict(actor.user).filter(pk=rma_id).exists()
    ):
        raise NotFoundError(f"No return authorization with id {rma_id}.")
    rma = lock_return(rma_id)
    require(actor, rma, action)
    return rma


def require_role(actor: Actor, model: type[Any], action: str, why: str) -> None:
    """Refuse unless the actor's roles allow ``action`` on ``model`` (system actors may)."""
    if actor.user is not None and not has_model_permission(actor.user, model, action):
        raise PermissionDeniedError(why)


def in_state(rma: ReturnAuthorization, *states: str) -> None:
    if rma.state not in states:
        wanted = " or ".join(ReturnState(s).label.lower() for s in states)
        raise ConflictError(
            f"{rma.reference} is {rma.get_state_display().lower()}; it must be {wanted}.",
            fields={"state": [f"Must be {wanted}."]},
        )


def changed(actor: Actor, rma: ReturnAuthorization, change: str, before: Any, after: Any) -> None:
    audit.record(actor, audit.Change(f"sales.return.{change}", rma, before, after))
    events.publish(SalesReturnChanged(rma.pk, change, company_id=rma.company_id))


def return_picture(rma: ReturnAuthorization) -> dict[str, Any]:
    return {
        **audit.snapshot(rma),
        "lines": [
            {
                "order_line": line.order_line_id,
                "delivered_move": line.delivered_move_id,
                "return_move": line.return_move_id,
                "quantity": str(line.quantity),
                "received": str(line.received_quantity),
                "restocked": str(line.restocked_quantity),
                "held": str(line.held_quantity),
                "scrapped": str(line.scrapped_quantity),
                "credited": str(line.credited_quantity),
            }
            for line in rma.lines.order_by("sequence", "pk")
        ],
    }


def returnable(move_ids: Sequence[int], exclude_rma_id: int | None = None) -> dict[int, Decimal]:
    """What each done delivery move can still be returned: delivered less what other returns
    (their moves, open or done) and RMAs not yet authorized already take back."""
    delivered = dict(
        StockMove.objects.filter(pk__in=move_ids, state=MoveState.DONE).values_list(
            "pk", "quantity"
        )
    )
    coming_back = (
        StockMove.objects.filter(returned_move_id__in=move_ids)
        .exclude(state=MoveState.CANCELLED)
        .values_list("returned_move_id")
        .annotate(total=Sum("quantity"))
    )
    pending = ReturnLine.objects.filter(
        delivered_move_id__in=move_ids, rma__state__in=PENDING_STATES
    )
    if exclude_rma_id is not None:
        pending = pending.exclude(rma_id=exclude_rma_id)
    left = dict(delivered)
    for rows in (coming_back, pending.values_list("delivered_move_id").annotate(Sum("quantity"))):
        for move_id, total in rows:
            left[move_id] = left.get(move_id, ZERO) - total
    return left


def _reference(company: Company) -> str:
    prefix = f"RMA/{company.code}/"
    count = ReturnAuthorization.objects.filter(company=company).count() + 1
    while ReturnAuthorization.objects.filter(reference=f"{prefix}{count:06d}").exists():
        count += 1
    return f"{prefix}{count:06d}"


# -- creating -------------------------------------------------------------------------------


def _customer(actor: Actor, draft: ReturnDraft, problems: dict[str, list[str]]) -> Partner | None:
    customers = Partner.objects.select_related("company")
    if actor.user is not None:
        customers = customers.in_scope_of(actor.user)
    customer = (
        customers.filter(pk=draft.customer_id).first()
        if str(draft.customer_id or "").isdigit()
        else None
    )
    if customer is None:
        problems["customer"] = ["Unknown customer."]
    elif not customer.is_customer:
        problems["customer"] = [f"{customer.code} is not a customer."]
    if draft.reason not in ReturnReason.values:
        problems["reason"] = [f"One of {', '.join(ReturnReason.values)}."]
    if draft.resolution not in ReturnResolution.values:
        problems["resolution"] = [f"One of {', '.join(ReturnResolution.values)}."]
    if len(draft.note) > 500:
        problems["note"] = ["At most 500 characters."]
    if not draft.lines:
        problems["lines"] = ["Name at least one delivered line to return."]
    elif len(draft.lines) > MAX_LINES:
        problems["lines"] = [f"At most {MAX_LINES} lines on one return."]
    return customer


def lock_orders(customer: Partner, references: set[str]) -> dict[str, SalesOrder]:
    """The customer's orders with those references, locked in primary-key order."""
    return {
        order.reference: order
        for order in SalesOrder.objects.select_for_update(of=("self",))
        .filter(customer=customer, reference__in=references)
        .order_by("pk")
    }


def _quantity(given: Any, product: Product, where: str, problems: dict[str, list[str]]) -> Any:
    quantity = exact(given, QUANTITY_SCALE, where, problems, positive=True)
    if quantity is None:
        return None
    places = product.base_unit.decimal_places
    if -quantity.normalize().as_tuple().exponent > places:  # type: ignore[operator]
        problems[where] = [f"{product.base_unit.code} allows {places} decimal places."]
        return None
    return quantity


def _check_lines(
    customer: Partner, drafts: Sequence[ReturnLineDraft], problems: dict[str, list[str]]
) -> list[ReturnLine]:
    """The RMA's lines, each checked against its delivery and what is left to return."""
    ids = {int(d.move_id) for d in drafts if str(d.move_id).isdigit()}
    moves = StockMove.objects.select_related("transfer", "destination", "product__base_unit")
    by_id = moves.in_bulk(ids)
    orders = lock_orders(customer, {m.transfer.origin for m in by_id.values() if m.transfer})
    order_lines: dict[int, list[SalesOrderLine]] = defaultdict(list)
    for order_line in SalesOrderLine.objects.filter(
        order_id__in=[o.pk for o in orders.values()]
    ).order_by("sequence", "pk"):
        order_lines[order_line.order_id].append(order_line)
    left = returnable(sorted(ids))
    lots = defaultdict(set)
    for move_id, lot_id in MoveLine.objects.filter(move_id__in=ids, done=True).values_list(
        "move_id", "lot_id"
    ):
        lots[move_id].add(lot_id)
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    lines: list[ReturnLine] = []
    for index, draft in enumerate(drafts):
        where = f"lines[{index}]"
        move = by_id.get(int(draft.move_id)) if str(draft.move_id).isdigit() else None
        delivery = move.transfer if move is not None else None
        order = orders.get(delivery.origin) if delivery is not None else None
        if (
            move is None
            or delivery is None
            or order is None
            or move.state != MoveState.DONE
            or move.destination.kind != LocationKind.CUSTOMER
        ):
            problems[f"{where}.move"] = [
                f"Not a done delivery of an order of {customer.code} (move {draft.move_id})."
            ]
            continue
        if move.pk in wanted:
            problems[f"{where}.move"] = ["Name each delivered line once."]
            continue
        if len(lots[move.pk]) > 1:
            problems[f"{where}.move"] = [
                f"{delivery.reference} delivered {move.product.sku} in several lots; "
                "return it through the warehouse's return of that delivery."
            ]
            continue
        same = [ln for ln in order_lines[order.pk] if ln.product_id == move.product_id]
        if draft.order_line_id is not None:
            same = [ln for ln in same if str(ln.pk) == str(draft.order_line_id)]
        if not same:
            problems[f"{where}.order_line"] = [f"Not a line of {order.reference} for this product."]
            continue
        quantity = _quantity(draft.quantity, move.product, f"{where}.quantity", problems)
        if quantity is None:
            continue
        wanted[move.pk] = quantity
        can = left.get(move.pk, ZERO)
        if quantity > can:
            problems[f"{where}.quantity"] = [
                f"At most {max(can, ZERO).normalize():f} of {move.product.sku} delivered on "
                f"{delivery.reference} can still be returned "
                f"({move.quantity.normalize():f} delivered)."
            ]
            continue
        lines.append(
            ReturnLine(
                sequence=(len(lines) + 1) * 10,
                order_line=same[0],
                delivered_move=move,
                product_id=move.product_id,
                quantity=quantity,
            )
        )
    return lines


def create_return(actor: Actor, draft: ReturnDraft) -> ReturnAuthorization:
    """Write a draft RMA after checking the customer and every line (nothing on bad input)."""
    problems: dict[str, list[str]] = {}
    customer = _customer(actor, draft, problems)
    refuse_if(problems)
    assert customer is not None
    rma = ReturnAuthorization(
        company_id=customer.company_id,
        customer=customer,
        reason=draft.reason,
        resolution=draft.resolution,
        note=draft.note.strip(),
        created_by=actor.user,
    )
    require(actor, rma, "add")
    with transaction.atomic():
        lines = _check_lines(customer, draft.lines, problems)
        refuse_if(problems)
        rma.reference = _reference(customer.company)
        rma.save()
        for line in lines:
            line.rma = rma
        ReturnLine.objects.bulk_create(lines)
        changed(actor, rma, "create", None, return_picture(rma))
        return rma


# -- approval -------------------------------------------------------------------------------


def submit_return(actor: Actor, rma_id: Any) -> ReturnAuthorization:
    """Send a draft RMA for approval (a sales manager decides unless a policy says otherwise)."""
    from crossdock.approvals import services as approvals
    from crossdock.sales.services.credit import ensure_policy

    with transaction.atomic():
        rma = visible_return(actor, rma_id, "add")
        in_state(rma, ReturnState.DRAFT)
        rma.state = ReturnState.TO_APPROVE
        rma.save(update_fields=["state", "updated_at"])
        changed(actor, rma, "submit", {"state": "draft"}, {"state": rma.state})
        ensure_policy(
            rma.company_id,
            RETURN_APPROVAL,
            "sales-manager",
            "Customer returns: a sales manager authorizes",
        )
        approvals.submit(actor, rma)
        rma.refresh_from_db()
        return rma


def return_approved(actor: Actor, rma: ReturnAuthorization) -> None:
    """Authorized: one return transfer per delivery, into the warehouse's quality hold."""
    from crossdock.inventory.services import returns as stock_returns
    from crossdock.masterdata.services import warehouse_location

    rma = lock_return(rma.pk)
    if rma.state != ReturnState.TO_APPROVE:
        return
    system = Actor.system(f"{rma.reference} authorized by {actor.label}")
    lines = list(rma.lines.select_related("delivered_move__transfer__warehouse"))
    by_delivery: dict[Transfer, list[ReturnLine]] = defaultdict(list)
    for line in lines:
        assert line.delivered_move.transfer is not None  # checked when the RMA was created
        by_delivery[line.delivered_move.transfer].append(line)
    transfers = []
    for delivery, part in sorted(by_delivery.items(), key=lambda item: item[0].pk):
        warehouse = delivery.warehouse
        hold = warehouse_location(warehouse, LocationKind.QUALITY_HOLD)
        returned = stock_returns.return_transfer(
            system,
            delivery.pk,
            [stock_returns.ReturnLine(ln.delivered_move_id, ln.quantity) for ln in part],
            location_id=hold.pk,
            reason=rma.reference,
        )
        transfers.append(returned.reference)
        moves = dict(returned.moves.values_list("returned_move_id", "pk"))
        for line in part:
            line.return_move_id = moves[line.delivered_move_id]
    ReturnLine.objects.bulk_update(lines, ["return_move"])
    rma.state = ReturnState.AUTHORIZED
    rma.authorized_at = timezone.now()
    rma.save(update_fields=["state", "authorized_at", "updated_at"])
    changed(
        actor,
        rma,
        "authorize",
        {"state": "to_approve"},
        {"state": rma.state, "transfers": transfers},
    )


def return_rejected(actor: Actor, rma: ReturnAuthorization, comment: str) -> None:
    rma = lock_return(rma.pk)
    if rma.state != ReturnState.TO_APPROVE:
        return
    rma.state = ReturnState.REJECTED
    rma.rejection_comment = comment
    rma.save(update_fields=["state", "rejection_comment", "updated_at"])
    changed(actor, rma, "reject", {"state": "to_approve"}, {"state": rma.state, "comment": comment})


def open_return_transfers(rma: ReturnAuthorization) -> list[int]:
    from crossdock.inventory.models.stock import OPEN_STATES

    return list(
        Transfer.objects.filter(origin=rma.reference, state__in=OPEN_STATES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def cancel_return(actor: Actor, rma_id: Any, reason: str = "") -> ReturnAuthorization:
    """Cancel an RMA nothing of which was received: its request and return transfers go too."""
    from crossdock.approvals import services as approvals
    from crossdock.inventory.services.transfers import cancel_transfer

    with transaction.atomic():
        rma = visible_return(actor, rma_id, "add")
        in_state(rma, *CANCELLABLE_STATES)
        system = Actor.system(f"{rma.reference} cancelled by {actor.label}")
        for transfer_id in open_return_transfers(rma):
            cancel_transfer(system, transfer_id)
        approvals.withdraw(actor, RETURN_APPROVAL, str(rma.pk))
        before = {"state": rma.state}
        rma.state = ReturnState.CANCELLED
        rma.note = (reason.strip() or rma.note)[:500]
        rma.save(update_fields=["state", "note", "updated_at"])
        changed(actor, rma, "cancel", before, {"state": rma.state, "reason": reason})
        return rma


# Receiving and resolving live next door (this module would pass a few hundred lines).
from crossdock.sales.services.return_receipts import (  # noqa: E402
    LineInspection,
    ReturnReceipt,
    receive_return,
    resolve_return,
)

__all__ = [
    "RETURN_APPROVAL",
    "LineInspection",
    "ReturnDraft",
    "ReturnLineDraft",
    "ReturnReceipt",
    "cancel_return",
    "create_return",
    "receive_return",
    "resolve_return",
    "return_approved",
    "return_rejected",
    "returnable",
    "submit_return",
]
