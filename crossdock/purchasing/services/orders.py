"""Purchase orders: drafting, approval, sending, supplier confirmation, revision, cancelling.

Design overview
---------------
:func:`create_purchase_order` checks every line against the supplier
catalogue before anything is written: the minimum order quantity and the pack
size are enforced (the refusal names the nearest acceptable quantities), a
missing price is taken from the catalogue's price breaks, and a line is *off
contract* when no contract entry covers it or its price differs from the
contract price. Amounts are kept in the order's currency and in the company's
(at the order date's rate; an order in a currency without a rate is refused).

:func:`submit_purchase_order` hands the order to the approvals engine
(document type ``purchase-order``; conditions can test the amount in company
currency, the category of the largest line, the supplier's risk class, the
off-contract flag and the warehouse). When no policy matches it is approved
at once. The requester never approves their own order, and the segregation-
of-duties rule ``PO-CREATE-APPROVE`` refuses an approval by whoever created it.

:func:`revise_purchase_order` changes an order that was already approved,
sent or confirmed: the lines are replaced (never below what was received), a
:class:`PurchaseOrderRevision` records each change, confirmations of changed
lines are cleared and the order goes through the approval policies again.

Every service locks the order row first (``lock_order``), so two people acting
on one order make exactly one transition.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import (
    ConflictError,
    NotFoundError,
    StaleVersionError,
    refuse_if,
)
from crossdock.core.fields import PRICE_SCALE, QUANTITY_SCALE
from crossdock.core.inputs import exact, refuse
from crossdock.core.permissions import require
from crossdock.masterdata.models import Company, Currency, Partner, Product, Warehouse
from crossdock.purchasing.events import PurchaseOrderChanged
from crossdock.purchasing.models import (
    OrderState,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderRevision,
)
from crossdock.purchasing.models.orders import EDITABLE_STATES
from crossdock.purchasing.services.catalogue import catalogue_price, check_pack, offers_for

MAX_LINES = 2000
PRICE = Decimal(1).scaleb(-PRICE_SCALE)


@dataclass(frozen=True)
class OrderLineDraft:
    """One line as the buyer gives it; ``unit_price`` ``None`` takes the catalogue price."""

    product_id: int
    quantity: Decimal
    unit_price: Decimal | None = None
    expected_date: datetime.date | None = None
    description: str = ""


@dataclass(frozen=True)
class OrderDraft:
    supplier_id: int
    warehouse_id: int
    lines: Sequence[OrderLineDraft]
    order_date: datetime.date | None = None
    expected_date: datetime.date | None = None
    currency_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Confirmation:
    """The supplier's answer for one line: how many, and when."""

    line_id: int
    quantity: Decimal
    date: datetime.date


# -- reading and locking ----------------------------------------------------------------------


def lock_order(order_id: Any) -> PurchaseOrder:
    found = (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("company", "currency", "supplier", "warehouse")
        .filter(pk=order_id)
        .first()
    )
    if found is None:
        raise NotFoundError(f"No purchase order with id {order_id}.")
    return found


def _visible_order(actor: Actor, order_id: Any, action: str) -> PurchaseOrder:
    """Lock the order and check the actor may ``action`` it (invisible orders are not found)."""
    if (
        actor.user is not None
        and not PurchaseOrder.objects.restrict(actor.user).filter(pk=order_id).exists()
    ):
        raise NotFoundError(f"No purchase order with id {order_id}.")
    order = lock_order(order_id)
    require(actor, order, action)
    return order


def _refuse_intercompany(order: PurchaseOrder, action: str) -> None:
    from crossdock.purchasing.services.intercompany import refuse_manual

    refuse_manual(order, action)


def _in_state(order: PurchaseOrder, *states: str) -> None:
    if order.state not in states:
        wanted = " or ".join(OrderState(s).label.lower() for s in states)
        raise ConflictError(
            f"{order.reference} is {order.get_state_display().lower()}; it must be {wanted}.",
            fields={"state": [f"Must be {wanted}."]},
        )


def order_picture(order: PurchaseOrder) -> dict[str, Any]:
    return {
        **audit.snapshot(order),
        "lines": [
            {
                "id": line.pk,
                "product": line.product_id,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "expected_date": line.expected_date.isoformat(),
                "off_contract": line.off_contract,
            }
            for line in order.lines.order_by("sequence", "pk")
        ],
    }


def _changed(actor: Actor, order: PurchaseOrder, change: str, before: Any, after: Any) -> None:
    audit.record(actor, audit.Change(f"purchasing.order.{change}", order, before, after))
    events.publish(PurchaseOrderChanged(order.pk, change, company_id=order.company_id))


