"""The dashboard charts, laid out here and drawn as inline SVG (no script) by the templates.

Three shapes: a *sparkline* (a tile's daily snapshots as one polyline), a *trend* (one KPI's
snapshots over the period, a dot per day or week, each dot a link to the documents of its
days) and *bars* (a distribution or a slice of a KPI: one horizontal bar per label, each a
link to the documents behind it). Every chart carries a text summary of its figures for
screen readers (the SVG ``<title>``), and every bar and dot its own ``<title>``; the
figures are also listed as text under the chart. Values arrive as Decimals and become
floats only for coordinates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

SPARK_WIDTH, SPARK_HEIGHT = 120, 28
TREND_WIDTH, TREND_HEIGHT = 560, 180
TREND_LEFT, TREND_RIGHT, TREND_TOP, TREND_BOTTOM = 44, 8, 10, 24
BAR_WIDTH, BAR_ROW, BAR_LABEL = 560, 24, 170


def sparkline(values: Sequence[Decimal | None]) -> str:
    """Polyline points for ``values`` (gaps skipped), or ``""`` with fewer than two values."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return ""
    low = min(v for _, v in known)
    high = max(v for _, v in known)
    span = (high - low) or Decimal(1)
    step = (SPARK_WIDTH - 4) / max(len(values) - 1, 1)
    return " ".join(
        f"{2 + i * step:.1f},{2 + float((high - v) / span) * (SPARK_HEIGHT - 4):.1f}"
        for i, v in known
    )


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    text: str
    url: str


@dataclass
class TrendChart:
    key: str
    title: str
    summary: str
    width: int = TREND_WIDTH
    height: int = TREND_HEIGHT
    left: int = TREND_LEFT
    right: int = TREND_WIDTH - TREND_RIGHT
    bottom: int = TREND_HEIGHT - TREND_BOTTOM
    points: list[Point] = field(default_factory=list)
    line: str = ""
    ticks: list[tuple[float, str]] = field(default_factory=list)
    labels: list[tuple[float, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.points


def trend_chart(
    key: str,
    title: str,
    buckets: Sequence[tuple[str, Decimal | None, str]],
    show: Callable[[Decimal], str],
) -> TrendChart:
    """One dot per ``(label, value, url)`` bucket on a time axis; ``None`` is a gap."""
    known = [v for _, v, _ in buckets if v is not None]
    parts = [f"{label} {show(v)}" for label, v, _ in buckets if v is not None]
    summary = f"{title}: " + (", ".join(parts) if parts else "no snapshots in this period")
    chart = TrendChart(key, title, summary)
    if not known:
        return chart
    low = min([*known, Decimal(0)])
    high = max(known)
    if high == low:
        high = low + 1
    plot_height = chart.bottom - TREND_TOP
    slot = (chart.right - chart.left) / max(len(buckets), 1)

    def y(value: Decimal) -> float:
        return round(TREND_TOP + float((high - value) / (high - low)) * plot_height, 1)

    for index, (label, value, url) in enumerate(buckets):
        if value is None:
            continue
        x = round(chart.left + slot * (index + 0.5), 1)
        chart.points.append(Point(x, y(value), label, show(value), url))
    chart.line = " ".join(f"{p.x},{p.y}" for p in chart.points)
    chart.ticks = [(y(v), show(v)) for v in (low, (low + high) / 2, high)]
    every = max(1, len(buckets) // 6)
    chart.labels = [
        (round(chart.left + slot * (i + 0.5), 1), label)
        for i, (label, _, _) in enumerate(buckets)
        if i % every == 0
    ]
    return chart


@dataclass(frozen=True)
class Bar:
    y: float
    width: float
    label: str
    text: str
    url: str
    tone: str = ""


@dataclass
class BarChart:
    key: str
    title: str
    summary: str
    bars: list[Bar] = field(default_factory=list)
    width: int = BAR_WIDTH
    label_width: int = BAR_LABEL
    row: int = BAR_ROW

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * self.row + 4

    @property
    def empty(self) -> bool:
        return not self.bars


def bar_chart(
    key: str,
    title: str,
    rows: Sequence[tuple[str, Decimal | None, str]],
    show: Callable[[Decimal], str],
    tone: Callable[[Decimal], str] = lambda value: "",
) -> BarChart:
    """One horizontal bar per ``(label, value, url)``, from zero; negative values draw empty."""
    known = [(label, v, url) for label, v, url in rows if v is not None]
    parts = [f"{label} {show(v)}" for label, v, _ in known]
    summary = f"{title}: " + (", ".join(parts) if parts else "nothing in this period")
    chart = BarChart(key, title, summary)
    high = max([abs(v) for _, v, _ in known] + [Decimal(0)]) or Decimal(1)
    span = BAR_WIDTH - BAR_LABEL - 70
    for index, (label, value, url) in enumerate(known):
        width = round(max(float(max(value, Decimal(0)) / high) * span, 1.0), 1)
        chart.bars.append(Bar(index * BAR_ROW + 2, width, label, show(value), url, tone(value)))
    return chart
