"""Roles and what each may do.

A role is a Django group whose permissions are kept in step with
:data:`ROLE_PERMISSIONS` after every migrate, so the matrix lives in code,
reviewed like code, and the permission-matrix test reads the same table.
Permissions are ``app_label.action_model`` with the actions ``view``, ``add``,
``change`` and ``delete``; importing needs ``add`` and ``change``, exporting
needs ``view``. Later domains extend the table with their own models.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Role(StrEnum):
    BUYER = "buyer"
    PURCHASING_MANAGER = "purchasing-manager"
    PLANNER = "planner"
    WAREHOUSE_OPERATOR = "warehouse-operator"
    WAREHOUSE_MANAGER = "warehouse-manager"
    SALES_REP = "sales-rep"
    SALES_MANAGER = "sales-manager"
    CREDIT_CONTROLLER = "credit-controller"
    AP_CLERK = "ap-clerk"
    AR_CLERK = "ar-clerk"
    CONTROLLER = "controller"
    SERVICE_AGENT = "service-agent"
    EXECUTIVE = "executive"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"


V, A, C, D = "view", "add", "change", "delete"
ALL = (V, A, C, D)
EDIT = (V, A, C)

MASTER_MODELS = (
    "masterdata.company",
    "masterdata.warehouse",
    "masterdata.location",
    "masterdata.productcategory",
    "masterdata.product",
    "masterdata.unitcategory",
    "masterdata.unit",
    "masterdata.partner",
    "masterdata.currency",
    "masterdata.exchangerate",
    "masterdata.paymentterm",
)


def _grant(models: tuple[str, ...] | list[str], actions: tuple[str, ...]) -> set[str]:
    return {f"{model}:{action}" for model in models for action in actions}


_VIEW_ALL = _grant(MASTER_MODELS, (V,))
_PRODUCTS = ("masterdata.product", "masterdata.productcategory")
_UNITS = ("masterdata.unit", "masterdata.unitcategory")
_FINANCE = ("masterdata.currency", "masterdata.exchangerate", "masterdata.paymentterm")
_SITES = ("masterdata.warehouse", "masterdata.location")

_BANK = ("masterdata.partnerbankaccount",)
_REQUESTS = ("approvals.approvalrequest",)
_POLICIES = ("approvals.approvalpolicy", "approvals.budgetowner")
_EVERYONE = _grant(list(_REQUESTS), (V,))

ROLE_PERMISSIONS: dict[Role, set[str]] = {
    Role.BUYER: _VIEW_ALL | _grant(["masterdata.partner"], EDIT),
    Role.PURCHASING_MANAGER: _VIEW_ALL | _grant(["masterdata.partner", *_PRODUCTS, *_UNITS], EDIT),
    Role.PLANNER: _VIEW_ALL,
    Role.WAREHOUSE_OPERATOR: _grant(
        ["masterdata.warehouse", "masterdata.location", *_PRODUCTS, *_UNITS], (V,)
    ),
    Role.WAREHOUSE_MANAGER: _grant([*_PRODUCTS, *_UNITS, "masterdata.company"], (V,))
    | _grant(list(_SITES), EDIT)
    | _grant(["masterdata.location"], (D,)),
    Role.SALES_REP: _grant([*_PRODUCTS, *_UNITS, "masterdata.warehouse", *_FINANCE], (V,))
    | _grant(["masterdata.partner"], EDIT),
    Role.SALES_MANAGER: _VIEW_ALL | _grant(["masterdata.partner"], EDIT),
    Role.CREDIT_CONTROLLER: _grant(["masterdata.company", *_FINANCE], (V,))
    | _grant(["masterdata.partner"], (V, C)),
    Role.AP_CLERK: _grant(["masterdata.company", "masterdata.partner", *_FINANCE], (V,)),
    Role.AR_CLERK: _grant(["masterdata.company", "masterdata.partner", *_FINANCE], (V,)),
    Role.CONTROLLER: _VIEW_ALL
    | _grant(list(_FINANCE), EDIT)
    | _grant(["masterdata.company", "masterdata.partner"], (V, C))
    | _grant(["core.auditentry"], (V,)),
    Role.SERVICE_AGENT: _grant(["masterdata.partner", *_PRODUCTS, *_UNITS], (V,)),
    Role.EXECUTIVE: _VIEW_ALL | _grant(["core.auditentry"], (V,)),
    Role.AUDITOR: _VIEW_ALL | _grant(["core.auditentry"], (V,)),
    Role.ADMINISTRATOR: _grant(MASTER_MODELS, ALL)
    | _grant(["core.auditentry", "core.user", "masterdata.useraccess"], ALL)
    | _grant([*_BANK, *_POLICIES, "approvals.delegation"], ALL),
}

# Approval requests are visible to every role of the company (approvers need them);
# bank accounts to those who pay or buy; policies to those who govern.
for _role in ROLE_PERMISSIONS:
    ROLE_PERMISSIONS[_role] |= _EVERYONE
for _role in (Role.BUYER, Role.PURCHASING_MANAGER, Role.AP_CLERK):
    ROLE_PERMISSIONS[_role] |= _grant(list(_BANK), EDIT)
for _role in (Role.CONTROLLER, Role.AUDITOR, Role.EXECUTIVE):
    ROLE_PERMISSIONS[_role] |= _grant(list(_BANK), (V,))
ROLE_PERMISSIONS[Role.CONTROLLER] |= _grant(list(_POLICIES), EDIT)

# Stock documents: transfers, lots and count sheets (cycle counts).
_STOCK = ("inventory.transfer", "inventory.lot", "inventory.countsheet")
for _role in (Role.WAREHOUSE_OPERATOR, Role.WAREHOUSE_MANAGER):
    ROLE_PERMISSIONS[_role] |= _grant(list(_STOCK), EDIT)
ROLE_PERMISSIONS[Role.WAREHOUSE_MANAGER] |= _grant(
    ["inventory.removalrule", "inventory.putawayrule"], EDIT
)
ROLE_PERMISSIONS[Role.WAREHOUSE_OPERATOR] |= _grant(["inventory.putawayrule"], (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant(
    [*_STOCK, "inventory.removalrule", "inventory.putawayrule"], ALL
)
for _role in (
    Role.BUYER,
    Role.PURCHASING_MANAGER,
    Role.SALES_REP,
    Role.SALES_MANAGER,
    Role.CONTROLLER,
    Role.EXECUTIVE,
    Role.AUDITOR,
    Role.SERVICE_AGENT,
):
    ROLE_PERMISSIONS[_role] |= _grant(list(_STOCK), (V,))
# Outbound fulfilment: pick waves, packages and shipments. The warehouse writes them;
# sales, customer service, auditors and executives read them (where is my order?).
_FULFILMENT = ("inventory.pickwave", "inventory.package", "inventory.shipment")
for _role in (Role.WAREHOUSE_OPERATOR, Role.WAREHOUSE_MANAGER):
    ROLE_PERMISSIONS[_role] |= _grant(list(_FULFILMENT), EDIT)
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant(list(_FULFILMENT), ALL)
for _role in (
    Role.SALES_REP,
    Role.SALES_MANAGER,
    Role.SERVICE_AGENT,
    Role.AUDITOR,
    Role.EXECUTIVE,
):
    ROLE_PERMISSIONS[_role] |= _grant(list(_FULFILMENT), (V,))
# Stock on hand, available-to-promise and lot traces: whoever sees stock documents.
# Stock value (the valuation layers): finance, the executives and the warehouse manager.
for _role in ROLE_PERMISSIONS:
    if "inventory.transfer:view" in ROLE_PERMISSIONS[_role]:
        ROLE_PERMISSIONS[_role] |= _grant(["inventory.quant"], (V,))
for _role in (
    Role.CONTROLLER,
    Role.EXECUTIVE,
    Role.AUDITOR,
    Role.WAREHOUSE_MANAGER,
    Role.ADMINISTRATOR,
):
    ROLE_PERMISSIONS[_role] |= _grant(["inventory.valuationlayer"], (V,))
for _role in (
    Role.AUDITOR,
    Role.EXECUTIVE,
    Role.PURCHASING_MANAGER,
    Role.WAREHOUSE_MANAGER,
    Role.SALES_MANAGER,
):
    ROLE_PERMISSIONS[_role] |= _grant(list(_POLICIES), (V,))


# The books: controllers keep the chart, periods and lock dates and post; AP and AR clerks
# read the chart and write entries; auditors and executives read everything.
_CHART = ("accounting.account", "accounting.journal", "accounting.fiscalyear", "accounting.period")
_LEDGER = ("accounting.ledgersettings",)
_ENTRIES = ("accounting.journalentry",)
ROLE_PERMISSIONS[Role.CONTROLLER] |= _grant([*_CHART, *_LEDGER], EDIT) | _grant(list(_ENTRIES), ALL)
for _role in (Role.AP_CLERK, Role.AR_CLERK):
    ROLE_PERMISSIONS[_role] |= _grant([*_CHART, *_LEDGER], (V,)) | _grant(list(_ENTRIES), EDIT)
for _role in (Role.AUDITOR, Role.EXECUTIVE):
    ROLE_PERMISSIONS[_role] |= _grant([*_CHART, *_LEDGER, *_ENTRIES], (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant([*_CHART, *_LEDGER, *_ENTRIES], ALL)

# Invoices, bills, payments and payment runs: AR and AP clerks write them, the controller
# also keeps the taxes; credit controllers read what customers owe; auditors and
# executives read everything.
_TAXES = ("accounting.tax",)
_DOCUMENTS = ("accounting.invoice", "accounting.payment", "accounting.paymentrun")
ROLE_PERMISSIONS[Role.CONTROLLER] |= _grant(list(_TAXES), EDIT) | _grant(list(_DOCUMENTS), ALL)
for _role in (Role.AP_CLERK, Role.AR_CLERK):
    ROLE_PERMISSIONS[_role] |= _grant(list(_TAXES), (V,)) | _grant(list(_DOCUMENTS), EDIT)
for _role in (Role.AUDITOR, Role.EXECUTIVE, Role.CREDIT_CONTROLLER):
    ROLE_PERMISSIONS[_role] |= _grant([*_TAXES, *_DOCUMENTS], (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant([*_TAXES, *_DOCUMENTS], ALL)
# Dunning (levels, runs and reminder letters): the AR clerk works it, the controller
# also deletes; credit controllers, auditors and executives read it.
_DUNNING = ("accounting.dunninglevel", "accounting.dunningrun", "accounting.dunningletter")
ROLE_PERMISSIONS[Role.CONTROLLER] |= _grant(list(_DUNNING), ALL)
ROLE_PERMISSIONS[Role.AR_CLERK] |= _grant(list(_DUNNING), EDIT)
for _role in (Role.AUDITOR, Role.EXECUTIVE, Role.CREDIT_CONTROLLER):
    ROLE_PERMISSIONS[_role] |= _grant(list(_DUNNING), (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant(list(_DUNNING), ALL)
# AR clerks invoice deliveries and AP clerks bill receipts: both read the transfers.
for _role in (Role.AP_CLERK, Role.AR_CLERK):
    ROLE_PERMISSIONS[_role] |= _grant(["inventory.transfer"], (V,))

# Landed costs: granted like invoices (the controller and the AP clerk write them).
_LANDED = ("accounting.landedcost",)
ROLE_PERMISSIONS[Role.CONTROLLER] |= _grant(list(_LANDED), ALL)
ROLE_PERMISSIONS[Role.AP_CLERK] |= _grant(list(_LANDED), EDIT)
for _role in (Role.AUDITOR, Role.EXECUTIVE):
    ROLE_PERMISSIONS[_role] |= _grant(list(_LANDED), (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant(list(_LANDED), ALL)

# Sales price lists: the sales manager keeps the lists; sales reps read them and propose
# price changes (which the approvals engine governs); finance and the auditors read them.
_PRICE_LISTS = ("masterdata.pricelist",)
_PRICE_CHANGES = ("masterdata.pricelistchange",)
ROLE_PERMISSIONS[Role.SALES_MANAGER] |= _grant([*_PRICE_LISTS, *_PRICE_CHANGES], EDIT)
ROLE_PERMISSIONS[Role.SALES_REP] |= _grant(list(_PRICE_LISTS), (V,)) | _grant(
    list(_PRICE_CHANGES), EDIT
)
for _role in (Role.CONTROLLER, Role.EXECUTIVE, Role.AUDITOR):
    ROLE_PERMISSIONS[_role] |= _grant([*_PRICE_LISTS, *_PRICE_CHANGES], (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant([*_PRICE_LISTS, *_PRICE_CHANGES], ALL)


# Purchasing: buyers and the purchasing manager keep the catalogue and the orders; the
# warehouse reads orders to receive against them; AP clerks and the controller read them
# and work the bill-match queue; the purchasing manager and the controller keep the
# tolerances; auditors and executives read everything.
_CATALOGUE = ("purchasing.supplierproduct",)
_ORDERS = ("purchasing.purchaseorder",)
_MATCHES = ("purchasing.billmatch",)
_PURCHASING_SETTINGS = ("purchasing.purchasingsettings",)
for _role in (Role.BUYER, Role.PURCHASING_MANAGER):
    ROLE_PERMISSIONS[_role] |= _grant([*_CATALOGUE, *_ORDERS], EDIT) | _grant(
        [*_MATCHES, *_PURCHASING_SETTINGS], (V,)
    )
ROLE_PERMISSIONS[Role.PURCHASING_MANAGER] |= _grant(list(_PURCHASING_SETTINGS), EDIT)
for _role in (Role.WAREHOUSE_OPERATOR, Role.WAREHOUSE_MANAGER):
    ROLE_PERMISSIONS[_role] |= _grant(list(_ORDERS), (V,))
for _role in (Role.AP_CLERK, Role.CONTROLLER):
    ROLE_PERMISSIONS[_role] |= _grant(
        [*_CATALOGUE, *_ORDERS, *_PURCHASING_SETTINGS], (V,)
    ) | _grant(list(_MATCHES), EDIT)
ROLE_PERMISSIONS[Role.CONTROLLER] |= _grant(list(_PURCHASING_SETTINGS), EDIT)
for _role in (Role.AUDITOR, Role.EXECUTIVE):
    ROLE_PERMISSIONS[_role] |= _grant(
        [*_CATALOGUE, *_ORDERS, *_MATCHES, *_PURCHASING_SETTINGS], (V,)
    )
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant(
    [*_CATALOGUE, *_ORDERS, *_MATCHES, *_PURCHASING_SETTINGS], ALL
)

# Sourcing: buyers and the purchasing manager keep requisitions and RFQs (quotes are part of
# the RFQ); whoever requests goods (warehouse and sales managers) writes requisitions;
# auditors, executives and the controller read them.
_REQUISITIONS = ("purchasing.purchaserequisition",)
_RFQS = ("purchasing.requestforquotation",)
for _role in (Role.BUYER, Role.PURCHASING_MANAGER):
    ROLE_PERMISSIONS[_role] |= _grant([*_REQUISITIONS, *_RFQS], EDIT)
for _role in (Role.WAREHOUSE_MANAGER, Role.SALES_MANAGER):
    ROLE_PERMISSIONS[_role] |= _grant(list(_REQUISITIONS), EDIT)
for _role in (Role.AUDITOR, Role.EXECUTIVE, Role.CONTROLLER):
    ROLE_PERMISSIONS[_role] |= _grant([*_REQUISITIONS, *_RFQS], (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant([*_REQUISITIONS, *_RFQS], ALL)
# The buyers' exception queue (unconfirmed, late and short orders): buyers and the
# purchasing manager work it; the warehouse manager, AP, the controller, auditors and
# executives read it.
_EXCEPTIONS = ("purchasing.purchaseexception",)
for _role in (Role.BUYER, Role.PURCHASING_MANAGER):
    ROLE_PERMISSIONS[_role] |= _grant(list(_EXCEPTIONS), (V, C))
for _role in (
    Role.WAREHOUSE_MANAGER,
    Role.AP_CLERK,
    Role.CONTROLLER,
    Role.AUDITOR,
    Role.EXECUTIVE,
):
    ROLE_PERMISSIONS[_role] |= _grant(list(_EXCEPTIONS), (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant(list(_EXCEPTIONS), ALL)


# Quality: the warehouse inspects received goods and records nonconformances, reading the
# plans; the warehouse manager and the purchasing manager keep the plans; buyers, AP
# clerks, the controller, auditors and executives read everything.
_PLANS = ("quality.inspectionplan",)
_INSPECTIONS = ("quality.inspection", "quality.nonconformance")
for _role in (Role.WAREHOUSE_OPERATOR, Role.WAREHOUSE_MANAGER):
    ROLE_PERMISSIONS[_role] |= _grant(list(_INSPECTIONS), EDIT) | _grant(list(_PLANS), (V,))
for _role in (Role.WAREHOUSE_MANAGER, Role.PURCHASING_MANAGER):
    ROLE_PERMISSIONS[_role] |= _grant(list(_PLANS), EDIT)
for _role in (
    Role.BUYER,
    Role.PURCHASING_MANAGER,
    Role.AP_CLERK,
    Role.CONTROLLER,
    Role.AUDITOR,
    Role.EXECUTIVE,
):
    ROLE_PERMISSIONS[_role] |= _grant([*_PLANS, *_INSPECTIONS], (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant([*_PLANS, *_INSPECTIONS], ALL)


# Sales: sales reps and the sales manager enter and confirm orders; the sales manager keeps
# the margin floors and, with the controller, the sales policies; the warehouse reads orders
# to ship them; credit controllers and AR clerks read them (AR clerks invoice them); the
# controller, auditors and executives read everything.
_SALES_ORDERS = ("sales.salesorder",)
_SALES_POLICY = ("sales.salessettings", "sales.marginfloor")
for _role in (Role.SALES_REP, Role.SALES_MANAGER):
    ROLE_PERMISSIONS[_role] |= _grant(list(_SALES_ORDERS), EDIT) | _grant(list(_SALES_POLICY), (V,))
ROLE_PERMISSIONS[Role.SALES_MANAGER] |= _grant(list(_SALES_POLICY), EDIT)
ROLE_PERMISSIONS[Role.CONTROLLER] |= _grant(list(_SALES_POLICY), EDIT)
# Whoever keeps the margin floors may also remove one (the category falls back to its parent).
for _role in (Role.SALES_MANAGER, Role.CONTROLLER):
    ROLE_PERMISSIONS[_role] |= _grant(["sales.marginfloor"], (D,))
ROLE_PERMISSIONS[Role.AR_CLERK] |= _grant(list(_SALES_ORDERS), (V, C))
for _role in (
    Role.WAREHOUSE_OPERATOR,
    Role.WAREHOUSE_MANAGER,
    Role.CREDIT_CONTROLLER,
    Role.CONTROLLER,
    Role.AUDITOR,
    Role.EXECUTIVE,
    Role.SERVICE_AGENT,
):
    ROLE_PERMISSIONS[_role] |= _grant(list(_SALES_ORDERS), (V,))
for _role in (Role.CREDIT_CONTROLLER, Role.AR_CLERK, Role.AUDITOR, Role.EXECUTIVE):
    ROLE_PERMISSIONS[_role] |= _grant(list(_SALES_POLICY), (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant([*_SALES_ORDERS, *_SALES_POLICY], ALL)
# Sales reps see stock figures (ATP) and read the invoices of their customers.
ROLE_PERMISSIONS[Role.SALES_REP] |= _grant(["accounting.invoice"], (V,))
ROLE_PERMISSIONS[Role.SALES_MANAGER] |= _grant(["accounting.invoice"], (V,))

# Customer returns (RMAs): service agents, sales reps and the sales manager open and submit
# them (the sales manager authorizes through the approvals engine); the warehouse receives
# and inspects the goods (``change`` here and on transfers); AR clerks resolve them with a
# credit note (``change`` here and ``add`` on invoices), sales with a replacement order; the
# credit controller, the controller, auditors and executives read them.
_RETURNS = ("sales.returnauthorization",)
for _role in (Role.SERVICE_AGENT, Role.SALES_REP, Role.SALES_MANAGER):
    ROLE_PERMISSIONS[_role] |= _grant(list(_RETURNS), EDIT)
for _role in (Role.WAREHOUSE_OPERATOR, Role.WAREHOUSE_MANAGER, Role.AR_CLERK):
    ROLE_PERMISSIONS[_role] |= _grant(list(_RETURNS), (V, C))
for _role in (Role.CREDIT_CONTROLLER, Role.CONTROLLER, Role.AUDITOR, Role.EXECUTIVE):
    ROLE_PERMISSIONS[_role] |= _grant(list(_RETURNS), (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant(list(_RETURNS), ALL)

# After-sales service: service agents open and work cases; sales reps and managers, the
# warehouse manager (delivery issues), executives and auditors read them. The sales manager
# keeps the SLA policies; whoever reads cases reads the policies too.
_CASES = ("service.servicecase",)
_SLA = ("service.slapolicy",)
ROLE_PERMISSIONS[Role.SERVICE_AGENT] |= _grant(list(_CASES), EDIT) | _grant(list(_SLA), (V,))
ROLE_PERMISSIONS[Role.SALES_MANAGER] |= _grant(list(_SLA), ALL) | _grant(list(_CASES), (V,))
for _role in (Role.SALES_REP, Role.WAREHOUSE_MANAGER, Role.EXECUTIVE, Role.AUDITOR):
    ROLE_PERMISSIONS[_role] |= _grant([*_CASES, *_SLA], (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant([*_CASES, *_SLA], ALL)

# Replenishment: planners, buyers and the purchasing manager run the plan, keep reorder policies
# (clearing one deletes it) and forecast overrides, and decide suggestions (purchases
# become their documents); the warehouse manager decides transfer suggestions and reads
# the plan; the controller, auditors and executives read it.
_REPLENISHMENT = (
    "planning.replenishmentrun",
    "planning.suggestion",
    "planning.reorderpolicy",
    "planning.forecastoverride",
    "planning.planningexception",
    "planning.simulationrun",
)
for _role in (Role.PLANNER, Role.BUYER, Role.PURCHASING_MANAGER):
    ROLE_PERMISSIONS[_role] |= _grant(list(_REPLENISHMENT), EDIT) | _grant(
        ["planning.reorderpolicy"], (D,)
    )
ROLE_PERMISSIONS[Role.WAREHOUSE_MANAGER] |= _grant(list(_REPLENISHMENT), (V,)) | _grant(
    ["planning.suggestion"], (C,)
)
for _role in (Role.CONTROLLER, Role.AUDITOR, Role.EXECUTIVE):
    ROLE_PERMISSIONS[_role] |= _grant(list(_REPLENISHMENT), (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant(list(_REPLENISHMENT), ALL)

# Planning: inventory planners and buyers (who plan too) keep the planning settings, the
# transfer lanes and the promotions and import demand history; the purchasing manager
# likewise; the warehouse manager, the controller, auditors and executives read them.
# Planners read the stock documents and purchase orders they plan against.
_PLANNING = (
    "planning.planningsettings",
    "planning.transferlane",
    "planning.promotion",
    "planning.demandday",
)
for _role in (Role.PLANNER, Role.BUYER, Role.PURCHASING_MANAGER):
    ROLE_PERMISSIONS[_role] |= _grant(list(_PLANNING), EDIT) | _grant(
        ["planning.transferlane", "planning.promotion"], (D,)
    )
ROLE_PERMISSIONS[Role.PLANNER] |= _grant(
    ["inventory.transfer", *_ORDERS, *_CATALOGUE, *_SALES_ORDERS], (V,)
)
for _role in (Role.WAREHOUSE_MANAGER, Role.CONTROLLER, Role.AUDITOR, Role.EXECUTIVE):
    ROLE_PERMISSIONS[_role] |= _grant(list(_PLANNING), (V,))
ROLE_PERMISSIONS[Role.ADMINISTRATOR] |= _grant(list(_PLANNING), ALL)
# KPIs: every role may read the KPI snapshots; which KPIs it sees follows from the documents
# each KPI is computed from (``requires`` in crossdock.insight.registry): order fill rates
# need sales orders, gross margin the journal entries, turnover the valuation layers.
_KPIS = ("insight.kpisnapshot",)
for _role in ROLE_PERMISSIONS:
    ROLE_PERMISSIONS[_role] |= _grant(list(_KPIS), (V,))

# Exception queues: every role may read the items it sees and, but auditors, work them
# (assign, snooze, dismiss);
# which it sees follows from its roles (a kind's owner role, or the right to read the kind's
# documents — crossdock.insight.queues.selectors), and running an item's action needs the
# action's own permission.
_QUEUE_ITEMS = ("insight.exceptionitem",)
for _role in ROLE_PERMISSIONS:
    ROLE_PERMISSIONS[_role] |= _grant(list(_QUEUE_ITEMS), (V,) if _role == Role.AUDITOR else (V, C))
# Queue thresholds: every role may read them; managers and the controller set them.
_QUEUE_THRESHOLDS = ("insight.queuethresholds",)
for _role in ROLE_PERMISSIONS:
    ROLE_PERMISSIONS[_role] |= _grant(list(_QUEUE_THRESHOLDS), (V,))
for _role in (
    Role.PURCHASING_MANAGER,
    Role.WAREHOUSE_MANAGER,
    Role.SALES_MANAGER,
    Role.CONTROLLER,
):
    ROLE_PERMISSIONS[_role] |= _grant(list(_QUEUE_THRESHOLDS), EDIT)


def role_allows(role: Role, model_label: str, action: str) -> bool:
    return f"{model_label}:{action}" in ROLE_PERMISSIONS[role]


def sync_roles(sender: Any = None, **kwargs: Any) -> None:
    """Create or update one group per role with exactly the permissions above."""
    from django.contrib.auth.models import Group, Permission

    wanted: dict[str, set[str]] = {}
    for role, grants in ROLE_PERMISSIONS.items():
        codes = set()
        for grant in grants:
            model_label, action = grant.split(":")
            app_label, model = model_label.split(".")
            codes.add(f"{app_label}.{action}_{model}")
        wanted[role.value] = codes
    available = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for name, codes in wanted.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([available[c] for c in sorted(codes) if c in available])
