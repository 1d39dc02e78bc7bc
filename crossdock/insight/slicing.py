"""Scope, filter and group a KPI's queryset the same way for every KPI.

A KPI describes how each dimension is reached from its queryset with a map
``{"company": "order__company_id", "warehouse": "order__warehouse_id", ...}``.
:func:`scoped` keeps the companies and warehouses in view and applies the
filters; :func:`grouped` adds ``GROUP BY company, dimension`` and the
aggregates; :func:`keyed_rows` fetches plain rows with their key for the few
figures (day differences) the database cannot compute alike on SQLite and
PostgreSQL. A product *family* is the top-level category: rows are grouped by
category and folded into families in Python (a few hundred categories at most).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from crossdock.insight.registry import Key, Part, Scope
from crossdock.masterdata.models import ProductCategory

Paths = dict[str, str]


def midnight(day: datetime.date) -> datetime.datetime:
    """The instant a day begins in the current time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def on_days(path: str, start: datetime.date | None, end: datetime.date | None) -> Q:
    """Rows whose instant ``path`` falls on the days ``start``..``end`` (either may be open).

    The same rows as ``path__date__gte=start, path__date__lte=end`` (days in the current
    time zone), written as a range of instants: the database compares the column (and can
    use an index) instead of converting every row's instant to a date — a Python function
    call per row on SQLite, the cost of most KPIs over millions of rows.
    """
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{path}__gte": midnight(start)})
    if end is not None:
        condition &= Q(**{f"{path}__lt": midnight(end + datetime.timedelta(days=1))})
    return condition


def by_day(
    path: str, start: datetime.date, end: datetime.date, condition: Callable[[datetime.date], Q]
) -> Q:
    """Rows whose instant ``path`` falls on a day ``d`` of ``start``..``end`` meeting
    ``condition(d)`` — e.g. received on or before the promised date, where ``condition`` is
    ``lambda d: Q(promised__gte=d)``.

    The same rows as comparing ``path__date`` with another column, without converting
    every row's instant to a date: the days are split in halves at midnight bounds
    (a balanced tree of ``path < midnight`` tests, about 2·log₂(days) comparisons per
    row) down to one day, where ``condition`` applies. Rows are expected to be within
    the days already (:func:`on_days`); those before or after count as the first or last.
    """
    if start >= end:
        return condition(start)
    middle = start + datetime.timedelta(days=(end - start).days // 2)
    bound = midnight(middle + datetime.timedelta(days=1))
    earlier = Q(**{f"{path}__lt": bound}) & by_day(path, start, middle, condition)
    later = Q(**{f"{path}__gte": bound}) & by_day(
        path, middle + datetime.timedelta(days=1), end, condition
    )
    return earlier | later


def _families() -> dict[int, int]:
    """Category id → id of its top-level category."""
    rows = list(ProductCategory.objects.values_list("pk", "path"))
    top = {path: pk for pk, path in rows if "/" not in path}
    return {pk: top.get(path.split("/", 1)[0], pk) for pk, path in rows}


def _within(category_id: int) -> list[int]:
    """The category and every category below it."""
    path = ProductCategory.objects.filter(pk=category_id).values_list("path", flat=True).first()
    if path is None:
        return []
    below = ProductCategory.objects.filter(path__startswith=f"{path}/")
    return [*below.values_list("pk", flat=True), category_id]


def _dimension_path(paths: Paths, name: str) -> str:
    if name in ("family", "category"):
        return paths["category"]
    return paths[name]


def scoped(queryset: QuerySet[Any], scope: Scope, paths: Paths) -> QuerySet[Any]:
    """The rows of the companies and warehouses in view that pass the scope's filters."""
    if scope.company_ids is not None:
        queryset = queryset.filter(**{f"{paths['company']}__in": scope.company_ids})
    if scope.warehouse_ids is not None:
        if "warehouse" not in paths:
            return queryset.none()
        queryset = queryset.filter(**{f"{paths['warehouse']}__in": scope.warehouse_ids})
    for name, value in scope.filters.items():
        if name not in paths and not (name == "family" and "category" in paths):
            return queryset.none()
        path = _dimension_path(paths, name)
        if name in ("family", "category"):
            queryset = queryset.filter(**{f"{path}__in": _within(int(value))})
        elif name == "company":
            queryset = queryset.filter(**{path: int(value)})
        else:
            queryset = queryset.filter(**{path: value})
    return queryset


def _key_path(scope: Scope, paths: Paths) -> str | None:
    if scope.by is None:
        return None
    return _dimension_path(paths, scope.by)


def _folder(scope: Scope) -> Any:
    """Dimension value → its text; a row without one (a line with no product) gets ``""``."""
    if scope.by != "family":
        return lambda value: "" if value is None else str(value)
    families = _families()
    return lambda value: "" if value is None else str(families.get(value, value))


def grouped(
    queryset: QuerySet[Any],
    scope: Scope,
    paths: Paths,
    per: tuple[str, ...] = (),
    **aggregates: Any,
) -> Iterator[tuple[Key, dict[str, Any]]]:
    """One aggregate row per (company, dimension value) — and per ``per`` fields, if any.

    Family rows arrive per category: the caller adds them up (:func:`ratio`, :func:`single`).
    """
    rows = scoped(queryset, scope, paths)
    key_path = _key_path(scope, paths)
    names: dict[str, Any] = {"_company": F(paths["company"])}
    if key_path is not None:
        names["_key"] = F(key_path)
    fold = _folder(scope)
    for row in rows.order_by().values(*per, **names).annotate(**aggregates):
        key = (row.pop("_company"), fold(row.pop("_key", None)) if key_path else None)
        yield key, row


def keyed_rows(
    queryset: QuerySet[Any], scope: Scope, paths: Paths, **fields: Any
) -> Iterator[tuple[Key, dict[str, Any]]]:
    """Plain rows with their (company, dimension value) key; ``fields`` name → expression."""
    rows = scoped(queryset, scope, paths)
    key_path = _key_path(scope, paths)
    names: dict[str, Any] = {"_company": F(paths["company"]), **fields}
    if key_path is not None:
        names["_key"] = F(key_path)
    fold = _folder(scope)
    for row in rows.order_by().values(**names).iterator(chunk_size=5000):
        key = (row.pop("_company"), fold(row.pop("_key", None)) if key_path else None)
        yield key, row


def ratio(
    numerators: Iterator[tuple[Key, dict[str, Any]]],
    denominators: Iterator[tuple[Key, dict[str, Any]]],
    numerator: str = "n",
    denominator: str = "d",
) -> dict[Key, Part]:
    """Add up two aggregate streams into parts (family rows fold here)."""
    parts: dict[Key, Part] = defaultdict(Part)
    for key, row in numerators:
        parts[key].add(Decimal(row[numerator] or 0), Decimal(0))
    for key, row in denominators:
        parts[key].add(Decimal(0), Decimal(row[denominator] or 0))
    return dict(parts)


def single(rows: Iterator[tuple[Key, dict[str, Any]]]) -> dict[Key, Part]:
    """Parts from one aggregate stream with columns ``n`` and ``d``."""
    parts: dict[Key, Part] = defaultdict(Part)
    for key, row in rows:
        parts[key].add(Decimal(row["n"] or 0), Decimal(row["d"] or 0))
    return dict(parts)
