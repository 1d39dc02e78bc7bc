"""A company's sales policies: how orders are sourced, invoiced and held for credit."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from crossdock.core.fields import FixedDecimalField
from crossdock.core.permissions import ScopedModel


class SourcingPolicy(models.TextChoices):
    NEAREST = "nearest", "Nearest warehouse with stock"
    CENTRAL = "central", "Central warehouse first"
    SPLIT = "split", "Split across warehouses"


class InvoicePolicy(models.TextChoices):
    PER_DELIVERY = "delivery", "One invoice per delivery"
    PER_ORDER = "order", "One invoice per order, once shipped"


class SalesSettings(ScopedModel):
    """Sales policies of one company (defaults apply until saved)."""

    company = models.OneToOneField(
        "masterdata.Company", on_delete=models.CASCADE, related_name="sales_settings"
    )
    sourcing_policy = models.CharField(
        max_length=10, choices=SourcingPolicy.choices, default=SourcingPolicy.NEAREST
    )
    invoice_policy = models.CharField(
        max_length=10, choices=InvoicePolicy.choices, default=InvoicePolicy.PER_DELIVERY
    )
    overdue_hold_days = models.PositiveIntegerField(
        default=30, help_text="An invoice overdue by more than this holds the customer's orders."
    )
    max_discount_percent = FixedDecimalField(
        scale=4,
        default=Decimal(10),
        help_text="A larger discount needs approval (unless the category sets its own limit).",
    )

    class Meta:
        verbose_name_plural = "sales settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(max_discount_percent__gte=0) & Q(max_discount_percent__lte=100),
                name="sales_discount_limit_range",
            )
        ]

    def __str__(self) -> str:
        return f"Sales settings of {self.company_id}"


class MarginFloor(ScopedModel):
    """The lowest gross margin (and largest discount) a category may be sold at without approval."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        "masterdata.ProductCategory", on_delete=models.CASCADE, related_name="+"
    )
    min_margin_percent = FixedDecimalField(scale=4, default=Decimal(0))
    max_discount_percent = FixedDecimalField(scale=4, null=True, blank=True)

    class Meta:
        ordering = ["company", "category"]
        constraints = [
            models.UniqueConstraint(fields=["company", "category"], name="margin_floor_unique"),
            models.CheckConstraint(
                condition=Q(min_margin_percent__lt=100), name="margin_floor_below_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category_id}: ≥ {self.min_margin_percent} %"
