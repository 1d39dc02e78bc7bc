"""The KPI definitions; importing this package registers every KPI in the registry."""

from crossdock.insight.definitions import finance, inventory, purchasing, sales, service

__all__ = ["finance", "inventory", "purchasing", "sales", "service"]