# -- drafting ---------------------------------------------------------------------------------


@dataclass
class _Checked:
    company: Company
    supplier: Partner
    warehouse: Warehouse
    currency: Currency
    rate: Decimal
    order_date: datetime.date
    expected_date: datetime.date
    lines: list[PurchaseOrderLine]


def _header(draft: OrderDraft, problems: dict[str, list[str]]) -> dict[str, Any]:
    warehouse = (
        Warehouse.objects.select_related("company__base_currency")
        .filter(pk=draft.warehouse_id)
        .first()
    )
    if warehouse is None:
        problems["warehouse"] = ["Unknown warehouse."]
    supplier = Partner.objects.select_related("currency").filter(pk=draft.supplier_id).first()
    if supplier is None:
        problems["supplier"] = ["Unknown supplier."]
    elif not supplier.is_supplier:
        problems["supplier"] = [f"{supplier.code} is not a supplier."]
    elif not supplier.active:
        problems["supplier"] = [f"{supplier.code} is inactive."]
    elif supplier.approval_status == "rejected":
        problems["supplier"] = [f"{supplier.code} was rejected at onboarding."]
    elif warehouse is not None and supplier.company_id not in (None, warehouse.company_id):
        problems["supplier"] = [f"{supplier.code} belongs to another company."]
    currency = supplier.currency if supplier is not None else None
    if draft.currency_id is not None:
        currency = Currency.objects.filter(pk=draft.currency_id).first()
        if currency is None:
            problems["currency"] = ["Unknown currency."]
    return {"warehouse": warehouse, "supplier": supplier, "currency": currency}


def _check(draft: OrderDraft, *, keep_received: dict[int, Decimal] | None = None) -> _Checked:
    """Check the whole draft; refuse with every problem, naming each field, or return it."""
    from crossdock.accounting.services.rates import company_rate

    problems: dict[str, list[str]] = {}
    header = _header(draft, problems)
    today = timezone.localdate()
    order_date = draft.order_date or today
    expected = draft.expected_date or order_date
    if expected < order_date:
        problems["expected_date"] = ["Cannot be before the order date."]
    if not draft.lines:
        problems["lines"] = ["Order at least one product."]
    elif len(draft.lines) > MAX_LINES:
        problems["lines"] = [f"At most {MAX_LINES} lines on one order."]
    if len(draft.note) > 200:
        problems["note"] = ["At most 200 characters."]
    refuse_if(problems)
    warehouse, supplier, currency = header["warehouse"], header["supplier"], header["currency"]
    company = warehouse.company
    rate = company_rate(company, currency, order_date)
    products = Product.objects.select_related("base_unit").in_bulk(
        {line.product_id for line in draft.lines}
    )
    offers = offers_for(company.pk, supplier.pk, list(products), order_date)
    lines: list[PurchaseOrderLine] = []
    for index, given in enumerate(draft.lines):
        where = f"lines[{index}]"
        product = products.get(given.product_id)
        if product is None:
            problems[f"{where}.product"] = ["Unknown product."]
            continue
        if product.status == "obsolete":
            problems[f"{where}.product"] = [f"{product.sku} is obsolete; it cannot be bought."]
        quantity = exact(
            given.quantity, QUANTITY_SCALE, f"{where}.quantity", problems, positive=True
        )
        if quantity is None:
            continue
        places = product.base_unit.decimal_places
        if -quantity.normalize().as_tuple().exponent > places:  # type: ignore[operator]
            problems[f"{where}.quantity"] = [
                f"{product.base_unit.code} allows {places} decimal places."
            ]
            continue
        offer = offers.get(product.pk)
        if offer is not None:
            breach = check_pack(offer, quantity)
            if breach:
                problems[f"{where}.quantity"] = [f"{product.sku}: {breach}"]
                continue
        listed = None
        if offer is not None and offer.currency_id == currency.pk:
            listed = catalogue_price(offer.breaks.all(), quantity)
        price = given.unit_price
        if price is None:
            if listed is None:
                problems[f"{where}.unit_price"] = [
                    f"No catalogue price of {supplier.code} for {product.sku} in "
                    f"{currency.code}; give a price."
                ]
                continue
            price = listed
        else:
            price = exact(price, PRICE_SCALE, f"{where}.unit_price", problems)
            if price is None:
                continue
        received = (keep_received or {}).get(product.pk, Decimal(0))
        if quantity < received:
            problems[f"{where}.quantity"] = [
                f"{received.normalize():f} of {product.sku} were already received."
            ]
            continue
        on_contract = offer is not None and offer.on_contract and listed == price
        landed_per_unit = Decimal(0)
        if offer is not None and offer.currency_id == currency.pk:
            landed_per_unit = (price * offer.estimated_landed_cost_percent / 100).quantize(PRICE)
        lines.append(
            PurchaseOrderLine(
                sequence=(index + 1) * 10,
                product=product,
                description=given.description[:200] or product.name[:200],
                quantity=quantity,
                unit_price=price,
                offer=offer,
                off_contract=not on_contract,
                estimated_landed_cost=landed_per_unit,
                expected_date=given.expected_date or expected,
            )
        )
    refuse_if(problems)
    return _Checked(company, supplier, warehouse, currency, rate, order_date, expected, lines)


