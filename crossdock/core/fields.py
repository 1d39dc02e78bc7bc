"""Exact decimal fields stored as scaled integers.

Design overview
---------------
SQLite has no exact decimal type: Django's ``DecimalField`` is stored there
with NUMERIC affinity, which silently becomes a binary float as soon as a value
has a fraction, so ``SUM()`` over money drifts. Crossdock therefore stores every
money amount, quantity and rate as a 64-bit integer count of its smallest unit
(``value * 10**scale``) and converts at the boundary: Python code only ever sees
``Decimal``. Integer ``SUM()`` is exact on SQLite and on PostgreSQL (where a
``bigint`` sum is a ``numeric``), so any aggregate the database computes is exact.

Arithmetic in the database must scale its operands too: use :func:`shifted`
(``F(field) + amount``) rather than combining ``F()`` with a raw ``Decimal``.

A value with more fractional digits than the field's scale is rejected, never
rounded silently: rounding belongs to :mod:`crossdock.core.money` and the unit
of measure rules.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core import checks, exceptions
from django.db import models

MONEY_SCALE = 4
PRICE_SCALE = 6
QUANTITY_SCALE = 6
RATE_SCALE = 10
PERCENT_SCALE = 4

INT64_MAX = 2**63 - 1


class FixedDecimalField(models.BigIntegerField):
    """A ``Decimal`` with a fixed number of fractional digits, stored as an integer."""

    description = "Exact decimal stored as a scaled integer"
    # Tell django-stubs what the attribute holds in Python (a Decimal, not an int).
    _pyi_private_set_type: Decimal | int | str  # type: ignore[assignment]
    _pyi_private_get_type: Decimal  # type: ignore[assignment]

    def __init__(self, *args: Any, scale: int = MONEY_SCALE, **kwargs: Any) -> None:
        self.scale = scale
        self.factor = 10**scale
        self.quantum = Decimal(1).scaleb(-scale)
        super().__init__(*args, **kwargs)

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if not 0 <= self.scale <= 12:
            errors.append(checks.Error("scale must be between 0 and 12", obj=self))
        return errors

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["scale"] = self.scale
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "BigIntegerField"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        return self._from_stored(value)

    def _from_stored(self, value: Any) -> Decimal:
        # Aggregates may come back as int, Decimal (PostgreSQL numeric) or str.
        return (Decimal(value) / self.factor).quantize(self.quantum)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or value == "":
            return None
        if isinstance(value, float):
            raise exceptions.ValidationError(
                "Floats are not accepted for exact amounts; use a decimal string.",
                code="invalid",
            )
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        except (InvalidOperation, ValueError) as exc:
            raise exceptions.ValidationError(
                "“%(value)s” is not a decimal number.", code="invalid", params={"value": value}
            ) from exc
        if not number.is_finite():
            raise exceptions.ValidationError("The number must be finite.", code="invalid")
        if number != number.quantize(self.quantum, rounding="ROUND_DOWN"):
            raise exceptions.ValidationError(
                "At most %(scale)s decimal places are allowed.",
                code="max_decimal_places",
                params={"scale": self.scale},
            )
        return number.quantize(self.quantum)

    def get_prep_value(self, value: Any) -> int | None:
        if value is None:
            return None
        if hasattr(value, "resolve_expression"):
            return value
        number = self.to_python(value)
        assert number is not None
        stored = int(number * self.factor)
        if abs(stored) > INT64_MAX:
            raise exceptions.ValidationError("The number is too large.", code="overflow")
        return stored

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        return value

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs: Any) -> Any:
        defaults: dict[str, Any] = {
            "form_class": forms.DecimalField,
            "decimal_places": self.scale,
            "max_digits": 18,
        }
        defaults.update(kwargs)
        # Skip IntegerField.formfield, which would add integer bounds.
        return models.Field.formfield(self, **defaults)

    @property
    def validators(self) -> list[Any]:
        # BigIntegerField's range validators compare against the raw integer bounds.
        return list(self._validators)  # type: ignore[attr-defined]


class MoneyField(FixedDecimalField):
    """An amount of money (4 decimal places; currency rounding is applied by services)."""

    def __init__(self, *args: Any, scale: int = MONEY_SCALE, **kwargs: Any) -> None:
        super().__init__(*args, scale=scale, **kwargs)


class PriceField(FixedDecimalField):
    """A unit price (6 decimal places, so per-piece prices of cheap items stay exact)."""

    def __init__(self, *args: Any, scale: int = PRICE_SCALE, **kwargs: Any) -> None:
        super().__init__(*args, scale=scale, **kwargs)


class QuantityField(FixedDecimalField):
    """A quantity in a unit of measure (6 decimal places; units round further)."""

    def __init__(self, *args: Any, scale: int = QUANTITY_SCALE, **kwargs: Any) -> None:
        super().__init__(*args, scale=scale, **kwargs)


class RateField(FixedDecimalField):
    """An exchange rate or conversion factor (10 decimal places)."""

    def __init__(self, *args: Any, scale: int = RATE_SCALE, **kwargs: Any) -> None:
        super().__init__(*args, scale=scale, **kwargs)


def shifted(model: type[models.Model], field_name: str, amount: Decimal) -> Any:
    """``F(field) + amount`` for a fixed-point field, with ``amount`` scaled like the column.

    Never combine ``F()`` with a raw ``Decimal`` on these fields: the database
    would add the unscaled number. This builds the expression correctly.
    """
    field = model._meta.get_field(field_name)
    assert isinstance(field, FixedDecimalField)
    stored = field.get_prep_value(amount)
    return models.F(field_name) + models.Value(stored, output_field=models.BigIntegerField())
