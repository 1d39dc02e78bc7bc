"""Quotations and sales orders: pricing, sourcing, confirmation, release to the warehouse.

Design overview
---------------
:func:`create_sales_order` checks the whole draft before anything is
written: the customer (a customer of the company, active), every product
(known, not obsolete), every quantity (positive, no more decimals than the
product's unit allows), every price. A line without a price takes the
customer's price list (see :mod:`~crossdock.sales.services.pricing`); a
price list given on the order must be in the order's currency. Each line is
sourced to a warehouse with its promise date
(:mod:`~crossdock.sales.services.sourcing`) and priced with its expected
cost; a price under the category's margin floor or a discount over the limit
marks the line's ``price_exception``. The result is a quotation.

:func:`confirm_sales_order` sends a quotation with price exceptions to the
approvals engine (document type ``sales-price-exception``); otherwise, or
once approved, the credit check runs (:mod:`~crossdock.sales.services.credit`)
and either holds the order or releases it: :func:`release_to_warehouse`
creates one delivery transfer per warehouse — origin the order's reference,
priority from the customer's tier, promised on the line's promise date —
confirms it and reserves stock in one set-based pass. A held order has no
transfers, so it cannot be reserved, picked or shipped. An order to a sister
company of the group gets its mirrored purchase order there and dispatches to
its warehouse instead (:mod:`~crossdock.sales.services.intercompany`).

Every service locks the order row first, so two people acting on one order
make exactly one transition.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, NotFoundError, refuse_if
from crossdock.core.fields import PERCENT_SCALE, PRICE_SCALE, QUANTITY_SCALE
from crossdock.core.inputs import exact
from crossdock.core.permissions import require
from crossdock.inventory.models import MoveState, StockMove, Transfer, TransferKind
from crossdock.masterdata.models import (
    Company,
    Currency,
    Location,
    LocationKind,
    Partner,
    PartnerAddress,
    PriceList,
    Product,
    Warehouse,
)
from crossdock.sales.events import SalesOrderChanged
from crossdock.sales.models import SalesOrder, SalesOrderLine, SalesOrderState
from crossdock.sales.services import pricing
from crossdock.sales.services.sourcing import Need, source_lines

MAX_LINES = 5000
PRICE = Decimal(1).scaleb(-PRICE_SCALE)
HUNDRED = Decimal(100)
PRICE_EXCEPTION = "sales-price-exception"
TIER_PRIORITY = {"strategic": 10, "key": 20, "standard": 50, "occasional": 70}


@dataclass(frozen=True)
class SalesLineDraft:
    product_id: Any
    quantity: Any
    unit_price: Any = None  # net of discount; None: from the price list
    discount_percent: Any = None
    warehouse_id: Any = None  # None: chosen by the sourcing policy
    description: str = ""


@dataclass(frozen=True)
class SalesOrderDraft:
    customer_id: Any
    lines: Sequence[SalesLineDraft]
    channel: str = "field"
    currency_id: Any = None
    price_list_id: Any = None
    ship_to_id: Any = None
    warehouse_id: Any = None
    order_date: datetime.date | None = None
    requested_date: datetime.date | None = None
    ship_complete: bool | None = None
    customer_reference: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def lock_order(order_id: Any) -> SalesOrder:
    found = (
        SalesOrder.objects.select_for_update(of=("self",))
        .select_related("company__base_currency", "currency", "customer", "warehouse")
        .filter(pk=order_id)
        .first()
    )
    if found is None:
        raise NotFoundError(f"No sales order with id {order_id}.")
    return found


def visible_order(actor: Actor, order_id: Any, action: str) -> SalesOrder:
    """Lock the order and check the actor may ``action`` it (invisible orders are not found)."""
    if (
        actor.user is not None
        and not SalesOrder.objects.restrict(actor.user).filter(pk=order_id).exists()
    ):
        raise NotFoundError(f"No sales order with id {order_id}.")
    order = lock_order(order_id)
    require(actor, order, action)
    return order


def in_state(order: SalesOrder, *states: str) -> None:
    if order.state not in states:
        wanted = " or ".join(SalesOrderState(s).label.lower() for s in states)
        raise ConflictError(
            f"{order.reference} is {order.get_state_display().lower()}; it must be {wanted}.",
            fields={"state": [f"Must be {wanted}."]},
        )


def order_picture(order: SalesOrder) -> dict[str, Any]:
    return {
        **audit.snapshot(order),
        "lines": [
            {
                "product": line.product_id,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "discount_percent": str(line.discount_percent),
                "warehouse": line.warehouse_id,
            }
            for line in order.lines.order_by("sequence", "pk")
        ],
    }


def changed(actor: Actor, order: SalesOrder, change: str, before: Any, after: Any) -> None:
    audit.record(actor, audit.Change(f"sales.order.{change}", order, before, after))
    events.publish(SalesOrderChanged(order.pk, change, company_id=order.company_id))


# -- checking a draft -------------------------------------------------------------------------


@dataclass
class _Checked:
    company: Company
    customer: Partner
    currency: Currency
    rate: Decimal
    warehouse: Warehouse
    ship_to: PartnerAddress | None
    price_list: PriceList | None
    order_date: datetime.date
    lines: list[SalesOrderLine]


def _header(draft: SalesOrderDraft, problems: dict[str, list[str]]) -> dict[str, Any]:
    customer = (
        Partner.objects.select_related("currency", "company__base_currency")
        .filter(pk=draft.customer_id)
        .first()
        if str(draft.customer_id or "").isdigit()
        else None
    )
    if customer is None:
        problems["customer"] = ["Unknown customer."]
        return {}
    if not customer.is_customer:
        problems["customer"] = [f"{customer.code} is not a customer."]
    elif not customer.active:
        problems["customer"] = [f"{customer.code} is inactive."]
    from crossdock.sales.models import Channel

    if draft.channel not in Channel.values:
        problems["channel"] = [f"One of {', '.join(Channel.values)}."]
    currency = customer.currency
    if draft.currency_id is not None:
        currency = Currency.objects.filter(pk=draft.currency_id).first()  # type: ignore[assignment]
        if currency is None:
            problems["currency"] = ["Unknown currency."]
    price_list = None
    if draft.price_list_id is not None:
        price_list = PriceList.objects.filter(pk=draft.price_list_id).first()
        if price_list is None or price_list.company_id != customer.company_id:
            problems["price_list"] = ["Unknown price list."]
        elif currency is not None and price_list.currency_id != currency.pk:
            problems["price_list"] = [
                f"{price_list.code} is in {price_list.currency.code}, the order in {currency.code}."
            ]
    ship_to = None
    if draft.ship_to_id is not None:
        ship_to = PartnerAddress.objects.filter(pk=draft.ship_to_id, partner=customer).first()
        if ship_to is None:
            problems["ship_to"] = [f"Not an address of {customer.code}."]
    else:
        ship_to = (
            PartnerAddress.objects.filter(partner=customer, kind="shipping")
            .order_by("-is_default", "pk")
            .first()
        )
    warehouse_id = draft.warehouse_id or customer.default_warehouse_id
    warehouse = (
        Warehouse.objects.filter(
            pk=warehouse_id, company_id=customer.company_id, active=True
        ).first()
        if warehouse_id
        else Warehouse.objects.filter(company_id=customer.company_id, active=True)
        .order_by("-is_central", "pk")
        .first()
    )
    if warehouse is None:
        problems["warehouse"] = ["Unknown warehouse of the customer's company."]
    return {
        "customer": customer,
        "currency": currency,
        "price_list": price_list,
        "ship_to": ship_to,
        "warehouse": warehouse,
    }


def _quantity(
    given: Any, product: Product, where: str, problems: dict[str, list[str]]
) -> Decimal | None:
    quantity = exact(given, QUANTITY_SCALE, f"{where}.quantity", problems, positive=True)
    if quantity is None:
        return None
    places = product.base_unit.decimal_places
    if -quantity.normalize().as_tuple().exponent > places:  # type: ignore[operator]
        problems[f"{where}.quantity"] = [
            f"{product.base_unit.code} allows {places} decimal places."
        ]
        return None
    return quantity


def check_draft(draft: SalesOrderDraft) -> _Checked:
    """Check the whole draft; refuse with every problem, naming each field, or return it."""
    from crossdock.accounting.services.rates import company_rate

    problems: dict[str, list[str]] = {}
    header = _header(draft, problems)
    order_date = draft.order_date or timezone.localdate()
    if draft.requested_date is not None and draft.requested_date < order_date:
        problems["requested_date"] = ["Cannot be before the order date."]
    if not draft.lines:
        problems["lines"] = ["Order at least one product."]
    elif len(draft.lines) > MAX_LINES:
        problems["lines"] = [f"At most {MAX_LINES} lines on one order."]
    if len(draft.note) > 200:
        problems["note"] = ["At most 200 characters."]
    if len(draft.customer_reference) > 60:
        problems["customer_reference"] = ["At most 60 characters."]
    refuse_if(problems)
    customer: Partner = header["customer"]
    currency: Currency = header["currency"]
    company = customer.company
    rate = company_rate(company, currency, order_date)
    product_ids = {line.product_id for line in draft.lines if str(line.product_id).isdigit()}
    products = Product.objects.select_related("base_unit", "category", "currency").in_bulk(
        product_ids
    )
    warehouses = Warehouse.objects.in_bulk(
        {line.warehouse_id for line in draft.lines if str(line.warehouse_id or "").isdigit()}
    )
    checked: list[tuple[int, Product, Decimal, SalesLineDraft]] = []
    for index, given in enumerate(draft.lines):
        where = f"lines[{index}]"
        product = products.get(int(given.product_id)) if str(given.product_id).isdigit() else None
        if product is None:
            problems[f"{where}.product"] = ["Unknown product."]
            continue
        if product.status == "obsolete":
            problems[f"{where}.product"] = [f"{product.sku} is obsolete; it cannot be sold."]
            continue
        quantity = _quantity(given.quantity, product, where, problems)
        if given.warehouse_id is not None:
            chosen = (
                warehouses.get(int(given.warehouse_id))
                if str(given.warehouse_id).isdigit()
                else None
            )
            if chosen is None or chosen.company_id != company.pk or not chosen.active:
                problems[f"{where}.warehouse"] = ["Unknown warehouse of the customer's company."]
                continue
        if quantity is not None:
            checked.append((index, product, quantity, given))
    refuse_if(problems)
    list_ids = (
        [header["price_list"].pk]
        if header["price_list"] is not None
        else pricing.candidate_lists(customer, draft.channel, currency.pk, order_date)
    )
    listed = pricing.list_prices([(p.pk, q) for _, p, q, _ in checked], list_ids, order_date)
    costs = pricing.unit_costs(company, {p.pk: p for _, p, _, _ in checked}, order_date)
    floors = pricing.floors(company.pk, [p for _, p, _, _ in checked])
    priced: list[tuple[int, Product, Decimal, SalesLineDraft, Decimal, Decimal, Decimal]] = []
    for (index, product, quantity, given), found in zip(checked, listed, strict=True):
        where = f"lines[{index}]"
        list_price = found.unit_price if found is not None else None
        discount = Decimal(0)
        if given.discount_percent is not None:
            discount = exact(
                given.discount_percent, PERCENT_SCALE, f"{where}.discount_percent", problems
            )  # type: ignore[assignment]
            if discount is None:
                continue
            if discount > HUNDRED:
                problems[f"{where}.discount_percent"] = ["At most 100 %."]
                continue
        if given.unit_price is not None:
            price = exact(given.unit_price, PRICE_SCALE, f"{where}.unit_price", problems)
            if price is None:
                continue
            if given.discount_percent is not None and list_price is None:
                problems[f"{where}.discount_percent"] = ["A discount needs a list price."]
                continue
            if list_price is None:
                list_price = price
            elif given.discount_percent is None:
                discount = (
                    ((list_price - price) * HUNDRED / list_price).quantize(Decimal("0.0001"))
                    if list_price > 0 and price < list_price
                    else Decimal(0)
                )
        else:
            if list_price is None:
                problems[f"{where}.unit_price"] = [
                    f"No price for {product.sku} in the customer's price lists "
                    f"({currency.code}); give a price."
                ]
                continue
            price = (list_price * (HUNDRED - discount) / HUNDRED).quantize(PRICE)
        priced.append((index, product, quantity, given, list_price, discount, price))
    refuse_if(problems)
    from crossdock.sales.services.pricing import settings_of

    policy = settings_of(company.pk).sourcing_policy
    sourced = source_lines(
        company.pk,
        [
            Need(p.pk, q, int(g.warehouse_id) if g.warehouse_id is not None else None)
            for _, p, q, g, _, _, _ in priced
        ],
        policy,
        address=header["ship_to"],
        preferred_warehouse_id=header["warehouse"].pk,
    )
    lines: list[SalesOrderLine] = []
    for part in sourced:
        index, product, _, given, list_price, discount, price = priced[part.need]
        cost = costs.get(product.pk, Decimal(0))
        floor = floors[product.pk]
        reasons = []
        if discount > floor.max_discount_percent:
            reasons.append(
                f"discount {discount.normalize():f} % over "
                f"{floor.max_discount_percent.normalize():f} %"
            )
        price_company = price * rate
        if floor.min_margin_percent is not None:
            if price_company > 0:
                margin = (price_company - cost) * HUNDRED / price_company
                if margin < floor.min_margin_percent:
                    reasons.append(
                        f"margin {margin.quantize(Decimal('0.1'))} % under the floor "
                        f"{floor.min_margin_percent.normalize():f} %"
                    )
            else:
                reasons.append("free of charge")
        lines.append(
            SalesOrderLine(
                sequence=(len(lines) + 1) * 10,
                product=product,
                description=(given.description or product.name)[:200],
                quantity=part.quantity,
                list_price=list_price,
                discount_percent=discount,
                unit_price=price,
                unit_cost=cost,
                warehouse=part.warehouse,
                warehouse_chosen=given.warehouse_id is not None,
                promise_date=part.promise_date,
                price_exception="; ".join(reasons)[:200],
            )
        )
    return _Checked(
        company,
        customer,
        currency,
        rate,
        header["warehouse"],
        header["ship_to"],
        header["price_list"],
        order_date,
        lines,
    )


def _totals(checked: _Checked) -> tuple[Decimal, Decimal, Decimal]:
    amount = checked.currency.round(
        sum((ln.quantity * ln.unit_price for ln in checked.lines), Decimal(0))
    )
    base = checked.company.base_currency
    cost = base.round(sum((ln.quantity * ln.unit_cost for ln in checked.lines), Decimal(0)))
    return amount, base.round(amount * checked.rate), cost


def _reference(company: Company) -> str:
    prefix = f"SO/{company.code}/"
    count = SalesOrder.objects.filter(company=company).count() + 1
    while SalesOrder.objects.filter(reference=f"{prefix}{count:06d}").exists():
        count += 1
    return f"{prefix}{count:06d}"


def create_sales_order(actor: Actor, draft: SalesOrderDraft) -> SalesOrder:
    """Write a quotation after checking, pricing and sourcing every line."""
    checked = check_draft(draft)
    amount, amount_company, cost = _totals(checked)
    customer = checked.customer
    with transaction.atomic():
        order = SalesOrder(
            company=checked.company,
            reference=_reference(checked.company),
            customer=customer,
            customer_reference=draft.customer_reference,
            ship_to=checked.ship_to,
            channel=draft.channel,
            warehouse=checked.warehouse,
            currency=checked.currency,
            rate=checked.rate,
            price_list=checked.price_list,
            order_date=checked.order_date,
            requested_date=draft.requested_date,
            ship_complete=customer.ship_complete
            if draft.ship_complete is None
            else draft.ship_complete,
            priority=TIER_PRIORITY.get(customer.customer_tier, 50),
            salesperson=actor.user,
            amount=amount,
            amount_company=amount_company,
            cost_company=cost,
            note=draft.note,
            **draft.extra,
        )
        require(actor, order, "add")
        order.save()
        for line in checked.lines:
            line.order = order
        SalesOrderLine.objects.bulk_create(checked.lines)
        changed(
            actor, order, "create", None, {**audit.snapshot(order), "lines": len(checked.lines)}
        )
        return order


def update_sales_order(
    actor: Actor, order_id: Any, draft: SalesOrderDraft, version: int | None = None
) -> SalesOrder:
    """Replace a quotation's header and lines (re-priced and re-sourced)."""
    checked = check_draft(draft)
    amount, amount_company, cost = _totals(checked)
    with transaction.atomic():
        order = visible_order(actor, order_id, "change")
        in_state(order, SalesOrderState.QUOTATION)
        if version is not None and version != order.version:
            from crossdock.core.errors import StaleVersionError

            raise StaleVersionError(f"{order.reference} was changed by someone else; reload it.")
        if checked.customer.pk != order.customer_id:
            raise ConflictError(
                "customer: an order's customer cannot change.",
                fields={"customer": ["Cannot change."]},
            )
        before = order_picture(order)
        order.lines.all().delete()
        for line in checked.lines:
            line.order = order
        SalesOrderLine.objects.bulk_create(checked.lines)
        order.currency, order.rate, order.price_list = (
            checked.currency,
            checked.rate,
            checked.price_list,
        )
        order.ship_to, order.warehouse, order.channel = (
            checked.ship_to,
            checked.warehouse,
            draft.channel,
        )
        order.requested_date, order.note = draft.requested_date, draft.note
        order.customer_reference = draft.customer_reference
        if draft.ship_complete is not None:
            order.ship_complete = draft.ship_complete
        order.amount, order.amount_company, order.cost_company = amount, amount_company, cost
        order.version = F("version") + 1
        order.save()
        order.refresh_from_db()
        changed(actor, order, "update", before, order_picture(order))
        return order


