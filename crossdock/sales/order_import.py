"""Importing sales orders of one company from CSV or XLSX, with a dry run.

Design overview
---------------
One row per order line: ``customer`` (code), ``product`` (SKU), ``quantity``
and optionally ``customer_reference``, ``unit_price`` (omitted: the
customer's price lists), ``discount_percent``, ``warehouse`` (code; omitted:
the company's sourcing policy) and ``channel`` (``field``, ``ecommerce``,
``edi`` or ``phone``; default ``field``). Rows of the same customer and
customer reference make one quotation, its lines in file order.

Reading is set-based: customers, products and warehouses named anywhere in
the file are loaded in one query each. Every row is checked (known codes,
exact decimals, one channel per order), then each order goes through
:func:`~crossdock.sales.services.orders.create_sales_order` — the same
pricing, sourcing, margin checks and audit trail as an order entered by
hand — all in one transaction. A problem the service finds on
``lines[2].quantity`` is reported on the row that line came from, under the
column ``quantity``; a problem of the order as a whole on its first row. If
any row has a problem, or for a dry run, the transaction is rolled back and
nothing is written; a dry run still reports the orders it would create, with
their totals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, PermissionDeniedError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.import_rows import RowError
from crossdock.masterdata.models import Partner, Product, Warehouse
from crossdock.masterdata.tabular import read_table, unguard_formula
from crossdock.sales.models import Channel, SalesOrder
from crossdock.sales.services.orders import SalesLineDraft, SalesOrderDraft, create_sales_order

REQUIRED = ("customer", "product", "quantity")
KNOWN = (
    *REQUIRED,
    "customer_reference",
    "unit_price",
    "discount_percent",
    "warehouse",
    "channel",
)
ALIASES = {
    "customer_code": "customer",
    "sku": "product",
    "product_sku": "product",
    "qty": "quantity",
    "price": "unit_price",
    "discount": "discount_percent",
    "warehouse_code": "warehouse",
    "reference": "customer_reference",
    "po_number": "customer_reference",
}
MAX_ROWS = 50_000
_LINE_FIELD = re.compile(r"^lines\[(\d+)\](?:\.(\w+))?$")


@dataclass(frozen=True)
class ImportedOrder:
    """An order the file made (or, in a dry run, would make)."""

    customer_code: str
    customer_reference: str
    rows: list[int]
    order_id: int | None
    reference: str | None
    lines: int
    currency: str
    amount: Decimal
    state: str


@dataclass
class OrderImportResult:
    ok: bool
    dry_run: bool
    rows: int
    orders: list[ImportedOrder] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class _Group:
    customer: Partner
    customer_reference: str
    channel: str
    rows: list[int] = field(default_factory=list)
    lines: list[SalesLineDraft] = field(default_factory=list)


class _Rollback(Exception):
    pass


def _columns(header: Sequence[str]) -> tuple[dict[str, int], list[RowError]]:
    errors: list[RowError] = []
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip().lower().replace(" ", "_")
        if not name:
            continue
        name = ALIASES.get(name, name)
        if name not in KNOWN:
            errors.append(RowError(1, raw, f"Unknown column; use {', '.join(KNOWN)}."))
        elif name in columns:
            errors.append(RowError(1, raw, "This column appears twice."))
        else:
            columns[name] = index
    for name in REQUIRED:
        if name not in columns:
            errors.append(RowError(1, name, "This column is required."))
    return columns, errors


def _decimal(text: str, row: int, column: str, errors: list[RowError]) -> Decimal | None:
    try:
        number = Decimal(text.replace(" ", ""))
    except (InvalidOperation, ValueError):
        errors.append(RowError(row, column, f"{text!r} is not a number."))
        return None
    if not number.is_finite():
        errors.append(RowError(row, column, f"{text!r} is not a number."))
        return None
    return number


def _row_errors(error: DomainError, group: _Group) -> list[RowError]:
    """The service's refusal of one order, on the rows its lines came from."""
    found: list[RowError] = []
    for name, messages in (error.fields or {"": [error.message]}).items():
        match = _LINE_FIELD.match(name)
        if match is not None and int(match[1]) < len(group.rows):
            row, column = group.rows[int(match[1])], match[2] or ""
        else:
            row, column = group.rows[0], "" if name == "__all__" else name
        found.extend(RowError(row, column, str(message)) for message in messages)
    return found


