"""When a cause becomes an exception item: the thresholds of the queue sources.

The defaults below apply everywhere; a deployment changes them with the Django setting
``CROSSDOCK_QUEUE_THRESHOLDS`` (a dict of the same names), read at each refresh.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, int] = {
    # an approval request pending longer than this is a bottleneck
    "approval_bottleneck_hours": 48,
    # a return (RMA) not closed this many days after it was opened is unresolved
    "return_open_days": 14,
    # two bills of a supplier with the same amount this close in days are suspects
    "duplicate_bill_days": 7,
    # only bills dated this recently are compared for duplicates
    "duplicate_bill_window_days": 120,
    # a supplier confirmation at least this many days after the requested date is a delay
    "supplier_delay_days": 1,
    # a supplier whose on-time delivery rate over this many days fell by more than
    # on_time_drop_points against the days before is a delay (each period needs at least
    # on_time_min_lines receipt lines to count)
    "on_time_window_days": 90,
    "on_time_drop_points": 10,
    "on_time_min_lines": 5,
    # a delivery or dispatch waiting for stock this many days past its date is blocked
    "blocked_shipment_days": 0,
    # days late from which an item is of medium and of high severity
    "medium_after_days": 3,
    "high_after_days": 7,
}


def threshold(name: str) -> int:
    """The value of one threshold (the setting's, else the default)."""
    overrides: dict[str, Any] = getattr(settings, "CROSSDOCK_QUEUE_THRESHOLDS", {}) or {}
    return int(overrides.get(name, DEFAULTS[name]))
