"""Sales' domain events (past tense; webhooks subscribe to them)."""

from __future__ import annotations

from dataclasses import dataclass

from crossdock.core.events import DomainEvent


@dataclass(frozen=True)
class SalesOrderChanged(DomainEvent):
    """An order was created, updated, submitted, held, confirmed, shipped, invoiced or
    cancelled (``change`` says which; the event is named ``sales.order.<change>``)."""

    name = "sales.order"
    order_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"sales.order.{self.change}")


@dataclass(frozen=True)
class SalesReturnChanged(DomainEvent):
    """A return authorization was created, submitted, authorized, rejected, received, resolved
    or cancelled (``change`` says which; the event is named ``sales.return.<change>``)."""

    name = "sales.return"
    rma_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"sales.return.{self.change}")
