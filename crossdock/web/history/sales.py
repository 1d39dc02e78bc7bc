"""Order-to-cash history: orders, deliveries, stock valuation, invoices, payments, returns.

Each sales line is one imported demand row (a product shipped from a warehouse on a day),
or a part of one, so the deliveries agree with the demand history day by day. Lines of one
warehouse are grouped into orders of about ten lines; an order whose lines fall on two days
ships twice, the second delivery a backorder of the first. About 2 % of orders are
cancelled before shipping and 3 % of lines ship short (the rest cancelled); orders whose
last delivery is less than three days old are shipped but not invoiced yet; the others
are invoiced, and most invoices more than 60 days old are paid in full. About 1.5 % of
delivered lines have a return authorized (goods not received back yet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crossdock.accounting.models import Invoice, Payment
from crossdock.inventory.models import MoveLine, StockMove, Transfer, ValuationLayer
from crossdock.sales.models import SalesOrder, SalesOrderLine
from crossdock.sales.models.returns import ReturnAuthorization, ReturnLine
from crossdock.web.history import tables
from crossdock.web.history.books import (
    Books,
    EntryBatch,
    InvoiceBatch,
    PaymentBatch,
    money,
    write_invoice_lines,
    write_invoices,
    write_payments,
)
from crossdock.web.history.context import Context

UNIT = 1_000_000  # stored quantity of one unit (scale 6)


@dataclass
class Shipped:
    """The delivery moves written, for the purchases that supply them."""

    company: np.ndarray
    warehouse: np.ndarray
    product: np.ndarray
    day: np.ndarray
    units: np.ndarray
    value: np.ndarray


@dataclass
class SalesCounts:
    orders: int
    lines: int
    deliveries: int
    backorders: int
    cancelled_orders: int
    invoices: int
    payments: int
    returns: int


def _choose_lines(ctx: Context, wanted: int) -> dict[str, np.ndarray]:
    """``wanted`` lines from the demand rows: a sample of them, or rows split into parts."""
    demand = ctx.demand
    usable = np.array([c in ctx.customers for c in demand.company.tolist()], dtype=bool)
    rows = np.flatnonzero(usable)
    rng = ctx.rng
    if wanted <= len(rows):
        chosen = np.sort(rng.choice(rows, size=wanted, replace=False))
        parts = np.ones(len(chosen), dtype=np.int64)
    else:
        chosen = rows
        units = demand.units[rows]
        extra = wanted - len(rows)
        room = units - 1
        parts = 1 + np.minimum(
            rng.multinomial(extra, room / room.sum()) if room.sum() else 0 * room, room
        )
        short = wanted - int(parts.sum())
        cumulative = np.cumsum(units - parts)
        parts += np.clip(short - (cumulative - (units - parts)), 0, units - parts)
    line_row = np.repeat(chosen, parts)
    index = np.arange(len(line_row)) - np.repeat(np.cumsum(parts) - parts, parts)
    count = np.repeat(parts, parts)
    units = demand.units[line_row]
    line_units = units // count + (index < units % count)
    return {
        "company": demand.company[line_row],
        "warehouse": demand.warehouse[line_row],
        "product": demand.product[line_row],
        "day": demand.day[line_row],
        "units": line_units.astype(np.int64),
    }


def _group_orders(lines: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Order number of each line (lines sorted by warehouse and day): ~10 lines, ≤ 2 days.

    An order runs on into the next day (a backorder) for about 5 % of orders whatever the
    density of the lines.
    """
    count = len(lines["day"])
    sizes = (1 + rng.poisson(9, size=count + 1)).tolist()
    boundaries = int(np.count_nonzero(np.diff(lines["day"]) != 0)) + 1
    share = 0.05 * max(count / 10, boundaries) / boundaries
    merge = (rng.random(count) < min(1.0, share)).tolist()
    order = np.zeros(len(lines["day"]), dtype=np.int64)
    current, taken, days, size = 0, 0, 0, sizes[0]
    previous_warehouse, previous_day = -1, -1
    for i, (warehouse, day) in enumerate(
        zip(lines["warehouse"].tolist(), lines["day"].tolist(), strict=True)
    ):
        new_day = day != previous_day or warehouse != previous_warehouse
        day_break = new_day and (days >= 2 or not merge[i])
        if i and (taken >= size or warehouse != previous_warehouse or day_break):
            current += 1
            taken, days, size = 0, 0, sizes[current]
        if new_day or taken == 0:
            days += 1
        order[i] = current
        taken += 1
        previous_warehouse, previous_day = warehouse, day
    return order


