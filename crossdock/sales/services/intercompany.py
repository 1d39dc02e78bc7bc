"""Intercompany sales orders: selling to a sister company of the group.

Design overview
---------------
A customer whose ``group_company`` is another company of the group *is* that company.
Confirming an order to it (it is never credit-checked) does, in one transaction:

1. :func:`counterpart_of` finds the buying side: the buyer's active partner standing for
   the selling company (preferably a supplier) and the warehouse it receives into — that
   partner's default warehouse, else the buyer's central (or first) active warehouse.
   Either missing refuses the confirmation naming the field (``customer`` or
   ``warehouse``), and nothing is written in either company.
2. The mirrored purchase order is written in the buyer, confirmed with the lines' promise
   dates (:func:`crossdock.purchasing.services.intercompany.create_mirrored_order`, which
   says why it skips the buyer's approval), and linked both ways
   (``SalesOrder.mirrored_purchase_order``, ``PurchaseOrder.intercompany_origin``).
3. Instead of deliveries to the customer location, one *dispatch* per shipping warehouse
   (:func:`~crossdock.inventory.services.dispatch_to_warehouse`) to the buyer's warehouse,
   origin the order's reference, reserved at once. Each move carries the transfer price:
   the order's net unit price in the buyer's currency (today's rate), so the goods enter
   the buyer's stock at what it will be billed.

Shipping validates the dispatches (:mod:`~crossdock.sales.services.fulfilment`): ownership
passes to the buyer at dispatch (the goods sit in its transit location), and the arrival
that follows carries the order's reference. Confirming the arrival receives the mirrored
purchase order. The order's shipped quantities are its dispatched moves
(:mod:`~crossdock.sales.services.progress`); invoicing them posts the customer invoice,
which accounting mirrors as the buyer's vendor bill, matched to the purchase order.
Receivable and payable lines carry the group company partners, which is what the
consolidated statements eliminate.

Cancelling the order before anything shipped cancels the mirrored purchase order; after a
partial shipment the purchase order keeps only what shipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from crossdock.core.context import Actor
from crossdock.core.fields import PRICE_SCALE
from crossdock.core.inputs import refuse
from crossdock.masterdata.models import Company, Partner, Warehouse
from crossdock.sales.models import SalesOrder, SalesOrderLine

PRICE = Decimal(1).scaleb(-PRICE_SCALE)


@dataclass(frozen=True)
class Counterpart:
    """The buying side of an intercompany order."""

    company: Company
    supplier: Partner  # the selling company in the buyer's books
    warehouse: Warehouse  # where the buyer receives


def buyer_company_id(order: SalesOrder) -> int | None:
    """The group company the order's customer is, when it is not the seller itself."""
    buyer = order.customer.group_company_id
    return buyer if buyer is not None and buyer != order.company_id else None


def counterpart_of(order: SalesOrder) -> Counterpart | None:
    """The buyer's company, partner and warehouse for the order; None when not intercompany."""
    buyer_id = buyer_company_id(order)
    if buyer_id is None:
        return None
    company = Company.objects.select_related("base_currency").get(pk=buyer_id)
    supplier = (
        Partner.objects.filter(company=company, group_company_id=order.company_id, active=True)
        .order_by("-is_supplier", "pk")
        .first()
    )
    if supplier is None:
        raise refuse(
            "customer",
            f"{company} has no partner for {order.company}, so the intercompany purchase "
            f"order cannot be written; add a supplier in {company} whose group company is "
            f"{order.company}.",
        )
    warehouse = None
    if supplier.default_warehouse_id is not None:
        warehouse = Warehouse.objects.filter(pk=supplier.default_warehouse_id, active=True).first()
    if warehouse is None:
        warehouse = (
            Warehouse.objects.filter(company=company, active=True)
            .order_by("-is_central", "pk")
            .first()
        )
    if warehouse is None:
        raise refuse(
            "warehouse",
            f"{company} has no active warehouse to receive {order.reference} into.",
        )
    return Counterpart(company, supplier, warehouse)


def buyer_rate(order: SalesOrder, buyer: Company) -> Decimal:
    """Units of the buyer's currency one unit of the order's currency is worth today."""
    from crossdock.accounting.services.rates import company_rate

    return company_rate(buyer, order.currency, timezone.localdate())


def transfer_price(line: SalesOrderLine, rate: Decimal) -> Decimal:
    """The line's net unit price in the buyer's currency (what the buyer's stock takes)."""
    return (line.unit_price * rate).quantize(PRICE)


def release_intercompany(
    actor: Actor, system: Actor, order: SalesOrder, counterpart: Counterpart
) -> int:
    """Write the mirrored purchase order and the dispatches; returns how many dispatches."""
    from crossdock.inventory.services import DispatchDraft, DispatchLine, dispatch_to_warehouse
    from crossdock.purchasing.services.intercompany import (
        MirrorDraft,
        MirrorLine,
        create_mirrored_order,
    )

    lines = list(order.lines.select_related("product").order_by("sequence", "pk"))
    today = timezone.localdate()
    promised = {line.pk: line.promise_date or order.requested_date or today for line in lines}
    mirrored = create_mirrored_order(
        Actor.system(f"intercompany {order.reference} confirmed by {actor.label}"),
        MirrorDraft(
            origin=order.reference,
            supplier_id=counterpart.supplier.pk,
            warehouse_id=counterpart.warehouse.pk,
            currency_id=order.currency_id,
            lines=[
                MirrorLine(
                    sequence=line.sequence,
                    product_id=line.product_id,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    promised_on=promised[line.pk],
                    description=line.description,
                )
                for line in lines
            ],
            note=f"Intercompany: mirrors {order.reference} of {order.company}",
        ),
    )
    order.mirrored_purchase_order = mirrored
    by_warehouse: dict[int, list[SalesOrderLine]] = {}
    for line in lines:
        if line.open_quantity > 0:
            by_warehouse.setdefault(line.warehouse_id, []).append(line)
    rate = buyer_rate(order, counterpart.company)
    for warehouse_id, part in sorted(by_warehouse.items()):
        dispatch_to_warehouse(
            system,
            DispatchDraft(
                from_warehouse_id=warehouse_id,
                to_warehouse_id=counterpart.warehouse.pk,
                lines=[
                    DispatchLine(
                        line.product_id,
                        line.open_quantity,
                        transfer_price=transfer_price(line, rate),
                    )
                    for line in part
                ],
                expected_on=max(promised[line.pk] for line in part),
                origin=order.reference,
            ),
        )
    return len(by_warehouse)


def cancel_mirror(actor: Actor, order: SalesOrder, lines: list[SalesOrderLine]) -> None:
    """The order was cancelled: cancel its mirrored purchase order, or cut it to what shipped."""
    from crossdock.purchasing.services.intercompany import (
        cancel_mirrored_order,
        reduce_mirrored_order,
    )

    if order.mirrored_purchase_order_id is None:
        return
    system = Actor.system(f"intercompany {order.reference} cancelled by {actor.label}")
    if any(line.shipped_quantity > 0 for line in lines):
        shipped = {line.sequence: line.shipped_quantity for line in lines}
        reduce_mirrored_order(system, order.mirrored_purchase_order_id, shipped)
    else:
        cancel_mirrored_order(
            system, order.mirrored_purchase_order_id, f"{order.reference} was cancelled"
        )
