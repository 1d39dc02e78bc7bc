"""Sourcing: requisitions, requests for quotation (RFQs) and the suppliers' quotes.

A :class:`PurchaseRequisition` is someone's internal request for goods into
one warehouse by a date. Its life::

    draft → submitted → approved → ordered   (converted into purchase orders)
                                 → rfq       (sent out for quotation; ordered on award)
    submitted --rejected--> draft (with the approver's comment)
    draft/submitted/approved → cancelled

A :class:`RequestForQuotation` asks several suppliers to quote for its lines::

    draft → sent (e-mailed to each supplier) → closed (awarded: purchase orders written)
    draft/sent → cancelled

A :class:`SupplierQuote` is one supplier's answer for one RFQ line (unit
price, currency, lead time, MOQ, validity, an estimated landed-cost
percentage). Awarding picks one quote per line; the line keeps the winning
quote and the purchase order written from it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from crossdock.core.fields import FixedDecimalField, MoneyField, PriceField, QuantityField
from crossdock.core.permissions import ScopedModel


class RequisitionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Waiting for approval"
    APPROVED = "approved", "Approved"
    ORDERED = "ordered", "Ordered"
    RFQ = "rfq", "Out for quotation"
    CANCELLED = "cancelled", "Cancelled"


class RfqState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent to suppliers"
    CLOSED = "closed", "Closed (awarded)"
    CANCELLED = "cancelled", "Cancelled"


class PurchaseRequisition(ScopedModel):
    """An internal request for goods into one warehouse by a date, approved before buying."""

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=40, unique=True)
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.PROTECT, related_name="requisitions"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    needed_by = models.DateField()
    state = models.CharField(
        max_length=12, choices=RequisitionState.choices, default=RequisitionState.DRAFT
    )
    estimated_amount = MoneyField(
        default=0,
        help_text="Catalogue price (else standard cost) of the lines, in company currency.",
    )
    note = models.CharField(max_length=200, blank=True)
    rejection_comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["company", "state", "needed_by"], name="requisition_state_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(estimated_amount__gte=0), name="requisition_amount_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.reference


class PurchaseRequisitionLine(models.Model):
    """One product on a requisition, and the purchase order that bought it."""

    requisition = models.ForeignKey(
        PurchaseRequisition, on_delete=models.CASCADE, related_name="lines"
    )
    sequence = models.PositiveIntegerField(default=0)
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField()
    note = models.CharField(max_length=200, blank=True)
    purchase_order = models.ForeignKey(
        "purchasing.PurchaseOrder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["requisition", "sequence", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="requisition_line_quantity_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.requisition_id}#{self.sequence} {self.product_id} × {self.quantity}"

    def clean(self) -> None:
        if self.quantity is not None and self.quantity <= 0:
            raise ValidationError({"quantity": "Must be more than zero."})


class RequestForQuotation(ScopedModel):
    """A request to several suppliers to quote for products delivered into one warehouse."""

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=40, unique=True)
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.PROTECT, related_name="rfqs"
    )
    requisition = models.ForeignKey(
        PurchaseRequisition,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rfqs",
    )
    suppliers = models.ManyToManyField("masterdata.Partner", related_name="rfqs")
    state = models.CharField(max_length=12, choices=RfqState.choices, default=RfqState.DRAFT)
    needed_by = models.DateField()
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "request for quotation"
        verbose_name_plural = "requests for quotation"
        indexes = [models.Index(fields=["company", "state"], name="rfq_state_idx")]

    def __str__(self) -> str:
        return self.reference


class RfqLine(models.Model):
    """One product asked for on an RFQ; after the award, the winning quote and its order."""

    rfq = models.ForeignKey(RequestForQuotation, on_delete=models.CASCADE, related_name="lines")
    sequence = models.PositiveIntegerField(default=0)
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField()
    needed_by = models.DateField()
    awarded_quote = models.OneToOneField(
        "purchasing.SupplierQuote",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="awarded_line",
    )
    purchase_order = models.ForeignKey(
        "purchasing.PurchaseOrder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["rfq", "sequence", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="rfq_line_quantity_positive")
        ]

    def __str__(self) -> str:
        return f"{self.rfq_id}#{self.sequence} {self.product_id} × {self.quantity}"


class SupplierQuote(models.Model):
    """One supplier's quote for one RFQ line (a new quote from it replaces the old one)."""

    line = models.ForeignKey(RfqLine, on_delete=models.CASCADE, related_name="quotes")
    supplier = models.ForeignKey("masterdata.Partner", on_delete=models.PROTECT, related_name="+")
    unit_price = PriceField()
    currency = models.ForeignKey("masterdata.Currency", on_delete=models.PROTECT, related_name="+")
    lead_time_days = models.PositiveIntegerField()
    minimum_quantity = QuantityField(default=0, help_text="The supplier's MOQ for this quote.")
    valid_until = models.DateField(null=True, blank=True)
    estimated_landed_cost_percent = FixedDecimalField(
        scale=4,
        default=Decimal(0),
        help_text="Freight, duty and handling on top of the price, in % (0 when unknown).",
    )
    note = models.CharField(max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["line", "supplier", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["line", "supplier"],
                name="supplier_quote_unique",
                violation_error_message="This supplier already quoted for this line.",
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="supplier_quote_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(minimum_quantity__gte=0), name="supplier_quote_moq_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(estimated_landed_cost_percent__gte=0),
                name="supplier_quote_landed_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}/{self.supplier_id}: {self.unit_price}"

    def clean(self) -> None:
        if self.unit_price is not None and self.unit_price < 0:
            raise ValidationError({"unit_price": "Cannot be negative."})
