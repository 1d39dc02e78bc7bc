"""Daily KPI snapshots: the figures trends are drawn from."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from crossdock.core.fields import FixedDecimalField
from crossdock.core.permissions import ScopedModel


class KpiSnapshot(ScopedModel):
    """One KPI's figure for one day and company, in total or for one dimension value.

    ``dimension`` and ``dimension_value`` are blank for the company's total; else
    ``dimension`` names the slice (``warehouse``, ``supplier``, …) and
    ``dimension_value`` its value (an id as text, a region or a tier; blank for rows
    without one, such as ledger lines without a product). ``value`` is
    ``numerator ÷ denominator`` (× 100 for percentages), exact to four places, null when
    the denominator is zero; money KPIs have no denominator. Rows of a day are replaced
    together by :func:`crossdock.insight.services.snapshots.take_snapshot`.
    """

    company = models.ForeignKey("masterdata.Company", on_delete=models.CASCADE, related_name="+")
    kpi = models.CharField(max_length=60)
    day = models.DateField()
    window_start = models.DateField(help_text="First day the figure covers.")
    dimension = models.CharField(max_length=30, blank=True)
    dimension_value = models.CharField(max_length=200, blank=True)
    value = FixedDecimalField(scale=4, null=True, blank=True)
    numerator = FixedDecimalField(scale=6)
    denominator = FixedDecimalField(scale=6, null=True, blank=True)
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["kpi", "day", "company", "dimension", "dimension_value"]
        indexes = [
            models.Index(
                fields=["kpi", "company", "dimension", "day"], name="kpi_snapshot_trend_idx"
            ),
            models.Index(fields=["day"], name="kpi_snapshot_day_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "day", "company", "dimension", "dimension_value"],
                name="kpi_snapshot_unique",
                violation_error_message="This KPI already has a figure for that day and slice.",
            ),
            models.CheckConstraint(
                condition=~Q(dimension="") | Q(dimension_value=""),
                name="kpi_snapshot_total_without_value",
            ),
            models.CheckConstraint(
                condition=Q(window_start__lte=models.F("day")),
                name="kpi_snapshot_window_before_day",
            ),
        ]

    def __str__(self) -> str:
        slice_ = f" {self.dimension}={self.dimension_value}" if self.dimension else ""
        return f"{self.kpi} {self.day} company {self.company_id}{slice_}: {self.value}"
