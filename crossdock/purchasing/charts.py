"""Small charts for the scorecard screens, laid out here and drawn as inline SVG by the template.

A chart is a fixed 360 × 150 view box: a plot area with a few value ticks on the left
and one label per period below. :func:`bar_chart` draws one bar per period (from zero,
so negative values hang below the axis); :func:`line_chart` draws one or more series as
polylines with a dot per known value. A period without a value (``None``) is a gap,
never a zero. Reference lines (a threshold, a promise) are drawn across the plot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

WIDTH, HEIGHT = 360, 150
LEFT, RIGHT, TOP, BOTTOM = 34, 6, 10, 22
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM

Value = Decimal | None


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    text: str
    tone: str = ""


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str
    text: str


@dataclass(frozen=True)
class Series:
    name: str
    tone: str
    points: str
    dots: list[Dot]


@dataclass(frozen=True)
class Line:
    y: float
    text: str
    tone: str = ""


@dataclass
class Chart:
    key: str
    title: str
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: float = WIDTH - RIGHT
    bottom: float = TOP + PLOT_HEIGHT
    bars: list[Bar] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    ticks: list[Line] = field(default_factory=list)
    references: list[Line] = field(default_factory=list)
    labels: list[tuple[float, str]] = field(default_factory=list)
    zero: float = TOP + PLOT_HEIGHT


def _scale(low: Decimal, high: Decimal) -> Callable[[Decimal], float]:
    span = (high - low) or Decimal(1)

    def y(value: Decimal) -> float:
        clipped = min(max(value, low), high)
        return round(TOP + float((high - clipped) / span) * PLOT_HEIGHT, 1)

    return y


def _frame(
    key: str, title: str, summary: str, labels: Sequence[str], low: Decimal, high: Decimal
) -> tuple[Chart, Callable[[Decimal], float], float]:
    y = _scale(low, high)
    slot = PLOT_WIDTH / max(len(labels), 1)
    chart = Chart(key, title, summary, zero=y(Decimal(0)) if low <= 0 <= high else y(low))
    for value in (low, (low + high) / 2, high):
        chart.ticks.append(Line(y(value), f"{value.normalize():f}"))
    chart.labels = [(round(LEFT + slot * (i + 0.5), 1), text) for i, text in enumerate(labels)]
    return chart, y, slot


def bar_chart(
    key: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[Value],
    *,
    low: Decimal,
    high: Decimal,
    show: Callable[[Decimal], str],
    tone: Callable[[Decimal], str] = lambda value: "",
    references: Sequence[tuple[Decimal, str]] = (),
) -> Chart:
    """One bar per period, from zero (or the bottom of the range) to the value."""
    known = [v for v in values if v is not None]
    summary = f"{title}: " + (
        ", ".join(
            f"{label} {show(v)}" for label, v in zip(labels, values, strict=True) if v is not None
        )
        if known
        else "no data in these months"
    )
    chart, y, slot = _frame(key, title, summary, labels, low, high)
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        if value is None:
            continue
        top, base = sorted((y(value), chart.zero))
        chart.bars.append(
            Bar(
                round(LEFT + slot * index + slot * 0.15, 1),
                top,
                round(slot * 0.7, 1),
                round(max(base - top, 1.0), 1),
                label,
                show(value),
                tone(value),
            )
        )
    chart.references = [Line(y(value), text, "reference") for value, text in references]
    return chart


def line_chart(
    key: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[Value]]],
    *,
    low: Decimal,
    high: Decimal,
    show: Callable[[Decimal], str],
    references: Sequence[tuple[Decimal, str]] = (),
) -> Chart:
    """One polyline per ``(name, tone, values)``; a gap where a value is ``None``."""
    parts = []
    for name, _tone, values in series:
        known = [
            f"{label} {show(v)}" for label, v in zip(labels, values, strict=True) if v is not None
        ]
        parts.append(f"{name} " + (", ".join(known) if known else "no data"))
    chart, y, slot = _frame(key, title, f"{title}: " + "; ".join(parts), labels, low, high)
    for name, tone, values in series:
        dots = [
            Dot(round(LEFT + slot * (i + 0.5), 1), y(value), label, show(value))
            for i, (label, value) in enumerate(zip(labels, values, strict=True))
            if value is not None
        ]
        points = " ".join(f"{dot.x},{dot.y}" for dot in dots)
        chart.series.append(Series(name, tone, points, dots))
    chart.references = [Line(y(value), text, "reference") for value, text in references]
    return chart


def ceiling(values: Sequence[Value], *, at_least: Decimal) -> Decimal:
    """A round upper bound over ``values`` (and ``at_least``) for an axis."""
    top = max([abs(v) for v in values if v is not None] + [at_least])
    step = Decimal(5) if top <= 50 else Decimal(10)
    return ((top * Decimal("1.1")) / step).to_integral_value(rounding="ROUND_CEILING") * step
