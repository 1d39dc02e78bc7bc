"""Benchmark: the whole procure-to-pay flow at seed scale on SQLite, in PO lines per second.

Usage: ``.venv/bin/python bench/purchasing.py [--runs 3] [--orders 50]``

Builds a fresh SQLite database in a temporary directory: migrate, the seed demo
group (25,000 SKUs, 300 suppliers, 6 warehouses), catalogue entries for the
products ordered, and an active purchase-order policy that sends every order to
the purchasing manager. Then, ``--runs`` times, it takes ``--orders`` 10-line
orders (half the lines lot-tracked where the catalogue has such products) each
through the real services, one after another:

create (buyer) → submit → approve (purchasing manager) → send → confirm →
receive every line with a lot → bill from the order (AP clerk) → three-way
match → posted.

Prints one JSON object with the median PO lines per second and the target
(≥ 500); exits 1 if the median misses it or ``crossdock audit`` finds a
difference afterwards.
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
directory = Path(tempfile.mkdtemp(prefix="crossdock-bench-purchasing-"))
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

from crossdock.accounting.models import InvoiceState  # noqa: E402
from crossdock.approvals import policies  # noqa: E402
from crossdock.approvals.services import decide, request_for  # noqa: E402
from crossdock.core.checks import run_checks  # noqa: E402
from crossdock.core.context import Actor  # noqa: E402
from crossdock.core.models import User  # noqa: E402
from crossdock.masterdata.demo import load_demo  # noqa: E402
from crossdock.masterdata.models import Partner, Product, Warehouse  # noqa: E402
from crossdock.purchasing.services import matching, orders  # noqa: E402
from crossdock.purchasing.services.catalogue import (  # noqa: E402
    OfferDraft,
    PriceBreakDraft,
    save_offer,
)
from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order  # noqa: E402

SYSTEM = Actor.system("bench")
TARGET_LINES_PER_S = 500.0
LINES = 10


def actor(username: str) -> Actor:
    return Actor.of(User.objects.get(username=username))


def setup(order_count: int, runs: int) -> tuple[Warehouse, Partner, list[list[Product]]]:
    call_command("migrate", verbosity=0)
    load_demo("seed")
    central = Warehouse.objects.select_related("company").get(is_central=True)
    company = central.company
    supplier = (
        Partner.objects.filter(company=company, is_supplier=True, active=True)
        .exclude(approval_status="rejected")
        .order_by("pk")
        .first()
    )
    assert supplier is not None, "the seed demo has suppliers"
    wanted = order_count * runs * LINES
    lots = list(
        Product.objects.filter(tracking="lot", status="active").order_by("pk")[: wanted // 2]
    )
    plain = list(
        Product.objects.filter(tracking="none", status="active").order_by("pk")[
            : wanted - len(lots)
        ]
    )
    products = [p for pair in zip(plain, lots, strict=False) for p in pair]
    products += plain[len(lots) :]
    for product in products:
        save_offer(
            SYSTEM,
            OfferDraft(
                company_id=company.pk,
                supplier_id=supplier.pk,
                product_id=product.pk,
                currency_id=supplier.currency_id,
                breaks=[PriceBreakDraft(Decimal(0), Decimal("3.25"))],
                order_multiple=Decimal(1),
                contract_reference="BENCH-2026",
            ),
        )
    policy = policies.save_policy(
        SYSTEM,
        policies.PolicyDraft(
            company_id=company.pk,
            document_type="purchase-order",
            name="Every order to the purchasing manager",
            condition={"field": "amount", "op": ">=", "value": "0"},
            levels=[policies.LevelDraft(name="Purchasing", rule="role", role="purchasing-manager")],
        ),
    )
    policies.set_policy_status(SYSTEM, policy.pk, "active")
    groups = [products[i : i + LINES] for i in range(0, len(products), LINES)]
    return central, supplier, groups


def flow(central: Warehouse, supplier: Partner, products: list[Product], number: int) -> None:
    buyer, manager, clerk = actor("buyer"), actor("purchasing-manager"), actor("ap-clerk")
    order = orders.create_purchase_order(
        buyer,
        orders.OrderDraft(
            supplier_id=supplier.pk,
            warehouse_id=central.pk,
            lines=[orders.OrderLineDraft(p.pk, Decimal(10 + number)) for p in products],
        ),
    )
    orders.submit_purchase_order(buyer, order.pk)
    request = request_for("purchase-order", order.pk)
    assert request is not None
    decide(manager, request.pk, approve=True)
    orders.send_purchase_order(buyer, order.pk)
    orders.confirm_purchase_order(buyer, order.pk)
    expiry = datetime.date.today() + datetime.timedelta(days=365)
    receive_purchase_order(
        SYSTEM,
        order.pk,
        [
            ReceiptLine(
                line.pk,
                line.quantity,
                f"LOT-{number}-{line.pk}" if line.product.tracking != "none" else "",
                expiry if line.product.tracking != "none" else None,
            )
            for line in order.lines.select_related("product").order_by("pk")
        ],
    )
    bill = matching.bill_purchase_order(clerk, order.pk, f"BENCH-{number}")
    assert bill.state == InvoiceState.POSTED, bill.purchase_match.reason


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--orders", type=int, default=50)
    options = parser.parse_args()
    started = time.perf_counter()
    central, supplier, groups = setup(options.orders, options.runs)
    setup_s = time.perf_counter() - started
    rates: list[float] = []
    for run in range(options.runs):
        batch = groups[run * options.orders : (run + 1) * options.orders]
        began = time.perf_counter()
        for number, products in enumerate(batch):
            flow(central, supplier, products, run * options.orders + number)
        elapsed = time.perf_counter() - began
        rates.append(sum(len(g) for g in batch) / elapsed)
    audit_started = time.perf_counter()
    _, problems = run_checks()
    median = statistics.median(rates)
    result = {
        "benchmark": "procure-to-pay flow (create → approve → send → confirm → receive with "
        "lots → bill → match → post), SQLite, seed scale",
        "orders_per_run": options.orders,
        "lines_per_order": LINES,
        "po_lines_per_s": [round(r, 1) for r in rates],
        "po_lines_per_s_median": round(median, 1),
        "target_po_lines_per_s": TARGET_LINES_PER_S,
        "setup_s": round(setup_s, 1),
        "audit_s": round(time.perf_counter() - audit_started, 1),
        "audit_problems": [str(p) for p in problems[:5]],
        "met": median >= TARGET_LINES_PER_S and not problems,
    }
    print(json.dumps(result, indent=2))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
