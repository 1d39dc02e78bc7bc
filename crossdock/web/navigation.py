"""The sidebar: one entry per record type the user may view, grouped as a distributor thinks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.text import capfirst

from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.registry import BY_SLUG, RECORD_TYPES

NAV_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Organisation", ("companies", "warehouses", "locations")),
    ("Catalogue", ("products", "product-categories", "units", "unit-categories")),
    ("Partners", ("partners", "partner-bank-accounts")),
    ("Finance", ("currencies", "exchange-rates", "payment-terms")),
)
AUDIT_PERMISSION = "core.view_auditentry"


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url: str


@dataclass(frozen=True)
class NavGroup:
    label: str
    entries: tuple[NavEntry, ...]


def _groups() -> list[tuple[str, tuple[str, ...]]]:
    grouped = {slug for _, slugs in NAV_GROUPS for slug in slugs}
    rest = tuple(rt.slug for rt in RECORD_TYPES if rt.slug not in grouped)
    return [*NAV_GROUPS, ("Other", rest)] if rest else list(NAV_GROUPS)


def navigation_for(user: Any) -> list[NavGroup]:
    """The groups and entries ``user`` may open; empty groups are left out."""
    groups: list[NavGroup] = []
    for label, slugs in _groups():
        entries = tuple(
            NavEntry(
                slug,
                capfirst(BY_SLUG[slug].label_plural),
                reverse("web:record_list", args=[slug]),
            )
            for slug in slugs
            if slug in BY_SLUG and has_model_permission(user, BY_SLUG[slug].model, "view")
        )
        if entries:
            groups.append(NavGroup(label, entries))
    groups.extend(_queues_group(user))
    groups.extend(_insight_group(user))
    groups.extend(_sales_group(user))
    groups.extend(_service_group(user))
    groups.extend(_approvals_group(user))
    groups.extend(_purchasing_group(user))
    groups.extend(_planning_group(user))
    groups.extend(_quality_group(user))
    groups.extend(_warehouse_group(user))
    groups.extend(_finance_group(user))
    if user.is_authenticated and user.has_perm(AUDIT_PERMISSION):
        groups.append(
            NavGroup("Governance", (NavEntry("audit", "Audit trail", reverse("web:audit_list")),))
        )
    return groups


def _queues_group(user: Any) -> list[NavGroup]:
    """The exception queues: everything that needs the user's attention."""
    if not user.is_authenticated or not user.has_perm("insight.view_exceptionitem"):
        return []
    entry = NavEntry("exception-queues", "Exception queues", reverse("insight_queues:list"))
    return [NavGroup("Exceptions", (entry,))]


def _insight_group(user: Any) -> list[NavGroup]:
    """Insight: the dashboards whose KPIs the user's roles may read."""
    from crossdock.insight.dashboards import dashboards_for

    if not user.is_authenticated:
        return []
    entries = tuple(
        NavEntry(f"insight-{spec.code}", spec.title, reverse(f"insight:{spec.code}"))
        for spec in dashboards_for(user)
    )
    return [NavGroup("Insight", entries)] if entries else []


# key, label, URL name, permissions (all needed): the screens of crossdock.sales
SALES_PAGES = (
    ("sales-orders", "Sales orders", "sales:order_list", ("sales.view_salesorder",)),
    ("sales-new", "New sales order", "sales:order_create", ("sales.add_salesorder",)),
    ("sales-credit-holds", "Credit holds", "sales:credit_holds", ("sales.view_salesorder",)),
    ("sales-allocation", "Allocation", "sales:allocation",
     ("sales.view_salesorder", "inventory.view_transfer")),
    ("sales-returns", "Returns", "sales_returns:list", ("sales.view_returnauthorization",)),
    ("prices", "Price lists", "prices:list", ("masterdata.view_pricelist",)),
    ("sales-settings", "Sales settings", "sales:settings",
     ("sales.view_salessettings", "sales.view_marginfloor")),
)  # fmt: skip


def _sales_group(user: Any) -> list[NavGroup]:
    """Sales: orders, order entry, the credit-hold queue, allocation, returns, price lists and
    the sales settings."""
    if not user.is_authenticated:
        return []
    entries = tuple(
        NavEntry(key, label, reverse(url_name))
        for key, label, url_name, permissions in SALES_PAGES
        if user.has_perms(permissions)
    )
    return [NavGroup("Sales", entries)] if entries else []


# key, label, URL name, permission: the screens of crossdock.service
SERVICE_PAGES = (
    ("service-cases", "Service cases", "service:case_list", "service.view_servicecase"),
    ("service-new", "New case", "service:case_create", "service.add_servicecase"),
)


