"""The five dashboards: executive, procurement, warehouse, finance and sales.

Design overview
---------------
A :class:`DashboardSpec` names, per audience, the KPIs of its tiles, the KPIs drawn as
trends (from the daily snapshots), the KPIs shown sliced by one dimension and the
top-N tables and distributions (:mod:`.tables`). :func:`build` assembles one for a
user and a set of :class:`~.filters.DashboardFilters`: a KPI appears only when the user
may see it (:func:`crossdock.insight.selectors.may_see`, the rule of the KPI API) and a
table only when the user may view its documents; a dashboard with none of its KPIs
visible is refused. Everything is computed per request for the one company chosen —
nothing is cached, so no figure of another company can be served.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied

from crossdock.insight import selectors
from crossdock.insight.charts import TrendChart
from crossdock.insight.dashboards.filters import DashboardFilters
from crossdock.insight.dashboards.tables import TABLES, Table
from crossdock.insight.dashboards.tiles import Coverage, Slice, Tile, sliced, tile, trend
from crossdock.insight.registry import KPIS


@dataclass(frozen=True)
class DashboardSpec:
    code: str
    title: str
    audience: str
    tiles: tuple[str, ...]
    trends: tuple[str, ...]
    slices: tuple[tuple[str, str], ...]
    tables: tuple[str, ...]


DASHBOARDS: dict[str, DashboardSpec] = {
    spec.code: spec
    for spec in (
        DashboardSpec(
            "executive",
            "Executive overview",
            "The group's health at a glance: service, margin, suppliers, stock and cash.",
            tiles=("order_fill_rate", "gross_margin", "supplier_on_time_delivery",
                   "inventory_turnover", "aged_inventory", "returns_rate"),
            trends=("order_fill_rate", "gross_margin"),
            slices=(("order_fill_rate", "warehouse"),),
            tables=("top-customers", "open-receivables"),
        ),
        DashboardSpec(
            "procurement",
            "Procurement",
            "Supplier delivery, receiving, bill matching, cycle times and spend.",
            tiles=("supplier_on_time_delivery", "receiving_accuracy",
                   "invoice_first_time_match_rate", "procurement_cycle_time",
                   "approval_cycle_time", "purchase_price_variance"),
            trends=("supplier_on_time_delivery",),
            slices=(("supplier_on_time_delivery", "warehouse"),),
            tables=("late-suppliers", "top-suppliers"),
        ),
        DashboardSpec(
            "warehouse",
            "Warehouse",
            "Stock health and fulfilment: age, stockouts, turnover, fill and shipping time.",
            tiles=("aged_inventory", "stockout_rate", "line_fill_rate", "backorder_rate",
                   "order_to_ship_cycle_time", "inventory_turnover"),
            trends=("line_fill_rate", "order_to_ship_cycle_time"),
            slices=(("aged_inventory", "warehouse"),),
            tables=("stock-age", "slowest-stock"),
        ),
        DashboardSpec(
            "finance",
            "Finance",
            "Margin, price variance, stock cover, receivables and payables.",
            tiles=("gross_margin", "purchase_price_variance", "days_inventory_outstanding",
                   "inventory_turnover", "invoice_first_time_match_rate"),
            trends=("gross_margin", "purchase_price_variance"),
            slices=(("gross_margin", "family"),),
            tables=("open-receivables", "open-payables"),
        ),
        DashboardSpec(
            "sales",
            "Sales",
            "Service to customers: fill rates, backorders, shipping time, returns, margin and "
            "the service backlog.",
            tiles=("order_fill_rate", "line_fill_rate", "backorder_rate",
                   "order_to_ship_cycle_time", "returns_rate", "gross_margin", "service_backlog"),
            trends=("order_fill_rate", "service_backlog"),
            slices=(("line_fill_rate", "customer_tier"), ("service_backlog", "customer_tier")),
            tables=("top-customers",),
        ),
    )
}  # fmt: skip


def visible_codes(user: Any, spec: DashboardSpec) -> list[str]:
    """The tile KPIs of ``spec`` the user may see."""
    return [code for code in spec.tiles if selectors.may_see(user, KPIS[code])]


def may_open(user: Any, spec: DashboardSpec) -> bool:
    return bool(visible_codes(user, spec))


def dashboards_for(user: Any) -> list[DashboardSpec]:
    return [spec for spec in DASHBOARDS.values() if may_open(user, spec)]


@dataclass
class Dashboard:
    spec: DashboardSpec
    filters: DashboardFilters
    currency: str
    tiles: list[Tile] = field(default_factory=list)
    trends: list[TrendChart] = field(default_factory=list)
    slices: list[Slice] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def build(user: Any, spec: DashboardSpec, filters: DashboardFilters) -> Dashboard:
    """The dashboard's panels for ``user`` under ``filters`` (403 when it shows them nothing)."""
    codes = visible_codes(user, spec)
    if not codes:
        raise PermissionDenied(
            f"Your roles do not let you read the documents behind the {spec.title} dashboard."
        )
    currency = filters.company.base_currency.code
    board = Dashboard(spec, filters, currency)
    coverage = Coverage.of(user, filters)
    board.tiles = [tile(user, KPIS[code], filters, currency, coverage) for code in codes]
    board.trends = [
        trend(user, KPIS[code], filters, currency)
        for code in spec.trends
        if selectors.may_see(user, KPIS[code])
    ]
    board.slices = [
        sliced(user, KPIS[code], by, filters, currency)
        for code, by in spec.slices
        if selectors.may_see(user, KPIS[code])
    ]
    board.tables = [
        TABLES[key].build(filters, currency)
        for key in spec.tables
        if user.has_perms(TABLES[key].requires)
        # Someone working in some warehouses only sees no company-wide table.
        and (filters.warehouse_ids is None or "warehouse" in TABLES[key].uses)
    ]
    return board
