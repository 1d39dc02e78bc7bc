"""Planning's domain events (past tense; webhooks subscribe to them)."""

from __future__ import annotations

from dataclasses import dataclass

from crossdock.core.events import DomainEvent


@dataclass(frozen=True)
class DemandHistoryChanged(DomainEvent):
    """A company's demand history was rebuilt, imported, flagged or classified (``change``
    says which; the event is named ``planning.demand-history.<change>``)."""

    name = "planning.demand-history"
    change: str
    rows: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"planning.demand-history.{self.change}")
