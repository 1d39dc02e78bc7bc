"""KPI panels of a dashboard: tiles, trend charts and a KPI sliced by one dimension.

A tile's value is the KPI computed now over the period with the registry's set-based
queries (company and filters applied); the arrow compares it with the period of the
same length just before (for figures of the present — stock age, stockouts — with the
snapshot of the day before the period, when there is one). The sparkline and the trend
charts read the daily :class:`~crossdock.insight.models.KpiSnapshot` rows: the company
total, or the slice of the one filter in force.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.urls import reverse

from crossdock.insight import selectors
from crossdock.insight.charts import BarChart, TrendChart, bar_chart, sparkline, trend_chart
from crossdock.insight.dashboards.filters import DashboardFilters
from crossdock.insight.models import KpiSnapshot
from crossdock.insight.registry import Direction, Figure, Kpi, Unit

TREND_DAILY_UP_TO = 62
SLICES = ("warehouse", "supplier", "customer_tier", "family")


def show(kpi: Kpi, value: Decimal | None, currency: str = "") -> str:
    """A KPI value as people read it: 93.5 %, 4.2 days, 1.23, 12,345.67 EUR."""
    if value is None:
        return "–"
    if kpi.unit == Unit.MONEY:
        amount = value.quantize(Decimal("0.01"), ROUND_HALF_UP)
        return f"{amount:,.2f} {currency}".strip()
    rounded = value.quantize(Decimal("0.1"), ROUND_HALF_UP)
    if kpi.unit == Unit.PERCENT:
        return f"{rounded:f} %"
    if kpi.unit == Unit.DAYS:
        return f"{rounded:f} days"
    return f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):f}"


def documents_url(kpi: Kpi, query: str) -> str:
    return f"{reverse('insight:documents', args=[kpi.code])}?{query}"


def _total(figures: list[Figure]) -> Figure | None:
    return next((f for f in figures if f.dimension_value is None), None)


def snapshot_slice(kpi: Kpi, filters: DashboardFilters) -> tuple[str, str] | None:
    """The snapshot rows matching the filters: ``("", "")`` for totals, else one slice."""
    applied, _ = filters.kpi_filters(kpi)
    chosen = dict(applied)
    if filters.warehouse is not None and "warehouse" in kpi.dimensions:
        chosen["warehouse"] = str(filters.warehouse.pk)
    elif filters.warehouse_ids is not None:
        if len(filters.warehouse_ids) != 1:
            return None
        chosen["warehouse"] = str(next(iter(filters.warehouse_ids)))
    if not chosen:
        return ("", "")
    if len(chosen) == 1:
        return next(iter(chosen.items()))
    return None


def snapshots(user: Any, kpi: Kpi, filters: DashboardFilters) -> dict[datetime.date, KpiSnapshot]:
    """The KPI's snapshot rows of the period, by day, for the company and the filters' slice."""
    chosen = snapshot_slice(kpi, filters)
    if chosen is None:
        return {}
    rows = KpiSnapshot.objects.restrict(user, "view").filter(
        kpi=kpi.code,
        company=filters.company,
        dimension=chosen[0],
        dimension_value=chosen[1],
        day__gte=filters.start,
        day__lte=filters.end,
    )
    return {row.day: row for row in rows.only("day", "value", "numerator", "denominator")}


@dataclass
class Tile:
    kpi: Kpi
    value: Decimal | None
    previous: Decimal | None
    text: str
    previous_text: str
    arrow: str
    tone: str
    spark: str
    spark_summary: str
    url: str
    ignored: list[str] = field(default_factory=list)
    figure: Figure | None = None


def _previous(user: Any, kpi: Kpi, filters: DashboardFilters) -> Decimal | None:
    if not kpi.point_in_time:
        return getattr(_total(kpi.figures(filters.previous().scope(kpi))), "value", None)
    chosen = snapshot_slice(kpi, filters)
    if chosen is None:
        return None
    day = filters.start - datetime.timedelta(days=1)
    row = (
        KpiSnapshot.objects.restrict(user, "view")
        .filter(kpi=kpi.code, company=filters.company, day=day)
        .filter(dimension=chosen[0], dimension_value=chosen[1])
        .values_list("value", flat=True)
        .first()
    )
    return row


def _arrow(kpi: Kpi, now: Decimal | None, before: Decimal | None) -> tuple[str, str]:
    if now is None or before is None:
        return "", ""
    if now == before:
        return "→", ""
    up = now > before
    good = up == (kpi.direction == Direction.HIGHER)
    return ("↑" if up else "↓"), ("good" if good else "bad")


def tile(user: Any, kpi: Kpi, filters: DashboardFilters, currency: str) -> Tile:
    figure = _total(kpi.figures(filters.scope(kpi)))
    value = figure.value if figure else None
    previous = _previous(user, kpi, filters)
    arrow, tone = _arrow(kpi, value, previous)
    days = snapshots(user, kpi, filters)
    series = [days[d].value if d in days else None for d in _days(filters)]
    known = [(d, days[d].value) for d in sorted(days) if days[d].value is not None]
    summary = (
        f"{kpi.name}, daily snapshots: "
        + ", ".join(f"{d.isoformat()} {show(kpi, v, currency)}" for d, v in known[-7:])
        if known
        else f"{kpi.name}: no daily snapshots in this period"
    )
    _, ignored = filters.kpi_filters(kpi)
    return Tile(
        kpi=kpi,
        value=value,
        previous=previous,
        text=show(kpi, value, currency),
        previous_text=show(kpi, previous, currency),
        arrow=arrow,
        tone=tone,
        spark=sparkline(series),
        spark_summary=summary,
        url=documents_url(kpi, filters.query()),
        ignored=ignored,
        figure=figure,
    )


def _days(filters: DashboardFilters) -> list[datetime.date]:
    return [filters.start + datetime.timedelta(days=i) for i in range(filters.days)]


def _bucket_value(kpi: Kpi, rows: list[KpiSnapshot]) -> Decimal | None:
    """Σ numerator ÷ Σ denominator of additive daily figures; else the last day's value."""
    if not rows:
        return None
    if kpi.point_in_time or kpi.snapshot_days > 1:
        return rows[-1].value
    numerator = sum((r.numerator for r in rows), Decimal(0))
    if kpi.unit == Unit.MONEY:
        return numerator
    denominator = sum((r.denominator or Decimal(0) for r in rows), Decimal(0))
    if not denominator:
        return None
    factor = 100 if kpi.unit == Unit.PERCENT else 1
    return (numerator * factor / denominator).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def trend(user: Any, kpi: Kpi, filters: DashboardFilters, currency: str) -> TrendChart:
    """The KPI's snapshots over the period: daily up to two months, else weekly."""
    days = snapshots(user, kpi, filters)
    width = 1 if filters.days <= TREND_DAILY_UP_TO else 7
    buckets = []
    for offset in range(0, filters.days, width):
        first = filters.start + datetime.timedelta(days=offset)
        last = min(first + datetime.timedelta(days=width - 1), filters.end)
        rows = [days[d] for d in sorted(days) if first <= d <= last]
        label = first.strftime("%d %b") if width == 1 else f"wk {first.strftime('%d %b')}"
        url = documents_url(kpi, filters.range_params(first, last))
        buckets.append((label, _bucket_value(kpi, rows), url))
    title = f"{kpi.name} ({'daily' if width == 1 else 'weekly'} snapshots)"
    return trend_chart(f"trend-{kpi.code}", title, buckets, lambda v: show(kpi, v, currency))


