"""Procure-to-pay KPIs: supplier on-time delivery, receiving accuracy, first-time match,
procurement and approval cycle times."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from crossdock.approvals.models import ApprovalRequest
from crossdock.insight.registry import Direction, Key, Part, Scope, Unit, kpi
from crossdock.insight.slicing import by_day, grouped, keyed_rows, on_days, single
from crossdock.inventory.models import MoveState
from crossdock.purchasing.models import (
    BillMatch,
    MatchStatus,
    OrderState,
    PurchaseOrderLine,
    PurchaseReceiptLine,
)
from crossdock.purchasing.models.sourcing import PurchaseRequisitionLine

SECONDS_PER_DAY = Decimal(86400)
RECEIPT_PATHS = {
    "company": "line__order__company_id",
    "warehouse": "line__order__warehouse_id",
    "region": "line__order__warehouse__region",
    "supplier": "line__order__supplier_id",
    "category": "line__product__category_id",
}
ORDER_LINE_PATHS = {
    "company": "order__company_id",
    "warehouse": "order__warehouse_id",
    "region": "order__warehouse__region",
    "supplier": "order__supplier_id",
    "category": "product__category_id",
}
PURCHASE_DIMENSIONS = ("company", "warehouse", "region", "supplier", "category", "family")
ORDERS = ("purchasing.purchaseorder",)


def _promised_from(day: datetime.date) -> Q:
    """Receipt lines whose promised date (confirmed, else expected) is ``day`` or later."""
    return Q(line__confirmed_date__gte=day) | Q(
        line__confirmed_date__isnull=True, line__expected_date__gte=day
    )


def _promised_before(day: datetime.date) -> Q:
    return Q(line__confirmed_date__lt=day) | Q(
        line__confirmed_date__isnull=True, line__expected_date__lt=day
    )


def received_on_time(scope: Scope) -> Q:
    """Receipt lines done (within the scope's days) on or before their promised date."""
    return by_day("move__done_at", scope.start, scope.end, _promised_from)


def received_late(scope: Scope) -> Q:
    """Receipt lines done (within the scope's days) after their promised date."""
    return by_day("move__done_at", scope.start, scope.end, _promised_before)


def _days_between(start: datetime.datetime, end: datetime.datetime) -> Decimal:
    return Decimal(int((end - start).total_seconds())) / SECONDS_PER_DAY


@kpi(
    "supplier_on_time_delivery",
    "Supplier on-time delivery",
    unit=Unit.PERCENT,
    direction=Direction.HIGHER,
    dimensions=PURCHASE_DIMENSIONS,
    requires=ORDERS,
)
def supplier_on_time_delivery(scope: Scope) -> dict[Key, Part]:
    """Receipt lines received on or before the promised date ÷ receipt lines × 100.

    Receipts of purchase order lines done in the range; the promised date is the
    supplier's confirmed date, else the order line's expected date (as the vendor
    scorecards count it).
    """
    receipts = PurchaseReceiptLine.objects.filter(
        on_days("move__done_at", scope.start, scope.end), move__state=MoveState.DONE
    )
    return single(
        grouped(
            receipts,
            scope,
            RECEIPT_PATHS,
            n=Count("pk", filter=received_on_time(scope)),
            d=Count("pk"),
        )
    )


def first_received(scope: Scope) -> QuerySet[PurchaseOrderLine]:
    """Lines of orders no longer waiting for goods whose first done receipt (annotated
    ``first_receipt``) falls on the scope's days.

    Only lines with a receipt done in the range can qualify: they are picked first (moves
    by done time), so the first receipt is looked up for those alone, not for every line.
    """
    received = PurchaseReceiptLine.objects.filter(
        on_days("move__done_at", scope.start, scope.end), move__state=MoveState.DONE
    )
    first = (
        PurchaseReceiptLine.objects.filter(line=OuterRef("pk"), move__state=MoveState.DONE)
        .order_by()
        .values("line")
        .annotate(at=Min("move__done_at"))
        .values("at")
    )
    return (
        PurchaseOrderLine.objects.filter(
            pk__in=received.values("line_id"),
            order__state__in=(OrderState.RECEIVED, OrderState.BILLED, OrderState.CLOSED),
        )
        .annotate(first_receipt=Subquery(first))
        .filter(on_days("first_receipt", scope.start, scope.end))
    )


@kpi(
    "receiving_accuracy",
    "Receiving accuracy",
    unit=Unit.PERCENT,
    direction=Direction.HIGHER,
    dimensions=PURCHASE_DIMENSIONS,
    requires=ORDERS,
)
def receiving_accuracy(scope: Scope) -> dict[Key, Part]:
    """Order lines received exactly as ordered ÷ order lines received × 100.

    Lines of orders no longer waiting for goods (received, billed or closed) whose first
    receipt was done in the range; exact means the received quantity equals the
    ordered quantity (neither short nor over).
    """
    return single(
        grouped(
            first_received(scope),
            scope,
            ORDER_LINE_PATHS,
            n=Count("pk", filter=Q(received_quantity=F("quantity"))),
            d=Count("pk"),
        )
    )


@kpi(
    "invoice_first_time_match_rate",
    "Invoice first-time match rate",
    unit=Unit.PERCENT,
    direction=Direction.HIGHER,
    dimensions=("company", "warehouse", "region", "supplier"),
    requires=("purchasing.billmatch",),
)
def invoice_first_time_match_rate(scope: Scope) -> dict[Key, Part]:
    """Vendor bills whose first three-way match was *matched* ÷ bills matched × 100.

    Bills dated in the range (not cancelled) with a three-way match; sliced by the
    warehouse of the matched purchase order.
    """
    matches = BillMatch.objects.filter(
        invoice__date__gte=scope.start, invoice__date__lte=scope.end
    ).exclude(invoice__state="cancelled")
    paths = {
        "company": "company_id",
        "warehouse": "order__warehouse_id",
        "region": "order__warehouse__region",
        "supplier": "invoice__partner_id",
    }
    return single(
        grouped(
            matches,
            scope,
            paths,
            n=Count("pk", filter=Q(first_status=MatchStatus.MATCHED)),
            d=Count("pk"),
        )
    )


@kpi(
    "procurement_cycle_time",
    "Procurement cycle time",
    unit=Unit.DAYS,
    direction=Direction.LOWER,
    dimensions=PURCHASE_DIMENSIONS,
    requires=("purchasing.purchaserequisition", "purchasing.purchaseorder"),
)
def procurement_cycle_time(scope: Scope) -> dict[Key, Part]:
    """Σ days from a requisition's submission to the approval of its purchase order ÷ pairs.

    Each (requisition, purchase order) pair whose order was approved in the range
    counts once per slice: requisition lines converted straight into orders, from the
    requisition's submission (else creation) to the order's approval.
    """
    lines = PurchaseRequisitionLine.objects.filter(
        on_days("purchase_order__approved_at", scope.start, scope.end),
        purchase_order__isnull=False,
    )
    paths = {
        "company": "requisition__company_id",
        "warehouse": "requisition__warehouse_id",
        "region": "requisition__warehouse__region",
        "supplier": "purchase_order__supplier_id",
        "category": "product__category_id",
    }
    seen: set[tuple[Key, int, int]] = set()
    parts: dict[Key, Part] = defaultdict(Part)
    for key, row in keyed_rows(
        lines,
        scope,
        paths,
        requisition_pk=F("requisition_id"),
        order_pk=F("purchase_order_id"),
        asked=Coalesce(F("requisition__submitted_at"), F("requisition__created_at")),
        approved=F("purchase_order__approved_at"),
    ):
        pair = (key, row["requisition_pk"], row["order_pk"])
        if pair in seen:
            continue
        seen.add(pair)
        parts[key].add(_days_between(row["asked"], row["approved"]), Decimal(1))
    return dict(parts)


@kpi(
    "approval_cycle_time",
    "Approval cycle time",
    unit=Unit.DAYS,
    direction=Direction.LOWER,
    dimensions=("company",),
    requires=("approvals.approvalrequest",),
)
def approval_cycle_time(scope: Scope) -> dict[Key, Part]:
    """Σ days from submission to decision ÷ approval requests decided in the range.

    Every document type routed through the approvals engine (approved or rejected),
    measured to the second and shown in days.
    """
    requests = ApprovalRequest.objects.filter(
        on_days("decided_at", scope.start, scope.end),
        status__in=(ApprovalRequest.Status.APPROVED, ApprovalRequest.Status.REJECTED),
    )
    parts: dict[Key, Part] = defaultdict(Part)
    for key, row in keyed_rows(
        requests,
        scope,
        {"company": "company_id"},
        submitted=F("submitted_at"),
        decided=F("decided_at"),
    ):
        parts[key].add(_days_between(row["submitted"], row["decided"]), Decimal(1))
    return dict(parts)
