"""Quality's domain events (past tense; webhooks subscribe to them)."""

from __future__ import annotations

from dataclasses import dataclass

from crossdock.core.events import DomainEvent


@dataclass(frozen=True)
class InspectionChanged(DomainEvent):
    """An inspection was opened or its results recorded (``quality.inspection.<change>``)."""

    name = "quality.inspection"
    inspection_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"quality.inspection.{self.change}")


@dataclass(frozen=True)
class NonconformanceChanged(DomainEvent):
    """A nonconformance was opened or its goods returned (``quality.nonconformance.<change>``)."""

    name = "quality.nonconformance"
    nonconformance_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"quality.nonconformance.{self.change}")
