"""Fiscal years and their periods."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from crossdock.core.permissions import ScopedModel


class PeriodState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class FiscalYear(ScopedModel):
    """A company's accounting year, split into periods."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=20)
    starts_on = models.DateField()
    ends_on = models.DateField()
    state = models.CharField(max_length=10, choices=PeriodState.choices, default=PeriodState.OPEN)

    class Meta:
        ordering = ["company", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["company", "starts_on"], name="fiscal_year_unique"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="fiscal_year_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Period(ScopedModel):
    """A month (or other span) of a fiscal year; posting into a closed period is refused."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="periods")
    name = models.CharField(max_length=20)
    starts_on = models.DateField()
    ends_on = models.DateField()
    state = models.CharField(max_length=10, choices=PeriodState.choices, default=PeriodState.OPEN)

    class Meta:
        ordering = ["company", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["company", "starts_on"], name="period_unique"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="period_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name
