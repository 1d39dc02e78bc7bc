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


@dataclass(frozen=True)
class CountSheetChanged(DomainEvent):
    """A count sheet was created, started, counted, submitted, closed or cancelled."""

    name = "inventory.count"
    sheet_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"inventory.count.{self.change}")
