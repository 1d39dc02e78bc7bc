"""Anomaly sources of the exception queues: prices, quantities, bills, adjustments, demand.

Design overview
---------------
Each kind is one :func:`~crossdock.insight.queues.registry.source` in the ``anomalies``
queue. A source loads the companies' documents in one or two set-based queries
(:mod:`crossdock.insight.anomalies.loading`), hands arrays to the pure detection
functions (:mod:`crossdock.insight.anomalies.detection`) and returns one
:class:`~crossdock.insight.queues.registry.Wanted` per anomaly, whose title and
context say what is unusual and compared to what: the observed value, the baseline
(median, spread, range, how many documents over which dates), the score and the
threshold, and the document it concerns.

Windows: documents dated in the last :data:`~detection.RECENT_DAYS` days are judged
against the same group's documents of the :data:`~detection.LOOKBACK_DAYS` before
that. An item closes by itself when its document leaves the recent window, is
cancelled (orders, bills, rejected adjustments), is credited (bills) or when the
baseline no longer finds it unusual. A group with fewer than
:data:`~detection.MIN_HISTORY` baseline documents says nothing.
"""

from __future__ import annotations

import datetime
import math
import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from django.urls import reverse
from django.utils import timezone

from crossdock.core.roles import Role
from crossdock.insight.anomalies import detection, loading
from crossdock.insight.queues.registry import HIGH, MEDIUM, Wanted, source

QUEUE = "anomalies"
CENT = Decimal("0.01")


# -- small helpers ------------------------------------------------------------------------------


def _shown(value: Decimal) -> str:
    """An amount or quantity as people read it: 2 places when exact, else all it has."""
    if value == value.quantize(CENT):
        return f"{value.quantize(CENT):,}"
    return f"{value.normalize():,}"


def _median(values: Sequence[Decimal]) -> Decimal:
    return Decimal(statistics.median(values))


