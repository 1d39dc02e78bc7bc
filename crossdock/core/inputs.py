"""Reading user input exactly: decimals with a bounded number of places, and refusals
that name the field."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from crossdock.core.errors import DomainError


def refuse(field: str, message: str, error: type[DomainError] = DomainError) -> DomainError:
    return error(f"{field}: {message}", fields={field: [message]})


def exact(
    value: Any,
    places: int,
    where: str,
    problems: dict[str, list[str]],
    *,
    positive: bool = False,
) -> Decimal | None:
    """Read an exact, finite, non-negative (or positive) decimal; note a problem otherwise."""
    if value is None or isinstance(value, float | bool):
        problems[where] = ['Give an exact decimal (a string such as "12.50").']
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        problems[where] = [f"{value!r} is not a number."]
        return None
    if not number.is_finite():
        problems[where] = ["Not a number."]
    elif positive and number <= 0:
        problems[where] = ["Must be more than zero."]
    elif number < 0:
        problems[where] = ["Cannot be negative."]
    elif -number.as_tuple().exponent > places:  # type: ignore[operator]
        problems[where] = [f"At most {places} decimal places."]
    else:
        return number
    return None
