from crossdock.purchasing.models.catalogue import SupplierPriceBreak, SupplierProduct
from crossdock.purchasing.models.exceptions import ExceptionKind, PurchaseException
from crossdock.purchasing.models.matching import BillMatch, MatchStatus
from crossdock.purchasing.models.orders import (
    OrderState,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderRevision,
    PurchaseReceiptLine,
    PurchasingSettings,
)

__all__ = [
    "BillMatch",
    "ExceptionKind",
    "MatchStatus",
    "OrderState",
    "PurchaseException",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderRevision",
    "PurchaseReceiptLine",
    "PurchasingSettings",
    "SupplierPriceBreak",
    "SupplierProduct",
]
