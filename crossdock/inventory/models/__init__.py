"""Inventory: transfers, stock moves and their lines, quants, lots, valuation layers, counts."""

from crossdock.inventory.models.counts import (
    AbcClass,
    CountLine,
    CountScope,
    CountSheet,
    CountState,
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
    "PutawayRule",
    "Quant",
    "RemovalRule",
    "RemovalStrategy",
    "StockMove",
    "Transfer",
    "TransferKind",
    "ValuationLayer",
]
