"""KPI endpoints: the definitions with their formulas, a KPI's figures now, its trend.

Thin like the other routers: the role decides which KPIs a user sees (403 for a KPI
computed from documents their roles may not read), figures are computed or read for
the user's companies only, bad parameters are a 422 naming the parameter. Reads only:
the nightly snapshot is written by the worker (``crossdock kpi-snapshot``).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from crossdock.api.errors import Problem
from crossdock.api.http import json_response
from crossdock.api.pagination import paginate
from crossdock.api.queries import refuse_unknown_params, require_permission
from crossdock.api.schemas import QueryId, Text
from crossdock.core.errors import DomainError
from crossdock.insight import selectors
from crossdock.insight.models import KpiSnapshot
from crossdock.insight.registry import DIMENSIONS, Figure, Kpi, Unit
from crossdock.masterdata.models.partner import CustomerTier

router = Router(tags=["KPIs"])
ERRORS = frozenset({400, 401, 403, 404, 422})

if TYPE_CHECKING:
    DimensionName = str
    SliceName = str
    UnitName = str
    TierName = str
else:
    DimensionName = Literal[tuple(DIMENSIONS)]
    SliceName = Literal[tuple(d for d in DIMENSIONS if d != "company")]
    UnitName = Literal[tuple(u.value for u in Unit)]
    TierName = Literal[tuple(CustomerTier.values)]
START_DOC = "First day (default: 29 days before the end)."
FILTERS = ("warehouse", "region", "supplier", "customer_tier", "category", "family")


class KpiOut(Schema):
    code: str
    name: str
    formula: str
    unit: str
    direction: str
    dimensions: list[str]
    computed_from: list[str]
    point_in_time: bool
    snapshot_days: int


class KpiPage(Schema):
    items: list[KpiOut]
    next_cursor: str | None


class FigureOut(Schema):
    company: int
    dimension_value: str | None
    label: str | None
    value: str | None
    numerator: str
    denominator: str | None


class FiguresOut(Schema):
    kpi: str
    unit: str
    start: datetime.date
    end: datetime.date
    by: str | None
    items: list[FigureOut]


class PointOut(Schema):
    day: datetime.date
    window_start: datetime.date
    company: int
    dimension_value: str | None
    value: str | None
    numerator: str
    denominator: str | None


class TrendOut(Schema):
    kpi: str
    unit: str
    by: str | None
    items: list[PointOut]
    next_cursor: str | None


class KpiListParams(Schema):
    unit: UnitName | None = Field(None, description="Only KPIs in this unit.")
    dimension: DimensionName | None = Field(None, description="Only KPIs sliceable by this.")
    cursor: Annotated[Text, Field(max_length=100)] | None = None
    limit: int = Field(50, ge=1, le=500)


class FigureParams(Schema):
    start: datetime.date | None = Field(None, description=START_DOC)
    end: datetime.date | None = Field(None, description="Last day, inclusive (default: today).")
    company: QueryId | None = Field(None, description="Only this company.")
    by: SliceName | None = Field(None, description="Slice each company's figure by this.")
    warehouse: QueryId | None = None
    region: Annotated[Text, Field(max_length=60)] | None = None
    supplier: QueryId | None = None
    customer_tier: TierName | None = None
    category: QueryId | None = Field(None, description="The category and everything below it.")
    family: QueryId | None = Field(None, description="A top-level category.")


class TrendParams(Schema):
    start: datetime.date | None = Field(None, description=START_DOC)
    end: datetime.date | None = Field(None, description="Last day, inclusive (default: today).")
    company: QueryId | None = None
    by: SliceName | None = Field(None, description="The slices of this dimension (else totals).")
    value: Annotated[Text, Field(max_length=200)] | None = Field(
        None, description="Only this value of the dimension (an id, a region or a tier)."
    )
    cursor: Annotated[Text, Field(max_length=1000)] | None = None
    limit: int = Field(200, ge=1, le=1000)


def kpi_data(kpi: Kpi) -> dict[str, Any]:
    return {
        "code": kpi.code,
        "name": kpi.name,
        "formula": kpi.formula,
        "unit": kpi.unit.value,
        "direction": kpi.direction.value,
        "dimensions": list(kpi.dimensions),
        "computed_from": list(kpi.requires),
        "point_in_time": kpi.point_in_time,
        "snapshot_days": kpi.snapshot_days,
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def figure_data(figure: Figure, labels: dict[str, str]) -> dict[str, Any]:
    value = figure.dimension_value
    return {
        "company": figure.company_id,
        "dimension_value": value,
        "label": None if value is None else labels.get(value, value),
        "value": _text(figure.value),
        "numerator": str(figure.numerator),
        "denominator": _text(figure.denominator),
    }


def point_data(row: KpiSnapshot) -> dict[str, Any]:
    return {
        "day": row.day.isoformat(),
        "window_start": row.window_start.isoformat(),
        "company": row.company_id,
        "dimension_value": row.dimension_value if row.dimension else None,
        "value": _text(row.value),
        "numerator": str(row.numerator),
        "denominator": _text(row.denominator),
    }


@router.get(
    "/kpis",
    response={200: KpiPage, ERRORS: Problem},
    operation_id="list_kpis",
    summary="The KPIs you may see, each with its formula, unit, direction and dimensions",
)
def list_kpis(request: HttpRequest, params: Query[KpiListParams]) -> HttpResponse:
    refuse_unknown_params(request, KpiListParams.model_fields)
    require_permission(request.user, KpiSnapshot, "view")
    kpis = selectors.visible_kpis(request.user)
    if params.unit is not None:
        kpis = [k for k in kpis if k.unit == params.unit]
    if params.dimension is not None:
        kpis = [k for k in kpis if params.dimension in k.dimensions]
    if params.cursor is not None:
        kpis = [k for k in kpis if k.code > params.cursor]
    page = kpis[: params.limit]
    more = len(kpis) > params.limit
    return json_response(
        {"items": [kpi_data(k) for k in page], "next_cursor": page[-1].code if more else None}
    )


@router.get(
    "/kpis/{code}",
    response={200: FiguresOut, ERRORS: Problem},
    operation_id="get_kpi",
    summary="A KPI computed now for a date range, per company, optionally sliced and filtered",
    description="Each item is one company's figure (or one slice of it with `by`): the value "
    "and the numerator and denominator it is the quotient of, as decimal strings. Filters "
    "(`warehouse`, `supplier`, …) must be dimensions of the KPI. Money KPIs are in each "
    "company's currency and never added across companies.",
)
def get_kpi(request: HttpRequest, code: str, params: Query[FigureParams]) -> HttpResponse:
    refuse_unknown_params(request, FigureParams.model_fields)
    require_permission(request.user, KpiSnapshot, "view")
    kpi = selectors.kpi_for(request.user, code)
    filters = {name: str(getattr(params, name)) for name in FILTERS if getattr(params, name)}
    query = selectors.Query(params.start, params.end, params.company, params.by, filters)
    scope, figures = selectors.current_figures(request.user, kpi, query, timezone.localdate())
    labels = selectors.labels(scope.by, {f.dimension_value for f in figures if f.dimension_value})
    return json_response(
        {
            "kpi": kpi.code,
            "unit": kpi.unit.value,
            "start": scope.start.isoformat(),
            "end": scope.end.isoformat(),
            "by": scope.by,
            "items": [figure_data(f, labels) for f in figures],
        }
    )


@router.get(
    "/kpis/{code}/trend",
    response={200: TrendOut, ERRORS: Problem},
    operation_id="get_kpi_trend",
    summary="A KPI's daily snapshots over a date range (totals, or one dimension's slices)",
    description="Points come from the nightly snapshot (`crossdock kpi-snapshot`), oldest "
    "first, cursor-paginated. Each keeps its numerator and denominator, so a week's figure "
    "is Σ numerator ÷ Σ denominator of its days.",
)
def get_trend(request: HttpRequest, code: str, params: Query[TrendParams]) -> HttpResponse:
    refuse_unknown_params(request, TrendParams.model_fields)
    require_permission(request.user, KpiSnapshot, "view")
    kpi = selectors.kpi_for(request.user, code)
    if params.value is not None and params.by is None:
        raise DomainError.of_fields({"value": ["Give by (the dimension) with value."]})
    query = selectors.Query(params.start, params.end, params.company, params.by)
    rows = selectors.trend(request.user, kpi, query, timezone.localdate())
    if params.value is not None:
        rows = rows.filter(dimension_value=params.value)
    page = paginate(rows, "day", params.cursor, params.limit)
    return json_response(
        {
            "kpi": kpi.code,
            "unit": kpi.unit.value,
            "by": params.by,
            "items": [point_data(row) for row in page.rows],
            "next_cursor": page.next_cursor,
        }
    )
