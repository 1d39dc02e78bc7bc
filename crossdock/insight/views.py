"""Insight screens: the five dashboards and the documents behind any KPI figure.

Thin like the other screens: filters come from the query string
(:func:`~crossdock.insight.dashboards.filters.read_filters`), a KPI or dashboard the
user's roles may not read is a 403, an unknown one a 404, bad filters a 400 page naming
the field. ``?export=<table>&format=csv|xlsx`` downloads a dashboard table (``kpis``: the
tiles), ``?format=csv|xlsx`` on a documents page downloads every row of it, through the
same CSV/XLSX writer as the finance reports.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from crossdock.accounting.exports import file_response
from crossdock.core.errors import NotFoundError, PermissionDeniedError
from crossdock.insight import drilldown, selectors
from crossdock.insight.dashboards import DASHBOARDS, Dashboard, build, dashboards_for
from crossdock.insight.dashboards.filters import (
    DashboardFilters,
    FilterError,
    filter_options,
    read_filters,
)
from crossdock.insight.registry import Kpi
from crossdock.web.views.common import render_page

FORMATS = ("csv", "xlsx")
PER_PAGE = 100


def _format(request: HttpRequest) -> str:
    fmt = request.GET.get("format", "")
    if fmt and fmt not in FORMATS:
        raise FilterError({"format": "One of csv, xlsx."})
    return fmt


def _refused(request: HttpRequest, title: str, error: FilterError) -> HttpResponse:
    context = {"title": title, "errors": error.problems, "board": None}
    return render_page(request, "insight/dashboard.html", context, status=400)


def _kpi_table(board: Dashboard) -> tuple[list[str], list[list[Any]]]:
    header = ["kpi", "name", "unit", "value", "previous period", "numerator", "denominator"]
    rows: list[list[Any]] = []
    for t in board.tiles:
        figure = t.figure
        rows.append([
            t.kpi.code, t.kpi.name, t.kpi.unit.value, t.value, t.previous,
            figure.numerator if figure else None, figure.denominator if figure else None,
        ])  # fmt: skip
    return header, rows


def _export(board: Dashboard, key: str, fmt: str) -> HttpResponse:
    filters = board.filters
    stem = f"{board.spec.code}-{filters.company.code}-{filters.start}-{filters.end}"
    if key == "kpis":
        return file_response(f"{stem}-kpis", *_kpi_table(board), fmt)
    for s in board.slices:
        if s.key == key:
            return file_response(f"{stem}-{key}", s.header, [cells for cells, _ in s.rows], fmt)
    for table in board.tables:
        if table.key == key:
            rows = [cells for cells, _ in table.rows]
            return file_response(f"{stem}-{key}", table.header, rows, fmt)
    raise FilterError({"export": f"This dashboard has no table {key!r}."})


@login_required
@require_safe
def dashboard(request: HttpRequest, code: str = "executive") -> HttpResponse:
    spec = DASHBOARDS.get(code)
    if spec is None:
        raise Http404(f"No dashboard {code!r}.")
    try:
        fmt = _format(request)
        filters = read_filters(request.user, request.GET, timezone.localdate())
        board = build(request.user, spec, filters)
        if request.GET.get("export"):
            return _export(board, request.GET["export"], fmt or "csv")
    except FilterError as error:
        return _refused(request, spec.title, error)
    context = {
        "title": spec.title,
        "board": board,
        "filters": filters,
        "options": filter_options(request.user, filters),
        "dashboards": dashboards_for(request.user),
        "query": filters.query(),
    }
    return render_page(request, "insight/dashboard.html", context)


def _kpi(user: Any, code: str) -> Kpi:
    try:
        kpi = selectors.kpi_for(user, code)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    if code not in drilldown.DRILLS:
        raise Http404(f"{kpi.name} has no document list.")
    return kpi


def _options(request: HttpRequest) -> drilldown.Options:
    age = request.GET.get("age", "")
    if age and age not in drilldown.AGE_BUCKETS:
        raise FilterError({"age": f"One of {', '.join(drilldown.AGE_BUCKETS)}."})
    return drilldown.Options(age=age)


def _download(kpi: Kpi, filters: DashboardFilters, sources: list[Any], fmt: str) -> HttpResponse:
    rows: list[list[Any]] = []
    for source in sources:
        rows.extend([source.title, *source.row(r).cells()] for r in source.rows.iterator())
    header = ["list", *drilldown.HEADER]
    name = f"{kpi.code}-{filters.company.code}-{filters.start}-{filters.end}"
    return file_response(name, header, rows, fmt)


@login_required
@require_safe
def documents(request: HttpRequest, code: str) -> HttpResponse:
    """The documents counted in a KPI's figure, per list (numerator / denominator)."""
    kpi = _kpi(request.user, code)
    title = f"{kpi.name}: the documents behind the figure"
    try:
        fmt = _format(request)
        options = _options(request)
        filters = read_filters(request.user, request.GET, timezone.localdate())
    except FilterError as error:
        return _refused(request, title, error)
    scope = filters.scope(kpi)
    sources = drilldown.sources(kpi.code, scope, options)
    if fmt:
        return _download(kpi, filters, sources, fmt)
    lists = []
    for source in sources:
        page = Paginator(source.rows, PER_PAGE).get_page(request.GET.get("page"))
        lists.append((source, page, [source.row(r) for r in page.object_list]))
    figure = next((f for f in kpi.figures(scope) if f.dimension_value is None), None)
    _, ignored = filters.kpi_filters(kpi)
    context = {
        "title": title,
        "kpi": kpi,
        "filters": filters,
        "figure": figure,
        "lists": lists,
        "ignored": ignored,
        "age": options.age,
        "query": request.GET.urlencode(),
        "export_query": filters.query(age=options.age or None),
        "dashboards": dashboards_for(request.user),
        "labels": selectors.labels,
    }
    return render_page(request, "insight/documents.html", context)
