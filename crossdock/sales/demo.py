"""Sales demo: priced customers, a margin floor and orders in the states a sales desk sees.

Design overview
---------------
:func:`load_sales_demo` runs after the purchasing demo and, for each operating
company with customers and an active sales price list (the standard lists of
:mod:`crossdock.masterdata.demo_prices`), as the people whose job it is:

* every customer of the company without a price list gets the standard one;
* the sales manager keeps one :class:`~crossdock.sales.models.MarginFloor`: the
  category of the first product sold may not go under 5 % margin nor over 15 %
  discount without approval (every demo price stays within it);
* four orders from the company's main warehouse, only for products with free
  stock there and a price on the list: a quotation; a confirmed order (its
  delivery reserved); an order picked (in Venlo's two-step delivery) and
  shipped by the system actor, like the purchasing demo's receipts, and
  invoiced by the AR clerk; and an order of a customer with a credit limit of
  1,000, on credit hold waiting for the credit controller.
* one intercompany order: NSE sells to its sister NSUK (each company gets a
  partner standing for the other, written through the records service).
  Confirming it writes NSUK's mirrored purchase order into Birmingham; it is
  dispatched from Venlo and invoiced, so NSUK holds the mirrored bill and an
  arrival in transit waiting for its warehouse to confirm it.

The orders go through the sales services (confirmation runs the credit check
and reserves stock; a hold creates the company's credit-release policy). The
margin floor, the customers' price list and the small credit limit have no
service of their own: they are written directly, each with an audit entry.

Orders are entered by the sales representative where they may (the NSE
company), else by the sales manager. Customers whose open items are overdue or
who have little credit left are skipped for the orders that should go through.
Dates are relative to today; a second run does nothing.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.models import User
from crossdock.core.permissions import can_act_on
from crossdock.core.records import create_record
from crossdock.inventory.models import Quant, Transfer, TransferKind
from crossdock.inventory.models.stock import OPEN_STATES
from crossdock.inventory.services.validation import validate_transfer
from crossdock.masterdata.models import (
    Company,
    LocationKind,
    Partner,
    PriceList,
    PriceListItem,
    Product,
    Warehouse,
)
from crossdock.masterdata.services import warehouse_location
from crossdock.sales.models import MarginFloor, SalesOrder
from crossdock.sales.services import fulfilment, orders, pricing
from crossdock.sales.services.credit import exposure_of
from crossdock.sales.services.margin_floors import MarginFloorDraft, create_margin_floor

SYSTEM = Actor.system("demo")
D = Decimal
FLOOR_MARGIN = D(5)
FLOOR_DISCOUNT = D(15)
HELD_CREDIT_LIMIT = D(1000)
PRODUCTS = 4


def load_sales_demo() -> dict[str, int]:
    """Build the sales demo (see the module docstring); all or nothing."""
    counts = {"sales_orders": 0, "margin_floors": 0}
    with transaction.atomic():
        if SalesOrder.objects.exists() or MarginFloor.objects.exists():
            return counts
        people = {
            u.username: Actor.of(u)
            for u in User.objects.filter(
                username__in=["sales-rep", "sales-manager", "ar-clerk"], is_active=True
            )
        }
        if len(people) < 3:
            return counts
        for company in Company.objects.filter(code__in=("NSE", "NSUK")).order_by("code"):
            _company_demo(company, people, counts)
        _intercompany_demo(people, counts)
    return counts


def _company_demo(company: Company, people: dict[str, Actor], counts: dict[str, int]) -> None:
    price_list = (
        PriceList.objects.filter(
            company=company, active=True, currency=company.base_currency, customer_tier=""
        )
        .order_by("pk")
        .first()
    )
    warehouse = (
        Warehouse.objects.filter(company=company, active=True).order_by("-is_central", "pk").first()
    )
    customers = Partner.objects.filter(
        company=company,
        is_customer=True,
        active=True,
        currency=company.base_currency,
        group_company__isnull=True,
    )
    if price_list is None or warehouse is None or not customers.exists():
        return
    stocked = _stocked_products(company, warehouse, price_list)
    if len(stocked) < PRODUCTS:
        return
    products = [product for product, _ in stocked]
    manager = people["sales-manager"]
    sample = SalesOrder(company=company, warehouse=warehouse)
    seller = next(
        (
            people[name]
            for name in ("sales-rep", "sales-manager")
            if can_act_on(people[name].user, sample, "add")
        ),
        None,
    )
    if seller is None:
        return
    held_customer = next((c for c in customers.order_by("-pk") if not _has_exposure(c)), None)
    good = []
    for customer in customers.order_by("pk"):
        if customer != held_customer and _has_room(customer, D(25_000)):
            good.append(customer)
        if len(good) == 3:
            break
    if held_customer is None or len(good) < 3:
        return
    _margin_floor(manager, company, products[0])
    counts["margin_floors"] += 1
    _give_price_list(manager, price_list, customers)
    today = timezone.localdate()

    def order(customer: Partner, lines: list[tuple[Product, int]], note: str) -> SalesOrder:
        counts["sales_orders"] += 1
        return orders.create_sales_order(
            seller,
            orders.SalesOrderDraft(
                customer_id=customer.pk,
                warehouse_id=warehouse.pk,
                lines=[
                    orders.SalesLineDraft(p.pk, D(q), warehouse_id=warehouse.pk) for p, q in lines
                ],
                order_date=today,
                ship_complete=False,
                customer_reference=f"PO-{company.code}-{counts['sales_orders']:03d}",
                note=note,
            ),
        )

    order(good[0], [(products[0], 2), (products[1], 1)], "Quotation for the spring range")

    confirmed = order(good[1], [(products[1], 2)], "Reserved, waiting to be picked")
    orders.confirm_sales_order(seller, confirmed.pk)

    shipped = order(good[2], [(products[2], 2), (products[3], 1)], "Shipped and invoiced")
    orders.confirm_sales_order(seller, shipped.pk)
    _pick(shipped)
    fulfilment.ship_sales_order(SYSTEM, shipped.pk)
    fulfilment.invoice_sales_orders(people["ar-clerk"], [shipped.pk])

    # over the limit: one and a half times it in the customer's currency, within free stock
    _small_credit_limit(manager, held_customer)
    product, free = stocked[0]
    wanted = (HELD_CREDIT_LIMIT * D("1.5") / _list_price(price_list, product)).to_integral_value(
        ROUND_CEILING
    )
    held = order(held_customer, [(product, int(min(wanted, free - 2)))], "Over the credit limit")
    orders.confirm_sales_order(seller, held.pk)


def _intercompany_demo(people: dict[str, Actor], counts: dict[str, int]) -> None:
    """NSE sells to its sister NSUK: the mirrored purchase order, dispatch and mirrored bill."""
    found = {c.code: c for c in Company.objects.filter(code__in=("NSE", "NSUK"))}
    seller, buyer = found.get("NSE"), found.get("NSUK")
    if seller is None or buyer is None:
        return
    warehouse = Warehouse.objects.filter(company=seller, active=True).order_by("-is_central", "pk")
    receiving = Warehouse.objects.filter(company=buyer, active=True).order_by("-is_central", "pk")
    price_list = (
        PriceList.objects.filter(
            company=seller, active=True, currency=seller.base_currency, customer_tier=""
        )
        .order_by("pk")
        .first()
    )
    if price_list is None or not warehouse.exists() or not receiving.exists():
        return
    stocked = _stocked_products(seller, warehouse[0], price_list)
    if not stocked:
        return
    product, free = stocked[-1]
    customer = create_record(
        SYSTEM,
        Partner,
        {
            "company": seller, "code": "NSUK-GROUP", "name": f"{buyer.name} (group)",
            "is_customer": True, "currency": seller.base_currency, "price_list": price_list,
            "customer_tier": "strategic", "group_company": buyer,
        },
    )  # fmt: skip
    create_record(
        SYSTEM,
        Partner,
        {
            "company": buyer, "code": "NSE-GROUP", "name": f"{seller.name} (group)",
            "is_supplier": True, "currency": seller.base_currency,
            "default_warehouse": receiving[0], "group_company": seller,
        },
    )  # fmt: skip
    rep = people["sales-rep"]
    venlo = warehouse[0]
    quantity = D(min(3, int(free) - 1))
    sample = SalesOrder(company=seller, warehouse=venlo)
    actor = rep if can_act_on(rep.user, sample, "add") else people["sales-manager"]
    order = orders.create_sales_order(
        actor,
        orders.SalesOrderDraft(
            customer_id=customer.pk,
            warehouse_id=venlo.pk,
            lines=[orders.SalesLineDraft(product.pk, quantity, warehouse_id=venlo.pk)],
            order_date=timezone.localdate(),
            customer_reference="NSUK replenishment",
            note="Intercompany: Venlo replenishes Birmingham",
        ),
    )
    counts["sales_orders"] += 1
    orders.confirm_sales_order(actor, order.pk)
    fulfilment.ship_sales_order(SYSTEM, order.pk)
    fulfilment.invoice_sales_orders(people["ar-clerk"], [order.pk])


def _stocked_products(
    company: Company, warehouse: Warehouse, price_list: PriceList
) -> list[tuple[Product, Decimal]]:
    """Untracked active products with free stock in the warehouse's reserve, priced on the
    list, with a margin well above the floor; the most stocked first, with their free stock."""
    reserve = warehouse_location(warehouse, LocationKind.RESERVE)
    if reserve is None:
        return []
    free: dict[int, Decimal] = {}
    for product_id, quantity, reserved in Quant.objects.filter(
        Q(location__path=reserve.path) | Q(location__path__startswith=f"{reserve.path}/"),
        product__tracking="none",
        product__status="active",
        product__base_unit__decimal_places=0,
        product_id__in=PriceListItem.objects.filter(
            price_list=price_list, min_quantity__lte=1
        ).values("product_id"),
    ).values_list("product_id", "quantity", "reserved"):
        free[product_id] = free.get(product_id, D(0)) + quantity - reserved
    most = sorted((pk for pk in free if free[pk] >= 10), key=lambda pk: (-free[pk], pk))[:50]
    free = {pk: free[pk] for pk in most}
    candidates = Product.objects.select_related("category", "currency").in_bulk(list(free))
    costs = pricing.unit_costs(company, candidates, timezone.localdate())
    found = []
    for pk, quantity in free.items():
        price = _list_price(price_list, candidates[pk])
        if price > 0 and (price - costs[pk]) * 100 / price >= FLOOR_MARGIN * 3:
            found.append((candidates[pk], quantity))
    return found[:PRODUCTS]


def _pick(order: SalesOrder) -> None:
    """Process the order's pick (and pack) steps in a multi-step warehouse, up to the dock."""
    for _ in range(2):
        steps = Transfer.objects.filter(origin=order.reference, state__in=OPEN_STATES).exclude(
            kind=TransferKind.DELIVERY
        )
        for step in steps.order_by("pk").values_list("pk", flat=True):
            validate_transfer(SYSTEM, step)


