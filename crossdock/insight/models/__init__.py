from crossdock.insight.models.snapshots import KpiSnapshot

__all__ = ["KpiSnapshot"]
