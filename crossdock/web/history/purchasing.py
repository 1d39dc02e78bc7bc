"""Procure-to-pay history: the purchases that supplied every delivery of the sales history.

For each warehouse, product and calendar quarter, the quantity delivered is bought from
the product's preferred supplier (else a supplier of the company) on one purchase order
line and received before the quarter's first delivery of it, so stock never runs short;
lines of one warehouse, supplier and quarter share an order and a receipt. The receipt
is valued at exactly the value its deliveries took out, so the history leaves stock
quantity and value unchanged. About 4 % of lines are received short (ordered more than
arrived), 15 % of orders arrive after the promised date; each order is billed once; 6 % of
bills charge 3 % above the order price (a price variance, accepted); most bills more than
45 days old are paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from crossdock.accounting.models import Invoice
from crossdock.inventory.models import MoveLine, StockMove, Transfer, ValuationLayer
from crossdock.purchasing.models import (
    BillMatch,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceiptLine,
)
from crossdock.web.history import tables
from crossdock.web.history.books import (
    Books,
    EntryBatch,
    InvoiceBatch,
    money,
    write_invoice_lines,
    write_invoices,
)
from crossdock.web.history.context import Context
from crossdock.web.history.sales import UNIT, Shipped, pay


@dataclass
class PurchaseCounts:
    orders: int
    lines: int
    short_lines: int
    late_orders: int
    bills: int
    price_variances: int
    payments: int


def _quarter(day: np.ndarray) -> np.ndarray:
    months = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months // 3


def build_purchases(ctx: Context, books: Books, shipped: Shipped) -> PurchaseCounts:
    rng = ctx.rng
    quarter = _quarter(shipped.day)
    keys = np.stack([shipped.warehouse, shipped.product, quarter])
    groups, group_of = np.unique(keys, axis=1, return_inverse=True)
    group_of = group_of.ravel()
    n_lines = groups.shape[1]
    warehouse, product, line_quarter = groups
    company = np.zeros(n_lines, dtype=np.int64)
    company[group_of] = shipped.company
    units = np.bincount(group_of, weights=shipped.units, minlength=n_lines).astype(np.int64)
    value = np.zeros(n_lines, dtype=np.int64)
    np.add.at(value, group_of, shipped.value)
    first = np.full(n_lines, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, group_of, shipped.day)
    supplier = np.array(
        [
            ctx.supplier_of.get((c, p)) or int(ctx.suppliers[c][p % len(ctx.suppliers[c])])
            for c, p in zip(company.tolist(), product.tolist(), strict=True)
        ],
        dtype=np.int64,
    )
    # orders: one per warehouse, supplier and quarter
    order_keys = np.stack([warehouse, supplier, line_quarter])
    orders, order_of = np.unique(order_keys, axis=1, return_inverse=True)
    order_of = order_of.ravel()
    n_orders = orders.shape[1]
    order_company = np.zeros(n_orders, dtype=np.int64)
    order_company[order_of] = company
    order_warehouse, order_supplier = orders[0], orders[1]
    received = np.full(n_orders, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(received, order_of, first)
    received -= rng.integers(0, 7, size=n_orders)
    late = rng.random(n_orders) < 0.15
    expected = np.where(
        late,
        received - rng.integers(1, 11, size=n_orders),
        received + rng.integers(0, 4, size=n_orders),
    )
    order_day = np.minimum(expected - rng.integers(7, 22, size=n_orders), received - 1)
    billed_day = np.minimum(received + rng.integers(1, 11, size=n_orders), ctx.today - 1)
    billed_day = np.maximum(billed_day, received)

    cost = ctx.cost[product]
    short = rng.random(n_lines) < 0.04
    ordered = units + np.where(short, np.maximum(units // 10, 1), 0)
    line_amount = ordered * cost
    order_total = np.zeros(n_orders, dtype=np.int64)
    np.add.at(order_total, order_of, line_amount)
    order_amount = money(order_total, np.ones(n_orders, dtype=np.int64))
    order_ids = tables.next_ids(PurchaseOrder, n_orders)
    references = [
        f"PO/{ctx.company_code[c]}/H{i:07d}" for i, c in enumerate(order_company.tolist(), start=1)
    ]
    placed = tables.at_hour(order_day, 9)
    tables.insert(
        PurchaseOrder,
        n_orders,
        {
            "id": order_ids,
            "reference": references,
            "rate": 10**10,
            "state": "billed",
            "order_date": tables.day_text(order_day),
            "expected_date": tables.day_text(expected),
            "amount": order_amount,
            "amount_company": order_amount,
            "note": "History",
            "rejection_comment": "",
            "submitted_at": placed,
            "approved_at": placed,
            "sent_at": placed,
            "confirmed_at": tables.at_hour(order_day + 1, 9),
            "company_id": order_company,
            "currency_id": [ctx.currency[c] for c in order_company.tolist()],
            "supplier_id": order_supplier,
            "warehouse_id": order_warehouse,
            "estimated_landed_amount": 0,
            "intercompany_origin": "",
        },
    )
    # lines sorted by order so that sequences count within each order
    sort = np.argsort(order_of, kind="stable")
    rank = np.empty(n_lines, dtype=np.int64)
    starts = np.searchsorted(order_of[sort], np.arange(n_orders))
    rank[sort] = np.arange(n_lines) - starts[order_of[sort]]
    line_ids = tables.next_ids(PurchaseOrderLine, n_lines)
    line_expected = tables.day_text(expected[order_of])
    tables.insert(
        PurchaseOrderLine,
        n_lines,
        {
            "id": line_ids,
            "order_id": order_ids[order_of],
            "sequence": (rank + 1) * 10,
            "description": [ctx.label[p] for p in product.tolist()],
            "quantity": ordered * UNIT,
            "unit_price": cost,
            "off_contract": False,
            "expected_date": line_expected,
            "confirmed_quantity": ordered * UNIT,
            "confirmed_date": line_expected,
            "received_quantity": units * UNIT,
            "billed_quantity": units * UNIT,
            "product_id": product,
            "estimated_landed_cost": 0,
        },
    )
    # receipts: one per order, a move per line valued at what its deliveries took out
    transfer_ids = tables.next_ids(Transfer, n_orders)
    counter: dict[int, int] = {}
    receipt_refs = []
    for w in order_warehouse.tolist():
        counter[w] = counter.get(w, 0) + 1
        receipt_refs.append(f"{ctx.warehouse_code[w]}/IN/H{counter[w]:07d}")
    source = np.array([ctx.supplier_location[c] for c in order_company.tolist()], dtype=np.int64)
    destination = np.array([ctx.stock_location[w] for w in order_warehouse.tolist()])
    arrived = tables.at_hour(received, 6)
    tables.insert(
        Transfer,
        n_orders,
        {
            "id": transfer_ids,
            "company_id": order_company,
            "warehouse_id": order_warehouse,
            "reference": receipt_refs,
            "kind": "receipt",
            "state": "done",
            "source_id": source,
            "destination_id": destination,
            "partner_id": order_supplier,
            "scheduled_at": tables.at_hour(expected, 6),
            "done_at": arrived,
            "origin": references,
        },
    )
    move_ids = tables.next_ids(StockMove, n_lines)
    line_arrived = [arrived[o] for o in order_of.tolist()]
    line_refs = [receipt_refs[o] for o in order_of.tolist()]
    tables.insert(
        StockMove,
        n_lines,
        {
            "id": move_ids,
            "company_id": company,
            "transfer_id": transfer_ids[order_of],
            "product_id": product,
            "quantity": units * UNIT,
            "source_id": source[order_of],
            "destination_id": destination[order_of],
            "state": "done",
            "scheduled_at": line_arrived,
            "done_at": line_arrived,
            "unit_cost": cost,
            "origin": line_refs,
        },
    )
    tables.add_to_quants(product, source[order_of], -units * UNIT)
    tables.insert(
        MoveLine,
        n_lines,
        {
            "move_id": move_ids,
            "product_id": product,
            "source_id": source[order_of],
            "destination_id": destination[order_of],
            "quantity": units * UNIT,
            "done": True,
            "done_at": line_arrived,
        },
    )
    tables.insert(
        ValuationLayer,
        n_lines,
        {
            "company_id": company,
            "product_id": product,
            "move_id": move_ids,
            "recorded_at": line_arrived,
            "quantity": units * UNIT,
            "unit_cost": cost,
            "value": value,
            "remaining_quantity": 0,
            "remaining_value": 0,
            "description": line_refs,
        },
    )
    tables.insert(
        PurchaseReceiptLine,
        n_lines,
        {"quantity": units * UNIT, "line_id": line_ids, "move_id": move_ids},
    )
    valued, stock_entries = books.valued_entries(n_orders, order_of, value)
    stock_journal = np.array(
        [ctx.journal[(c, "stock")] for c in order_company[valued].tolist()], dtype=np.int64
    )
    books.add_entries(
        EntryBatch(
            ids=stock_entries[valued], company=order_company[valued], journal=stock_journal,
            number=books.numbers(ctx.journal_code, stock_journal, received[valued]),
            day=received[valued],
            memo=[f"Stock valuation {receipt_refs[o]}" for o in valued.tolist()],
            source_type="inventory.transfer", source_id=transfer_ids[valued],
        )
    )  # fmt: skip
    line_supplier = order_supplier[order_of]
    for role, debit in (("stock", True), ("grni", False)):
        books.add_lines(
            stock_entries[order_of],
            np.array([ctx.account[(c, role)] for c in company.tolist()], dtype=np.int64),
            value,
            debit=debit, partner=line_supplier, product=product, warehouse=warehouse,
            label=line_refs, company=company, day=received[order_of],
        )  # fmt: skip
    return _bill(
        ctx, books,
        {
            "order_ids": order_ids, "references": references, "company": order_company,
            "supplier": order_supplier, "day": billed_day, "late": late,
        },
        {
            "order_of": order_of, "units": units, "cost": cost, "value": value,
            "product": product, "move_ids": move_ids, "short": short,
        },
    )  # fmt: skip


def _bill(
    ctx: Context, books: Books, order: dict[str, Any], line: dict[str, Any]
) -> PurchaseCounts:
    """One vendor bill per order, three-way matched; the difference to the receipt value on
    the price variance account."""
    rng = ctx.rng
    n = len(order["order_ids"])
    order_of = line["order_of"]
    variance = rng.random(n) < 0.06
    price = np.where(variance[order_of], line["cost"] * 103 // 100, line["cost"])
    subtotal = money(line["units"], price)
    total = np.zeros(n, dtype=np.int64)
    np.add.at(total, order_of, subtotal)
    day = order["day"]
    company = order["company"]
    supplier = order["supplier"]
    paid = (day + 45 < ctx.today) & (rng.random(n) < 0.9)
    bill_ids = tables.next_ids(Invoice, n)
    entry_ids = books.entry_ids(n)
    journal = np.array([ctx.journal[(c, "purchase")] for c in company.tolist()], dtype=np.int64)
    numbers = books.numbers(ctx.journal_code, journal, day)
    references = order["references"]
    installments = write_invoices(
        InvoiceBatch(
            ids=bill_ids, kind="vendor_bill", company=company,
            currency=np.array([ctx.currency[c] for c in company.tolist()], dtype=np.int64),
            partner=supplier, day=day, due=day + 30, total=total,
            open_amount=np.where(paid, 0, total), entry=entry_ids, number=numbers,
            memo=[f"Bill for {r}" for r in references],
            partner_reference=[f"H-{r}" for r in references], source_transfer=[None] * n,
            payment_term=[ctx.payment_term.get(s) for s in supplier.tolist()],
        )
    )  # fmt: skip
    product = line["product"]
    line_company = company[order_of]
    descriptions = [
        f"{references[o]} · {ctx.label[p]}"[:200]
        for o, p in zip(order_of.tolist(), product.tolist(), strict=True)
    ]
    write_invoice_lines(
        {
            "invoice_id": bill_ids[order_of],
            "sequence": np.arange(len(order_of)) + 1,
            "description": descriptions,
            "quantity": line["units"] * UNIT,
            "unit_price": price,
            "discount_percent": 0,
            "subtotal": subtotal,
            "tax_amount": 0,
            "total": subtotal,
            "account_id": [ctx.account[(c, "grni")] for c in line_company.tolist()],
            "product_id": product,
            "stock_move_id": line["move_ids"],
        },
        len(order_of),
    )
    books.add_entries(
        EntryBatch(
            ids=entry_ids, company=company, journal=journal, number=numbers, day=day,
            memo=[f"Vendor bill {r}" for r in references],
            source_type="accounting.invoice", source_id=bill_ids,
        )
    )  # fmt: skip
    books.add_lines(
        entry_ids,
        np.array([ctx.account[(c, "payable")] for c in company.tolist()], dtype=np.int64),
        total,
        debit=False, partner=supplier, product=None, warehouse=None,
        label=[f"Due {d}" for d in tables.day_text(day + 30)], company=company, day=day,
    )  # fmt: skip
    line_day = day[order_of]
    line_supplier = supplier[order_of]
    books.add_lines(
        entry_ids[order_of],
        np.array([ctx.account[(c, "grni")] for c in line_company.tolist()], dtype=np.int64),
        line["value"],
        debit=True, partner=line_supplier, product=product, warehouse=None,
        label=descriptions, company=line_company, day=line_day,
    )  # fmt: skip
    difference = subtotal - line["value"]
    books.add_lines(
        entry_ids[order_of],
        np.array(
            [ctx.account[(c, "price_variance")] for c in line_company.tolist()], dtype=np.int64
        ),
        np.abs(difference),
        debit=difference > 0, partner=line_supplier, product=product, warehouse=None,
        label=descriptions, company=line_company, day=line_day,
    )  # fmt: skip
    tables.insert(
        BillMatch,
        n,
        {
            "status": np.where(variance, "accepted", "matched"),
            "first_status": np.where(variance, "price_variance", "matched"),
            "reason": np.where(variance, "Billed 3 % above the order price; accepted", ""),
            "lines": "[]",
            "checked_at": tables.at_hour(day, 18),
            "resolution_note": "",
            "company_id": company,
            "invoice_id": bill_ids,
            "order_id": order["order_ids"],
        },
    )
    payments = pay(
        ctx, books, "outbound", installments, paid, (company, supplier, day, total), numbers
    )
    return PurchaseCounts(
        orders=n,
        lines=len(order_of),
        short_lines=int(line["short"].sum()),
        late_orders=int(order["late"].sum()),
        bills=n,
        price_variances=int(variance.sum()),
        payments=payments,
    )