# -- confirming ---------------------------------------------------------------------------------


def confirm_sales_order(actor: Actor, order_id: Any) -> SalesOrder:
    """Confirm a quotation: price approval if needed, then the credit check, then release."""
    from crossdock.approvals import services as approvals
    from crossdock.sales.services.credit import check_and_release

    with transaction.atomic():
        order = visible_order(actor, order_id, "change")
        in_state(order, SalesOrderState.QUOTATION)
        if order.lines.exclude(price_exception="").exists():
            order.state = SalesOrderState.TO_APPROVE
            order.save(update_fields=["state", "updated_at"])
            changed(actor, order, "submit", {"state": "quotation"}, {"state": order.state})
            from crossdock.sales.services.credit import ensure_policy

            ensure_policy(
                order.company_id,
                PRICE_EXCEPTION,
                "sales-manager",
                "Prices under the margin floor or over the discount limit: a sales manager",
            )
            approvals.submit(actor, order, PRICE_EXCEPTION)
            order.refresh_from_db()
            return order
        return check_and_release(actor, order)


def price_approved(actor: Actor, order: SalesOrder) -> None:
    from crossdock.sales.services.credit import check_and_release

    order = lock_order(order.pk)
    if order.state != SalesOrderState.TO_APPROVE:
        return
    check_and_release(actor, order)