def _list_price(price_list: PriceList, product: Product) -> Decimal:
    price = (
        PriceListItem.objects.filter(price_list=price_list, product=product, min_quantity__lte=1)
        .order_by("-min_quantity", "-valid_from")
        .values_list("unit_price", flat=True)
        .first()
    )
    return price if price is not None else D(0)


def _has_exposure(customer: Partner) -> bool:
    exposure = exposure_of(customer)
    return bool(exposure.total or exposure.overdue_days)


def _has_room(customer: Partner, room: Decimal) -> bool:
    """Whether the customer can take an order of ``room`` without a credit hold."""
    exposure = exposure_of(customer)
    hold_days = pricing.settings_of(customer.company_id).overdue_hold_days
    return exposure.overdue_days <= hold_days and exposure.limit - exposure.total >= room


def _margin_floor(actor: Actor, company: Company, product: Product) -> None:
    create_margin_floor(
        actor,
        MarginFloorDraft(
            company_id=company.pk,
            category_id=product.category_id,
            min_margin_percent=FLOOR_MARGIN,
            max_discount_percent=FLOOR_DISCOUNT,
        ),
    )


def _give_price_list(actor: Actor, price_list: PriceList, customers: Any) -> None:
    """Every customer without a price list gets the company's standard list (a bulk write, as
    for the other demo volume records, with one ``demo-load`` audit entry)."""
    given = customers.filter(price_list__isnull=True).update(price_list=price_list)
    if given:
        audit.record(actor, audit.Change("demo-load", price_list, None, {"customers": given}))


def _small_credit_limit(actor: Actor, customer: Partner) -> None:
    before = {"credit_limit": str(customer.credit_limit)}
    customer.credit_limit = HELD_CREDIT_LIMIT
    customer.save(update_fields=["credit_limit"])
    audit.record(
        actor,
        audit.Change("update", customer, before, {"credit_limit": str(HELD_CREDIT_LIMIT)}),
    )
