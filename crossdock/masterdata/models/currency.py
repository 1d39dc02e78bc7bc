"""Currencies (ISO 4217) and dated exchange rates."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from crossdock.core.fields import RateField
from crossdock.core.permissions import ScopedModel

iso_4217 = RegexValidator(r"^[A-Z]{3}$", "Use the three-letter ISO 4217 code, e.g. EUR.")


class Currency(ScopedModel):
    """A currency; ``minor_units`` is how many decimals its amounts are rounded to."""

    company_path = None

    code = models.CharField(max_length=3, unique=True, validators=[iso_4217])
    numeric_code = models.CharField(max_length=3, blank=True)
    name = models.CharField(max_length=100)
    minor_units = models.PositiveSmallIntegerField(default=2)
    symbol = models.CharField(max_length=8, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "currencies"
        constraints = [
            models.CheckConstraint(
                condition=Q(minor_units__lte=4), name="currency_minor_units_at_most_4"
            )
        ]

    def __str__(self) -> str:
        return self.code

    def round(self, amount: Decimal) -> Decimal:
        """Round an amount to this currency's minor unit (banker's rounding)."""
        return amount.quantize(Decimal(1).scaleb(-self.minor_units), rounding=ROUND_HALF_EVEN)


class ExchangeRate(ScopedModel):
    """``1 currency = rate × quote_currency`` from ``valid_from`` until the next rate."""

    company_path = None

    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="rates")
    quote_currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    rate = RateField()

    class Meta:
        ordering = ["currency__code", "quote_currency__code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "quote_currency", "valid_from"],
                name="exchange_rate_one_per_day",
                violation_error_message="There is already a rate for this pair on this date.",
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(
                condition=~Q(currency=models.F("quote_currency")),
                name="exchange_rate_distinct_currencies",
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency_id} = {self.rate} {self.quote_currency_id} ({self.valid_from})"

    def clean(self) -> None:
        if self.rate is not None and self.rate <= 0:
            raise ValidationError({"rate": "The rate must be greater than zero."})
        if self.currency_id and self.currency_id == self.quote_currency_id:
            raise ValidationError({"quote_currency": "Choose a currency other than the base."})

    @staticmethod
    def rate_on(currency: Currency, quote: Currency, on: datetime.date) -> Decimal:
        """The rate in force on ``on``, using the inverse pair when only that is known."""
        if currency.pk == quote.pk:
            return Decimal(1)
        direct = (
            ExchangeRate.objects.filter(currency=currency, quote_currency=quote, valid_from__lte=on)
            .order_by("-valid_from")
            .first()
        )
        inverse = (
            ExchangeRate.objects.filter(currency=quote, quote_currency=currency, valid_from__lte=on)
            .order_by("-valid_from")
            .first()
        )
        if direct and (inverse is None or direct.valid_from >= inverse.valid_from):
            return direct.rate
        if inverse:
            return (Decimal(1) / inverse.rate).quantize(Decimal("1e-10"))
        raise LookupError(f"No exchange rate {currency.code}/{quote.code} on or before {on}.")
