"""The dashboard filters, read from the query string so that every view is a link.

``?company=&warehouse=&period=30d|90d|365d|ytd&start=&end=&supplier=&customer_tier=&family=``.
The company is one of the user's (default: their current company, else the first):
figures are per company and never added across companies, as in the KPI registry. A
warehouse must belong to that company and be one the user works in; a supplier must be
a partner in the user's scope; a family is a top-level product category. Anything else
is refused with the field named (:class:`FilterError`), never a 500.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.utils.http import urlencode

from crossdock.core.permissions import access_of
from crossdock.insight.registry import Kpi, Scope
from crossdock.insight.selectors import MAX_RANGE_DAYS
from crossdock.masterdata.models import Company, Partner, ProductCategory, Warehouse
from crossdock.masterdata.models.partner import CustomerTier
from crossdock.web.workspace import workspace_for

PRESETS = {
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "365d": "Last 365 days",
    "ytd": "Year to date",
}
PRESET_DAYS = {"30d": 30, "90d": 90, "365d": 365}
DEFAULT_PRESET = "30d"
# Filter name → the KPI dimension it restricts.
KPI_FILTERS = ("supplier", "customer_tier", "family")


class FilterError(Exception):
    """Bad filter values: field name → the reason."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class DashboardFilters:
    """What a dashboard shows: one company, a period, and optional slices."""

    company: Company
    companies: tuple[Company, ...]
    start: datetime.date
    end: datetime.date
    preset: str
    today: datetime.date
    warehouse: Warehouse | None = None
    warehouse_ids: frozenset[int] | None = None  # the user's warehouses, when bound to some
    supplier: Partner | None = None
    customer_tier: str = ""
    family: ProductCategory | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> DashboardFilters:
        """The same filters over the period of the same length just before this one."""
        end = self.start - datetime.timedelta(days=1)
        return replace(self, start=end - datetime.timedelta(days=self.days - 1), end=end)

    def params(self, **changes: Any) -> dict[str, str]:
        """The query parameters of these filters (``changes`` override; ``None`` drops one)."""
        values: dict[str, Any] = {"company": self.company.pk}
        if self.preset:
            values["period"] = self.preset
        else:
            values["start"] = self.start.isoformat()
            values["end"] = self.end.isoformat()
        if self.warehouse is not None:
            values["warehouse"] = self.warehouse.pk
        if self.supplier is not None:
            values["supplier"] = self.supplier.pk
        if self.customer_tier:
            values["customer_tier"] = self.customer_tier
        if self.family is not None:
            values["family"] = self.family.pk
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v is not None and v != ""}

    def query(self, **changes: Any) -> str:
        return urlencode(self.params(**changes))

    def range_params(self, start: datetime.date, end: datetime.date, **changes: Any) -> str:
        """The query string of these filters over an explicit range (a trend bucket)."""
        return self.query(period=None, start=start.isoformat(), end=end.isoformat(), **changes)

    def kpi_filters(self, kpi: Kpi) -> tuple[dict[str, str], list[str]]:
        """The registry filters that apply to ``kpi``, and the names of those that do not."""
        chosen = {
            "supplier": str(self.supplier.pk) if self.supplier else "",
            "customer_tier": self.customer_tier,
            "family": str(self.family.pk) if self.family else "",
        }
        applied = {n: v for n, v in chosen.items() if v and n in kpi.dimensions}
        ignored = [n for n, v in chosen.items() if v and n not in kpi.dimensions]
        if self.warehouse is not None and "warehouse" not in kpi.dimensions:
            ignored.insert(0, "warehouse")
        return applied, ignored

    def scope(self, kpi: Kpi, *, by: str | None = None) -> Scope:
        """The registry scope of ``kpi`` under these filters (only those it supports)."""
        applied, _ = self.kpi_filters(kpi)
        warehouses = self.warehouse_ids
        if self.warehouse is not None and "warehouse" in kpi.dimensions:
            warehouses = frozenset({self.warehouse.pk})
        return Scope(
            start=self.start,
            end=self.end,
            company_ids=frozenset({self.company.pk}),
            warehouse_ids=warehouses,
            by=by,
            filters=applied,
            today=self.today,
        )


def _id(params: QueryDict, name: str, problems: dict[str, str]) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18 and int(raw) > 0):
        problems[name] = "Give an id (a positive whole number)."
        return None
    return int(raw)


def _date(params: QueryDict, name: str, problems: dict[str, str]) -> datetime.date | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        problems[name] = "Give a date as YYYY-MM-DD."
        return None


