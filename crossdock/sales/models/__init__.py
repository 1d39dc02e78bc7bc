from crossdock.sales.models.orders import (
    Channel,
    SalesOrder,
    SalesOrderLine,
    SalesOrderState,
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
    "SalesOrder",
    "SalesOrderLine",
    "SalesOrderState",
    "SalesSettings",
    "SourcingPolicy",
]
