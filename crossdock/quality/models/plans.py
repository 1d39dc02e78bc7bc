"""Inspection plans: what to check on received goods, and how many units to sample.

A plan belongs to one company and applies to exactly one of: a product, a
product category (with all its sub-categories) or a supplier. When goods
arrive, the most specific active plan wins: a product plan beats a category
plan (the closest category wins), which beats a supplier plan.

Sampling says how many of the received units are examined: all of them, a
fixed number (never more than arrived) or a percentage, rounded up to the
product's unit (see :meth:`InspectionPlan.sample_size_for`). The verdict then
applies to the whole quantity received.

Checks are pass/fail ("packaging intact") or measured ("weight 500 g, 495 to
505"): a measured value passes when ``min_value <= value <= max_value``; the
limits themselves pass.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from crossdock.core.fields import FixedDecimalField, QuantityField
from crossdock.core.permissions import ScopedModel

MEASURE_SCALE = 6
HUNDRED = Decimal(100)


class Sampling(models.TextChoices):
    ALL = "all", "All units"
    FIXED = "fixed", "Fixed sample size"
    PERCENT = "percent", "Percentage of the units"


class CheckKind(models.TextChoices):
    PASS_FAIL = "pass_fail", "Pass / fail"
    MEASURED = "measured", "Measured"


_ONE_SCOPE = (
    (Q(product__isnull=False) & Q(category__isnull=True) & Q(supplier__isnull=True))
    | (Q(product__isnull=True) & Q(category__isnull=False) & Q(supplier__isnull=True))
    | (Q(product__isnull=True) & Q(category__isnull=True) & Q(supplier__isnull=False))
)


class InspectionPlan(ScopedModel):
    """What a company checks on goods of one product, category or supplier when they arrive."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    product = models.ForeignKey(
        "masterdata.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "masterdata.ProductCategory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    supplier = models.ForeignKey(
        "masterdata.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sampling = models.CharField(max_length=10, choices=Sampling.choices, default=Sampling.ALL)
    sample_size = QuantityField(null=True, blank=True, help_text="Units examined (fixed size).")
    sample_percent = FixedDecimalField(
        scale=4, null=True, blank=True, help_text="Share of the units examined, in %."
    )
    instructions = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["company", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_ONE_SCOPE,
                name="quality_plan_one_scope",
                violation_error_message="A plan applies to a product, a category or a supplier.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(sampling="all") & Q(sample_size__isnull=True) & Q(sample_percent__isnull=True)
                )
                | (Q(sampling="fixed") & Q(sample_size__gt=0) & Q(sample_percent__isnull=True))
                | (
                    Q(sampling="percent")
                    & Q(sample_size__isnull=True)
                    & Q(sample_percent__gt=0)
                    & Q(sample_percent__lte=100)
                ),
                name="quality_plan_sampling_consistent",
                violation_error_message="The sample size or percentage does not fit the sampling.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_label(self) -> str:
        if self.product_id:
            return f"Product {self.product}"
        if self.category_id:
            return f"Category {self.category}"
        return f"Supplier {self.supplier}"

    def clean(self) -> None:
        problems: dict[str, list[str]] = {}
        scopes = [self.product_id, self.category_id, self.supplier_id]
        if sum(1 for scope in scopes if scope) != 1:
            problems["product"] = ["Choose exactly one of a product, a category or a supplier."]
        if self.supplier_id and self.supplier and not self.supplier.is_supplier:
            problems["supplier"] = [f"{self.supplier.name} is not a supplier."]
        if (
            self.supplier_id
            and self.supplier
            and self.company_id
            and self.supplier.company_id != self.company_id
        ):
            problems["supplier"] = ["The supplier belongs to another company."]
        if self.sampling == Sampling.FIXED:
            if self.sample_size is None or self.sample_size <= 0:
                problems["sample_size"] = ["Give the number of units to examine (more than 0)."]
            if self.sample_percent is not None:
                problems["sample_percent"] = ["Leave empty for a fixed sample size."]
        elif self.sampling == Sampling.PERCENT:
            if self.sample_percent is None or not 0 < self.sample_percent <= HUNDRED:
                problems["sample_percent"] = ["Give a percentage above 0 and at most 100."]
            if self.sample_size is not None:
                problems["sample_size"] = ["Leave empty when sampling a percentage."]
        else:
            if self.sample_size is not None:
                problems["sample_size"] = ["Leave empty when every unit is examined."]
            if self.sample_percent is not None:
                problems["sample_percent"] = ["Leave empty when every unit is examined."]
        if problems:
            raise ValidationError(problems)

    def sample_size_for(self, quantity: Decimal, quantum: Decimal = Decimal(1)) -> Decimal:
        """How many of ``quantity`` received units to examine (rounded up to ``quantum``)."""
        if self.sampling == Sampling.FIXED and self.sample_size is not None:
            return min(self.sample_size, quantity)
        if self.sampling == Sampling.PERCENT and self.sample_percent is not None:
            share = (quantity * self.sample_percent / HUNDRED).quantize(
                quantum, rounding=ROUND_CEILING
            )
            return min(max(share, quantum), quantity)
        return quantity


class InspectionCheck(models.Model):
    """One check of a plan: pass/fail, or a measurement with a target and tolerance."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="checks")
    sequence = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=CheckKind.choices, default=CheckKind.PASS_FAIL)
    target = FixedDecimalField(scale=MEASURE_SCALE, null=True, blank=True)
    min_value = FixedDecimalField(scale=MEASURE_SCALE, null=True, blank=True)
    max_value = FixedDecimalField(scale=MEASURE_SCALE, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True, help_text="What the value is measured in.")

    class Meta:
        ordering = ["plan", "sequence", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="pass_fail")
                    & Q(target__isnull=True)
                    & Q(min_value__isnull=True)
                    & Q(max_value__isnull=True)
                )
                | (
                    Q(kind="measured")
                    & Q(min_value__lte=F("target"))
                    & Q(target__lte=F("max_value"))
                ),
                name="quality_check_tolerance_consistent",
                violation_error_message="A measured check needs min ≤ target ≤ max; "
                "a pass/fail check has none.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        problems: dict[str, list[str]] = {}
        if not self.name.strip():
            problems["name"] = ["Name the check."]
        if self.kind == CheckKind.MEASURED:
            for name in ("target", "min_value", "max_value"):
                if getattr(self, name) is None:
                    problems[name] = ["Required for a measured check."]
            if not problems:
                assert self.min_value is not None
                assert self.max_value is not None
                assert self.target is not None
                if self.min_value > self.target:
                    problems["min_value"] = ["The minimum cannot be above the target."]
                if self.max_value < self.target:
                    problems["max_value"] = ["The maximum cannot be below the target."]
        else:
            for name in ("target", "min_value", "max_value"):
                if getattr(self, name) is not None:
                    problems[name] = ["Only a measured check has a target and tolerance."]
        if problems:
            raise ValidationError(problems)

    def passes(self, value: Decimal) -> bool:
        """A measured value passes within the tolerance, the limits included."""
        assert self.min_value is not None
        assert self.max_value is not None
        return self.min_value <= value <= self.max_value
