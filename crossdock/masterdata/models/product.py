"""Products and their category tree, with GTIN barcodes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from crossdock.core.fields import MoneyField, QuantityField
from crossdock.core.permissions import ScopedModel
from crossdock.core.trees import parent_path, would_create_cycle
from crossdock.masterdata.gtin import gtin_problem


class ProductCategory(ScopedModel):
    """A node of the group-wide product category tree (``path`` like ``Food/Dairy``)."""

    company_path = None

    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(
        max_length=500,
        unique=True,
        editable=False,
        error_messages={"unique": "A category with this name already exists under this parent."},
    )

    class Meta:
        ordering = ["path"]
        verbose_name_plural = "product categories"

    def __str__(self) -> str:
        return self.path

    def clean(self) -> None:
        if "/" in (self.name or ""):
            raise ValidationError({"name": "A category name cannot contain '/'."})
        if would_create_cycle(self):
            raise ValidationError({"parent": "A category cannot be inside itself."})
        above = parent_path(ProductCategory, self.parent_id)
        self.path = self.name if above is None else f"{above}/{self.name}"


class Tracking(models.TextChoices):
    NONE = "none", "Not tracked"
    LOT = "lot", "By lot"
    SERIAL = "serial", "By serial number"


class CostingMethod(models.TextChoices):
    FIFO = "fifo", "FIFO"
    AVERAGE = "average", "Average cost"
    STANDARD = "standard", "Standard cost"


class ProductStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    OBSOLETE = "obsolete", "Obsolete"


class Product(ScopedModel):
    """A stock-keeping unit of the group's item master.

    Quantities are kept in ``base_unit``; purchase and sales units must be of
    the same unit category so conversions are exact. Stock, cost and prices per
    company come from later domains; ``standard_cost`` and ``list_price`` are
    reference figures in ``currency``.
    """

    company_path = None

    sku = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.ForeignKey(ProductCategory, on_delete=models.PROTECT, related_name="products")
    base_unit = models.ForeignKey("masterdata.Unit", on_delete=models.PROTECT, related_name="+")
    purchase_unit = models.ForeignKey("masterdata.Unit", on_delete=models.PROTECT, related_name="+")
    sales_unit = models.ForeignKey("masterdata.Unit", on_delete=models.PROTECT, related_name="+")
    weight_kg = QuantityField(null=True, blank=True)
    volume_m3 = QuantityField(null=True, blank=True)
    tracking = models.CharField(max_length=10, choices=Tracking.choices, default=Tracking.NONE)
    shelf_life_days = models.PositiveIntegerField(null=True, blank=True)
    costing_method = models.CharField(
        max_length=10, choices=CostingMethod.choices, default=CostingMethod.AVERAGE
    )
    currency = models.ForeignKey("masterdata.Currency", on_delete=models.PROTECT, related_name="+")
    standard_cost = MoneyField(default=0)
    list_price = MoneyField(default=0)
    status = models.CharField(
        max_length=10, choices=ProductStatus.choices, default=ProductStatus.ACTIVE
    )

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(
                condition=Q(standard_cost__gte=0), name="product_standard_cost_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(list_price__gte=0), name="product_list_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gte=0),
                name="product_weight_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(volume_m3__isnull=True) | Q(volume_m3__gte=0),
                name="product_volume_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["name"], name="product_name_idx")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        base = self.base_unit if self.base_unit_id else None
        for field in ("purchase_unit", "sales_unit"):
            unit = getattr(self, field) if getattr(self, f"{field}_id") else None
            if base and unit and unit.category_id != base.category_id:
                errors[field] = (
                    f"{unit.code} is not convertible to the base unit {base.code} "
                    "(different unit category)."
                )
        for field in ("standard_cost", "list_price", "weight_kg", "volume_m3"):
            value = getattr(self, field)
            if value is not None and value < 0:
                errors[field] = "Cannot be negative."
        if self.tracking == Tracking.SERIAL and base and base.decimal_places:
            errors["tracking"] = "Serial-tracked products need a whole-number base unit."
        if errors:
            raise ValidationError(errors)


class ProductBarcode(models.Model):
    """A GTIN (8, 12, 13 or 14 digits with a valid check digit) for a product or its pack."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="barcodes")
    gtin = models.CharField(max_length=14, unique=True)
    unit = models.ForeignKey("masterdata.Unit", on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField(default=1)

    class Meta:
        ordering = ["gtin"]

    def __str__(self) -> str:
        return self.gtin

    def clean(self) -> None:
        problem = gtin_problem(self.gtin or "")
        if problem:
            raise ValidationError({"gtin": problem})
