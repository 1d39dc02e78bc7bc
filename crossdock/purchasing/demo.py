"""Purchasing demo: a catalogue, orders in every stage, and a bill waiting in the AP queue.

Design overview
---------------
:func:`load_purchasing_demo` runs after the accounting demo and, for each
operating company, through the services and as the people whose job it is:

* the buyer keeps catalogue entries (prices with a quantity break, a minimum
  order quantity and a pack size) of the company's first supplier that bills in
  the company's currency, for six products;
* a policy *Purchase orders from 5,000* sends larger orders to the purchasing
  manager;
* four orders: one received and billed at its price (matched and posted); one
  of 6,000 waiting in the purchasing manager's inbox; one confirmed, partly
  received and late (it shows in the expected receipts); one received and
  billed at a higher price (a price variance in the AP match queue).

Receipts are taken by the system actor (the demo's warehouse operator works
in one warehouse only); dates are relative to today.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from crossdock.approvals import policies
from crossdock.approvals.models import ApprovalPolicy
from crossdock.core.context import Actor
from crossdock.core.models import User
from crossdock.masterdata.models import Company, Partner, Product, Warehouse
from crossdock.purchasing.models import PurchaseOrder
from crossdock.purchasing.services import matching, orders
from crossdock.purchasing.services.catalogue import OfferDraft, PriceBreakDraft, save_offer
from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order

POLICY = "Purchase orders from 5,000"
SYSTEM = Actor.system("demo")
D = Decimal


def load_purchasing_demo() -> dict[str, int]:
    """Build the purchasing demo (see the module docstring); all or nothing."""
    counts = {"purchase_orders": 0, "catalogue_entries": 0}
    with transaction.atomic():
        if ApprovalPolicy.objects.filter(name=POLICY).exists():
            return counts
        people = {
            u.username: Actor.of(u)
            for u in User.objects.filter(username__in=["buyer", "purchasing-manager", "ap-clerk"])
        }
        if len(people) < 3:
            return counts
        for company in Company.objects.filter(code__in=("NSE", "NSUK")).order_by("code"):
            _company_demo(company, people, counts)
    return counts


def _company_demo(company: Company, people: dict[str, Actor], counts: dict[str, int]) -> None:
    warehouse = (
        Warehouse.objects.filter(company=company, active=True).order_by("-is_central", "pk").first()
    )
    supplier = (
        Partner.objects.filter(
            company=company,
            is_supplier=True,
            active=True,
            currency=company.base_currency,
            approval_status="approved",
        )
        .order_by("pk")
        .first()
    )
    products = list(Product.objects.filter(tracking="none", status="active").order_by("pk")[:6])
    if warehouse is None or supplier is None or len(products) < 6:
        return
    buyer = people["buyer"]
    for index, product in enumerate(products):
        save_offer(
            buyer,
            OfferDraft(
                company_id=company.pk,
                supplier_id=supplier.pk,
                product_id=product.pk,
                currency_id=supplier.currency_id,
                breaks=[
                    PriceBreakDraft(D(0), D("12.50") + index),
                    PriceBreakDraft(D(100), D("11.75") + index),
                ],
                supplier_sku=f"{supplier.code}-{product.sku}",
                minimum_quantity=D(10) if index % 2 else D(0),
                order_multiple=D(5) if index % 3 == 0 else D(1),
                lead_time_days=7 + index,
                contract_reference=f"{company.code}-FRAME-2026",
                estimated_landed_cost_percent=D(4) + index,
            ),
        )
    counts["catalogue_entries"] += len(products)
    policy = policies.save_policy(
        SYSTEM,
        policies.PolicyDraft(
            company_id=company.pk,
            document_type="purchase-order",
            name=POLICY if company.code == "NSE" else f"{POLICY} ({company.code})",
            condition={"field": "amount", "op": ">=", "value": "5000"},
            levels=[policies.LevelDraft(name="Purchasing", rule="role", role="purchasing-manager")],
        ),
    )
    policies.set_policy_status(SYSTEM, policy.pk, "active")
    today = timezone.localdate()

    def order(lines: list[tuple[Product, int]], days_ago: int, note: str) -> PurchaseOrder:
        counts["purchase_orders"] += 1
        return orders.create_purchase_order(
            buyer,
            orders.OrderDraft(
                supplier_id=supplier.pk,
                warehouse_id=warehouse.pk,
                lines=[orders.OrderLineDraft(p.pk, D(q)) for p, q in lines],
                order_date=today - datetime.timedelta(days=days_ago),
                expected_date=today - datetime.timedelta(days=days_ago - 7),
                note=note,
            ),
        )

    def receive(po: PurchaseOrder, share: Decimal = Decimal(1)) -> None:
        receive_purchase_order(
            SYSTEM,
            po.pk,
            [
                ReceiptLine(line.pk, (line.quantity * share).to_integral_value())
                for line in po.lines.order_by("pk")
            ],
        )

    billed = order([(products[0], 20), (products[1], 30)], 20, "Monthly top-up")
    orders.submit_purchase_order(buyer, billed.pk)
    orders.send_purchase_order(buyer, billed.pk)
    orders.confirm_purchase_order(buyer, billed.pk)
    receive(billed)
    matching.bill_purchase_order(people["ap-clerk"], billed.pk, f"{company.code}-INV-1001")

    waiting = order([(products[2], 400)], 1, "Season stock-up: needs the purchasing manager")
    orders.submit_purchase_order(buyer, waiting.pk)

    late = order([(products[3], 40), (products[4], 20)], 15, "Partly delivered, rest overdue")
    orders.submit_purchase_order(buyer, late.pk)
    orders.send_purchase_order(buyer, late.pk)
    orders.confirm_purchase_order(buyer, late.pk)
    receive(late, D("0.5"))

    variance = order([(products[5], 25)], 12, "Billed above the agreed price")
    orders.submit_purchase_order(buyer, variance.pk)
    orders.send_purchase_order(buyer, variance.pk)
    receive(variance)
    line = variance.lines.get()
    matching.bill_purchase_order(
        people["ap-clerk"],
        variance.pk,
        f"{company.code}-INV-1002",
        prices={line.pk: line.unit_price + D("1.10")},
    )
