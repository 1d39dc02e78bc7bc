from crossdock.insight.models.queues import ExceptionItem, QueueThresholds
from crossdock.insight.models.snapshots import KpiSnapshot

__all__ = ["ExceptionItem", "KpiSnapshot", "QueueThresholds"]
