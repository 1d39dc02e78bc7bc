"""Top-N tables and distributions of the dashboards, each one or two aggregate queries.

Every table is scoped to the dashboard's company (and warehouse, supplier, tier or
family where they apply), grouped in the database and cut to the top rows; every
row links to the documents behind it. A table needs its documents' ``view``
permission (:data:`TABLES`); the dashboard leaves out those the user may not read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Q, Sum
from django.urls import reverse
from django.utils.http import urlencode

from crossdock.accounting import statements
from crossdock.accounting.models import JournalLine, Side
from crossdock.accounting.models.chart import AccountType
from crossdock.insight.charts import BarChart, bar_chart
from crossdock.insight.dashboards.filters import DashboardFilters
from crossdock.insight.definitions import finance, inventory, purchasing
from crossdock.insight.drilldown import AGE_BUCKETS, aged_between
from crossdock.insight.registry import KPIS
from crossdock.insight.slicing import on_days, scoped
from crossdock.inventory.models import MoveState, Quant
from crossdock.masterdata.models.organisation import INTERNAL_KINDS
from crossdock.purchasing.models import OrderState, PurchaseOrder, PurchaseReceiptLine

TOP = 10
ZERO = Decimal(0)


@dataclass
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[tuple[list[Any], str]] = field(default_factory=list)
    chart: BarChart | None = None
    note: str = ""


def _money(value: Decimal, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def _url(name: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{reverse(name)}?{query}" if query else reverse(name)


def _documents(code: str, filters: DashboardFilters, **changes: Any) -> str:
    return f"{reverse('insight:documents', args=[code])}?{filters.query(**changes)}"


def top_customers_by_margin(filters: DashboardFilters, currency: str) -> Table:
    """Customers by gross margin in the period, from posted revenue and cost-of-sales lines."""
    kpi = KPIS["gross_margin"]
    lines = JournalLine.objects.filter(
        finance._posted(filters.scope(kpi)),
        finance.on_accounts(account_type__in=finance.MARGIN_TYPES),
        partner__isnull=False,
    )
    revenue = Q(account__account_type=AccountType.REVENUE)
    cost = Q(account__account_type=AccountType.COST_OF_SALES)
    grouped = (
        scoped(lines, filters.scope(kpi), finance.LEDGER_PATHS)
        .order_by()
        .values("partner_id", "partner__code", "partner__name")
        .annotate(
            rc=Sum("credit", filter=revenue),
            rd=Sum("debit", filter=revenue),
            cc=Sum("credit", filter=cost),
            cd=Sum("debit", filter=cost),
        )
    )
    figures = []
    for row in grouped:
        sales = (row["rc"] or ZERO) - (row["rd"] or ZERO)
        margin = sales - ((row["cd"] or ZERO) - (row["cc"] or ZERO))
        figures.append((margin, sales, row))
    figures.sort(key=lambda item: (-item[0], item[2]["partner__code"]))
    table = Table(
        "top-customers",
        "Top customers by gross margin",
        ["customer", "revenue", "gross margin", "margin %", "currency"],
    )
    for margin, sales, row in figures[:TOP]:
        percent = (margin * 100 / sales).quantize(Decimal("0.1")) if sales else None
        url = _url("sales:order_list", customer=row["partner_id"])
        label = f"{row['partner__code']} {row['partner__name']}"
        table.rows.append(([label, sales, margin, percent, currency], url))
    table.chart = bar_chart(
        "top-customers-chart",
        table.title,
        [(cells[0], cells[2], url) for cells, url in table.rows],
        lambda v: _money(v, currency),
    )
    return table


def late_suppliers(filters: DashboardFilters, currency: str) -> Table:
    """Suppliers with the most receipt lines received after the promised date."""
    kpi = KPIS["supplier_on_time_delivery"]
    scope = filters.scope(kpi)
    receipts = PurchaseReceiptLine.objects.filter(
        on_days("move__done_at", scope.start, scope.end), move__state=MoveState.DONE
    )
    rows = (
        scoped(receipts, scope, purchasing.RECEIPT_PATHS)
        .order_by()
        .values("line__order__supplier_id", "line__order__supplier__code",
                "line__order__supplier__name")
        .annotate(late=Count("pk", filter=purchasing.received_late(scope)), lines=Count("pk"))
        .filter(late__gt=0)
        .order_by("-late", "line__order__supplier__code")[:TOP]
    )  # fmt: skip
    table = Table(
        "late-suppliers",
        "Late suppliers (receipt lines after the promised date)",
        ["supplier", "late lines", "receipt lines", "on time %"],
    )
    for row in rows:
        supplier = row["line__order__supplier_id"]
        on_time = Decimal((row["lines"] - row["late"]) * 100) / row["lines"]
        label = f"{row['line__order__supplier__code']} {row['line__order__supplier__name']}"
        url = _documents(kpi.code, filters, supplier=supplier)
        cells = [label, row["late"], row["lines"], on_time.quantize(Decimal("0.1"))]
        table.rows.append((cells, url))
    table.chart = bar_chart(
        "late-suppliers-chart",
        table.title,
        [(cells[0], Decimal(cells[1]), url) for cells, url in table.rows],
        lambda v: f"{v:f} late",
        lambda v: "bad",
    )
    return table


SPEND_STATES = [s for s in OrderState.values if s not in (OrderState.DRAFT, OrderState.CANCELLED)]


def top_suppliers_by_spend(filters: DashboardFilters, currency: str) -> Table:
    """Suppliers by the value of purchase orders dated in the period (company currency)."""
    orders = PurchaseOrder.objects.filter(
        company=filters.company,
        state__in=SPEND_STATES,
        order_date__gte=filters.start,
        order_date__lte=filters.end,
    )
    if filters.warehouse is not None:
        orders = orders.filter(warehouse=filters.warehouse)
    elif filters.warehouse_ids is not None:
        orders = orders.filter(warehouse_id__in=filters.warehouse_ids)
    if filters.supplier is not None:
        orders = orders.filter(supplier=filters.supplier)
    rows = (
        orders.order_by()
        .values("supplier_id", "supplier__code", "supplier__name")
        .annotate(spend=Sum("amount_company"), orders=Count("pk"))
        .order_by("-spend", "supplier__code")[:TOP]
    )
    table = Table(
        "top-suppliers",
        "Top suppliers by purchase order value",
        ["supplier", "orders", "order value", "currency"],
    )
    warehouse = filters.warehouse.pk if filters.warehouse else None
    for row in rows:
        label = f"{row['supplier__code']} {row['supplier__name']}"
        url = _url("purchasing:order_list", supplier=row["supplier_id"], warehouse=warehouse)
        table.rows.append(([label, row["orders"], row["spend"] or ZERO, currency], url))
    table.chart = bar_chart(
        "top-suppliers-chart",
        table.title,
        [(cells[0], cells[2], url) for cells, url in table.rows],
        lambda v: _money(v, currency),
    )
    return table


def _quants(filters: DashboardFilters) -> Any:
    kpi = KPIS["aged_inventory"]
    quants = Quant.objects.filter(location__kind__in=sorted(INTERNAL_KINDS), quantity__gt=0)
    return scoped(quants, filters.scope(kpi), inventory.QUANT_PATHS)


def slowest_stock(filters: DashboardFilters, currency: str) -> Table:
    """Products whose stock on hand arrived longest ago (the slowest to move out)."""
    rows = (
        _quants(filters)
        .order_by()
        .values("product__sku", "product__name")
        .annotate(on_hand=Sum("quantity"), oldest=Min("in_date"))
        .order_by("oldest", "product__sku")[:TOP]
    )
    table = Table(
        "slowest-stock",
        "Slowest-moving stock (oldest arrival still on hand)",
        ["product", "on hand", "oldest arrival", "days on hand"],
    )
    for row in rows:
        days = (filters.today - row["oldest"].date()).days
        url = _url("inventory:stock", product=row["product__sku"])
        label = f"{row['product__sku']} {row['product__name']}"
        table.rows.append(([label, row["on_hand"], row["oldest"].date(), days], url))
    return table


def stock_age(filters: DashboardFilters, currency: str) -> Table:
    """Quantity on hand by days since arrival (0–30, 31–60, 61–90, over 90)."""
    today = filters.today
    sums: dict[str, Any] = {}
    for age in AGE_BUCKETS:
        sums[f"b{len(sums)}"] = Sum("quantity", filter=aged_between(age, today))
    totals = _quants(filters).order_by().aggregate(**sums)
    table = Table("stock-age", "Stock on hand by age (days since arrival)", ["age", "quantity"])
    for index, name in enumerate(AGE_BUCKETS):
        url = _documents("aged_inventory", filters, age=name)
        table.rows.append(([f"{name} days", totals[f"b{index}"] or ZERO], url))
    table.chart = bar_chart(
        "stock-age-chart",
        table.title,
        [(cells[0], cells[1], url) for cells, url in table.rows],
        lambda v: f"{v.normalize():f}",
        lambda v: "",
    )
    return table


BUCKETS = (30, 60, 90)


def _aged(filters: DashboardFilters, side: str) -> list[statements.AgedRow]:
    return statements.aged_balances(filters.company.pk, side, filters.today, BUCKETS)


def _aged_table(filters: DashboardFilters, currency: str, side: str) -> Table:
    rows = _aged(filters, side)
    name = "receivables" if side == Side.RECEIVABLE else "payables"
    screen = f"accounting:aged_{name}"
    labels = statements.bucket_labels(BUCKETS)
    table = Table(
        f"open-{name}",
        f"Largest open {name} (today)",
        ["partner", *labels, "unapplied", "total", "currency"],
    )
    for row in rows[:TOP]:
        url = _url(screen, company=filters.company.pk, partner=row.partner_id)
        table.rows.append(([row.partner, *row.buckets, row.unapplied, row.total, currency], url))
    columns, _ = statements.aged_totals(rows, len(labels))
    url = _url(screen, company=filters.company.pk)
    table.chart = bar_chart(
        f"aged-{name}-chart",
        f"Open {name} by days overdue",
        [(label, value, url) for label, value in zip(labels, columns, strict=True)],
        lambda v: _money(v, currency),
        lambda v: "",
    )
    return table


def open_receivables(filters: DashboardFilters, currency: str) -> Table:
    return _aged_table(filters, currency, Side.RECEIVABLE)


def open_payables(filters: DashboardFilters, currency: str) -> Table:
    return _aged_table(filters, currency, Side.PAYABLE)


@dataclass(frozen=True)
class TableSpec:
    build: Callable[[DashboardFilters, str], Table]
    requires: tuple[str, ...]
    uses: tuple[str, ...] = ()  # the filters it applies


TABLES: dict[str, TableSpec] = {
    "top-customers": TableSpec(
        top_customers_by_margin,
        ("accounting.view_journalentry", "sales.view_salesorder"),
        ("customer_tier", "family"),
    ),
    "late-suppliers": TableSpec(
        late_suppliers, ("purchasing.view_purchaseorder",), ("warehouse", "supplier", "family")
    ),
    "top-suppliers": TableSpec(
        top_suppliers_by_spend, ("purchasing.view_purchaseorder",), ("warehouse", "supplier")
    ),
    "slowest-stock": TableSpec(slowest_stock, ("inventory.view_quant",), ("warehouse", "family")),
    "stock-age": TableSpec(stock_age, ("inventory.view_quant",), ("warehouse", "family")),
    "open-receivables": TableSpec(open_receivables, ("accounting.view_payment",)),
    "open-payables": TableSpec(open_payables, ("accounting.view_payment",)),
}