def _pages_group(
    user: Any, label: str, pages: tuple[tuple[str, str, str, str], ...]
) -> list[NavGroup]:
    """The group ``label`` with the pages whose permission the user has (none: no group)."""
    if not user.is_authenticated:
        return []
    entries = tuple(
        NavEntry(key, title, reverse(url_name))
        for key, title, url_name, permission in pages
        if user.has_perm(permission)
    )
    return [NavGroup(label, entries)] if entries else []


def _service_group(user: Any) -> list[NavGroup]:
    """Service: the customers' cases and opening a new one."""
    return _pages_group(user, "Service", SERVICE_PAGES)


def _approvals_group(user: Any) -> list[NavGroup]:
    """Approvals: the inbox (with how many requests wait for the user), policies, metrics."""
    from crossdock.approvals.selectors import decidable_steps

    if not user.is_authenticated or not user.has_perm("approvals.view_approvalrequest"):
        return []
    waiting = decidable_steps(user).values("request_id").distinct().count()
    entries = [
        NavEntry(
            "approvals-inbox",
            f"Inbox ({waiting})" if waiting else "Inbox",
            reverse("approvals:inbox"),
        ),
        NavEntry("approvals-requests", "Requests", reverse("approvals:request_list")),
        NavEntry("approvals-delegations", "Out of office", reverse("approvals:delegations")),
    ]
    if user.has_perm("approvals.view_approvalpolicy"):
        entries += [
            NavEntry("approvals-policies", "Policies", reverse("approvals:policy_list")),
            NavEntry("approvals-metrics", "Metrics", reverse("approvals:metrics")),
        ]
    return [NavGroup("Approvals", tuple(entries))]


# key, label, URL name, permission: the screens of crossdock.purchasing
PURCHASING_PAGES = (
    ("purchasing-orders", "Purchase orders", "purchasing:order_list",
     "purchasing.view_purchaseorder"),
    ("purchasing-new", "New order", "purchasing:order_create", "purchasing.add_purchaseorder"),
    ("purchasing-receipts", "Expected receipts", "purchasing:receipts",
     "purchasing.view_purchaseorder"),
    ("purchasing-catalogue", "Supplier catalogue", "purchasing:catalogue",
     "purchasing.view_supplierproduct"),
    ("purchasing-matches", "Bill match queue", "purchasing:match_queue",
     "purchasing.view_billmatch"),
    ("purchasing-requisitions", "Requisitions", "purchasing:requisition_list",
     "purchasing.view_purchaserequisition"),
    ("purchasing-rfqs", "Requests for quotation", "purchasing:rfq_list",
     "purchasing.view_requestforquotation"),
    ("purchasing-exceptions", "Supplier follow-up", "purchasing:exceptions",
     "purchasing.view_purchaseexception"),
    ("purchasing-scorecards", "Vendor scorecards", "purchasing:scorecards",
     "purchasing.view_purchaseorder"),
    ("purchasing-settings", "Purchasing settings", "purchasing:settings",
     "purchasing.view_purchasingsettings"),
)  # fmt: skip


def _purchasing_group(user: Any) -> list[NavGroup]:
    """Purchasing, for whoever may view purchase orders: orders, receipts, catalogue, matches,
    the exception queue and the vendor scorecards."""
    if not user.is_authenticated or not user.has_perm("purchasing.view_purchaseorder"):
        return []
    entries = tuple(
        NavEntry(key, label, reverse(url_name))
        for key, label, url_name, permission in PURCHASING_PAGES
        if user.has_perm(permission)
    )
    return [NavGroup("Purchasing", entries)]


# key, label, URL name, permission: the setup screens of crossdock.planning
PLANNING_PAGES = (
    ("planning-workbench", "Planner workbench", "planning:workbench",
     "planning.view_suggestion"),
    ("planning-exceptions", "Planning exceptions", "planning:exceptions",
     "planning.view_planningexception"),
    ("planning-simulations", "Policy simulations", "planning:simulations",
     "planning.view_simulationrun"),
    ("planning-settings", "Planning settings", "planning:settings",
     "planning.view_planningsettings"),
    ("planning-lanes", "Transfer lanes", "planning:lanes", "planning.view_transferlane"),
    ("planning-promotions", "Promotions", "planning:promotions", "planning.view_promotion"),
)  # fmt: skip


