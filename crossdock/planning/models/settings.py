"""A company's planning parameters and the transfer lanes between its warehouses."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from crossdock.core.fields import PERCENT_SCALE, FixedDecimalField
from crossdock.core.permissions import ScopedModel


class PlanningSettings(ScopedModel):
    """How one company plans replenishment (defaults apply until saved).

    Service levels are per ABC class: the share of replenishment cycles without a stockout
    (cycle service level) or the share of demand served from stock (fill rate), per
    ``service_measure``. ``excess_cover_months`` and ``dead_stock_days`` set when stock is
    reported as excess or dead; ``bias_limit_percent`` when a forecast's backtest bias is
    reported.
    """

    company = models.OneToOneField(
        "masterdata.Company", on_delete=models.CASCADE, related_name="planning_settings"
    )
    review_period_days = models.PositiveIntegerField(default=7)
    history_days = models.PositiveIntegerField(default=730)
    horizon_weeks = models.PositiveIntegerField(default=26)
    service_measure = models.CharField(
        max_length=10,
        choices=[("cycle", "Cycle service level"), ("fill_rate", "Fill rate")],
        default="cycle",
    )
    service_level_a = FixedDecimalField(scale=PERCENT_SCALE, default=Decimal(98))
    service_level_b = FixedDecimalField(scale=PERCENT_SCALE, default=Decimal(95))
    service_level_c = FixedDecimalField(scale=PERCENT_SCALE, default=Decimal(90))
    excess_cover_months = models.PositiveIntegerField(default=6)
    dead_stock_days = models.PositiveIntegerField(default=180)
    bias_limit_percent = FixedDecimalField(scale=PERCENT_SCALE, default=Decimal(30))
    outlier_limit = FixedDecimalField(
        scale=PERCENT_SCALE,
        default=Decimal(5),
        help_text="Demand above median + this many median absolute deviations is an outlier.",
    )

    class Meta:
        verbose_name_plural = "planning settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(service_level_a__gt=0)
                & Q(service_level_a__lt=100)
                & Q(service_level_b__gt=0)
                & Q(service_level_b__lt=100)
                & Q(service_level_c__gt=0)
                & Q(service_level_c__lt=100),
                name="planning_service_levels_open_range",
            )
        ]

    def __str__(self) -> str:
        return f"Planning settings of {self.company_id}"


class TransferLane(ScopedModel):
    """Goods can move from one warehouse to another in ``lead_time_days`` (replenishment lane)."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.CASCADE, related_name="+")
    from_warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.CASCADE, related_name="lanes_out"
    )
    to_warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.CASCADE, related_name="lanes_in"
    )
    lead_time_days = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["from_warehouse", "to_warehouse"]
        constraints = [
            models.UniqueConstraint(fields=["from_warehouse", "to_warehouse"], name="lane_unique"),
            models.CheckConstraint(
                condition=~Q(from_warehouse=F("to_warehouse")), name="lane_between_two_warehouses"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_warehouse_id} → {self.to_warehouse_id} ({self.lead_time_days} d)"
