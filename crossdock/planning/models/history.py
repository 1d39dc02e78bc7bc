"""Demand history: what customers asked of each warehouse, day by day."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from crossdock.core.fields import QuantityField
from crossdock.core.permissions import ScopedModel


class DemandSource(models.TextChoices):
    DELIVERIES = "deliveries", "Customer deliveries and sales orders"
    IMPORT = "import", "Imported history"


class DemandDay(models.Model):
    """Demand for one product at one warehouse on one day (rows exist only for days with demand).

    ``quantity`` is the demand the forecasts learn from: what was shipped plus what was asked
    for and lost. ``backordered`` is what was still owed at the end of the day (it ships later
    and is counted when it does); ``lost`` is demand cancelled unserved. Days flagged as outliers
    or inside a promotion are kept but planned around.
    """

    # No single-column index on the keys: (company, day), (warehouse, day) and the unique
    # (product, warehouse, day) lead with them and serve their lookups and cascades; three
    # more B-trees would only slow the daily history writes and the bulk loads.
    company = models.ForeignKey(
        "masterdata.Company", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    product = models.ForeignKey(
        "masterdata.Product", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    quantity = QuantityField(default=0)
    shipped = QuantityField(default=0)
    backordered = QuantityField(default=0)
    lost = QuantityField(default=0)
    source = models.CharField(
        max_length=12, choices=DemandSource.choices, default=DemandSource.DELIVERIES
    )
    is_outlier = models.BooleanField(default=False)
    is_promotion = models.BooleanField(default=False)

    class Meta:
        ordering = ["product", "warehouse", "day"]
        indexes = [
            models.Index(fields=["company", "day"], name="demand_day_company_day"),
            models.Index(fields=["warehouse", "day"], name="demand_day_warehouse_day"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse", "day"], name="demand_day_unique"
            ),
            models.CheckConstraint(
                condition=Q(shipped__gte=0) & Q(backordered__gte=0) & Q(lost__gte=0),
                name="demand_day_parts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(quantity=F("shipped") + F("lost")),
                name="demand_day_is_shipped_plus_lost",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id} {self.day}: {self.quantity}"


class Promotion(ScopedModel):
    """A period of promoted sales: its demand is flagged and not taken as the normal rate."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    product = models.ForeignKey(
        "masterdata.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "masterdata.ProductCategory",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="promotion_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name
