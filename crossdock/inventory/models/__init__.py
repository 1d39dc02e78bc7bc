"""Inventory: transfers, stock moves and their lines, quants, lots, valuation layers."""

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
    "CostPool",
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
