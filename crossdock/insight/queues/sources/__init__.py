"""The queue sources, one module per feeding domain (importing them registers them)."""

from crossdock.insight.queues.sources import (  # noqa: F401
    approvals,
    inventory,
    payables,
    planning,
    purchasing,
    sales,
    service,
)
