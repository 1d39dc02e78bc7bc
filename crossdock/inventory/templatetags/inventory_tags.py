"""Presentation of quantities and money on the warehouse screens (exact, never via float)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from django import template

register = template.Library()
CENT = Decimal("0.01")


@register.filter
def qty(value: object) -> str:
    """``Decimal("5.000000")`` → ``5``; ``Decimal("0.250000")`` → ``0.25``."""
    if not isinstance(value, Decimal):
        return "" if value is None else str(value)
    return f"{value.normalize():f}" if value else "0"


@register.filter
def money(value: object) -> str:
    """Rounded to the cent for reading, with thousands separators (exports stay exact)."""
    if not isinstance(value, Decimal):
        return "" if value is None else str(value)
    return f"{value.quantize(CENT, rounding=ROUND_HALF_EVEN):,}"


@register.filter
def state_class(state: str) -> str:
    return {
        "done": "badge-create",
        "assigned": "badge-update",
        "cancelled": "badge-delete",
    }.get(state, "")


@register.filter
def minus(value: Decimal, other: Decimal) -> Decimal:
    return value - other