@dataclass
class Slice:
    """A KPI sliced by one dimension: the chart and the same figures as a table."""

    key: str
    title: str
    chart: BarChart
    header: list[str]
    rows: list[tuple[list[Any], str]]


def sliced(user: Any, kpi: Kpi, by: str, filters: DashboardFilters, currency: str) -> Slice:
    """``kpi`` per value of ``by`` over the period; each bar links to its documents."""
    figures = [f for f in kpi.figures(filters.scope(kpi, by=by)) if f.dimension_value]
    labels = selectors.labels(by, {f.dimension_value for f in figures if f.dimension_value})
    good_high = kpi.direction == Direction.HIGHER
    figures.sort(key=lambda f: (f.value is None, -(f.value or 0) if good_high else f.value or 0))
    bars, rows = [], []
    for figure in figures[:12]:
        value = figure.dimension_value or ""
        label = labels.get(value, value)
        url = documents_url(kpi, filters.query(**{by: value}))
        bars.append((label, figure.value, url))
        rows.append(([label, figure.value, figure.numerator, figure.denominator], url))
    title = f"{kpi.name} by {selectors.dimension_label(by).lower()}"
    chart = bar_chart(f"{kpi.code}-by-{by}", title, bars, lambda v: show(kpi, v, currency))
    header = [selectors.dimension_label(by), kpi.name, "numerator", "denominator"]
    return Slice(f"{kpi.code}-by-{by}", title, chart, header, rows)