def _planning_group(user: Any) -> list[NavGroup]:
    """Planning: the workbench, its exception queue, settings, transfer lanes and promotions."""
    return _pages_group(user, "Planning", PLANNING_PAGES)


# key, label, URL name, permission: the screens of crossdock.quality
QUALITY_PAGES = (
    ("quality-queue", "Inspections", "quality:queue", "quality.view_inspection"),
    ("quality-nonconformances", "Nonconformances", "quality:nonconformance_list",
     "quality.view_nonconformance"),
    ("quality-plans", "Inspection plans", "quality:plan_list", "quality.view_inspectionplan"),
)  # fmt: skip


def _quality_group(user: Any) -> list[NavGroup]:
    """Quality: the inspection queue, nonconformances and inspection plans."""
    return _pages_group(user, "Quality", QUALITY_PAGES)


# key, label, URL name, permission: the warehouse screens of crossdock.inventory
WAREHOUSE_PAGES = (
    ("inventory-transfers", "Transfers", "inventory:transfer_list", "inventory.view_transfer"),
    ("inventory-stock", "Stock by location", "inventory:stock", "inventory.view_quant"),
    ("inventory-availability", "Availability", "inventory:availability", "inventory.view_quant"),
    ("inventory-lots", "Lot trace", "inventory:lot_list", "inventory.view_lot"),
    ("inventory-counts", "Cycle counts", "inventory:count_list", "inventory.view_countsheet"),
    ("inventory-waves", "Pick waves", "inventory:wave_list", "inventory.view_pickwave"),
    ("inventory-dispatch", "Send to warehouse", "inventory:dispatch", "inventory.add_transfer"),
    ("inventory-scrap", "Scrap or damage", "inventory:scrap", "inventory.add_transfer"),
    ("inventory-putaway", "Putaway rules", "inventory:putaway_list", "inventory.view_putawayrule"),
    (
        "inventory-valuation",
        "Stock valuation",
        "inventory:valuation",
        "inventory.view_valuationlayer",
    ),
)


def _warehouse_group(user: Any) -> list[NavGroup]:
    """Warehouse: transfers to process, stock, availability, lot trace, counts, stock value."""
    return _pages_group(user, "Warehouse", WAREHOUSE_PAGES)


# key, label, URL name, permission: the finance screens of crossdock.accounting
FINANCE_PAGES = (
    ("accounting-entries", "Journal entries", "accounting:entry_list",
     "accounting.view_journalentry"),
    ("accounting-trial-balance", "Trial balance", "accounting:trial_balance",
     "accounting.view_journalentry"),
    ("accounting-ledger", "General ledger", "accounting:general_ledger",
     "accounting.view_account"),
    ("accounting-stock", "Stock ↔ ledger", "accounting:stock_reconciliation",
     "accounting.view_journalentry"),
    ("accounting-balance-sheet", "Balance sheet", "accounting:balance_sheet",
     "accounting.view_journalentry"),
    ("accounting-pnl", "Profit and loss", "accounting:profit_and_loss",
     "accounting.view_journalentry"),
    ("accounting-group", "Consolidated", "accounting:consolidated_balance_sheet",
     "accounting.view_journalentry"),
    ("accounting-aged-ar", "Aged receivables", "accounting:aged_receivables",
     "accounting.view_payment"),
    ("accounting-aged-ap", "Aged payables", "accounting:aged_payables",
     "accounting.view_payment"),
    ("accounting-grni", "GRNI", "accounting:grni", "accounting.view_journalentry"),
    ("accounting-invoices", "Invoices and bills", "accounting:invoice_list",
     "accounting.view_invoice"),
    ("accounting-payments", "Payments", "accounting:payment_list", "accounting.view_payment"),
    ("accounting-payment-runs", "Payment runs", "accounting:run_list",
     "accounting.view_paymentrun"),
    ("accounting-dunning", "Dunning", "accounting:dunning", "accounting.view_dunningletter"),
    ("accounting-landed-costs", "Landed costs", "accounting:landed_cost_list",
     "accounting.view_landedcost"),
    ("accounting-ledger-settings", "Ledger settings", "accounting:ledger_settings",
     "accounting.view_ledgersettings"),
)  # fmt: skip


def _finance_group(user: Any) -> list[NavGroup]:
    """Finance: journal entries, trial balance, general ledger, stock reconciliation."""
    if not user.is_authenticated:
        return []
    entries = tuple(
        NavEntry(key, label, reverse(url_name))
        for key, label, url_name, permission in FINANCE_PAGES
        if user.has_perm(permission)
    )
    return [NavGroup("Finance", entries)] if entries else []
