"""``{{ quantity|plain }}``: a decimal without trailing zeros and never in exponent form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def plain(value: Any) -> str:
    """``Decimal("10.000000")`` → ``10``, ``Decimal("2.500")`` → ``2.5`` (not ``1E+1``)."""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return "" if value is None else str(value)
