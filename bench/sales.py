"""Benchmark: order-to-cash on SQLite at seed scale.

Usage: ``.venv/bin/python bench/sales.py [--runs 3] [--orders 50]``

Builds a fresh SQLite database in a temporary directory: migrate, the seed demo
group (25,000 SKUs, 2,000 customers, 6 warehouses), a price list for one
customer of the central warehouse's company with a price for every product
used, and stock of each in the central warehouse (one receipt). Then:

1. ``--runs`` times, a 1,000-line order for that customer: create (price
   lookup, margin floors, sourcing with available-to-promise) and confirm
   (credit check against open receivables and open orders, one delivery,
   reservation of every line) — target: confirm under 0.5 s;
2. ``--runs`` times, ``--orders`` 10-line orders each taken through the whole
   flow by the real services, one after another: create (sales rep) → confirm →
   ship (warehouse operator) → invoice and post (AR clerk) — target ≥ 500
   order lines per second.

Prints one JSON object with the medians and targets; exits 1 if a median misses
its target or ``crossdock audit`` finds a difference afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
directory = Path(tempfile.mkdtemp(prefix="crossdock-bench-sales-"))
os.environ["CROSSDOCK_VAR_DIR"] = str(directory)
os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
os.environ["DJANGO_SETTINGS_MODULE"] = "crossdock.settings"
os.environ.setdefault("CROSSDOCK_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("CROSSDOCK_DEBUG", "false")  # production mode: no query log

import django  # noqa: E402

django.setup()

import datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402

from crossdock.core.checks import run_checks  # noqa: E402
from crossdock.core.context import Actor  # noqa: E402
from crossdock.core.models import User  # noqa: E402
from crossdock.inventory.models import TransferKind  # noqa: E402
from crossdock.inventory.services import (  # noqa: E402
    LineDraft,
    TransferDraft,
    confirm_transfer,
    create_transfer,
    validate_transfer,
)
from crossdock.masterdata.demo import load_demo  # noqa: E402
from crossdock.masterdata.models import (  # noqa: E402
    Location,
    LocationKind,
    Partner,
    PriceList,
    Product,
    Warehouse,
)
from crossdock.masterdata.models.pricing import PriceListItem  # noqa: E402
from crossdock.masterdata.services import warehouse_location  # noqa: E402
from crossdock.sales.models import SalesOrderState  # noqa: E402
from crossdock.sales.services.fulfilment import invoice_sales_orders, ship_sales_order  # noqa: E402
from crossdock.sales.services.orders import (  # noqa: E402
    SalesLineDraft,
    SalesOrderDraft,
    confirm_sales_order,
    create_sales_order,
)

SYSTEM = Actor.system("bench")
TARGET_CONFIRM_S = 0.5
TARGET_LINES_PER_S = 500.0
BIG = 1000
LINES = 10


def actor(username: str) -> Actor:
    return Actor.of(User.objects.get(username=username))


def setup(runs: int, orders: int) -> tuple[Partner, list[Product]]:
    call_command("migrate", verbosity=0)
    load_demo("seed")
    central = Warehouse.objects.select_related("company").get(is_central=True)
    company = central.company
    customer = (
        Partner.objects.filter(company=company, is_customer=True, active=True, group_company=None)
        .order_by("pk")
        .first()
    )
    assert customer is not None, "the seed demo has customers"
    products = list(
        Product.objects.filter(tracking="none", status="active").order_by("pk")[: BIG + 200]
    )
    price_list = PriceList.objects.create(
        company=company, code="BENCH", name="Bench prices", currency=customer.currency
    )
    PriceListItem.objects.bulk_create(
        PriceListItem(
            price_list=price_list,
            product=p,
            min_quantity=Decimal(1),
            unit_price=Decimal("25.00"),
            valid_from=datetime.date(2000, 1, 1),
        )
        for p in products
    )
    customer.price_list = price_list
    customer.credit_limit = Decimal("100000000")
    customer.default_warehouse = central
    customer.save()
    supplier = Location.objects.get(company=company, warehouse=None, kind=LocationKind.SUPPLIER)
    need = Decimal(runs + orders * runs + 10)
    receipt = create_transfer(
        SYSTEM,
        TransferDraft(
            warehouse_id=central.pk,
            kind=TransferKind.RECEIPT,
            source_id=supplier.pk,
            destination_id=warehouse_location(central, LocationKind.RESERVE).pk,
            lines=[LineDraft(p.pk, need, unit_cost=Decimal("10")) for p in products],
        ),
    )
    confirm_transfer(SYSTEM, receipt.pk)
    validate_transfer(SYSTEM, receipt.pk)
    return customer, products


def big_order(customer: Partner, products: list[Product]) -> tuple[float, float]:
    rep = actor("sales-rep")
    began = time.perf_counter()
    order = create_sales_order(
        rep,
        SalesOrderDraft(
            customer_id=customer.pk,
            lines=[SalesLineDraft(p.pk, Decimal(1)) for p in products[:BIG]],
        ),
    )
    created = time.perf_counter()
    order = confirm_sales_order(rep, order.pk)
    confirmed = time.perf_counter()
    assert order.state == SalesOrderState.CONFIRMED, order.hold_reason
    return created - began, confirmed - created


def flow(customer: Partner, products: list[Product], number: int) -> None:
    rep, operator, clerk = actor("sales-rep"), actor("warehouse-operator"), actor("ar-clerk")
    order = create_sales_order(
        rep,
        SalesOrderDraft(
            customer_id=customer.pk,
            lines=[SalesLineDraft(p.pk, Decimal(1)) for p in products],
            customer_reference=f"BENCH-{number}",
        ),
    )
    order = confirm_sales_order(rep, order.pk)
    assert order.state == SalesOrderState.CONFIRMED, order.hold_reason
    ship_sales_order(operator, order.pk)
    (invoice,) = invoice_sales_orders(clerk, [order.pk])
    assert invoice.state == "posted"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--orders", type=int, default=50)
    options = parser.parse_args()
    started = time.perf_counter()
    customer, products = setup(options.runs, options.orders)
    setup_s = time.perf_counter() - started
    creates, confirms = [], []
    for _ in range(options.runs):
        create_s, confirm_s = big_order(customer, products)
        creates.append(create_s)
        confirms.append(confirm_s)
    rates: list[float] = []
    groups = [products[i : i + LINES] for i in range(0, len(products), LINES)]
    for run in range(options.runs):
        began = time.perf_counter()
        for number in range(options.orders):
            flow(customer, groups[number % len(groups)], run * options.orders + number)
        rates.append(options.orders * LINES / (time.perf_counter() - began))
    audit_started = time.perf_counter()
    _, problems = run_checks()
    confirm = statistics.median(confirms)
    rate = statistics.median(rates)
    result = {
        "benchmark": "order-to-cash, SQLite, seed scale",
        "big_order_lines": BIG,
        "create_1000_lines_s": [round(s, 3) for s in creates],
        "create_1000_lines_s_median": round(statistics.median(creates), 3),
        "confirm_1000_lines_s": [round(s, 3) for s in confirms],
        "confirm_1000_lines_s_median": round(confirm, 3),
        "target_confirm_s": TARGET_CONFIRM_S,
        "flow": "create → confirm → ship → invoice → post, 10-line orders",
        "orders_per_run": options.orders,
        "order_lines_per_s": [round(r, 1) for r in rates],
        "order_lines_per_s_median": round(rate, 1),
        "target_order_lines_per_s": TARGET_LINES_PER_S,
        "setup_s": round(setup_s, 1),
        "audit_s": round(time.perf_counter() - audit_started, 1),
        "audit_problems": [str(p) for p in problems[:5]],
        "met": confirm < TARGET_CONFIRM_S and rate >= TARGET_LINES_PER_S and not problems,
    }
    print(json.dumps(result, indent=2))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
