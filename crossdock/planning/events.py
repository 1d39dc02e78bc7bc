"""Planning's domain events (past tense; webhooks subscribe to them)."""

from __future__ import annotations

from dataclasses import dataclass

from crossdock.core.events import DomainEvent


@dataclass(frozen=True)
class ReplenishmentRunFinished(DomainEvent):
    """A replenishment run finished (``state`` done or failed) with its counts."""

    name = "planning.run.finished"
    run_id: int
    state: str
    suggestions: int
    exceptions: int


@dataclass(frozen=True)
class SuggestionChanged(DomainEvent):
    """A suggestion was approved, rejected, re-quantified or converted into a document
    (``planning.suggestion.<change>``)."""

    name = "planning.suggestion"
    suggestion_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"planning.suggestion.{self.change}")


@dataclass(frozen=True)
class ReorderPolicyChanged(DomainEvent):
    """A reorder policy was set or cleared (``planning.policy.<change>``)."""

    name = "planning.policy"
    policy_id: int
    product_id: int
    warehouse_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"planning.policy.{self.change}")


@dataclass(frozen=True)
class ForecastOverrideChanged(DomainEvent):
    """A forecast override was created or ended (``planning.override.<change>``)."""

    name = "planning.override"
    override_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"planning.override.{self.change}")


@dataclass(frozen=True)
class DemandHistoryChanged(DomainEvent):
    """A company's demand history was rebuilt, imported, flagged or classified (``change``
    says which; the event is named ``planning.demand-history.<change>``)."""

    name = "planning.demand-history"
    change: str
    rows: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"planning.demand-history.{self.change}")