def price_rejected(actor: Actor, order: SalesOrder, comment: str) -> None:
    order = lock_order(order.pk)
    if order.state != SalesOrderState.TO_APPROVE:
        return
    order.state = SalesOrderState.QUOTATION
    order.rejection_comment = comment
    order.save(update_fields=["state", "rejection_comment", "updated_at"])
    changed(
        actor,
        order,
        "price-rejected",
        {"state": "to_approve"},
        {"state": order.state, "comment": comment},
    )


def release_to_warehouse(actor: Actor, order: SalesOrder) -> SalesOrder:
    """Create, confirm and reserve the order's deliveries, one per warehouse (order locked);
    for a sister company of the group, its mirrored purchase order and dispatches."""
    from crossdock.inventory.services.reservation import reserve_moves
    from crossdock.inventory.services.transfers import LineDraft, TransferDraft, create_transfer
    from crossdock.sales.services.intercompany import counterpart_of, release_intercompany

    system = Actor.system(f"{order.reference} released by {actor.label}")
    lines = list(order.lines.select_related("warehouse").order_by("sequence", "pk"))
    counterpart = counterpart_of(order)
    if counterpart is not None:  # a sister company: mirrored purchase order and dispatches
        released = release_intercompany(actor, system, order, counterpart)
        return _released(actor, order, lines, released)
    customers = Location.objects.get(
        company_id=order.company_id, warehouse__isnull=True, kind=LocationKind.CUSTOMER
    )
    by_warehouse: dict[int, list[SalesOrderLine]] = {}
    for line in lines:
        if line.open_quantity > 0:
            by_warehouse.setdefault(line.warehouse_id, []).append(line)
    from crossdock.masterdata.services import warehouse_location

    move_ids: list[int] = []
    for warehouse_id, part in sorted(by_warehouse.items()):
        source = warehouse_location(part[0].warehouse, LocationKind.RESERVE)
        promised = max((ln.promise_date for ln in part if ln.promise_date), default=None)
        transfer = create_transfer(
            system,
            TransferDraft(
                warehouse_id=warehouse_id,
                kind=TransferKind.DELIVERY,
                source_id=source.pk,
                destination_id=customers.pk,
                lines=[LineDraft(ln.product_id, ln.open_quantity) for ln in part],
                partner_id=order.customer_id,
                origin=order.reference,
                priority=order.priority,
                promised_on=promised or order.requested_date,
                scheduled_at=None,
            ),
        )
        StockMove.objects.filter(transfer=transfer, state=MoveState.DRAFT).update(
            state=MoveState.CONFIRMED
        )
        Transfer.objects.filter(pk=transfer.pk).update(state=MoveState.CONFIRMED)
        move_ids.extend(transfer.moves.values_list("pk", flat=True))
    if move_ids:
        reserve_moves(system, move_ids)
    return _released(actor, order, lines, len(by_warehouse))