def import_sales_orders(
    actor: Actor, company_id: int, filename: str, content: bytes, *, dry_run: bool
) -> OrderImportResult:
    """Check every row, then create every order (unless ``dry_run``) — or nothing."""
    if actor.user is not None and not has_model_permission(actor.user, SalesOrder, "add"):
        raise PermissionDeniedError("You may not import sales orders.")
    table = read_table(filename, content)
    columns, errors = _columns(table.header)
    result = OrderImportResult(False, dry_run, len(table.rows))
    if len(table.rows) > MAX_ROWS:
        errors.append(RowError(0, "", f"At most {MAX_ROWS} rows in one file."))
    if errors:
        result.errors = errors
        return result

    def cell(values: list[str], name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(values):
            return ""
        return unguard_formula(values[index].strip())

    rows = [(row, values) for row, values in table.rows if any(v.strip() for v in values)]
    if not rows:
        result.errors = [RowError(2, "", "The file has no order lines.")]
        return result
    customers = {
        p.code: p
        for p in Partner.objects.filter(
            company_id=company_id, code__in={cell(v, "customer") for _, v in rows}
        )
    }
    products = {
        p.sku: p
        for p in Product.objects.filter(sku__in={cell(v, "product") for _, v in rows}).only(
            "pk", "sku"
        )
    }
    warehouses = {
        w.code: w
        for w in Warehouse.objects.filter(
            company_id=company_id, code__in={cell(v, "warehouse") for _, v in rows}
        ).only("pk", "code", "active")
    }
    groups: dict[tuple[int, str], _Group] = {}
    for row, values in rows:
        code, sku = cell(values, "customer"), cell(values, "product")
        customer = customers.get(code)
        if customer is None:
            errors.append(RowError(row, "customer", f"No customer {code!r} in this company."))
        elif not customer.is_customer:
            errors.append(RowError(row, "customer", f"{code} is not a customer."))
            customer = None
        product = products.get(sku)
        if product is None:
            errors.append(RowError(row, "product", f"No product {sku!r}."))
        quantity = _decimal(cell(values, "quantity"), row, "quantity", errors)
        price = discount = None
        if cell(values, "unit_price"):
            price = _decimal(cell(values, "unit_price"), row, "unit_price", errors)
            if price is None:
                continue
        if cell(values, "discount_percent"):
            discount = _decimal(cell(values, "discount_percent"), row, "discount_percent", errors)
            if discount is None:
                continue
        warehouse = None
        if cell(values, "warehouse"):
            warehouse = warehouses.get(cell(values, "warehouse"))
            if warehouse is None or not warehouse.active:
                name = cell(values, "warehouse")
                errors.append(RowError(row, "warehouse", f"No active warehouse {name!r}."))
                continue
        channel = cell(values, "channel").lower() or Channel.FIELD
        if channel not in Channel.values:
            errors.append(RowError(row, "channel", f"One of {', '.join(Channel.values)}."))
            continue
        reference = cell(values, "customer_reference")
        if len(reference) > 60:
            errors.append(RowError(row, "customer_reference", "At most 60 characters."))
            continue
        if customer is None or product is None or quantity is None:
            continue
        group = groups.setdefault((customer.pk, reference), _Group(customer, reference, channel))
        if group.channel != channel:
            errors.append(
                RowError(
                    row,
                    "channel",
                    f"{channel!r}, but row {group.rows[0]} of the same order says "
                    f"{group.channel!r}.",
                )
            )
            continue
        group.rows.append(row)
        group.lines.append(
            SalesLineDraft(
                product.pk,
                quantity,
                unit_price=price,
                discount_percent=discount,
                warehouse_id=warehouse.pk if warehouse else None,
            )
        )
    if errors:
        result.errors = sorted(errors, key=lambda e: (e.row, e.field))
        return result
    made: list[ImportedOrder] = []
    try:
        with transaction.atomic():
            for group in groups.values():
                draft = SalesOrderDraft(
                    customer_id=group.customer.pk,
                    lines=group.lines,
                    channel=group.channel,
                    customer_reference=group.customer_reference,
                )
                try:
                    with transaction.atomic():
                        order = create_sales_order(actor, draft)
                except DomainError as error:
                    errors.extend(_row_errors(error, group))
                    continue
                made.append(_imported(group, order, dry_run))
            if errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if errors:
        result.errors = sorted(errors, key=lambda e: (e.row, e.field))
        return result
    result.ok = True
    result.orders = made
    return result


def _imported(group: _Group, order: SalesOrder, dry_run: bool) -> ImportedOrder:
    return ImportedOrder(
        customer_code=group.customer.code,
        customer_reference=group.customer_reference,
        rows=list(group.rows),
        order_id=None if dry_run else order.pk,
        reference=None if dry_run else order.reference,
        lines=order.lines.count(),
        currency=order.currency.code,
        amount=order.amount,
        state=order.state,
    )


__all__ = ["ImportedOrder", "OrderImportResult", "import_sales_orders"]
