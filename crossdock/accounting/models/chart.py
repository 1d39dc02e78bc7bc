"""The chart of accounts, journals and each company's ledger settings."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from crossdock.core.permissions import ScopedModel


class AccountType(models.TextChoices):
    """What an account holds; decides its place in the balance sheet or the P&L."""

    RECEIVABLE = "receivable", "Receivable"
    BANK = "bank", "Bank and cash"
    STOCK = "stock", "Stock"
    CURRENT_ASSET = "current_asset", "Other current asset"
    FIXED_ASSET = "fixed_asset", "Fixed asset"
    PAYABLE = "payable", "Payable"
    TAX = "tax", "Tax"
    CURRENT_LIABILITY = "current_liability", "Other current liability"
    INTERCOMPANY = "intercompany", "Intercompany"
    EQUITY = "equity", "Equity"
    REVENUE = "revenue", "Revenue"
    OTHER_INCOME = "other_income", "Other income"
    COST_OF_SALES = "cost_of_sales", "Cost of sales"
    EXPENSE = "expense", "Expense"


PROFIT_AND_LOSS_TYPES = frozenset(
    {
        AccountType.REVENUE,
        AccountType.OTHER_INCOME,
        AccountType.COST_OF_SALES,
        AccountType.EXPENSE,
    }
)


class AccountRole(models.TextChoices):
    """The accounts automatic postings look up: at most one account per role and company."""

    RECEIVABLE = "receivable", "Trade receivables"
    PAYABLE = "payable", "Trade payables"
    BANK = "bank", "Bank"
    STOCK = "stock", "Stock"
    GRNI = "grni", "Goods received not invoiced"
    DELIVERED_NOT_INVOICED = "delivered_not_invoiced", "Goods delivered not invoiced"
    COST_OF_GOODS_SOLD = "cogs", "Cost of goods sold"
    PRICE_VARIANCE = "price_variance", "Purchase price variance"
    LANDED_COST_CLEARING = "landed_cost_clearing", "Landed-cost clearing"
    INVENTORY_LOSS_GAIN = "inventory_loss_gain", "Inventory loss and gain"
    TAX_PAYABLE = "tax_payable", "Output tax"
    TAX_RECEIVABLE = "tax_receivable", "Input tax"
    FX_GAIN = "fx_gain", "Exchange gain"
    FX_LOSS = "fx_loss", "Exchange loss"
    INTERCOMPANY = "intercompany", "Intercompany"
    RETAINED_EARNINGS = "retained_earnings", "Retained earnings"
    SALES = "sales", "Sales"
    SALES_DISCOUNT = "sales_discount", "Early-payment discounts allowed"
    PURCHASE_DISCOUNT = "purchase_discount", "Early-payment discounts received"
    INTERCOMPANY_SERVICES = "intercompany_services", "Services bought from group companies"


class Account(ScopedModel):
    """A general-ledger account of one company, from its chart of accounts."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    account_type = models.CharField(max_length=20, choices=AccountType.choices)
    role = models.CharField(max_length=30, choices=AccountRole.choices, blank=True)
    reconcilable = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["company", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="account_code_unique"),
            models.UniqueConstraint(
                fields=["company", "role"],
                condition=~Q(role=""),
                name="account_role_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_profit_and_loss(self) -> bool:
        return self.account_type in PROFIT_AND_LOSS_TYPES


class JournalKind(models.TextChoices):
    GENERAL = "general", "Miscellaneous operations"
    STOCK = "stock", "Stock valuation"
    PURCHASE = "purchase", "Purchases"
    SALE = "sale", "Sales"
    BANK = "bank", "Bank"


class Journal(ScopedModel):
    """A book entries are written in; numbers its posted entries in sequence."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=JournalKind.choices)
    last_number = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["company", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="journal_code_unique"),
            models.UniqueConstraint(fields=["company", "kind"], name="journal_kind_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PriceDifference(models.TextChoices):
    """Where a vendor bill's price difference against the receipt's value goes."""

    VARIANCE = "variance", "Purchase price variance"
    STOCK = "stock", "Stock, for the part still on hand"


class LedgerSettings(ScopedModel):
    """A company's ledger: its chart template, lock date and posting policies.

    Nothing dated on or before ``lock_date`` can be posted (or reversed into);
    a controller moves it forward when a month is closed.
    """

    company = models.OneToOneField(
        "masterdata.Company", on_delete=models.PROTECT, related_name="ledger"
    )
    chart_template = models.CharField(max_length=40, default="distributor")
    lock_date = models.DateField(null=True, blank=True)
    price_difference = models.CharField(
        max_length=10, choices=PriceDifference.choices, default=PriceDifference.VARIANCE
    )

    class Meta:
        verbose_name_plural = "ledger settings"

    def __str__(self) -> str:
        return f"Ledger of {self.company_id}"
