"""The supplier catalogue: what each supplier sells us, in which packs, at which prices.

A :class:`SupplierProduct` is one supplier's offer of one product to one
company: the supplier's own SKU, the currency, the minimum order quantity
(MOQ), the order multiple (pack size: orders are whole packs), the lead time,
the validity window, the contract it is agreed under (an entry with a
contract reference is *on contract*) and a preference rank among the
product's suppliers (1 first). Its :class:`SupplierPriceBreak` rows give the
unit price from a minimum quantity on.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from crossdock.core.fields import FixedDecimalField, MoneyField, PriceField, QuantityField
from crossdock.core.permissions import ScopedModel


class SupplierProduct(ScopedModel):
    """One supplier's catalogue entry for one product, in one company."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(
        "masterdata.Partner", on_delete=models.PROTECT, related_name="catalogue"
    )
    product = models.ForeignKey(
        "masterdata.Product", on_delete=models.PROTECT, related_name="supplier_offers"
    )
    supplier_sku = models.CharField(max_length=60, blank=True)
    currency = models.ForeignKey("masterdata.Currency", on_delete=models.PROTECT, related_name="+")
    minimum_quantity = QuantityField(default=0, help_text="Minimum order quantity (MOQ).")
    order_multiple = QuantityField(default=1, help_text="Orders are whole multiples of this.")
    lead_time_days = models.PositiveIntegerField(default=7)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    contract_reference = models.CharField(
        max_length=60, blank=True, help_text="The contract this price is agreed under."
    )
    preference = models.PositiveSmallIntegerField(default=1, help_text="1 is preferred first.")
    estimated_landed_cost_percent = FixedDecimalField(
        scale=4,
        default=Decimal(0),
        help_text="Freight, duty and handling expected on top of the price, in % (for margins).",
    )
    free_freight_value = MoneyField(
        null=True,
        blank=True,
        help_text="Order value (in this entry's currency) from which the supplier ships free.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["company", "product", "preference", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "supplier", "product"],
                name="supplier_product_unique",
                violation_error_message="This supplier already has an entry for this product.",
            ),
            models.CheckConstraint(
                condition=Q(minimum_quantity__gte=0), name="supplier_product_moq_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(order_multiple__gt=0), name="supplier_product_multiple_positive"
            ),
            models.CheckConstraint(
                condition=Q(free_freight_value__isnull=True) | Q(free_freight_value__gt=0),
                name="supplier_product_free_freight_positive",
            ),
            models.CheckConstraint(
                condition=Q(estimated_landed_cost_percent__gte=0),
                name="supplier_product_landed_estimate_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=F("valid_from")),
                name="supplier_product_dates_in_order",
                violation_error_message="valid_to must be on or after valid_from.",
            ),
        ]
        indexes = [models.Index(fields=["company", "product"], name="supplier_product_lookup")]

    def __str__(self) -> str:
        return f"{self.supplier_id}/{self.supplier_sku or self.product_id}"

    @property
    def on_contract(self) -> bool:
        return bool(self.contract_reference)

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "Must be on or after valid_from."})
        if self.order_multiple is not None and self.order_multiple <= 0:
            raise ValidationError({"order_multiple": "Must be more than zero."})


class SupplierPriceBreak(models.Model):
    """The unit price of a catalogue entry from ``min_quantity`` on."""

    offer = models.ForeignKey(SupplierProduct, on_delete=models.CASCADE, related_name="breaks")
    min_quantity = QuantityField(default=0)
    unit_price = PriceField()

    class Meta:
        ordering = ["offer", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "min_quantity"],
                name="supplier_break_unique",
                violation_error_message="This entry already has a price for that quantity.",
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="supplier_break_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(min_quantity__gte=0), name="supplier_break_min_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"≥{self.min_quantity}: {self.unit_price}"
