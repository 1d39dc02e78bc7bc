"""Purchase orders, their lines and revisions, and what was received against them.

A :class:`PurchaseOrder` is one company's order to one supplier for delivery
into one warehouse, in one currency. Its life::

    draft → to_approve → approved → sent → confirmed → partially_received → received
          ↘ (no policy matches: approved at once)                        → billed → closed
    draft/to_approve/approved/sent/confirmed → cancelled

A rejection returns it to ``draft`` with the approver's comment. A change to
an order that was already approved makes a new revision
(:class:`PurchaseOrderRevision` keeps what changed) and sends it through the
approval policies again. ``received_quantity`` and ``billed_quantity`` on a
line are caches of the receipt moves (:class:`PurchaseReceiptLine`) and of
the posted vendor-bill lines that refer to them; ``crossdock audit``
recomputes the first.

An *intercompany* order (``intercompany_origin`` set) mirrors a group
company's sales order: it is written confirmed by the selling company's
order, received when that company's dispatch arrives and billed by the mirror
of its invoice (:mod:`crossdock.purchasing.services.intercompany`).
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


class OrderState(models.TextChoices):
    DRAFT = "draft", "Draft"
    TO_APPROVE = "to_approve", "Waiting for approval"
    APPROVED = "approved", "Approved"
    SENT = "sent", "Sent to supplier"
    CONFIRMED = "confirmed", "Confirmed by supplier"
    PARTIALLY_RECEIVED = "partial", "Partially received"
    RECEIVED = "received", "Received"
    BILLED = "billed", "Billed"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


EDITABLE_STATES = (
    OrderState.DRAFT,
    OrderState.APPROVED,
    OrderState.SENT,
    OrderState.CONFIRMED,
)
RECEIVABLE_STATES = (
    OrderState.APPROVED,
    OrderState.SENT,
    OrderState.CONFIRMED,
    OrderState.PARTIALLY_RECEIVED,
)
OPEN_STATES = (*RECEIVABLE_STATES, OrderState.RECEIVED, OrderState.BILLED)


class PurchasingSettings(ScopedModel):
    """A company's purchasing tolerances and reminder periods (defaults apply until saved)."""

    company = models.OneToOneField(
        "masterdata.Company", on_delete=models.CASCADE, related_name="purchasing_settings"
    )
    over_receipt_percent = FixedDecimalField(
        scale=4, default=Decimal(0), help_text="How much more than ordered may be received, in %."
    )
    price_tolerance_percent = FixedDecimalField(
        scale=4,
        default=Decimal(2),
        help_text="Bill price above the order price still matched, in %.",
    )
    quantity_tolerance_percent = FixedDecimalField(
        scale=4, default=Decimal(0), help_text="Billed above received still matched, in %."
    )
    confirmation_reminder_days = models.PositiveIntegerField(default=3)

    class Meta:
        verbose_name_plural = "purchasing settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(over_receipt_percent__gte=0)
                & Q(price_tolerance_percent__gte=0)
                & Q(quantity_tolerance_percent__gte=0),
                name="purchasing_tolerances_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"Purchasing settings of {self.company_id}"


class PurchaseOrder(ScopedModel):
    """An order to one supplier for delivery into one warehouse: the document buyers own."""

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=40, unique=True)
    supplier = models.ForeignKey(
        "masterdata.Partner", on_delete=models.PROTECT, related_name="purchase_orders"
    )
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.PROTECT, related_name="purchase_orders"
    )
    currency = models.ForeignKey("masterdata.Currency", on_delete=models.PROTECT, related_name="+")
    rate = RateField(default=1, help_text="Company currency per unit of the order's currency.")
    state = models.CharField(max_length=12, choices=OrderState.choices, default=OrderState.DRAFT)
    order_date = models.DateField()
    expected_date = models.DateField()
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revision = models.PositiveIntegerField(default=0)
    amount = MoneyField(default=0, help_text="Order total in the order's currency.")
    amount_company = MoneyField(default=0, help_text="Order total in the company's currency.")
    estimated_landed_amount = MoneyField(
        default=0, help_text="Expected landed costs on top of the total, in the order's currency."
    )
    note = models.CharField(max_length=200, blank=True)
    intercompany_origin = models.CharField(
        max_length=40,
        blank=True,
        db_index=True,
        help_text="The group company's sales order this order mirrors (blank: a normal order).",
    )
    rejection_comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["company", "state", "expected_date"], name="po_state_idx"),
            models.Index(fields=["supplier", "state"], name="po_supplier_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=0), name="po_rate_positive"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="po_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_intercompany(self) -> bool:
        return bool(self.intercompany_origin)


class PurchaseOrderLine(models.Model):
    """One product on an order: how many, at what price, and what became of it."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    sequence = models.PositiveIntegerField(default=0)
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=200, blank=True)
    quantity = QuantityField()
    unit_price = PriceField()
    offer = models.ForeignKey(
        "purchasing.SupplierProduct",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    off_contract = models.BooleanField(default=False)
    estimated_landed_cost = PriceField(
        default=Decimal(0),
        help_text="Expected freight, duty and handling per unit, in the order's currency.",
    )
    expected_date = models.DateField()
    confirmed_quantity = QuantityField(null=True, blank=True)
    confirmed_date = models.DateField(null=True, blank=True)
    received_quantity = QuantityField(default=0)
    billed_quantity = QuantityField(default=0)

    class Meta:
        ordering = ["order", "sequence", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="po_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="po_line_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(received_quantity__gte=0) & Q(billed_quantity__gte=0),
                name="po_line_progress_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_quantity__isnull=True) | Q(confirmed_quantity__gte=0),
                name="po_line_confirmed_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.sequence} {self.product_id} × {self.quantity}"

    @property
    def open_quantity(self) -> Decimal:
        rest: Decimal = self.quantity - self.received_quantity
        return rest if rest > 0 else Decimal(0)


class PurchaseOrderRevision(models.Model):
    """What changed when an approved order was revised, and who changed it."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=list)

    class Meta:
        ordering = ["order", "number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="po_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.order_id} rev {self.number}"


class PurchaseReceiptLine(models.Model):
    """A receipt move that received goods for an order line."""

    line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipts")
    move = models.OneToOneField(
        "inventory.StockMove", on_delete=models.PROTECT, related_name="purchase_line_link"
    )
    quantity = QuantityField()

    class Meta:
        ordering = ["line", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="po_receipt_quantity_positive")
        ]

    def __str__(self) -> str:
        return f"{self.line_id} ← move {self.move_id}"
