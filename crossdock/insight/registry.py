"""The KPI registry: every indicator defined once, with its formula, unit and dimensions.

Design overview
---------------
A KPI is a function decorated with :func:`kpi`. Its docstring is the formula
people read (the API lists it). It receives a :class:`Scope` — the date range,
the companies (and warehouses) in view, the dimension to slice by and filters —
and returns, per ``(company, dimension value)``, a :class:`Part`: a numerator
and a denominator, each an exact ``Decimal``. The registry turns them into the
value (``numerator / denominator × 100`` for a percentage, the plain quotient
for days, ratios and counts, the numerator alone for money), rounded once to four
places. Keeping both parts lets a trend re-aggregate days into weeks
(``Σ numerator / Σ denominator``) without averaging averages.

Every KPI is computed with a few aggregate queries over the documents; none
loops over documents issuing queries. :mod:`crossdock.insight.slicing` applies
the scope (companies, warehouses, filters) and the grouping the same way for
every KPI, from a map of dimension name → ORM path on the KPI's queryset.

Money KPIs are per company (in its own currency) and never summed across
companies; nor is any other KPI: results are always per company.
"""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

VALUE_PLACES = Decimal("0.0001")
PART_PLACES = Decimal("0.000001")
ZERO = Decimal(0)


class Unit(StrEnum):
    PERCENT = "percent"
    DAYS = "days"
    RATIO = "ratio"
    MONEY = "money"
    COUNT = "count"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


# Dimension name → what it is, in the distributor's words.
DIMENSIONS: dict[str, str] = {
    "company": "Company (legal entity)",
    "warehouse": "Warehouse",
    "region": "Warehouse region",
    "supplier": "Supplier",
    "customer_tier": "Customer tier (segment)",
    "category": "Product category",
    "family": "Product family (top-level category)",
}


@dataclass(frozen=True)
class Scope:
    """What to compute: the inclusive date range, who sees it, how to slice and filter it.

    ``company_ids``/``warehouse_ids`` of ``None`` mean no restriction. ``by`` is a
    dimension name (``None``: one figure per company). ``filters`` maps dimension
    names to one value each (ids as text for warehouses, suppliers and categories).
    """

    start: datetime.date
    end: datetime.date
    company_ids: frozenset[int] | None = None
    warehouse_ids: frozenset[int] | None = None
    by: str | None = None
    filters: dict[str, str] = field(default_factory=dict)
    today: datetime.date | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class Part:
    """The numerator and denominator of one figure (exact decimals)."""

    numerator: Decimal = ZERO
    denominator: Decimal = ZERO

    def add(self, numerator: Decimal, denominator: Decimal) -> None:
        self.numerator += numerator
        self.denominator += denominator


Key = tuple[int, str | None]  # (company id, dimension value or None for the company total)
Compute = Callable[[Scope], dict[Key, Part]]


@dataclass(frozen=True)
class Figure:
    """One computed value of a KPI for a company and (optionally) a dimension value."""

    company_id: int
    dimension_value: str | None
    value: Decimal | None
    numerator: Decimal
    denominator: Decimal | None


@dataclass(frozen=True)
class Kpi:
    """A KPI's definition; ``compute`` does the work, ``formula`` is its docstring."""

    code: str
    name: str
    unit: Unit
    direction: Direction
    dimensions: tuple[str, ...]
    requires: tuple[str, ...]
    compute: Compute
    formula: str
    point_in_time: bool = False
    snapshot_days: int = 1

    def figures(self, scope: Scope) -> list[Figure]:
        """The KPI's figures for ``scope``, ordered by company then dimension value."""
        parts = self.compute(scope)
        result = []
        for (company_id, value), part in sorted(
            parts.items(), key=lambda item: (item[0][0], item[0][1] or "")
        ):
            result.append(self.figure(company_id, value, part))
        return result

    def figure(self, company_id: int, dimension_value: str | None, part: Part) -> Figure:
        numerator = part.numerator.quantize(PART_PLACES, ROUND_HALF_UP)
        if self.unit == Unit.MONEY:
            return Figure(
                company_id,
                dimension_value,
                numerator.quantize(VALUE_PLACES, ROUND_HALF_UP),
                numerator,
                None,
            )
        denominator = part.denominator.quantize(PART_PLACES, ROUND_HALF_UP)
        value = None
        if denominator:
            factor = 100 if self.unit == Unit.PERCENT else 1
            value = (numerator * factor / denominator).quantize(VALUE_PLACES, ROUND_HALF_UP)
        return Figure(company_id, dimension_value, value, numerator, denominator)


KPIS: dict[str, Kpi] = {}


def kpi(
    code: str,
    name: str,
    *,
    unit: Unit,
    direction: Direction,
    dimensions: tuple[str, ...],
    requires: tuple[str, ...],
    point_in_time: bool = False,
    snapshot_days: int = 1,
) -> Callable[[Compute], Compute]:
    """Register the decorated function as the KPI ``code``; its docstring is the formula.

    ``requires`` names the models (``app.model``) whose ``view`` permission a user needs
    to see the KPI: the figures come from those documents. ``snapshot_days`` is the
    window a daily snapshot covers (the day itself, or a trailing window for stock
    ratios); ``point_in_time`` marks figures of the present (from current stock) that
    only the snapshot of today or yesterday can record.
    """

    def register(function: Compute) -> Compute:
        if code in KPIS:
            raise ValueError(f"KPI {code!r} is defined twice")
        unknown = set(dimensions) - set(DIMENSIONS)
        if unknown or "company" not in dimensions:
            raise ValueError(f"KPI {code!r}: dimensions must include company, not {unknown}")
        formula = inspect.cleandoc(function.__doc__ or "")
        if not formula:
            raise ValueError(f"KPI {code!r} needs a docstring giving its formula")
        KPIS[code] = Kpi(
            code=code,
            name=name,
            unit=unit,
            direction=direction,
            dimensions=dimensions,
            requires=requires,
            compute=function,
            formula=formula,
            point_in_time=point_in_time,
            snapshot_days=snapshot_days,
        )
        return function

    return register
