"""Sales orders and their lines.

A :class:`SalesOrder` is one company's order from one customer, in one
currency. Its life::

    quotation → to_approve → (credit check) → confirmed → partial → shipped → invoiced
              ↘ (price within policy)        ↘ credit_hold → (released) → confirmed
    quotation/to_approve/credit_hold/confirmed → cancelled

``to_approve`` is a price exception (a price under the category's margin
floor or a discount over the limit) waiting in the approvals engine;
``credit_hold`` is an order over the customer's credit limit (or with
invoices long overdue) waiting for a credit controller — or for payments to
bring the exposure back under the limit. Only a confirmed order has delivery
transfers, so a held order cannot be reserved, picked or shipped.

The delivery transfers carry the order's reference as their ``origin``
(backorders and later steps inherit it); ``shipped_quantity`` and
``invoiced_quantity`` on a line are caches of the done customer-bound moves
and posted invoice lines, recomputed by ``crossdock audit``.

An order to a sister company of the group (a customer whose ``group_company``
is set) is *intercompany*: confirming it writes the mirrored purchase order in
that company (``mirrored_purchase_order``) and its transfers are dispatches
to that company's warehouse instead of deliveries to a customer
(:mod:`crossdock.sales.services.intercompany`).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from crossdock.core.fields import (
    FixedDecimalField,
    MoneyField,
    PriceField,
    QuantityField,
    RateField,
)
from crossdock.core.permissions import ScopedModel


class SalesOrderState(models.TextChoices):
    QUOTATION = "quotation", "Quotation"
    TO_APPROVE = "to_approve", "Price waiting for approval"
    CREDIT_HOLD = "credit_hold", "On credit hold"
    CONFIRMED = "confirmed", "Confirmed"
    PARTIAL = "partial", "Partially shipped"
    SHIPPED = "shipped", "Shipped"
    INVOICED = "invoiced", "Invoiced"
    CANCELLED = "cancelled", "Cancelled"


class Channel(models.TextChoices):
    FIELD = "field", "Field sales"
    ECOMMERCE = "ecommerce", "eCommerce"
    EDI = "edi", "EDI"
    PHONE = "phone", "Phone / counter"


EDITABLE_STATES = (SalesOrderState.QUOTATION,)
HELD_STATES = (SalesOrderState.TO_APPROVE, SalesOrderState.CREDIT_HOLD)
SHIPPABLE_STATES = (SalesOrderState.CONFIRMED, SalesOrderState.PARTIAL)
# Orders whose not-yet-invoiced value counts in the customer's credit exposure.
EXPOSED_STATES = (
    SalesOrderState.CONFIRMED,
    SalesOrderState.PARTIAL,
    SalesOrderState.SHIPPED,
)


class SalesOrder(ScopedModel):
    """A customer's order: what was promised, at what price, and what became of it."""

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=40, unique=True)
    customer = models.ForeignKey(
        "masterdata.Partner", on_delete=models.PROTECT, related_name="sales_orders"
    )
    customer_reference = models.CharField(max_length=60, blank=True)
    ship_to = models.ForeignKey(
        "masterdata.PartnerAddress",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.FIELD)
    warehouse = models.ForeignKey(
        "masterdata.Warehouse",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The main warehouse the order ships from (lines may ship from others).",
    )
    currency = models.ForeignKey("masterdata.Currency", on_delete=models.PROTECT, related_name="+")
    rate = RateField(default=1, help_text="Company currency per unit of the order's currency.")
    price_list = models.ForeignKey(
        "masterdata.PriceList", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        max_length=12, choices=SalesOrderState.choices, default=SalesOrderState.QUOTATION
    )
    order_date = models.DateField()
    requested_date = models.DateField(null=True, blank=True)
    ship_complete = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(default=50, help_text="Lower is served first.")
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = MoneyField(default=0, help_text="Untaxed total in the order's currency.")
    amount_company = MoneyField(default=0, help_text="Untaxed total in the company's currency.")
    cost_company = MoneyField(default=0, help_text="Expected cost of the goods, company currency.")
    uninvoiced_company = MoneyField(
        default=0,
        help_text="Value confirmed but not invoiced yet, company currency (credit exposure).",
    )
    credit_exposure = MoneyField(
        default=0, help_text="Customer exposure with this order at the last credit check."
    )
    credit_limit = MoneyField(default=0, help_text="The limit it was checked against.")
    hold_reason = models.CharField(max_length=300, blank=True)
    note = models.CharField(max_length=200, blank=True)
    rejection_comment = models.TextField(blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    released_by = models.CharField(max_length=150, blank=True)
    mirrored_purchase_order = models.OneToOneField(
        "purchasing.PurchaseOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="intercompany_sales_order",
        help_text="For a group-company customer: the purchase order mirroring this order there.",
    )

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["company", "state", "order_date"], name="so_state_idx"),
            models.Index(fields=["customer", "state"], name="so_customer_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=0), name="so_rate_positive"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="so_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def margin_company(self) -> Decimal:
        return Decimal(self.amount_company - self.cost_company)

    @property
    def margin_percent(self) -> Decimal | None:
        if not self.amount_company:
            return None
        return (self.margin_company * 100 / self.amount_company).quantize(Decimal("0.01"))


class SalesOrderLine(models.Model):
    """One product on an order: price and margin, where it ships from, and its progress."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    sequence = models.PositiveIntegerField(default=0)
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=200, blank=True)
    quantity = QuantityField()
    list_price = PriceField(default=Decimal(0), help_text="Price-list price, order currency.")
    discount_percent = FixedDecimalField(scale=4, default=Decimal(0))
    unit_price = PriceField(help_text="Net unit price after discount, order currency.")
    unit_cost = PriceField(default=Decimal(0), help_text="Expected unit cost, company currency.")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.PROTECT, related_name="+"
    )
    warehouse_chosen = models.BooleanField(
        default=False, help_text="The warehouse was chosen by hand, not by the sourcing policy."
    )
    promise_date = models.DateField(null=True, blank=True)
    price_exception = models.CharField(
        max_length=200, blank=True, help_text="Why this price needs approval (blank: it does not)."
    )
    shipped_quantity = QuantityField(default=Decimal(0))
    invoiced_quantity = QuantityField(default=Decimal(0))
    cancelled_quantity = QuantityField(default=Decimal(0))

    class Meta:
        ordering = ["order", "sequence", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="so_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & Q(list_price__gte=0),
                name="so_line_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="so_line_discount_range",
            ),
            models.CheckConstraint(
                condition=Q(shipped_quantity__gte=0)
                & Q(invoiced_quantity__gte=0)
                & Q(cancelled_quantity__gte=0),
                name="so_line_progress_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.sequence} {self.product_id} × {self.quantity}"

    @property
    def subtotal(self) -> Decimal:
        return Decimal(self.quantity * self.unit_price).quantize(Decimal("0.0001"))

    @property
    def open_quantity(self) -> Decimal:
        rest = Decimal(self.quantity - self.shipped_quantity - self.cancelled_quantity)
        return rest if rest > 0 else Decimal(0)

    @property
    def margin_percent(self) -> Decimal | None:
        if not self.unit_price:
            return None
        price_company = self.unit_price * self.order.rate
        return ((price_company - self.unit_cost) * 100 / price_company).quantize(Decimal("0.01"))