def _totals(checked: _Checked) -> tuple[Decimal, Decimal]:
    amount = checked.currency.round(
        sum((item.quantity * item.unit_price for item in checked.lines), Decimal(0))
    )
    company_amount = checked.company.base_currency.round(amount * checked.rate)
    return amount, company_amount


def _landed_estimate(checked: _Checked) -> Decimal:
    """Expected landed costs of the lines, in the order's currency."""
    return checked.currency.round(
        sum((item.quantity * item.estimated_landed_cost for item in checked.lines), Decimal(0))
    )


def _reference(company: Company) -> str:
    prefix = f"PO/{company.code}/"
    count = PurchaseOrder.objects.filter(company=company).count() + 1
    while PurchaseOrder.objects.filter(reference=f"{prefix}{count:06d}").exists():
        count += 1
    return f"{prefix}{count:06d}"


def create_purchase_order(actor: Actor, draft: OrderDraft) -> PurchaseOrder:
    """Write a draft order after checking every line against the catalogue."""
    checked = _check(draft)
    amount, company_amount = _totals(checked)
    with transaction.atomic():
        order = PurchaseOrder(
            company=checked.company,
            reference=_reference(checked.company),
            supplier=checked.supplier,
            warehouse=checked.warehouse,
            currency=checked.currency,
            rate=checked.rate,
            order_date=checked.order_date,
            expected_date=checked.expected_date,
            buyer=actor.user,
            amount=amount,
            amount_company=company_amount,
            estimated_landed_amount=_landed_estimate(checked),
            note=draft.note,
        )
        require(actor, order, "add")
        order.save()
        for line in checked.lines:
            line.order = order
        PurchaseOrderLine.objects.bulk_create(checked.lines)
        _changed(actor, order, "create", None, order_picture(order))
        return order


def _diff(before: list[dict[str, Any]], after: list[PurchaseOrderLine]) -> list[dict[str, Any]]:
    """What changed between the old lines and the new ones, product by product."""
    old = {row["product"]: row for row in before}
    new = {line.product_id: line for line in after}
    changes: list[dict[str, Any]] = []
    for product_id, row in old.items():
        line = new.get(product_id)
        if line is None:
            changes.append(
                {"product": product_id, "change": "removed", "quantity": row["quantity"]}
            )
            continue
        for name in ("quantity", "unit_price"):
            if Decimal(row[name]) != getattr(line, name):
                changes.append(
                    {
                        "product": product_id,
                        "change": name,
                        "from": row[name],
                        "to": str(getattr(line, name)),
                    }
                )
        if row["expected_date"] != line.expected_date.isoformat():
            changes.append(
                {
                    "product": product_id,
                    "change": "expected_date",
                    "from": row["expected_date"],
                    "to": line.expected_date.isoformat(),
                }
            )
    for product_id, line in new.items():
        if product_id not in old:
            changes.append(
                {"product": product_id, "change": "added", "quantity": str(line.quantity)}
            )
    return changes


