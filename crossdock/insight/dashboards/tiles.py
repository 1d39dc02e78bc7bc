"""KPI panels of a dashboard: tiles, trend charts and a KPI sliced by one dimension.

A tile's value is the KPI over the period for the company and the filters. For flows
recorded day by day it adds up the numerators and denominators of the nightly snapshots
over the days they cover and computes only the remaining days (usually today) live with
the registry's set-based queries; figures of the present and trailing windows, or
several filters at once, are computed live. The arrow compares the value with the
period of the same length just before (for figures of the present — stock age,
stockouts — with the snapshot of the day before the period, when there is one). The
sparkline and the trend charts read the daily
:class:`~crossdock.insight.models.KpiSnapshot` rows: the company total, or the slice of
the one filter in force.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Sum
from django.urls import reverse

from crossdock.insight import selectors
from crossdock.insight.charts import BarChart, TrendChart, bar_chart, sparkline, trend_chart
from crossdock.insight.dashboards.filters import DashboardFilters
from crossdock.insight.models import KpiSnapshot
from crossdock.insight.registry import Direction, Figure, Kpi, Part, Unit

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
    if kpi.unit == Unit.COUNT:
        return f"{rounded.normalize():f}"
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


def covered_until(user: Any, filters: DashboardFilters) -> datetime.date | None:
    """The last day of the unbroken run of snapshotted days from the period's first day.

    A day is snapshotted for the company when the nightly run wrote any row for it (a
    company holding stock always gets its stock ratios, even on a day without sales); today
    never counts (its documents are still coming in), so it is always computed live.
    """
    days = set(
        KpiSnapshot.objects.restrict(user, "view")
        .filter(company=filters.company, day__gte=filters.start, day__lte=filters.end)
        .order_by()
        .values_list("day", flat=True)
        .distinct()
    )
    last, day = None, filters.start
    while day <= filters.end and day < filters.today and day in days:
        last, day = day, day + datetime.timedelta(days=1)
    return last


def additive(kpi: Kpi) -> bool:
    """Daily figures whose parts add up to the period's (flows recorded day by day)."""
    return not kpi.point_in_time and kpi.snapshot_days == 1


def figure_of(
    user: Any, kpi: Kpi, filters: DashboardFilters, covered: datetime.date | None
) -> Figure | None:
    """The company's figure for the period: Σ the daily snapshots' parts up to ``covered``
    and the KPI computed live over the days after it (all live when snapshots cannot
    stand in: figures of the present, trailing windows, several filters at once)."""
    chosen = snapshot_slice(kpi, filters)
    if covered is None or chosen is None or not additive(kpi):
        return _total(kpi.figures(filters.scope(kpi)))
    stored = (
        KpiSnapshot.objects.restrict(user, "view")
        .filter(kpi=kpi.code, company=filters.company, day__gte=filters.start, day__lte=covered)
        .filter(dimension=chosen[0], dimension_value=chosen[1])
        .aggregate(n=Sum("numerator"), d=Sum("denominator"), rows=Count("pk"))
    )
    part = Part(stored["n"] or Decimal(0), stored["d"] or Decimal(0))
    found = bool(stored["rows"])
    if covered < filters.end:
        rest = replace(filters, start=covered + datetime.timedelta(days=1))
        live = kpi.compute(rest.scope(kpi)).get((filters.company.pk, None))
        if live is not None:
            part.add(live.numerator, live.denominator)
            found = True
    return kpi.figure(filters.company.pk, None, part) if found else None


def _previous(
    user: Any, kpi: Kpi, filters: DashboardFilters, covered: datetime.date | None
) -> Decimal | None:
    if not kpi.point_in_time:
        return getattr(figure_of(user, kpi, filters.previous(), covered), "value", None)
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


@dataclass(frozen=True)
class Coverage:
    """How far the snapshots cover the period and the previous one (see :func:`covered_until`)."""

    current: datetime.date | None
    previous: datetime.date | None

    @classmethod
    def of(cls, user: Any, filters: DashboardFilters) -> Coverage:
        return cls(covered_until(user, filters), covered_until(user, filters.previous()))


def _arrow(kpi: Kpi, now: Decimal | None, before: Decimal | None) -> tuple[str, str]:
    if now is None or before is None:
        return "", ""
    if now == before:
        return "→", ""
    up = now > before
    good = up == (kpi.direction == Direction.HIGHER)
    return ("↑" if up else "↓"), ("good" if good else "bad")


def tile(user: Any, kpi: Kpi, filters: DashboardFilters, currency: str, coverage: Coverage) -> Tile:
    figure = figure_of(user, kpi, filters, coverage.current)
    value = figure.value if figure else None
    previous = _previous(user, kpi, filters, coverage.previous)
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
