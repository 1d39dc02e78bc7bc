"""Valuation layers: the cost of every quantity entering or leaving a company's stock."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from crossdock.core.fields import PRICE_SCALE, FixedDecimalField, MoneyField, QuantityField


class ValuationLayer(models.Model):
    """One valuation event of a product in a company.

    Incoming layers have a positive quantity and, under FIFO, keep
    ``remaining_quantity``/``remaining_value`` that outgoing layers consume.
    Outgoing layers are negative. Stock value at any date is the sum of
    ``value`` of the layers up to that date.
    """

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    move = models.ForeignKey(
        "inventory.StockMove",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="layers",
    )
    recorded_at = models.DateTimeField()
    quantity = QuantityField()
    unit_cost = FixedDecimalField(scale=PRICE_SCALE)
    value = MoneyField()
    remaining_quantity = QuantityField(default=0)
    remaining_value = MoneyField(default=0)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [
            models.Index(fields=["company", "product", "recorded_at"], name="layer_product_idx"),
            # Stock value at an instant (Σ value recorded before it) reads the index alone.
            models.Index(fields=["company", "recorded_at", "value"], name="layer_date_value_idx"),
            # FIFO consumption reads only layers with stock left: keep that set small to find.
            models.Index(
                fields=["product", "company", "recorded_at"],
                condition=Q(remaining_quantity__gt=0),
                name="layer_open_fifo_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining_quantity__gte=0), name="layer_remaining_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} @ {self.unit_cost} = {self.value}"


class CostPool(models.Model):
    """Running quantity and value of a product in a company under average costing.

    Locked when stock enters or leaves, so the average used for an issue is
    the one in force at that instant; the last unit out takes the exact
    remaining value, so rounding never leaves value without quantity.
    """

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField(default=0)
    value = MoneyField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "product"], name="cost_pool_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.quantity} worth {self.value}"