def revise_purchase_order(
    actor: Actor,
    order_id: Any,
    draft: OrderDraft,
    *,
    expected_version: int | None = None,
    reason: str = "",
) -> PurchaseOrder:
    """Replace the lines of an order; after approval this makes a revision and re-submits."""
    with transaction.atomic():
        order = _visible_order(actor, order_id, "change")
        if expected_version is not None and order.version != expected_version:
            raise StaleVersionError(
                f"{order.reference} was changed by someone else; reload and try again."
            )
        _refuse_intercompany(order, "revise")
        _in_state(order, *EDITABLE_STATES)
        if (draft.supplier_id, draft.warehouse_id) != (order.supplier_id, order.warehouse_id):
            raise refuse("supplier", "Supplier and warehouse of an order cannot change.")
        received = {
            line.product_id: line.received_quantity
            for line in order.lines.all()
            if line.received_quantity
        }
        checked = _check(
            OrderDraft(
                order.supplier_id,
                order.warehouse_id,
                draft.lines,
                order.order_date,
                draft.expected_date or order.expected_date,
                order.currency_id,
                draft.note,
            ),
            keep_received=received,
        )
        if len({line.product_id for line in checked.lines}) != len(checked.lines):
            raise refuse("lines", "Each product once per order.")
        if any(pid not in {item.product_id for item in checked.lines} for pid in received):
            raise refuse("lines", "A line with received goods cannot be removed.")
        before = order_picture(order)
        was_approved = order.state != OrderState.DRAFT
        amount, company_amount = _totals(checked)
        old_lines = {line.product_id: line for line in order.lines.all()}
        keep: list[int] = []
        for line in checked.lines:
            old = old_lines.get(line.product_id)
            if (
                old is not None
                and old.quantity == line.quantity
                and old.unit_price == line.unit_price
            ):
                line.confirmed_quantity, line.confirmed_date = (
                    old.confirmed_quantity,
                    old.confirmed_date,
                )
            if old is not None:
                line.pk = old.pk
                line.received_quantity = old.received_quantity
                line.billed_quantity = old.billed_quantity
                keep.append(old.pk)
            line.order = order
        order.lines.exclude(pk__in=keep).delete()
        for line in checked.lines:
            line.save()
        order.amount, order.amount_company = amount, company_amount
        order.estimated_landed_amount = _landed_estimate(checked)
        order.expected_date = checked.expected_date
        order.note = draft.note
        order.version += 1
        changes = _diff(before["lines"], checked.lines)
        if was_approved:
            order.revision += 1
            PurchaseOrderRevision.objects.create(
                order=order,
                number=order.revision,
                changed_by=actor.user,
                reason=reason[:200],
                changes=changes,
            )
            order.state = OrderState.DRAFT
        order.save()
        _changed(actor, order, "revise" if was_approved else "update", before, order_picture(order))
        if was_approved:
            return submit_purchase_order(actor, order.pk)
        return order


# -- approval ---------------------------------------------------------------------------------


def submit_purchase_order(actor: Actor, order_id: Any) -> PurchaseOrder:
    """Send a draft through the approval policies; approved at once when none applies."""
    from crossdock.approvals.services import submit

    with transaction.atomic():
        order = _visible_order(actor, order_id, "change")
        _in_state(order, OrderState.DRAFT)
        before = audit.snapshot(order)
        order.state = OrderState.TO_APPROVE
        order.submitted_at = timezone.now()
        order.rejection_comment = ""
        order.save(update_fields=["state", "submitted_at", "rejection_comment", "updated_at"])
        _changed(actor, order, "submit", before, audit.snapshot(order))
        submit(actor, order)
        order.refresh_from_db()
        return order


def order_approved(actor: Actor, order: PurchaseOrder) -> None:
    """The approvals engine approved the order (or no policy applied)."""
    from crossdock.approvals.services import request_for
    from crossdock.core import sod

    order = lock_order(order.pk)
    if order.state != OrderState.TO_APPROVE:
        return
    request = request_for("purchase-order", order.pk)
    if request is not None and request.status == request.Status.APPROVED:
        sod.check(
            actor,
            "purchasing.order.approve",
            [sod.ChainObject("purchasing.purchaseorder", str(order.pk))],
        )
    before = audit.snapshot(order)
    order.state = OrderState.APPROVED
    order.approved_at = timezone.now()
    order.save(update_fields=["state", "approved_at", "updated_at"])
    _changed(actor, order, "approve", before, audit.snapshot(order))


def order_rejected(actor: Actor, order: PurchaseOrder, comment: str) -> None:
    """A rejection returns the order to draft with the approver's reason."""
    order = lock_order(order.pk)
    before = audit.snapshot(order)
    order.state = OrderState.DRAFT
    order.rejection_comment = comment
    order.save(update_fields=["state", "rejection_comment", "updated_at"])
    _changed(actor, order, "reject", before, audit.snapshot(order))


# -- with the supplier ------------------------------------------------------------------------


def send_purchase_order(actor: Actor, order_id: Any) -> PurchaseOrder:
    """Mark an approved order sent; the worker e-mails it (with its PDF) to the supplier."""
    from crossdock.purchasing.tasks import email_purchase_order

    with transaction.atomic():
        order = _visible_order(actor, order_id, "change")
        _in_state(order, OrderState.APPROVED, OrderState.SENT)
        before = audit.snapshot(order)
        order.state = OrderState.SENT
        order.sent_at = timezone.now()
        order.save(update_fields=["state", "sent_at", "updated_at"])
        _changed(actor, order, "send", before, audit.snapshot(order))
        if order.supplier.email:
            order_id = order.pk
            transaction.on_commit(lambda: email_purchase_order.enqueue(order_id))
        return order


