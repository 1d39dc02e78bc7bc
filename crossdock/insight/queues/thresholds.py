"""When a cause becomes an exception item: the thresholds of the queue sources.

The defaults below apply everywhere; a deployment changes them with the Django setting
``CROSSDOCK_QUEUE_THRESHOLDS`` (a dict of the same names), and a company with its own
values (:class:`~crossdock.insight.models.QueueThresholds`, edited through
:mod:`crossdock.insight.queues.company_thresholds`) overrides both for its items.

:func:`threshold` answers for one company. The refresh reads every company's values
once, in :func:`read_once`, so a source asking per row costs no query; a source that
filters in SQL first uses :func:`loosest` (the value that lets the most rows through)
and then checks each row against its company's value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


Values = dict[str, int]
_read: ContextVar[tuple[Values, dict[int, Values]] | None] = ContextVar(
    "queue_thresholds", default=None
)


def deployment_values() -> Values:
    """The defaults overlaid with the deployment's setting."""
    overrides: dict[str, Any] = getattr(settings, "CROSSDOCK_QUEUE_THRESHOLDS", {}) or {}
    return {name: int(overrides.get(name, default)) for name, default in DEFAULTS.items()}


def company_values(company_ids: Iterable[int] | None = None) -> dict[int, Values]:
    """Company → the values it set itself (known names only; one query)."""
    from crossdock.insight.models import QueueThresholds

    rows = QueueThresholds.objects.all()
    if company_ids is not None:
        rows = rows.filter(company_id__in=list(company_ids))
    return {
        company: {name: int(value) for name, value in values.items() if name in DEFAULTS}
        for company, values in rows.values_list("company_id", "values")
    }


@contextmanager
def read_once() -> Iterator[None]:
    """Within the block, every :func:`threshold` reads what was read here (one query)."""
    token = _read.set((deployment_values(), company_values()))
    try:
        yield
    finally:
        _read.reset(token)


def _values(company_id: int | None) -> Values:
    read = _read.get()
    if read is None:
        base = deployment_values()
        own = company_values([company_id]) if company_id is not None else {}
    else:
        base, own = read
    return {**base, **own.get(company_id, {})} if company_id is not None else base


def threshold(name: str, company_id: int | None = None) -> int:
    """The value of one threshold for the company (else the deployment's, else the default)."""
    return _values(company_id)[name]


def thresholds_of(company_id: int) -> Values:
    """Every threshold as it applies to the company."""
    return _values(company_id)


def loosest(name: str, company_ids: Iterable[int], *, lowest: bool = True) -> int:
    """The value over the companies that lets the most rows through a filter in SQL (the
    lowest, or the highest with ``lowest=False``); check each row with :func:`threshold`."""
    values = [threshold(name, company) for company in company_ids] or [threshold(name)]
    return min(values) if lowest else max(values)
