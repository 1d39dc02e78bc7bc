from crossdock.sales.models.orders import (
    Channel,
    SalesOrder,
    SalesOrderLine,
    SalesOrderState,
)
from crossdock.sales.models.returns import (
    ReturnAuthorization,
    ReturnLine,
    ReturnReason,
    ReturnResolution,
    ReturnState,
)
from crossdock.sales.models.settings import (
    InvoicePolicy,
    MarginFloor,
    SalesSettings,
    SourcingPolicy,
)

__all__ = [
    "Channel",
    "InvoicePolicy",
    "MarginFloor",
    "ReturnAuthorization",
    "ReturnLine",
    "ReturnReason",
    "ReturnResolution",
    "ReturnState",
    "SalesOrder",
    "SalesOrderLine",
    "SalesOrderState",
    "SalesSettings",
    "SourcingPolicy",
]
