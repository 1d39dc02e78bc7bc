"""Reading KPIs for a user: which KPIs they may see, current figures, trends, labels.

A user sees a KPI when one of their roles may view KPI snapshots *and* view every
model the KPI is computed from (its ``requires``): finance figures for finance
roles, stock value for those who see valuation layers. Figures are computed or
read only for the user's companies; a user bound to some warehouses sees only
KPIs that can be sliced by warehouse, computed for those warehouses.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from crossdock.core.errors import DomainError, NotFoundError, PermissionDeniedError
from crossdock.core.permissions import access_of, has_model_permission
from crossdock.insight.models import KpiSnapshot
from crossdock.insight.registry import DIMENSIONS, KPIS, Figure, Kpi, Scope
from crossdock.masterdata.models import Company, Partner, ProductCategory, Warehouse
from crossdock.masterdata.models.partner import CustomerTier

MAX_RANGE_DAYS = 731
ID_DIMENSIONS = frozenset({"warehouse", "supplier", "category", "family", "company"})


def may_see(user: Any, kpi: Kpi) -> bool:
    if not has_model_permission(user, KpiSnapshot, "view"):
        return False
    if access_of(user).warehouse_ids is not None and "warehouse" not in kpi.dimensions:
        return False
    return all(user.has_perm("{}.view_{}".format(*label.split("."))) for label in kpi.requires)


def visible_kpis(user: Any) -> list[Kpi]:
    return [kpi for code, kpi in sorted(KPIS.items()) if may_see(user, kpi)]


def kpi_for(user: Any, code: str) -> Kpi:
    """The KPI ``code`` if the user may see it: 404 when unknown, 403 when not for them."""
    kpi = KPIS.get(code)
    if kpi is None:
        raise NotFoundError(f"No KPI {code!r}; GET /api/v1/kpis lists them.")
    if not may_see(user, kpi):
        needs = ", ".join(kpi.requires)
        raise PermissionDeniedError(
            f"Your roles do not let you see {kpi.name} (it is computed from {needs})."
        )
    return kpi


@dataclass(frozen=True)
class Query:
    """A request for figures: range, company, slice and filters, as the user sent them."""

    start: datetime.date | None = None
    end: datetime.date | None = None
    company: int | None = None
    by: str | None = None
    filters: dict[str, str] = field(default_factory=dict)


def _range(query: Query, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    end = query.end or today
    start = query.start or end - datetime.timedelta(days=29)
    if start > end:
        raise DomainError.of_fields({"start": [f"Must be on or before the end ({end})."]})
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise DomainError.of_fields({"start": [f"The range is at most {MAX_RANGE_DAYS} days."]})
    return start, end


def _check_dimensions(kpi: Kpi, query: Query) -> None:
    problems: dict[str, list[str]] = {}
    allowed = ", ".join(kpi.dimensions)
    if query.by is not None and (query.by not in kpi.dimensions or query.by == "company"):
        slices = ", ".join(d for d in kpi.dimensions if d != "company") or "none"
        problems["by"] = [f"{kpi.name} is sliced by one of: {slices}."]
    for name, value in query.filters.items():
        if name not in kpi.dimensions:
            problems[name] = [f"{kpi.name} cannot be filtered by {name}; it has {allowed}."]
        elif name in ID_DIMENSIONS and not (value.isascii() and value.isdigit() and value != "0"):
            problems[name] = ["Give an id (a positive whole number)."]
        elif name == "customer_tier" and value not in CustomerTier.values:
            problems[name] = [f"One of {', '.join(CustomerTier.values)}."]
    if problems:
        raise DomainError.of_fields(problems)


def _companies(user: Any, company: int | None) -> frozenset[int]:
    visible = Company.objects.in_scope_of(user)
    if company is not None:
        visible = visible.filter(pk=company)
        if not visible.exists():
            raise DomainError.of_fields({"company": [f"No company with id {company}."]})
    return frozenset(visible.values_list("pk", flat=True))


def current_figures(
    user: Any, kpi: Kpi, query: Query, today: datetime.date
) -> tuple[Scope, list[Figure]]:
    """The KPI computed now over the query's range, for the user's companies (and warehouses)."""
    _check_dimensions(kpi, query)
    start, end = _range(query, today)
    scope = Scope(
        start=start,
        end=end,
        company_ids=_companies(user, query.company),
        warehouse_ids=access_of(user).warehouse_ids,
        by=query.by,
        filters=dict(query.filters),
        today=today,
    )
    return scope, kpi.figures(scope)


def trend(user: Any, kpi: Kpi, query: Query, today: datetime.date) -> QuerySet[KpiSnapshot]:
    """The KPI's daily snapshots in the range: company totals, or one dimension's slices."""
    if query.filters:
        name = next(iter(query.filters))
        raise DomainError.of_fields({name: ["Trends are sliced with by and value, not filters."]})
    _check_dimensions(kpi, Query(by=query.by))
    start, end = _range(query, today)
    rows = KpiSnapshot.objects.restrict(user, "view").filter(
        kpi=kpi.code, day__gte=start, day__lte=end, dimension=query.by or ""
    )
    if query.company is not None:
        rows = rows.filter(company_id__in=_companies(user, query.company))
    warehouses = access_of(user).warehouse_ids
    if warehouses is not None:
        if query.by != "warehouse":
            raise DomainError.of_fields(
                {"by": ["You work in some warehouses only: slice by warehouse."]}
            )
        rows = rows.filter(dimension_value__in=[str(pk) for pk in warehouses])
    return rows


def labels(dimension: str | None, values: set[str]) -> dict[str, str]:
    """A readable label per dimension value (codes and names for ids), one query at most."""
    if dimension is None or not values:
        return {}
    ids = [int(v) for v in values if v.isdigit()]
    if dimension == "warehouse":
        return {str(pk): f"{code} {name}" for pk, code, name in
                Warehouse.objects.filter(pk__in=ids).values_list("pk", "code", "name")}  # fmt: skip
    if dimension == "supplier":
        return {str(pk): f"{code} {name}" for pk, code, name in
                Partner.objects.filter(pk__in=ids).values_list("pk", "code", "name")}  # fmt: skip
    if dimension in ("category", "family"):
        return {
            str(pk): path
            for pk, path in ProductCategory.objects.filter(pk__in=ids).values_list("pk", "path")
        }
    if dimension == "customer_tier":
        names = dict(CustomerTier.choices)
        return {v: str(names.get(v, v or "(no tier)")) for v in values}
    return {v: v or "(none)" for v in values}


def dimension_label(name: str) -> str:
    return DIMENSIONS[name]
