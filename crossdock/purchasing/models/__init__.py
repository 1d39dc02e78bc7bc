from crossdock.purchasing.models.catalogue import SupplierPriceBreak, SupplierProduct
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
    "MatchStatus",
    "OrderState",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderRevision",
    "PurchaseReceiptLine",
    "PurchasingSettings",
    "SupplierPriceBreak",
    "SupplierProduct",
]
