"""The KPI definitions; importing this package registers every KPI in the registry.

Service backlog is not here: Crossdock has no service (cases, SLA) module yet.
"""

from crossdock.insight.definitions import finance, inventory, purchasing, sales

__all__ = ["finance", "inventory", "purchasing", "sales"]
