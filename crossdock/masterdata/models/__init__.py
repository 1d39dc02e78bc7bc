"""Master data: companies, sites, units, products, partners, currencies, price lists."""

from crossdock.masterdata.models.access import UserAccess
from crossdock.masterdata.models.currency import Currency, ExchangeRate
from crossdock.masterdata.models.organisation import (
    Company,
    DeliverySteps,
    Location,
    LocationKind,
    ReceiptSteps,
    Warehouse,
)
from crossdock.masterdata.models.partner import (
    ApprovalStatus,
    CustomerTier,
    Partner,
    PartnerAddress,
    PartnerBankAccount,
    PaymentTerm,
    SupplierRiskClass,
)
from crossdock.masterdata.models.pricing import (
    PriceChangeAction,
    PriceChangeState,
    PriceList,
    PriceListChange,
    PriceListChangeLine,
    PriceListItem,
)
from crossdock.masterdata.models.product import (
    CostingMethod,
    Product,
    ProductBarcode,
    ProductCategory,
    ProductStatus,
    Tracking,
)
from crossdock.masterdata.models.units import Unit, UnitCategory

__all__ = [
    "ApprovalStatus",
    "Company",
    "CostingMethod",
    "Currency",
    "CustomerTier",
    "DeliverySteps",
    "ExchangeRate",
    "Location",
    "LocationKind",
    "Partner",
    "PartnerAddress",
    "PartnerBankAccount",
    "PaymentTerm",
    "PriceChangeAction",
    "PriceChangeState",
    "PriceList",
    "PriceListChange",
    "PriceListChangeLine",
    "PriceListItem",
    "Product",
    "ProductBarcode",
    "ProductCategory",
    "ProductStatus",
    "ReceiptSteps",
    "SupplierRiskClass",
    "Tracking",
    "Unit",
    "UnitCategory",
    "UserAccess",
    "Warehouse",
]
