"""Cycle counts: count sheets and their lines.

Design overview
---------------
A :class:`CountSheet` says what to count in one warehouse: the stock in some
locations (each with everything below it) or the products of one ABC class.
Starting it snapshots the expected quantity of every product × location × lot
in scope from the quants into :class:`CountLine` s; counters then record what
they find (a product found that is not on the sheet adds a line). Submitting
compares each count with the snapshot plus the stock moved in or out of that
location since the start (so counting while the warehouse works is not
wrong), and books the differences as one stock adjustment through the
approvals engine. A *blind* sheet never shows the expected quantities to
anyone until it is submitted.

States: draft → counting → submitted → done, or cancelled. A sheet with no
difference is done at submit; one with differences is done when its
adjustment is processed (at once below the approval threshold, else once
approved).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from crossdock.core.fields import QuantityField
from crossdock.core.permissions import ScopedModel


class CountState(models.TextChoices):
    DRAFT = "draft", "Draft"
    COUNTING = "counting", "Counting"
    SUBMITTED = "submitted", "Submitted"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class CountScope(models.TextChoices):
    LOCATIONS = "locations", "Locations"
    ABC_CLASS = "abc", "ABC class"


class AbcClass(models.TextChoices):
    A = "A", "A (top 80% of stock value)"
    B = "B", "B (next 15%)"
    C = "C", "C (the rest)"


STARTED_STATES = (CountState.COUNTING, CountState.SUBMITTED, CountState.DONE)


class CountSheet(ScopedModel):
    """A cycle count of one warehouse: by location(s) or by ABC class, optionally blind."""

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.PROTECT, related_name="count_sheets"
    )
    reference = models.CharField(max_length=40, unique=True)
    state = models.CharField(max_length=10, choices=CountState.choices, default=CountState.DRAFT)
    scope = models.CharField(max_length=10, choices=CountScope.choices)
    locations = models.ManyToManyField(
        "masterdata.Location",
        blank=True,
        related_name="+",
        help_text="By location: these locations and everything below them.",
    )
    abc_class = models.CharField(max_length=1, choices=AbcClass.choices, blank=True)
    blind = models.BooleanField(
        default=False, help_text="Counters do not see the expected quantities."
    )
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    adjustment = models.ForeignKey(
        "inventory.Transfer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The stock adjustment booking the differences.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["warehouse", "state"], name="count_sheet_list_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="abc", abc_class__in=["A", "B", "C"])
                | Q(scope="locations", abc_class=""),
                name="count_sheet_abc_class_with_abc_scope",
                violation_error_message="Choose an ABC class exactly when counting by ABC class.",
            ),
            models.CheckConstraint(
                condition=Q(started_at__isnull=False)
                | ~Q(state__in=[s.value for s in STARTED_STATES]),
                name="count_sheet_started_has_start",
                violation_error_message="A started count needs its start time.",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def shows_expected(self) -> bool:
        """Whether expected quantities and differences may be shown (blind: after submit)."""
        return not self.blind or self.state in (CountState.SUBMITTED, CountState.DONE)


class CountLine(models.Model):
    """One product × location × lot of a count sheet: expected at the start, and counted."""

    sheet = models.ForeignKey(CountSheet, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("masterdata.Location", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(
        "inventory.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expected = QuantityField(default=0, help_text="On hand when the count started.")
    counted = QuantityField(null=True, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    counted_at = models.DateTimeField(null=True, blank=True)
    added = models.BooleanField(default=False, help_text="Found by a counter, not on the sheet.")
    moved = QuantityField(
        null=True, blank=True, help_text="Net stock moved in since the start (at submit)."
    )
    difference = QuantityField(
        null=True, blank=True, help_text="Counted minus expected plus moved (at submit)."
    )

    class Meta:
        ordering = ["location__path", "product__sku", "lot__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sheet", "product", "location", "lot"],
                condition=Q(lot__isnull=False),
                name="count_line_unique_with_lot",
                violation_error_message="This product, location and lot is already on the sheet.",
            ),
            models.UniqueConstraint(
                fields=["sheet", "product", "location"],
                condition=Q(lot__isnull=True),
                name="count_line_unique_without_lot",
                violation_error_message="This product and location is already on the sheet.",
            ),
            models.CheckConstraint(
                condition=Q(counted__isnull=True) | Q(counted__gte=0),
                name="count_line_counted_not_negative",
                violation_error_message="A counted quantity cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(counted__isnull=True) | Q(counted_at__isnull=False),
                name="count_line_counted_has_time",
                violation_error_message="A count needs its time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.counted} counted"
