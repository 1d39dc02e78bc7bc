"""Inventory: transfers, moves, quants, lots, valuation, counts, pick waves, packages, shipments."""

from crossdock.inventory.models.counts import (
    AbcClass,
    CountLine,
    CountScope,
    CountSheet,
    CountState,
)
from crossdock.inventory.models.fulfilment import (
    Package,
    PackageContent,
    PackageType,
    PickWave,
    PickWaveState,
    Shipment,
)
from crossdock.inventory.models.stock import (
    Lot,
    MoveLine,
    MoveState,
    PutawayRule,
    Quant,
    RemovalRule,
    RemovalStrategy,
    StockMove,
    Transfer,
    TransferKind,
)
from crossdock.inventory.models.valuation import CostPool, ValuationLayer

__all__ = [
    "AbcClass",
    "CostPool",
    "CountLine",
    "CountScope",
    "CountSheet",
    "CountState",
    "Lot",
    "MoveLine",
    "MoveState",
    "Package",
    "PackageContent",
    "PackageType",
    "PickWave",
    "PickWaveState",
    "PutawayRule",
    "Quant",
    "RemovalRule",
    "RemovalStrategy",
    "Shipment",
    "StockMove",
    "Transfer",
    "TransferKind",
    "ValuationLayer",
]
