"""The default chart of accounts for a wholesale distributor.

Design overview
---------------
Every company gets this chart when it is created (and existing companies when
the app is migrated in). Accounts with a ``role`` are the ones automatic
postings look up — stock, goods received not invoiced, cost of goods sold and
so on — so a company may renumber or rename its chart without breaking them.
Codes follow the common four-digit layout: 1 assets, 2 liabilities,
3 equity, 4 revenue, 5 cost of sales, 6 expenses, 7 other income and charges.
"""

from __future__ import annotations

from dataclasses import dataclass

from crossdock.accounting.models import AccountRole, AccountType, JournalKind


@dataclass(frozen=True)
class AccountTemplate:
    code: str
    name: str
    account_type: AccountType
    role: AccountRole | None = None
    reconcilable: bool = False


T, R = AccountType, AccountRole

DISTRIBUTOR_CHART: tuple[AccountTemplate, ...] = (
    AccountTemplate("1000", "Bank", T.BANK, R.BANK),
    AccountTemplate("1010", "Cash", T.BANK),
    AccountTemplate("1100", "Trade receivables", T.RECEIVABLE, R.RECEIVABLE, reconcilable=True),
    AccountTemplate("1150", "Goods delivered not invoiced", T.CURRENT_ASSET,
                    R.DELIVERED_NOT_INVOICED),
    AccountTemplate("1200", "Stock", T.STOCK, R.STOCK),
    AccountTemplate("1210", "Stock in transit", T.STOCK),
    AccountTemplate("1300", "Input tax receivable", T.TAX, R.TAX_RECEIVABLE),
    AccountTemplate("1400", "Intercompany receivables and payables", T.INTERCOMPANY,
                    R.INTERCOMPANY, reconcilable=True),
    AccountTemplate("1500", "Prepayments", T.CURRENT_ASSET),
    AccountTemplate("1700", "Fixed assets", T.FIXED_ASSET),
    AccountTemplate("2000", "Trade payables", T.PAYABLE, R.PAYABLE, reconcilable=True),
    AccountTemplate("2100", "Goods received not invoiced", T.CURRENT_LIABILITY, R.GRNI,
                    reconcilable=True),
    AccountTemplate("2150", "Landed-cost clearing", T.CURRENT_LIABILITY,
                    R.LANDED_COST_CLEARING),
    AccountTemplate("2200", "Output tax payable", T.TAX, R.TAX_PAYABLE),
    AccountTemplate("2300", "Accrued liabilities", T.CURRENT_LIABILITY),
    AccountTemplate("3000", "Share capital", T.EQUITY),
    AccountTemplate("3100", "Retained earnings", T.EQUITY, R.RETAINED_EARNINGS),
    AccountTemplate("4000", "Sales of goods", T.REVENUE, R.SALES),
    AccountTemplate("4100", "Sales returns and allowances", T.REVENUE),
    AccountTemplate("4200", "Early-payment discounts allowed", T.REVENUE, R.SALES_DISCOUNT),
    AccountTemplate("5000", "Cost of goods sold", T.COST_OF_SALES, R.COST_OF_GOODS_SOLD),
    AccountTemplate("5100", "Purchase price variance", T.COST_OF_SALES, R.PRICE_VARIANCE),
    AccountTemplate("5200", "Inventory loss and gain", T.COST_OF_SALES, R.INVENTORY_LOSS_GAIN),
    AccountTemplate("5300", "Freight in", T.COST_OF_SALES),
    AccountTemplate("6000", "Salaries and wages", T.EXPENSE),
    AccountTemplate("6100", "Warehouse rent", T.EXPENSE),
    AccountTemplate("6200", "Transport out", T.EXPENSE),
    AccountTemplate("6300", "Services bought from group companies", T.EXPENSE,
                    R.INTERCOMPANY_SERVICES),
    AccountTemplate("6900", "Bank charges", T.EXPENSE),
    AccountTemplate("7000", "Exchange gains", T.OTHER_INCOME, R.FX_GAIN),
    AccountTemplate("7100", "Exchange losses", T.EXPENSE, R.FX_LOSS),
    AccountTemplate("7200", "Early-payment discounts received", T.OTHER_INCOME,
                    R.PURCHASE_DISCOUNT),
)  # fmt: skip

JOURNALS: tuple[tuple[str, str, JournalKind], ...] = (
    ("MISC", "Miscellaneous operations", JournalKind.GENERAL),
    ("STK", "Stock valuation", JournalKind.STOCK),
    ("PUR", "Vendor bills", JournalKind.PURCHASE),
    ("SAL", "Customer invoices", JournalKind.SALE),
    ("BNK", "Bank", JournalKind.BANK),
)

TEMPLATES: dict[str, tuple[AccountTemplate, ...]] = {"distributor": DISTRIBUTOR_CHART}
