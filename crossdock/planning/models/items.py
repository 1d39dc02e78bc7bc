"""One row per product × warehouse: its classification, forecast and computed reorder levels.

``PlanningItem`` is written in bulk by the replenishment run (classification, forecast,
safety stock, reorder point, order-up-to level); ``ReorderPolicy`` holds what a planner chose
for an item when it is not the default (automatic (s, S) at the class's service level);
``ForecastOverride`` records a planner's override of the forecast for a period.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from crossdock.core.fields import PERCENT_SCALE, FixedDecimalField, MoneyField, QuantityField
from crossdock.core.permissions import ScopedModel


class Lifecycle(models.TextChoices):
    NEW = "new", "New"
    ACTIVE = "active", "Active"
    DECLINING = "declining", "Declining"
    OBSOLETE = "obsolete", "Obsolete"


class PolicyMethod(models.TextChoices):
    MANUAL = "manual", "Manual min/max"
    REORDER_POINT = "s_S", "Reorder point (s, S) from the forecast"
    PERIODIC = "R_S", "Periodic review (R, S) from the forecast"
    SEASONAL = "seasonal", "Seasonal (s, S) from the forecast per period"


class PlanningItem(models.Model):
    """What planning knows about one product at one warehouse."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("masterdata.Product", on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.CASCADE, related_name="+"
    )
    # classification
    abc = models.CharField(max_length=1, blank=True)
    xyz = models.CharField(max_length=1, blank=True)
    pattern = models.CharField(max_length=12, blank=True)  # smooth/erratic/intermittent/lumpy
    lifecycle = models.CharField(max_length=10, choices=Lifecycle.choices, blank=True)
    adi = FixedDecimalField(scale=PERCENT_SCALE, null=True, blank=True)
    cv2 = FixedDecimalField(scale=PERCENT_SCALE, null=True, blank=True)
    annual_quantity = QuantityField(default=0)
    annual_value = MoneyField(default=0)
    first_demand_on = models.DateField(null=True, blank=True)
    last_demand_on = models.DateField(null=True, blank=True)
    classified_at = models.DateTimeField(null=True, blank=True)
    # forecast (per bucket of ``bucket_days``; ``forecast`` lists the buckets as decimal strings)
    forecast_model = models.CharField(max_length=20, blank=True)
    bucket_days = models.PositiveSmallIntegerField(default=7)
    forecast = models.JSONField(default=list, blank=True)
    forecast_sd = QuantityField(default=0, help_text="Standard deviation of one bucket's error.")
    daily_demand = QuantityField(default=0, help_text="Mean daily demand planned with.")
    mase = FixedDecimalField(scale=PERCENT_SCALE, null=True, blank=True)
    bias = FixedDecimalField(scale=PERCENT_SCALE, null=True, blank=True)
    history_end = models.DateField(null=True, blank=True)
    forecasted_at = models.DateTimeField(null=True, blank=True)
    # levels computed from the forecast and the policy
    lead_time_days = models.PositiveIntegerField(null=True, blank=True)
    service_level = FixedDecimalField(scale=PERCENT_SCALE, null=True, blank=True)
    safety_stock = QuantityField(default=0)
    reorder_point = QuantityField(default=0)
    order_up_to = QuantityField(default=0)
    levels_at = models.DateTimeField(null=True, blank=True)
    # the stock position and the verdict of the last run
    lead_time_sd_days = FixedDecimalField(scale=PERCENT_SCALE, null=True, blank=True)
    policy_method = models.CharField(max_length=10, choices=PolicyMethod.choices, blank=True)
    on_hand = QuantityField(default=0)
    open_supply = QuantityField(default=0)
    backordered = QuantityField(default=0)
    projected = QuantityField(
        default=0, help_text="On hand less reserved, plus open supply, less backorders."
    )
    needs_action = models.BooleanField(default=False)

    class Meta:
        ordering = ["warehouse", "product"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="planning_item_unique")
        ]
        indexes = [models.Index(fields=["company", "warehouse"], name="planning_item_company")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}"


class ServiceMeasure(models.TextChoices):
    CYCLE = "cycle", "Cycle service level"
    FILL_RATE = "fill_rate", "Fill rate"


class ReorderPolicy(ScopedModel):
    """A planner's policy for one product at one warehouse (no row = automatic (s, S))."""

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("masterdata.Product", on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.CASCADE, related_name="+"
    )
    method = models.CharField(
        max_length=10, choices=PolicyMethod.choices, default=PolicyMethod.REORDER_POINT
    )
    min_quantity = QuantityField(null=True, blank=True)
    max_quantity = QuantityField(null=True, blank=True)
    pack_multiple = QuantityField(null=True, blank=True)
    max_capacity = QuantityField(null=True, blank=True)
    review_period_days = models.PositiveIntegerField(null=True, blank=True)
    service_level = FixedDecimalField(scale=PERCENT_SCALE, null=True, blank=True)
    service_measure = models.CharField(max_length=10, choices=ServiceMeasure.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "reorder policies"
        ordering = ["warehouse", "product"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="reorder_policy_unique"),
            models.CheckConstraint(
                condition=Q(min_quantity__isnull=True)
                | Q(max_quantity__isnull=True)
                | Q(min_quantity__lte=F("max_quantity")),
                name="reorder_policy_min_not_above_max",
            ),
            models.CheckConstraint(
                condition=Q(service_level__isnull=True)
                | (Q(service_level__gt=0) & Q(service_level__lt=100)),
                name="reorder_policy_service_level_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} for {self.product_id}@{self.warehouse_id}"


class ForecastOverride(ScopedModel):
    """A planner's override of the forecast: a daily rate (or a change in percent) for a period."""

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("masterdata.Product", on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.CASCADE, related_name="+"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    daily_quantity = QuantityField(null=True, blank=True)
    change_percent = FixedDecimalField(scale=PERCENT_SCALE, null=True, blank=True)
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="forecast_override_period"
            ),
            models.CheckConstraint(
                condition=(Q(daily_quantity__isnull=True) & Q(change_percent__isnull=False))
                | (Q(daily_quantity__isnull=False) & Q(change_percent__isnull=True)),
                name="forecast_override_one_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"Override {self.product_id}@{self.warehouse_id} {self.starts_on}–{self.ends_on}"
