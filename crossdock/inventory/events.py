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


@dataclass(frozen=True)
class PickWaveChanged(DomainEvent):
    """A pick wave was created, done (its transfers validated) or cancelled."""

    name = "inventory.pick-wave"
    wave_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"inventory.pick-wave.{self.change}")


@dataclass(frozen=True)
class PackagesPacked(DomainEvent):
    """Packages were packed for an outgoing transfer."""

    name = "inventory.transfer.packed"
    transfer_id: int
    package_ids: tuple[int, ...]


@dataclass(frozen=True)
class ShipmentShipped(DomainEvent):
    """A delivery left with its carrier: what a customer notification (e-mail, webhook) needs."""

    name = "inventory.shipment.shipped"
    shipment_id: int
    transfer_id: int
    reference: str
    partner_id: int | None
    carrier: str
    service_level: str
    tracking_number: str
    shipped_at: str  # ISO 8601
    package_numbers: tuple[str, ...] = ()