def _since(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _severity(z: float, threshold: float) -> int:
    return HIGH if abs(z) >= 2 * threshold else MEDIUM


def _windows(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """(start of the baseline, start of the judged recent window)."""
    recent = today - datetime.timedelta(days=detection.RECENT_DAYS - 1)
    return recent - datetime.timedelta(days=detection.LOOKBACK_DAYS), recent


class _Groups:
    """Numbers the group keys of rows, keeping each group's baseline decimals."""

    def __init__(self) -> None:
        self.numbers: dict[Hashable, int] = {}
        self.decimals: dict[int, list[Decimal]] = defaultdict(list)
        self.dates: dict[int, list[datetime.date]] = defaultdict(list)

    def number(self, key: Hashable) -> int:
        return self.numbers.setdefault(key, len(self.numbers))


def _score(
    baseline: Sequence[tuple[Hashable, Decimal, datetime.date]],
    candidates: Sequence[tuple[Hashable, Decimal]],
    *,
    log: bool,
    relative_floor: float = 0.0,
    absolute_floor: float = 0.0,
    above_only: bool = False,
) -> tuple[list[detection.Outlier], _Groups]:
    """Outliers among ``candidates`` (key, value) against ``baseline`` (key, value, date)."""
    groups = _Groups()

    def scaled(value: Decimal) -> float:
        return math.log(value) if log else float(value)

    usable = [(k, v, d) for k, v, d in baseline if v > 0 or not log]
    base_groups = np.array([groups.number(k) for k, _, _ in usable], dtype=np.int64)
    base_values = np.array([scaled(v) for _, v, _ in usable], dtype=np.float64)
    for (_, value, day), group in zip(usable, base_groups, strict=True):
        groups.decimals[int(group)].append(value)
        groups.dates[int(group)].append(day)
    judged = [(i, k, v) for i, (k, v) in enumerate(candidates) if (v > 0 or not log)]
    cand_groups = np.array([groups.numbers.get(k, -1) for _, k, _ in judged], dtype=np.int64)
    cand_values = np.array([scaled(v) for _, _, v in judged], dtype=np.float64)
    found = detection.find_outliers(
        base_values,
        base_groups,
        cand_values,
        cand_groups,
        relative_floor=relative_floor,
        absolute_floor=absolute_floor,
    )
    outliers = [
        detection.Outlier(judged[o.index][0], o.group, o.value, o.z, o.baseline)
        for o in found
        if o.group >= 0 and (o.z > 0 or not above_only)
    ]
    return outliers, groups


def _baseline_context(groups: _Groups, outlier: detection.Outlier) -> dict[str, Any]:
    values = groups.decimals[outlier.group]
    dates = groups.dates[outlier.group]
    return {
        "baseline_median": str(_median(values)),
        "baseline_low": str(min(values)),
        "baseline_high": str(max(values)),
        "baseline_count": len(values),
        "baseline_from": min(dates).isoformat(),
        "baseline_to": max(dates).isoformat(),
        "robust_z": round(outlier.z, 2),
        "threshold": round(outlier.baseline.threshold, 2),
        "tail_margin": detection.TAIL_MARGIN,
    }


# -- purchases ----------------------------------------------------------------------------------


def _purchases(
    today: datetime.date, company_ids: frozenset[int]
) -> tuple[list[loading.PurchaseLineRow], list[loading.PurchaseLineRow]]:
    start, recent = _windows(today)
    lines = loading.purchase_lines(company_ids, start)
    baseline = [ln for ln in lines if ln.order_date < recent and ln.state in loading.ORDERED_STATES]
    judged = [ln for ln in lines if recent <= ln.order_date <= today]
    return baseline, judged


def _span(context: dict[str, Any], documents: str) -> str:
    """'over 12 order lines from 2025-01-03 to 2025-11-28' for a baseline context."""
    return (
        f"over {context['baseline_count']} {documents} from {context['baseline_from']} "
        f"to {context['baseline_to']}"
    )


def _range(context: dict[str, Any]) -> str:
    """The baseline's lowest–highest value, as people read them."""
    low, high = Decimal(context["baseline_low"]), Decimal(context["baseline_high"])
    return f"{_shown(low)}–{_shown(high)}"


def _purchase_anomaly(
    line: loading.PurchaseLineRow,
    outlier: detection.Outlier,
    *,
    title: str,
    explanation: str,
    details: dict[str, Any],
) -> Wanted:
    """The queue item of one unusual purchase order line; ``details`` adds to its context."""
    return Wanted(
        key=f"po-line:{line.line_id}",
        company_id=line.company_id,
        title=title,
        document_label=line.reference,
        document_url=reverse("purchasing:order_detail", args=[line.order_id]),
        severity=_severity(outlier.z, outlier.baseline.threshold),
        warehouse_id=line.warehouse_id,
        since=_since(line.order_date),
        context={
            "explanation": explanation,
            **details,
            "product": line.sku,
            "supplier": line.supplier,
            "order": line.reference,
        },
    )


@source(
    "anomaly_purchase_price",
    queue=QUEUE,
    label="Unusual purchase price",
    owner_role=Role.PURCHASING_MANAGER.value,
)
def unusual_purchase_prices(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """An order line of the last 30 days whose unit price is far from what this supplier
    charged for the product over the year before (robust z-score against the median of
    at least 8 earlier order lines, beyond every earlier price's distance). Closes when
    the order is cancelled, the price corrected, or the line leaves the 30-day window."""
    baseline, judged = _purchases(today, company_ids)

    def key(ln: loading.PurchaseLineRow) -> Hashable:
        return (ln.company_id, ln.supplier_id, ln.product_id, ln.currency)

    outliers, groups = _score(
        [(key(ln), ln.unit_price, ln.order_date) for ln in baseline],
        [(key(ln), ln.unit_price) for ln in judged],
        log=False,
        relative_floor=detection.PRICE_RELATIVE_FLOOR,
    )
    for outlier in outliers:
        line = judged[outlier.index]
        context = _baseline_context(groups, outlier)
        median = Decimal(context["baseline_median"])
        explanation = (
            f"Unit price {_shown(line.unit_price)} {line.currency} is {abs(outlier.z):.1f} "
            f"robust SDs {outlier.direction} this supplier's median {_shown(median)} "
            f"{line.currency} {_span(context, 'order lines')} (earlier prices "
            f"{_range(context)}; threshold {outlier.baseline.threshold:.1f})."
        )
        yield _purchase_anomaly(
            line,
            outlier,
            title=(
                f"{line.reference}: {line.sku} at {_shown(line.unit_price)} {line.currency} "
                f"from {line.supplier} — {abs(outlier.z):.1f} robust SDs {outlier.direction} "
                f"the usual {_shown(median)}"
            ),
            explanation=explanation,
            details={
                "measure": "unit price",
                "observed": str(line.unit_price),
                "currency": line.currency,
                "compared_with": "this supplier's order lines for the product",
                **context,
            },
        )


@source(
    "anomaly_purchase_quantity",
    queue=QUEUE,
    label="Unusual purchase quantity",
    owner_role=Role.PURCHASING_MANAGER.value,
)
def unusual_purchase_quantities(
    today: datetime.date, company_ids: frozenset[int]
) -> Iterable[Wanted]:
    """An order line of the last 30 days whose quantity is far from what the warehouse
    usually orders of the product (robust z-score of the log quantity against at least 8
    order lines of the year before, beyond every earlier quantity's distance). Closes
    when the order is cancelled, the quantity corrected, or the line leaves the window."""
    baseline, judged = _purchases(today, company_ids)

    def key(ln: loading.PurchaseLineRow) -> Hashable:
        return (ln.company_id, ln.warehouse_id, ln.product_id)

    outliers, groups = _score(
        [(key(ln), ln.quantity, ln.order_date) for ln in baseline],
        [(key(ln), ln.quantity) for ln in judged],
        log=True,
        absolute_floor=detection.LOG_ABSOLUTE_FLOOR,
    )
    for outlier in outliers:
        line = judged[outlier.index]
        context = _baseline_context(groups, outlier)
        median = Decimal(context["baseline_median"])
        factor = float(line.quantity / median) if median else math.inf
        explanation = (
            f"Quantity {_shown(line.quantity)} is {factor:.1f} × the median "
            f"{_shown(median)} this warehouse ordered of {line.sku} "
            f"{_span(context, 'order lines')} (earlier quantities {_range(context)}): "
            f"{abs(outlier.z):.1f} robust SDs {outlier.direction} on a log scale, threshold "
            f"{outlier.baseline.threshold:.1f}."
        )
        yield _purchase_anomaly(
            line,
            outlier,
            title=(
                f"{line.reference}: {_shown(line.quantity)} × {line.sku} is {factor:.1f} × "
                f"the usual {_shown(median)}"
            ),
            explanation=explanation,
            details={
                "measure": "quantity (log scale)",
                "observed": str(line.quantity),
                "ratio_to_median": round(factor, 2),
                "compared_with": "this warehouse's order lines for the product",
                **context,
            },
        )


# -- stock adjustments --------------------------------------------------------------------------


@source(
    "anomaly_stock_adjustment",
    queue=QUEUE,
    label="Unusual stock adjustment",
    owner_role=Role.WAREHOUSE_MANAGER.value,
)
def unusual_stock_adjustments(
    today: datetime.date, company_ids: frozenset[int]
) -> Iterable[Wanted]:
    """An adjustment line of the last 30 days (done or waiting for approval) whose value at
    standard cost is far above the warehouse's usual adjustment line (robust z-score of
    the log value against at least 8 lines of the year before, beyond every earlier
    line's distance). Closes when the adjustment is rejected or leaves the window."""
    start, recent = _windows(today)
    rows = loading.adjustment_lines(company_ids, _since(start))
    local = [(row, timezone.localdate(row.when)) for row in rows]
    baseline = [(row, day) for row, day in local if day < recent]
    judged = [row for row, day in local if recent <= day <= today]

    def key(row: loading.AdjustmentRow) -> Hashable:
        return (row.warehouse_id, row.currency)

    outliers, groups = _score(
        [(key(row), row.value, day) for row, day in baseline],
        [(key(row), row.value) for row in judged],
        log=True,
        absolute_floor=detection.LOG_ABSOLUTE_FLOOR,
        above_only=True,
    )
    for outlier in outliers:
        row = judged[outlier.index]
        context = _baseline_context(groups, outlier)
        median = Decimal(context["baseline_median"])
        sign = "gain" if row.gain else "loss"
        explanation = (
            f"A {sign} of {_shown(row.quantity)} × {row.sku} worth {_shown(row.value)} "
            f"{row.currency} at standard cost is {float(row.value / median):.1f} × the median "
            f"adjustment line {_shown(median)} {row.currency} at {row.warehouse} "
            f"{_span(context, 'lines')} (largest before: "
            f"{_shown(Decimal(context['baseline_high']))}): {outlier.z:.1f} robust SDs above "
            f"on a log scale, threshold {outlier.baseline.threshold:.1f}."
        )
        yield Wanted(
            key=f"adjustment-move:{row.move_id}",
            company_id=row.company_id,
            title=(
                f"{row.reference}: {sign} of {_shown(row.quantity)} × {row.sku} worth "
                f"{_shown(row.value)} {row.currency} — {float(row.value / median):.1f} × the "
                f"usual adjustment at {row.warehouse}"
            ),
            document_label=row.reference,
            document_url=reverse("inventory:transfer_detail", args=[row.transfer_id]),
            severity=_severity(outlier.z, outlier.baseline.threshold),
            warehouse_id=row.warehouse_id,
            since=row.when,
            context={
                "explanation": explanation,
                "measure": "adjustment value at standard cost (log scale)",
                "observed": str(row.value),
                "quantity": str(row.quantity),
                "direction": sign,
                "currency": row.currency,
                "product": row.sku,
                "adjustment": row.reference,
                "state": row.state,
                "compared_with": f"adjustment lines at {row.warehouse}",
                **context,
            },
        )


# -- near-duplicate bills -----------------------------------------------------------------------


@source(
    "anomaly_duplicate_bill",
    queue=QUEUE,
    label="Possible duplicate vendor bill",
    owner_role=Role.AP_CLERK.value,
)
def possible_duplicate_bills(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """Two bills of one supplier in one currency, at most 30 days apart, whose totals
    differ by at most 2 % and whose vendor references are at least 80 % alike (letters
    and digits compared) — the same bill entered twice under a slightly different
    number. Raised while the later bill is at most 90 days old; closes when either bill
    is cancelled or credited."""
    oldest = today - datetime.timedelta(
        days=detection.DUPLICATE_LOOKBACK_DAYS + detection.DUPLICATE_MAX_DAYS
    )
    rows = {row.bill_id: row for row in loading.vendor_bills(company_ids, oldest)}
    facts = [
        detection.BillFacts(
            row.bill_id,
            (row.company_id, row.supplier_id, row.currency),
            row.date,
            row.total,
            row.reference,
        )
        for row in rows.values()
    ]
    newest = today - datetime.timedelta(days=detection.DUPLICATE_LOOKBACK_DAYS)
    for pair in detection.find_near_duplicates(facts):
        if pair.second.date < newest:
            continue
        first, second = rows[pair.first.id], rows[pair.second.id]
        label = second.number or f"Draft bill {second.bill_id}"
        earlier = first.number or f"draft bill {first.bill_id}"
        explanation = (
            f"{label} (ref {second.reference}, {_shown(second.total)} {second.currency}, "
            f"{second.date.isoformat()}) looks like {earlier} (ref {first.reference}, "
            f"{_shown(first.total)} {first.currency}, {first.date.isoformat()}) from "
            f"{second.supplier}: totals differ by {pair.amount_difference * 100:.1f} % "
            f"(at most {detection.DUPLICATE_MAX_AMOUNT_DIFFERENCE * 100:.0f} %), "
            f"{pair.days_apart} days apart (at most {detection.DUPLICATE_MAX_DAYS}), "
            f"references {pair.similarity:.0%} alike (at least "
            f"{detection.DUPLICATE_MIN_SIMILARITY:.0%})."
        )
        yield Wanted(
            key=f"bill-pair:{first.bill_id}-{second.bill_id}",
            company_id=second.company_id,
            title=(
                f"{label} from {second.supplier} may duplicate {earlier}: "
                f"{_shown(second.total)} vs {_shown(first.total)} {second.currency}, "
                f"refs {second.reference} / {first.reference}"
            ),
            document_label=label,
            document_url=reverse("accounting:invoice_detail", args=[second.bill_id]),
            severity=HIGH if pair.amount_difference == 0 else MEDIUM,
            since=_since(second.date),
            context={
                "explanation": explanation,
                "bill": label,
                "bill_reference": second.reference,
                "bill_total": str(second.total),
                "bill_date": second.date.isoformat(),
                "earlier_bill": earlier,
                "earlier_bill_id": first.bill_id,
                "earlier_url": reverse("accounting:invoice_detail", args=[first.bill_id]),
                "earlier_reference": first.reference,
                "earlier_total": str(first.total),
                "earlier_date": first.date.isoformat(),
                "currency": second.currency,
                "supplier": second.supplier,
                "amount_difference_percent": str((pair.amount_difference * 100).quantize(CENT)),
                "days_apart": pair.days_apart,
                "reference_similarity": round(pair.similarity, 3),
                "thresholds": {
                    "amount_difference_percent": str(
                        detection.DUPLICATE_MAX_AMOUNT_DIFFERENCE * 100
                    ),
                    "days_apart": detection.DUPLICATE_MAX_DAYS,
                    "reference_similarity": detection.DUPLICATE_MIN_SIMILARITY,
                },
            },
        )


# -- demand shifts ------------------------------------------------------------------------------


@source(
    "anomaly_demand_shift",
    queue=QUEUE,
    label="Sudden demand shift",
    owner_role=Role.PLANNER.value,
)
def sudden_demand_shifts(today: datetime.date, company_ids: frozenset[int]) -> Iterable[Wanted]:
    """A product at a warehouse whose weekly demand of the last 6 weeks differs from the
    26 weeks before: a two-sided Mann–Whitney U test with p < 0.001, the recent mean at
    least 1.5 × (or at most 1 / 1.5 of) the baseline mean, and demand in at least 8
    baseline weeks. Promotion days are left out. Closes when the recent weeks no longer
    differ (the new level has become the baseline)."""
    weeks = detection.SHIFT_BASELINE_WEEKS + detection.SHIFT_RECENT_WEEKS
    demand = loading.weekly_demand(company_ids, today, weeks)
    shifts = detection.find_level_shifts(demand.weekly)
    if not shifts:
        return
    keys = [demand.keys[shift.row] for shift in shifts]
    skus, codes = loading.product_warehouse_names({k[1] for k in keys}, {k[2] for k in keys})
    recent_start = today - datetime.timedelta(days=7 * detection.SHIFT_RECENT_WEEKS)
    baseline_start = today - datetime.timedelta(days=7 * weeks)
    for shift, (company_id, product_id, warehouse_id) in zip(shifts, keys, strict=True):
        place = f"{skus.get(product_id, product_id)} @ {codes.get(warehouse_id, warehouse_id)}"
        ratio = shift.ratio
        change = f"{ratio:.1f} ×" if math.isfinite(ratio) else "from nothing to"
        explanation = (
            f"Weekly demand for {place} averaged {shift.recent_mean:,.2f} over the last "
            f"{shift.recent_weeks} weeks (from {recent_start.isoformat()}) against "
            f"{shift.baseline_mean:,.2f} over the {shift.baseline_weeks} weeks before "
            f"(from {baseline_start.isoformat()}): {ratio:.2f} × the baseline, Mann–Whitney "
            f"p = {shift.p_value:.1e} (threshold {detection.SHIFT_ALPHA:.0e}, change at "
            f"least {detection.SHIFT_MIN_RATIO} ×)."
        )
        yield Wanted(
            key=f"demand:{product_id}:{warehouse_id}",
            company_id=company_id,
            title=(
                f"Demand for {place} shifted {shift.direction}: {shift.recent_mean:,.1f} a week "
                f"lately against {shift.baseline_mean:,.1f} before ({change})"
            ),
            document_label=place,
            document_url=reverse("planning:item", args=[product_id, warehouse_id]),
            severity=HIGH if ratio >= 3 or ratio <= 1 / 3 else MEDIUM,
            warehouse_id=warehouse_id,
            since=_since(recent_start),
            context={
                "explanation": explanation,
                "measure": "weekly demand",
                "direction": shift.direction,
                "recent_mean": round(shift.recent_mean, 3),
                "recent_weeks": shift.recent_weeks,
                "recent_from": recent_start.isoformat(),
                "baseline_mean": round(shift.baseline_mean, 3),
                "baseline_weeks": shift.baseline_weeks,
                "baseline_from": baseline_start.isoformat(),
                "ratio": round(ratio, 3) if math.isfinite(ratio) else None,
                "p_value": float(f"{shift.p_value:.3e}"),
                "threshold_p": detection.SHIFT_ALPHA,
                "min_ratio": detection.SHIFT_MIN_RATIO,
            },
        )


SOURCE_FUNCTIONS = (
    unusual_purchase_prices,
    unusual_purchase_quantities,
    possible_duplicate_bills,
    unusual_stock_adjustments,
    sudden_demand_shifts,
)