def _period(
    params: QueryDict, today: datetime.date, problems: dict[str, str]
) -> tuple[datetime.date, datetime.date, str]:
    start, end = _date(params, "start", problems), _date(params, "end", problems)
    preset = params.get("period", "").strip()
    if preset and preset not in PRESETS:
        problems["period"] = f"One of {', '.join(PRESETS)}."
        preset = ""
    if start is None and end is None and not problems.get("start") and not problems.get("end"):
        preset = preset or DEFAULT_PRESET
    if preset:
        if preset == "ytd":
            return today.replace(month=1, day=1), today, preset
        return today - datetime.timedelta(days=PRESET_DAYS[preset] - 1), today, preset
    end = end or today
    start = start or end - datetime.timedelta(days=29)
    if start > end:
        problems["start"] = f"Must be on or before the end ({end})."
    elif (end - start).days + 1 > MAX_RANGE_DAYS:
        problems["start"] = f"The period is at most {MAX_RANGE_DAYS} days."
    return start, end, ""


def _company(user: Any, chosen: int | None, problems: dict[str, str]) -> tuple[Company, ...]:
    companies = tuple(Company.objects.in_scope_of(user).order_by("code"))
    if not companies:
        raise PermissionDenied("You do not work in any company, so there are no figures to show.")
    if chosen is not None and all(c.pk != chosen for c in companies):
        problems["company"] = f"No company with id {chosen} among yours."
    return companies


def read_filters(user: Any, params: QueryDict, today: datetime.date) -> DashboardFilters:
    """The filters of the query string, checked against what ``user`` may see."""
    problems: dict[str, str] = {}
    chosen = _id(params, "company", problems)
    companies = _company(user, chosen, problems)
    current = workspace_for(user).current
    by_pk = {c.pk: c for c in companies}
    company = by_pk.get(chosen or 0) or (current and by_pk.get(current.pk)) or companies[0]
    start, end, preset = _period(params, today, problems)
    access = access_of(user)
    warehouse = None
    warehouse_id = _id(params, "warehouse", problems)
    if warehouse_id is not None:
        warehouse = (
            Warehouse.objects.in_scope_of(user).filter(pk=warehouse_id, company=company).first()
        )
        if warehouse is None:
            problems["warehouse"] = f"No warehouse with id {warehouse_id} in {company.code}."
    supplier = None
    supplier_id = _id(params, "supplier", problems)
    if supplier_id is not None:
        suppliers = Partner.objects.in_scope_of(user).filter(is_supplier=True)
        supplier = suppliers.filter(pk=supplier_id).first()
        if supplier is None:
            problems["supplier"] = f"No supplier with id {supplier_id}."
    tier = params.get("customer_tier", "").strip()
    if tier and tier not in CustomerTier.values:
        problems["customer_tier"] = f"One of {', '.join(CustomerTier.values)}."
    family = None
    family_id = _id(params, "family", problems)
    if family_id is not None:
        family = ProductCategory.objects.filter(pk=family_id).exclude(path__contains="/").first()
        if family is None:
            problems["family"] = f"No top-level product category with id {family_id}."
    if problems:
        raise FilterError(problems)
    return DashboardFilters(
        company=company,
        companies=companies,
        start=start,
        end=end,
        preset=preset,
        today=today,
        warehouse=warehouse,
        warehouse_ids=access.warehouse_ids,
        supplier=supplier,
        customer_tier=tier,
        family=family,
    )


def filter_options(user: Any, filters: DashboardFilters) -> dict[str, list[tuple[str, str]]]:
    """The choices of each filter control (only what the user may see), a few queries."""
    warehouses = Warehouse.objects.in_scope_of(user).filter(company=filters.company)
    families = ProductCategory.objects.exclude(path__contains="/").order_by("path")
    return {
        "company": [(str(c.pk), f"{c.code} {c.name}") for c in filters.companies],
        "period": list(PRESETS.items()),
        "warehouse": [
            (str(pk), f"{code} {name}")
            for pk, code, name in warehouses.order_by("code").values_list("pk", "code", "name")
        ],
        "supplier": [
            (str(pk), f"{code} {name}")
            for pk, code, name in Partner.objects.in_scope_of(user)
            .filter(is_supplier=True)
            .order_by("code")
            .values_list("pk", "code", "name")[:500]
        ],
        "customer_tier": [(str(v), str(label)) for v, label in CustomerTier.choices],
        "family": [(str(pk), path) for pk, path in families.values_list("pk", "path")[:200]],
    }
