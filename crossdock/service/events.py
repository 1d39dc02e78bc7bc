"""Service's domain events (past tense; webhooks subscribe to them)."""

from __future__ import annotations

from dataclasses import dataclass

from crossdock.core.events import DomainEvent


@dataclass(frozen=True)
class ServiceCaseChanged(DomainEvent):
    """A case was opened, assigned, answered, moved, resolved, closed, reopened or escalated
    (``service.case.<change>``)."""

    name = "service.case"
    case_id: int
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"service.case.{self.change}")
