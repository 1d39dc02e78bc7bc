"""Units of measure in categories, with exact conversion (UNECE Recommendation 20 codes)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from crossdock.core.fields import RateField
from crossdock.core.permissions import ScopedModel


class UnitCategory(ScopedModel):
    """Units that convert into each other (count, mass, volume, length, time)."""

    company_path = None

    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "unit categories"

    def __str__(self) -> str:
        return self.name


class Unit(ScopedModel):
    """A unit of measure.

    ``factor`` is how many of the category's reference unit one of this unit
    holds (piece = 1, dozen = 12, gram = 0.001 where kilogram is the reference).
    ``decimal_places`` is the finest quantity the unit allows; conversions
    round to the target unit's places in :meth:`convert`, the one place where
    quantities are rounded.
    """

    company_path = None

    code = models.CharField(max_length=3, unique=True, help_text="UNECE Rec 20 code, e.g. C62, KGM")
    name = models.CharField(max_length=60)
    category = models.ForeignKey(UnitCategory, on_delete=models.PROTECT, related_name="units")
    factor = RateField(help_text="Reference units in one of this unit")
    decimal_places = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category__name", "factor"]
        constraints = [
            models.CheckConstraint(condition=Q(factor__gt=0), name="unit_factor_positive"),
            models.CheckConstraint(
                condition=Q(decimal_places__lte=6), name="unit_decimal_places_at_most_6"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        if self.factor is not None and self.factor <= 0:
            raise ValidationError({"factor": "The factor must be greater than zero."})
        if self.decimal_places is not None and self.decimal_places > 6:
            raise ValidationError({"decimal_places": "At most 6 decimal places."})

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.decimal_places)

    def check_quantity(self, quantity: Decimal, field: str = "quantity") -> Decimal:
        """Refuse a quantity finer than this unit allows."""
        if quantity != quantity.quantize(self.quantum, rounding=ROUND_HALF_UP):
            raise ValidationError(
                {field: f"{self.code} allows at most {self.decimal_places} decimal places."}
            )
        return quantity

    def convert(self, quantity: Decimal, to: Unit, *, exact: bool = False) -> Decimal:
        """Convert ``quantity`` of this unit into ``to``, rounded to ``to``'s places.

        With ``exact=True`` a conversion that would need rounding raises instead.
        """
        if self.category_id != to.category_id:
            raise ValidationError(f"Cannot convert {self.code} to {to.code}: different categories.")
        raw = quantity * self.factor / to.factor
        rounded = raw.quantize(to.quantum, rounding=ROUND_HALF_UP)
        if exact and rounded != raw:
            raise ValidationError(
                f"{quantity} {self.code} is not a whole number of {to.code} "
                f"(to {to.decimal_places} decimal places)."
            )
        return rounded
