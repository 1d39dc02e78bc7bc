"""Purchasing queries: settings with their defaults, expected receipts, the AP match queue."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, QuerySet

from crossdock.core.fields import FixedDecimalField
from crossdock.purchasing.models import (
    BillMatch,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchasingSettings,
)
from crossdock.purchasing.models.matching import EXCEPTION_STATUSES
from crossdock.purchasing.models.orders import RECEIVABLE_STATES


def settings_for(company_id: int) -> PurchasingSettings:
    """The company's purchasing settings, or the defaults when none were saved."""
    found = PurchasingSettings.objects.filter(company_id=company_id).first()
    if found is not None:
        return found
    defaults = PurchasingSettings(company_id=company_id)
    # Unsaved, the tolerances hold their int defaults; callers need Decimals (normalize()).
    for field in PurchasingSettings._meta.concrete_fields:
        if isinstance(field, FixedDecimalField):
            setattr(defaults, field.attname, field.to_python(getattr(defaults, field.attname)))
    return defaults


@dataclass(frozen=True)
class ExpectedReceipt:
    """An order line still awaited: what, how many, when (confirmed date first)."""

    line: PurchaseOrderLine
    open_quantity: Decimal
    due: datetime.date
    late_days: int


def expected_receipts(
    orders: QuerySet[PurchaseOrder], *, today: datetime.date, until: datetime.date | None = None
) -> list[ExpectedReceipt]:
    """Open lines of receivable orders (already scoped by the caller), by due date."""
    lines = (
        PurchaseOrderLine.objects.filter(
            order__in=orders.filter(state__in=RECEIVABLE_STATES),
            received_quantity__lt=F("quantity"),
        )
        .select_related("order__supplier", "order__warehouse", "product")
        .order_by("expected_date", "order_id", "sequence")
    )
    found = []
    for line in lines:
        due = line.confirmed_date or line.expected_date
        if until is not None and due > until:
            continue
        found.append(
            ExpectedReceipt(
                line, line.quantity - line.received_quantity, due, max((today - due).days, 0)
            )
        )
    found.sort(key=lambda r: (r.due, r.line.order_id, r.line.sequence))
    return found


def match_queue(matches: QuerySet[BillMatch]) -> QuerySet[BillMatch]:
    """The AP exception queue: bills whose match needs someone, oldest first."""
    return (
        matches.filter(status__in=EXCEPTION_STATUSES, invoice__state="draft")
        .select_related("invoice__partner", "order")
        .order_by("checked_at")
    )