def _released(
    actor: Actor, order: SalesOrder, lines: list[SalesOrderLine], transfers: int
) -> SalesOrder:
    before = {"state": order.state}
    order.state = SalesOrderState.CONFIRMED
    order.confirmed_at = timezone.now()
    from crossdock.sales.services.progress import uninvoiced_value

    order.uninvoiced_company = uninvoiced_value(order, lines)
    order.save(
        update_fields=[
            "uninvoiced_company",
            "state",
            "confirmed_at",
            "credit_exposure",
            "credit_limit",
            "hold_reason",
            "released_by",
            "mirrored_purchase_order",
            "updated_at",
        ]
    )
    after: dict[str, Any] = {"state": order.state, "transfers": transfers}
    if order.mirrored_purchase_order_id is not None:
        after["mirrored_purchase_order"] = order.mirrored_purchase_order_id
    changed(actor, order, "confirm", before, after)
    return order


def cancel_sales_order(actor: Actor, order_id: Any, reason: str = "") -> SalesOrder:
    """Cancel what is not shipped yet: open deliveries are cancelled, reservations released."""
    from crossdock.approvals import services as approvals
    from crossdock.inventory.models.stock import OPEN_STATES
    from crossdock.inventory.services.transfers import cancel_transfer

    with transaction.atomic():
        order = visible_order(actor, order_id, "change")
        if order.state in (
            SalesOrderState.SHIPPED,
            SalesOrderState.INVOICED,
            SalesOrderState.CANCELLED,
        ):
            raise ConflictError(
                f"{order.reference} is {order.get_state_display().lower()}; "
                "nothing left to cancel.",
                fields={"state": ["Nothing left to cancel."]},
            )
        system = Actor.system(f"{order.reference} cancelled by {actor.label}")
        # An arrival in a sister company carries the order's reference too, but its goods
        # were dispatched (they belong to the buyer): only what has not left is cancelled.
        for transfer_id in (
            Transfer.objects.filter(origin=order.reference, state__in=OPEN_STATES)
            .exclude(kind=TransferKind.TRANSIT_IN)
            .values_list("pk", flat=True)
        ):
            cancel_transfer(system, transfer_id)
        approvals.withdraw(actor, "sales-price-exception", str(order.pk))
        approvals.withdraw(actor, "sales-credit-release", str(order.pk))
        before = {"state": order.state}
        lines = list(order.lines.all())
        for line in lines:
            line.cancelled_quantity = line.open_quantity + line.cancelled_quantity
        SalesOrderLine.objects.bulk_update(lines, ["cancelled_quantity"])
        shipped_any = any(line.shipped_quantity > 0 for line in lines)
        order.state = SalesOrderState.SHIPPED if shipped_any else SalesOrderState.CANCELLED
        order.note = (reason or order.note)[:200]
        from crossdock.sales.services.progress import uninvoiced_value

        order.uninvoiced_company = uninvoiced_value(order, lines)
        order.save(update_fields=["state", "note", "uninvoiced_company", "updated_at"])
        from crossdock.sales.services.intercompany import cancel_mirror

        cancel_mirror(actor, order, lines)
        changed(actor, order, "cancel", before, {"state": order.state, "reason": reason})
        return order
