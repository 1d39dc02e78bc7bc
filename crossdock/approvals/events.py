"""Events of the approvals engine (webhooks subscribe through the outbox)."""

from dataclasses import dataclass

from crossdock.core.events import DomainEvent


@dataclass(frozen=True)
class ApprovalRequested(DomainEvent):
    name = "approvals.requested"
    request_id: int
    document_type: str
    document_id: str
    approver_ids: tuple[int, ...]


@dataclass(frozen=True)
class ApprovalGranted(DomainEvent):
    name = "approvals.granted"
    request_id: int | None
    document_type: str
    document_id: str
    automatic: bool


@dataclass(frozen=True)
class ApprovalRejected(DomainEvent):
    name = "approvals.rejected"
    request_id: int
    document_type: str
    document_id: str
    comment: str


@dataclass(frozen=True)
class ApprovalStepEscalated(DomainEvent):
    name = "approvals.escalated"
    request_id: int
    step_id: int
    escalated_to: int | None


@dataclass(frozen=True)
class ApprovalReminderSent(DomainEvent):
    name = "approvals.reminded"
    request_id: int
    approver_ids: tuple[int, ...]
