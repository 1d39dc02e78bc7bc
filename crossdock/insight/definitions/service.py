"""After-sales service KPIs: the backlog of open cases."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from crossdock.insight.registry import Direction, Key, Part, Scope, Unit, kpi
from crossdock.insight.slicing import keyed_rows, midnight
from crossdock.service.models import ServiceCase

CASE_PATHS = {
    "company": "company_id",
    "customer_tier": "customer__customer_tier",
    "category": "product__category_id",
}
ONE_DAY = datetime.timedelta(days=1)


def backlog_cases(scope: Scope) -> QuerySet[ServiceCase]:
    """Cases open at the end of at least one day of the range: opened before its last day
    ended, and not resolved before its first day ended."""
    return ServiceCase.objects.filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=midnight(scope.start + ONE_DAY)),
        opened_at__lt=midnight(scope.end + ONE_DAY),
    )


def days_open_at_day_end(scope: Scope, opened_at: Any, resolved_at: Any) -> int:
    """How many days of the range end with the case open (opened on or before the day, not
    resolved by its end)."""
    first = max(scope.start, timezone.localdate(opened_at))
    last = scope.end
    if resolved_at is not None:
        last = min(last, timezone.localdate(resolved_at) - ONE_DAY)
    return max((last - first).days + 1, 0)


@kpi(
    "service_backlog",
    "Service backlog",
    unit=Unit.COUNT,
    direction=Direction.LOWER,
    dimensions=("company", "customer_tier", "category", "family"),
    requires=("service.servicecase",),
)
def service_backlog(scope: Scope) -> dict[Key, Part]:
    """Σ over the days of the range of the cases open at the end of the day ÷ days.

    A case is open at the end of a day when it was opened on or before that day and not
    resolved by its end (resolved or closed later, or not yet). For one day it is the
    number of open cases; over a range, the average daily backlog. Sliced by the
    customer's tier and the case's product (cases without a product form their own slice).
    """
    parts: dict[Key, Part] = defaultdict(Part)
    rows = keyed_rows(
        backlog_cases(scope), scope, CASE_PATHS, opened=F("opened_at"), resolved=F("resolved_at")
    )
    for key, row in rows:
        parts[key].numerator += Decimal(days_open_at_day_end(scope, row["opened"], row["resolved"]))
    days = Decimal(scope.days)
    for part in parts.values():
        part.denominator = days
    return dict(parts)
