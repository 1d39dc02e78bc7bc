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
from crossdock.purchasing.models.sourcing import (
    PurchaseRequisition,
    PurchaseRequisitionLine,
    RequestForQuotation,
    RequisitionState,
    RfqLine,
    RfqState,
    SupplierQuote,
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
    "PurchaseRequisition",
    "PurchaseRequisitionLine",
    "PurchasingSettings",
    "RequestForQuotation",
    "RequisitionState",
    "RfqLine",
    "RfqState",
    "SupplierPriceBreak",
    "SupplierProduct",
    "SupplierQuote",
]
