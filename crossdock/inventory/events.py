"""Inventory events: what accounting, planning and integrations subscribe to."""

from dataclasses import dataclass

from crossdock.core.events import DomainEvent


@dataclass(frozen=True)
class TransferChanged(DomainEvent):
    name = "inventory.transfer"
    transfer_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"inventory.transfer.{self.change}")


@dataclass(frozen=True)
class StockValued(DomainEvent):
    """Valuation layers were recorded for done moves (accounting posts from these)."""

    name = "inventory.stock-valued"
    move_ids: tuple[int, ...]
