"""Inspections of received goods, their results, and what was found wrong.

Design overview
---------------
An :class:`Inspection` is opened (``pending``) for each receipt move whose
product or supplier has an inspection plan; the received quantity waits in the
warehouse's quality-hold location, where it is never reserved or sold. When
the inspector records the results — one :class:`InspectionResult` per check
of the plan, and how much of the ``quantity`` is accepted and how much
rejected — the inspection is ``done``: ``accepted_quantity +
rejected_quantity = quantity`` (a database constraint, and ``crossdock
audit`` re-checks it).

Anything rejected gets a :class:`Nonconformance`: what is wrong and what
happens to the goods (its *disposition*): kept in quality hold, moved to the
damaged location, scrapped, or returned to the supplier with a vendor credit
note drafted at the receipt's unit cost.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from crossdock.core.fields import FixedDecimalField, QuantityField
from crossdock.core.permissions import ScopedModel
from crossdock.quality.models.plans import MEASURE_SCALE


class InspectionState(models.TextChoices):
    PENDING = "pending", "Waiting for inspection"
    DONE = "done", "Inspected"


class Disposition(models.TextChoices):
    HOLD = "hold", "Keep in quality hold"
    DAMAGED = "damaged", "Move to damaged"
    RETURN = "return", "Return to vendor"
    SCRAP = "scrap", "Scrap"


class Inspection(ScopedModel):
    """The inspection of one received move's goods, held in quality hold until it is done."""

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.PROTECT, related_name="+"
    )
    plan = models.ForeignKey(
        "quality.InspectionPlan", on_delete=models.PROTECT, related_name="inspections"
    )
    receipt = models.ForeignKey("inventory.Transfer", on_delete=models.PROTECT, related_name="+")
    receipt_move = models.OneToOneField(
        "inventory.StockMove", on_delete=models.PROTECT, related_name="inspection"
    )
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(
        "inventory.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    supplier = models.ForeignKey(
        "masterdata.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hold_location = models.ForeignKey(
        "masterdata.Location", on_delete=models.PROTECT, related_name="+"
    )
    stock_location = models.ForeignKey(
        "masterdata.Location",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where accepted goods go (where the receipt put them).",
    )
    quantity = QuantityField(help_text="Received and held for inspection.")
    sample_size = QuantityField(help_text="Units to examine, per the plan's sampling.")
    state = models.CharField(
        max_length=10, choices=InspectionState.choices, default=InspectionState.PENDING
    )
    accepted_quantity = QuantityField(null=True, blank=True)
    rejected_quantity = QuantityField(null=True, blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    inspected_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["company", "state"], name="quality_inspection_state_idx"),
            models.Index(fields=["supplier", "inspected_at"], name="quality_inspection_supp_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0)
                & Q(sample_size__gt=0)
                & Q(sample_size__lte=F("quantity")),
                name="quality_inspection_quantities",
            ),
            models.CheckConstraint(
                condition=(
                    Q(state="pending")
                    & Q(accepted_quantity__isnull=True)
                    & Q(rejected_quantity__isnull=True)
                )
                | (
                    Q(state="done")
                    & Q(accepted_quantity__gte=0)
                    & Q(rejected_quantity__gte=0)
                    & Q(quantity=F("accepted_quantity") + F("rejected_quantity"))
                ),
                name="quality_inspection_accepted_plus_rejected",
                violation_error_message="Accepted and rejected must add up to the quantity.",
            ),
        ]

    def __str__(self) -> str:
        return f"QC-{self.pk:06d}" if self.pk else "new inspection"

    @property
    def reference(self) -> str:
        return str(self)

    @property
    def is_pending(self) -> bool:
        return self.state == InspectionState.PENDING


class InspectionResult(models.Model):
    """The outcome of one check of an inspection (pass/fail, or the measured value)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results")
    plan_check = models.ForeignKey(
        "quality.InspectionCheck", on_delete=models.PROTECT, related_name="results"
    )
    passed = models.BooleanField()
    measured_value = FixedDecimalField(scale=MEASURE_SCALE, null=True, blank=True)

    class Meta:
        ordering = ["inspection", "plan_check__sequence", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "plan_check"], name="quality_result_once_per_check"
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}/{self.plan_check_id}: {'pass' if self.passed else 'fail'}"


class Nonconformance(ScopedModel):
    """What was wrong with rejected goods and what became of them (the disposition)."""

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.PROTECT, related_name="+"
    )
    inspection = models.OneToOneField(
        Inspection, on_delete=models.PROTECT, related_name="nonconformance"
    )
    description = models.TextField()
    disposition = models.CharField(max_length=10, choices=Disposition.choices)
    quantity = QuantityField(help_text="The rejected quantity.")
    disposition_transfer = models.ForeignKey(
        "inventory.Transfer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The damage or scrap transfer.",
    )
    return_transfer = models.ForeignKey(
        "inventory.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credit_note = models.ForeignKey(
        "accounting.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="quality_nonconformance_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(return_transfer__isnull=True) | Q(disposition="return"),
                name="quality_nonconformance_return_disposition",
            ),
        ]

    def __str__(self) -> str:
        return f"NC-{self.pk:06d}" if self.pk else "new nonconformance"

    @property
    def reference(self) -> str:
        return str(self)

    @property
    def can_return(self) -> bool:
        """Still in quality hold and not yet sent back."""
        return (
            self.disposition in (Disposition.HOLD, Disposition.RETURN)
            and self.return_transfer_id is None
        )