def build_sales(ctx: Context, books: Books, wanted: int) -> tuple[SalesCounts, Shipped]:
    rng = ctx.rng
    lines = _choose_lines(ctx, wanted)
    shuffle = rng.random(len(lines["day"]))
    sort = np.lexsort((shuffle, lines["day"], lines["warehouse"], lines["company"]))
    lines = {k: v[sort] for k, v in lines.items()}
    line_order = _group_orders(lines, rng)
    n_lines = len(line_order)
    n_orders = int(line_order[-1]) + 1 if n_lines else 0
    starts = np.searchsorted(line_order, np.arange(n_orders))
    first_day = lines["day"][starts]
    last_day = np.maximum.reduceat(lines["day"], starts) if n_orders else first_day
    company = lines["company"][starts]
    warehouse = lines["warehouse"][starts]
    customer = np.array(
        [ctx.customers[c][rng.integers(len(ctx.customers[c]))] for c in company.tolist()],
        dtype=np.int64,
    )
    order_day = first_day - rng.integers(0, 4, size=n_orders)
    cancelled = rng.random(n_orders) < 0.02
    invoiced = ~cancelled & (last_day < ctx.today - 2)
    state = np.where(cancelled, "cancelled", np.where(invoiced, "invoiced", "shipped"))

    # lines: shipped units, a few short (the rest cancelled), all cancelled on cancelled orders
    line_cancelled_order = cancelled[line_order]
    # a product twice on one order is never short: progress hands quantities out in sequence
    pair = line_order * (int(lines["product"].max(initial=0)) + 1) + lines["product"]
    _, pair_index, pair_count = np.unique(pair, return_inverse=True, return_counts=True)
    single = pair_count[pair_index.ravel()] == 1
    short = ~line_cancelled_order & single & (rng.random(n_lines) < 0.03)
    extra = np.where(short, 1 + rng.integers(0, np.maximum(lines["units"] // 4, 1)), 0)
    ordered = lines["units"] + extra
    shipped = np.where(line_cancelled_order, 0, lines["units"])
    product = lines["product"]
    unit_price = ctx.price[product]
    unit_cost = ctx.cost[product]
    sequence = (np.arange(n_lines) - starts[line_order] + 1) * 10
    order_amount = _sum_money(line_order, ordered, unit_price, n_orders)
    order_cost = _sum_money(line_order, ordered, unit_cost, n_orders)
    uninvoiced = np.where(
        state == "shipped", _sum_money(line_order, shipped, unit_price, n_orders), 0
    )

    order_ids = tables.next_ids(SalesOrder, n_orders)
    references = [
        f"SO/{ctx.company_code[c]}/H{i:07d}" for i, c in enumerate(company.tolist(), start=1)
    ]
    tables.insert(
        SalesOrder,
        n_orders,
        {
            "id": order_ids,
            "company_id": company,
            "reference": references,
            "customer_id": customer,
            "customer_reference": "",
            "channel": np.array(["field", "ecommerce", "edi", "phone"])[
                rng.integers(0, 4, size=n_orders)
            ],
            "warehouse_id": warehouse,
            "currency_id": [ctx.currency[c] for c in company.tolist()],
            "rate": 10**10,
            "state": state,
            "order_date": tables.day_text(order_day),
            "requested_date": tables.day_text(first_day),
            "amount": order_amount,
            "amount_company": order_amount,
            "cost_company": order_cost,
            "uninvoiced_company": uninvoiced,
            "confirmed_at": tables.at_hour(order_day, 9),
            "note": "History",
        },
    )
    line_ids = tables.next_ids(SalesOrderLine, n_lines)
    tables.insert(
        SalesOrderLine,
        n_lines,
        {
            "id": line_ids,
            "order_id": order_ids[line_order],
            "sequence": sequence,
            "product_id": product,
            "description": [ctx.label[p] for p in product.tolist()],
            "quantity": ordered * UNIT,
            "list_price": unit_price,
            "discount_percent": 0,
            "unit_price": unit_price,
            "unit_cost": unit_cost,
            "warehouse_id": lines["warehouse"],
            "promise_date": tables.day_text(lines["day"]),
            "shipped_quantity": shipped * UNIT,
            "invoiced_quantity": np.where(invoiced[line_order], shipped, 0) * UNIT,
            "cancelled_quantity": (ordered - shipped) * UNIT,
        },
    )

    # deliveries: one transfer per order and day (the second one a backorder of the first)
    moving = np.flatnonzero(~line_cancelled_order)
    second = lines["day"][moving] != first_day[line_order[moving]]
    order_of_move = line_order[moving]
    shipping_orders = np.flatnonzero(~cancelled)
    backorder_orders = np.unique(order_of_move[second])
    n_first, n_back = len(shipping_orders), len(backorder_orders)
    transfer_ids = tables.next_ids(Transfer, n_first + n_back)
    first_transfer = np.full(n_orders, -1, dtype=np.int64)
    first_transfer[shipping_orders] = transfer_ids[:n_first]
    back_transfer = np.full(n_orders, -1, dtype=np.int64)
    back_transfer[backorder_orders] = transfer_ids[n_first:]
    transfer_order = np.concatenate([shipping_orders, backorder_orders])
    transfer_day = np.concatenate([first_day[shipping_orders], last_day[backorder_orders]])
    transfer_company = company[transfer_order]
    transfer_warehouse = warehouse[transfer_order]
    counter: dict[int, int] = {}
    transfer_refs = []
    for w in transfer_warehouse.tolist():
        counter[w] = counter.get(w, 0) + 1
        transfer_refs.append(f"{ctx.warehouse_code[w]}/OUT/H{counter[w]:07d}")
    source = np.array([ctx.stock_location[w] for w in transfer_warehouse.tolist()], dtype=np.int64)
    destination = np.array(
        [ctx.customer_location[c] for c in transfer_company.tolist()], dtype=np.int64
    )
    tables.insert(
        Transfer,
        len(transfer_ids),
        {
            "id": transfer_ids,
            "company_id": transfer_company,
            "warehouse_id": transfer_warehouse,
            "reference": transfer_refs,
            "kind": "delivery",
            "state": "done",
            "source_id": source,
            "destination_id": destination,
            "partner_id": customer[transfer_order],
            "scheduled_at": tables.at_hour(transfer_day, 8),
            "done_at": tables.at_hour(transfer_day, 12),
            "origin": [references[o] for o in transfer_order.tolist()],
            "promised_on": tables.day_text(transfer_day),
            "backorder_of_id": [None] * n_first + first_transfer[backorder_orders].tolist(),
        },
    )
    move_transfer_index = np.where(
        second,
        n_first + np.searchsorted(backorder_orders, order_of_move),
        np.searchsorted(shipping_orders, order_of_move),
    )
    n_moves = len(moving)
    move_ids = tables.next_ids(StockMove, n_moves)
    move_product = product[moving]
    move_units = shipped[moving]
    move_day = lines["day"][moving]
    move_company = company[order_of_move]
    move_warehouse = warehouse[order_of_move]
    move_source = source[move_transfer_index]
    move_destination = destination[move_transfer_index]
    done_at = tables.at_hour(move_day, 12)
    tables.insert(
        StockMove,
        n_moves,
        {
            "id": move_ids,
            "company_id": move_company,
            "transfer_id": transfer_ids[move_transfer_index],
            "product_id": move_product,
            "quantity": move_units * UNIT,
            "source_id": move_source,
            "destination_id": move_destination,
            "state": "done",
            "scheduled_at": tables.at_hour(move_day, 8),
            "done_at": done_at,
            "origin": [transfer_refs[t] for t in move_transfer_index.tolist()],
        },
    )
    tables.add_to_quants(move_product, move_destination, move_units * UNIT)
    tables.insert(
        MoveLine,
        n_moves,
        {
            "move_id": move_ids,
            "product_id": move_product,
            "source_id": move_source,
            "destination_id": move_destination,
            "quantity": move_units * UNIT,
            "done": True,
            "done_at": done_at,
        },
    )
    move_cost = unit_cost[moving]
    move_value = money(move_units, move_cost)
    tables.insert(
        ValuationLayer,
        n_moves,
        {
            "company_id": move_company,
            "product_id": move_product,
            "move_id": move_ids,
            "recorded_at": done_at,
            "quantity": -move_units * UNIT,
            "unit_cost": move_cost,
            "value": -move_value,
            "remaining_quantity": 0,
            "remaining_value": 0,
            "description": [transfer_refs[t] for t in move_transfer_index.tolist()],
        },
    )
    # stock valuation entries: stock credited, cost of goods sold debited, per move
    valued, stock_entries = books.valued_entries(len(transfer_ids), move_transfer_index, move_value)
    stock_journal = np.array(
        [ctx.journal[(c, "stock")] for c in transfer_company[valued].tolist()], dtype=np.int64
    )
    books.add_entries(
        EntryBatch(
            ids=stock_entries[valued],
            company=transfer_company[valued],
            journal=stock_journal,
            number=books.numbers(ctx.journal_code, stock_journal, transfer_day[valued]),
            day=transfer_day[valued],
            memo=[f"Stock valuation {transfer_refs[t]}" for t in valued.tolist()],
            source_type="inventory.transfer",
            source_id=transfer_ids[valued],
        )
    )
    move_entry = stock_entries[move_transfer_index]
    move_partner = customer[order_of_move]
    move_labels = [transfer_refs[t] for t in move_transfer_index.tolist()]
    for role, debit in (("stock", False), ("cogs", True)):
        books.add_lines(
            move_entry,
            np.array([ctx.account[(c, role)] for c in move_company.tolist()], dtype=np.int64),
            move_value,
            debit=debit,
            partner=move_partner,
            product=move_product,
            warehouse=move_warehouse,
            label=move_labels,
            company=move_company,
            day=move_day,
        )

    invoices, payments = _invoice(
        ctx, books, invoiced, line_order, moving, move_ids, move_units,
        {
            "order_ids": order_ids, "references": references, "company": company,
            "customer": customer, "last_day": last_day, "first_transfer": first_transfer,
            "product": product, "unit_price": unit_price,
        },
    )  # fmt: skip
    returns = _returns(
        ctx, invoiced[order_of_move], line_ids[moving], move_ids, move_product, move_units,
        move_day, move_company, move_partner,
    )  # fmt: skip
    counts = SalesCounts(
        orders=n_orders,
        lines=n_lines,
        deliveries=len(transfer_ids),
        backorders=n_back,
        cancelled_orders=int(cancelled.sum()),
        invoices=invoices,
        payments=payments,
        returns=returns,
    )
    return counts, Shipped(
        move_company, move_warehouse, move_product, move_day, move_units, move_value
    )


def _sum_money(group: np.ndarray, units: np.ndarray, price: np.ndarray, size: int) -> np.ndarray:
    """Σ units × price per group, exact, then rounded to the cent (as the services do)."""
    total = np.zeros(size, dtype=np.int64)
    np.add.at(total, group, units.astype(np.int64) * price.astype(np.int64))
    return money(total, np.ones(size, dtype=np.int64))


def _invoice(
    ctx: Context,
    books: Books,
    invoiced: np.ndarray,
    line_order: np.ndarray,
    moving: np.ndarray,
    move_ids: np.ndarray,
    move_units: np.ndarray,
    order: dict[str, object],
) -> tuple[int, int]:
    """One customer invoice per invoiced order (lines on its delivery moves) and payments."""
    rng = ctx.rng
    orders = np.flatnonzero(invoiced)
    n = len(orders)
    company = order["company"][orders]  # type: ignore[index]
    customer = order["customer"][orders]  # type: ignore[index]
    day = order["last_day"][orders]  # type: ignore[index]
    due = day + 30
    invoice_ids = tables.next_ids(Invoice, n)
    invoice_of_order = np.full(len(invoiced), -1, dtype=np.int64)
    invoice_of_order[orders] = np.arange(n)
    billed = invoiced[line_order[moving]]
    bill_moves = moving[billed]
    line_invoice = invoice_of_order[line_order[bill_moves]]
    product = order["product"][bill_moves]  # type: ignore[index]
    price = order["unit_price"][bill_moves]  # type: ignore[index]
    units = move_units[billed]
    subtotal = money(units, price)
    total = np.zeros(n, dtype=np.int64)
    np.add.at(total, line_invoice, subtotal)
    paid = (day + 60 < ctx.today) & (rng.random(n) < 0.95)
    entry_ids = books.entry_ids(n)
    journal = np.array([ctx.journal[(c, "sale")] for c in company.tolist()], dtype=np.int64)
    numbers = books.numbers(ctx.journal_code, journal, day)
    references = order["references"]
    order_refs = [references[o] for o in orders.tolist()]  # type: ignore[index]
    installments = write_invoices(
        InvoiceBatch(
            ids=invoice_ids, kind="customer_invoice", company=company,
            currency=np.array([ctx.currency[c] for c in company.tolist()], dtype=np.int64),
            partner=customer, day=day, due=due, total=total,
            open_amount=np.where(paid, 0, total), entry=entry_ids, number=numbers,
            memo=[f"Order {r}" for r in order_refs], partner_reference=[""] * n,
            source_transfer=order["first_transfer"][orders].tolist(),  # type: ignore[index]
            payment_term=[ctx.payment_term.get(c) for c in customer.tolist()],
        )
    )  # fmt: skip
    descriptions = [
        f"{order_refs[i]} {ctx.label[p]}"[:200]
        for i, p in zip(line_invoice.tolist(), product.tolist(), strict=True)
    ]
    line_company = company[line_invoice]
    write_invoice_lines(
        {
            "invoice_id": invoice_ids[line_invoice],
            "sequence": np.arange(len(line_invoice)) + 1,
            "description": descriptions,
            "quantity": units * UNIT,
            "unit_price": price,
            "discount_percent": 0,
            "subtotal": subtotal,
            "tax_amount": 0,
            "total": subtotal,
            "account_id": [ctx.account[(c, "sales")] for c in line_company.tolist()],
            "product_id": product,
            "stock_move_id": move_ids[billed],
        },
        len(line_invoice),
    )
    books.add_entries(
        EntryBatch(
            ids=entry_ids, company=company, journal=journal, number=numbers, day=day,
            memo=[f"Customer invoice {r}" for r in order_refs],
            source_type="accounting.invoice", source_id=invoice_ids,
        )
    )  # fmt: skip
    books.add_lines(
        entry_ids,
        np.array([ctx.account[(c, "receivable")] for c in company.tolist()], dtype=np.int64),
        total,
        debit=True, partner=customer, product=None, warehouse=None,
        label=[f"Due {d}" for d in tables.day_text(due)], company=company, day=day,
    )  # fmt: skip
    books.add_lines(
        entry_ids[line_invoice],
        np.array([ctx.account[(c, "sales")] for c in line_company.tolist()], dtype=np.int64),
        subtotal,
        debit=False, partner=customer[line_invoice], product=product, warehouse=None,
        label=descriptions, company=line_company, day=day[line_invoice],
    )  # fmt: skip
    payments = pay(
        ctx, books, "inbound", installments, paid, (company, customer, day, total), numbers
    )
    return n, payments


def pay(
    ctx: Context,
    books: Books,
    direction: str,
    installments: np.ndarray,
    paid: np.ndarray,
    invoices: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    numbers: list[str],
) -> int:
    """A payment in full of each paid invoice or bill, 5 to 55 days after its date.

    ``invoices`` holds the company, partner, date and total of every invoice.
    """
    company, partner, invoice_day, total = invoices
    which = np.flatnonzero(paid)
    n = len(which)
    if not n:
        return 0
    day = np.minimum(invoice_day[which] + ctx.rng.integers(5, 56, size=n), ctx.today - 1)
    company = company[which]
    partner = partner[which]
    amount = total[which]
    payment_ids = tables.next_ids(Payment, n)
    entry_ids = books.entry_ids(n)
    journal = np.array([ctx.journal[(c, "bank")] for c in company.tolist()], dtype=np.int64)
    payment_numbers = books.numbers(ctx.journal_code, journal, day)
    bank = np.array([ctx.account[(c, "bank")] for c in company.tolist()], dtype=np.int64)
    reference = [f"Remittance {numbers[i]}" for i in which.tolist()]
    write_payments(
        PaymentBatch(
            ids=payment_ids, direction=direction, company=company,
            currency=np.array([ctx.currency[c] for c in company.tolist()], dtype=np.int64),
            partner=partner, bank_account=bank, day=day, amount=amount, entry=entry_ids,
            number=payment_numbers, reference=reference,
            installment=installments[which],
        )
    )  # fmt: skip
    inbound = direction == "inbound"
    books.add_entries(
        EntryBatch(
            ids=entry_ids, company=company, journal=journal, number=payment_numbers, day=day,
            memo=[("Received from a customer" if inbound else "Paid to a vendor")] * n,
            source_type="accounting.payment", source_id=payment_ids,
        )
    )  # fmt: skip
    control = "receivable" if inbound else "payable"
    for role, debit in (("bank", inbound), (control, not inbound)):
        books.add_lines(
            entry_ids,
            np.array([ctx.account[(c, role)] for c in company.tolist()], dtype=np.int64),
            amount,
            debit=debit, partner=partner, product=None, warehouse=None, label=reference,
            company=company, day=day,
        )  # fmt: skip
    return n


def _returns(
    ctx: Context,
    invoiced: np.ndarray,
    order_line: np.ndarray,
    move_ids: np.ndarray,
    product: np.ndarray,
    units: np.ndarray,
    day: np.ndarray,
    company: np.ndarray,
    customer: np.ndarray,
) -> int:
    """Return authorizations for about 1.5 % of invoiced delivery lines, one line each."""
    rng = ctx.rng
    which = np.flatnonzero(invoiced & (rng.random(len(invoiced)) < 0.015))
    authorized = np.minimum(day[which] + rng.integers(2, 21, size=len(which)), ctx.today - 1)
    which = which[authorized > day[which]]
    authorized = authorized[authorized > day[which]] if len(which) else authorized[:0]
    n = len(which)
    if not n:
        return 0
    ids = tables.next_ids(ReturnAuthorization, n)
    tables.insert(
        ReturnAuthorization,
        n,
        {
            "id": ids,
            "reference": [
                f"RMA/{ctx.company_code[c]}/H{i:07d}"
                for i, c in enumerate(company[which].tolist(), start=1)
            ],
            "state": "authorized",
            "reason": np.array(["damaged", "wrong_item", "not_needed", "defective"])[
                rng.integers(0, 4, size=n)
            ],
            "resolution": "credit_note",
            "note": "History",
            "rejection_comment": "",
            "resolution_note": "",
            "authorized_at": tables.at_hour(authorized, 10),
            "company_id": company[which],
            "customer_id": customer[which],
        },
    )
    returned = 1 + rng.integers(0, np.maximum(units[which], 1))
    tables.insert(
        ReturnLine,
        n,
        {
            "rma_id": ids,
            "sequence": 10,
            "quantity": np.minimum(returned, units[which]) * UNIT,
            "received_quantity": 0,
            "restocked_quantity": 0,
            "held_quantity": 0,
            "scrapped_quantity": 0,
            "credited_quantity": 0,
            "inspected": False,
            "delivered_move_id": move_ids[which],
            "order_line_id": order_line[which],
            "product_id": product[which],
        },
    )
    return n