def confirm_purchase_order(
    actor: Actor, order_id: Any, confirmations: Sequence[Confirmation] = ()
) -> PurchaseOrder:
    """Record the supplier's confirmation: per line a quantity and a date (default: as ordered)."""
    with transaction.atomic():
        order = _visible_order(actor, order_id, "change")
        _in_state(order, OrderState.APPROVED, OrderState.SENT, OrderState.CONFIRMED)
        lines = {
            line.pk: line for line in order.lines.select_for_update(of=("self",)).order_by("pk")
        }
        problems: dict[str, list[str]] = {}
        given: dict[int, Confirmation] = {}
        for index, item in enumerate(confirmations):
            where = f"confirmations[{index}]"
            if item.line_id not in lines:
                problems[f"{where}.line"] = [f"Line {item.line_id} is not on {order.reference}."]
                continue
            if exact(item.quantity, QUANTITY_SCALE, f"{where}.quantity", problems) is None:
                continue
            if item.date < order.order_date:
                problems[f"{where}.date"] = ["Cannot be before the order date."]
            given[item.line_id] = item
        refuse_if(problems)
        before = order_picture(order)
        for line in lines.values():
            answer = given.get(line.pk)
            line.confirmed_quantity = answer.quantity if answer else line.quantity
            line.confirmed_date = answer.date if answer else line.expected_date
        PurchaseOrderLine.objects.bulk_update(
            lines.values(), ["confirmed_quantity", "confirmed_date"]
        )
        order.state = OrderState.CONFIRMED
        order.confirmed_at = timezone.now()
        order.save(update_fields=["state", "confirmed_at", "updated_at"])
        after = {
            **audit.snapshot(order),
            "confirmed": {
                str(item.pk): [str(item.confirmed_quantity), item.confirmed_date.isoformat()]
                for item in lines.values()
                if item.confirmed_date
            },
        }
        _changed(actor, order, "confirm", before, after)
        return order


def cancel_purchase_order(actor: Actor, order_id: Any, reason: str = "") -> PurchaseOrder:
    """Cancel an order nothing was received for; a pending approval is withdrawn."""
    from crossdock.approvals.services import withdraw

    with transaction.atomic():
        order = _visible_order(actor, order_id, "change")
        _refuse_intercompany(order, "cancel")
        _in_state(
            order,
            OrderState.DRAFT,
            OrderState.TO_APPROVE,
            OrderState.APPROVED,
            OrderState.SENT,
            OrderState.CONFIRMED,
        )
        if order.lines.filter(received_quantity__gt=0).exists():
            raise refuse(
                "state", "Goods were received on this order; close it instead.", ConflictError
            )
        withdraw(actor, "purchase-order", str(order.pk))
        before = audit.snapshot(order)
        order.state = OrderState.CANCELLED
        order.save(update_fields=["state", "updated_at"])
        _changed(actor, order, "cancel", before, {**audit.snapshot(order), "reason": reason})
        return order


def close_purchase_order(actor: Actor, order_id: Any, reason: str = "") -> PurchaseOrder:
    """Close an order: nothing more will be received on it (the rest is not awaited)."""
    with transaction.atomic():
        order = _visible_order(actor, order_id, "change")
        _in_state(
            order,
            OrderState.PARTIALLY_RECEIVED,
            OrderState.RECEIVED,
            OrderState.BILLED,
        )
        before = audit.snapshot(order)
        order.state = OrderState.CLOSED
        order.save(update_fields=["state", "updated_at"])
        _changed(actor, order, "close", before, {**audit.snapshot(order), "reason": reason})
        return order


def refresh_progress(order: PurchaseOrder) -> None:
    """Move a received or billed order to the state its lines say (the caller holds the lock)."""
    if order.state in (OrderState.CANCELLED, OrderState.CLOSED, OrderState.DRAFT):
        return
    lines = list(order.lines.all())
    received = all(item.received_quantity >= item.quantity for item in lines)
    some = any(item.received_quantity > 0 for item in lines)
    billed = received and all(item.billed_quantity >= item.received_quantity for item in lines)
    if billed:
        state = OrderState.BILLED
    elif received:
        state = OrderState.RECEIVED
    elif some:
        state = OrderState.PARTIALLY_RECEIVED
    else:
        return
    if state != order.state:
        PurchaseOrder.objects.filter(pk=order.pk).update(state=state, updated_at=timezone.now())
        order.state = state
