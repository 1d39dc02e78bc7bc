"""The planning item chart: weekly history, the forecast with its interval band and the
projected stock, with the reorder point and safety stock as reference lines.

Drawn as inline SVG (no script). Figures arrive as Decimals and are only turned into
floats for the drawing coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 760
HEIGHT = 260
PAD_LEFT = 48
PAD_RIGHT = 12
PAD_TOP = 12
PAD_BOTTOM = 28


@dataclass(frozen=True)
class Reference:
    label: str
    y: float
    css: str


@dataclass
class ItemChart:
    """Coordinates of every path of the chart, ready for the template."""

    width: int = WIDTH
    height: int = HEIGHT
    history: str = ""
    forecast: str = ""
    band: str = ""
    projected: str = ""
    references: list[Reference] = field(default_factory=list)
    top_label: str = ""
    now_x: float = 0.0
    first_label: str = ""
    last_label: str = ""
    empty: bool = True


def _points(xs: Sequence[float], ys: Sequence[float]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))


def item_chart(
    history: Sequence[Decimal],
    forecast: Sequence[Decimal],
    sd: Decimal,
    projected: Sequence[Decimal],
    *,
    reorder_point: Decimal,
    safety_stock: Decimal,
    first_label: str = "",
    last_label: str = "",
    z: Decimal = Decimal("1.28"),
) -> ItemChart:
    """Lay out ``history`` (weekly buckets) then ``forecast`` (same buckets, with ``± z·sd``)
    and ``projected`` stock at the end of each forecast bucket on one time axis."""
    chart = ItemChart(first_label=first_label, last_label=last_label)
    buckets = len(history) + max(len(forecast), len(projected))
    if buckets < 2:
        return chart
    upper = [f + z * sd for f in forecast]
    lower = [max(Decimal(0), f - z * sd) for f in forecast]
    values = [*history, *upper, *projected, reorder_point, safety_stock, Decimal(0)]
    high = max(values)
    low = min(values)
    if high == low:
        high = low + 1
    span_x = WIDTH - PAD_LEFT - PAD_RIGHT
    span_y = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(index: int) -> float:
        return PAD_LEFT + span_x * index / (buckets - 1)

    def y(value: Decimal) -> float:
        return PAD_TOP + span_y * float((high - value) / (high - low))

    start = len(history)
    if history:
        chart.history = _points([x(i) for i in range(start)], [y(v) for v in history])
    if forecast:
        xs = [x(start + i) for i in range(len(forecast))]
        chart.forecast = _points(xs, [y(v) for v in forecast])
        chart.band = _points(
            [*xs, *reversed(xs)], [*(y(v) for v in upper), *(y(v) for v in reversed(lower))]
        )
    if projected:
        chart.projected = _points(
            [x(start + i) for i in range(len(projected))], [y(v) for v in projected]
        )
    chart.references = [
        Reference(f"Reorder point {reorder_point.normalize():f}", y(reorder_point), "rop"),
        Reference(f"Safety stock {safety_stock.normalize():f}", y(safety_stock), "safety"),
        Reference("0", y(Decimal(0)), "zero"),
    ]
    chart.top_label = f"{high.normalize():f}"
    chart.now_x = x(start) if start else PAD_LEFT
    chart.empty = False
    return chart
