"""Request and response bodies of the approvals API."""

import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from crossdock.api.schemas import Id, InputSchema, QueryId, Text

MAX_LEVELS = 20
MAX_BULK = 200
Cursor = Annotated[Text | None, Field(None, max_length=1000)]
Limit = Annotated[int, Field(50, ge=1, le=500)]


class LevelIn(InputSchema):
    name: Annotated[Text, Field(min_length=1, max_length=100)]
    rule: Literal["role", "user", "manager", "budget_owner"]
    mode: Literal["parallel", "sequential"] = "parallel"
    min_approvals: int = Field(1, ge=1, le=100)
    role: Annotated[Text, Field(max_length=40)] = ""
    user: Id | None = Field(None, description="Id of the approving user (rule 'user').")
    manager_depth: int = Field(1, ge=1, le=20)
    sla_hours: int | None = Field(None, ge=1, le=8760)
    escalate_to: Id | None = Field(None, description="Id of the user overdue steps go to.")


class PolicyFields(InputSchema):
    company: Id
    document_type: Annotated[Text, Field(max_length=60)]
    name: Annotated[Text, Field(max_length=200)]
    condition: dict[str, Any] = Field(
        description='A condition tree: {"all"|"any": [...]}, {"not": ...} or '
        '{"field": ..., "op": ..., "value": ...}; decimals as strings.'
    )
    levels: list[LevelIn] = Field(max_length=MAX_LEVELS)


class PolicyIn(PolicyFields):
    version: Id | None = Field(None, description="The version you edited (PUT only).")


class SimulationIn(PolicyFields):
    name: Annotated[Text, Field(max_length=200)] = "Simulation"
    days: int = Field(30, ge=1, le=366, description="Look back this many days.")


class LevelOut(Schema):
    sequence: int
    name: str
    rule: str
    mode: str
    min_approvals: int
    role: str
    user: int | None
    manager_depth: int
    sla_hours: int | None
    escalate_to: int | None


class PolicyOut(Schema):
    id: int
    company: int
    document_type: str
    name: str
    condition: dict[str, Any]
    status: str
    version: int
    levels: list[LevelOut]
    created_at: datetime.datetime
    updated_at: datetime.datetime


class PolicyPage(Schema):
    items: list[PolicyOut]
    next_cursor: str | None


class PolicyListParams(Schema):
    company: QueryId | None = None
    document_type: Annotated[Text | None, Field(None, max_length=60)]
    status: Literal["draft", "active", "retired"] | None = None
    ordering: Literal["name", "-name", "created_at", "-created_at"] = "name"
    cursor: Cursor
    limit: Limit


class RouteOut(Schema):
    level: str
    approvers: list[str]


class MatchedOut(Schema):
    id: Any
    document: str
    route: list[RouteOut]


class SimulationOut(Schema):
    days: int
    documents: int
    matched: list[MatchedOut]
    requests_per_approver: dict[str, int]
    expected_added_hours: float
    unroutable: int


class RequestOut(Schema):
    id: int
    company: int
    document_type: str
    document_id: str
    document_label: str
    policy: int
    policy_name: str
    status: str
    current_level: int
    requester: int | None
    submitted_at: datetime.datetime
    decided_at: datetime.datetime | None
    facts: dict[str, Any]
    version: int


class RequestPage(Schema):
    items: list[RequestOut]
    next_cursor: str | None


class StepOut(Schema):
    id: int
    level: int
    order: int
    approver: int
    approver_label: str
    on_behalf_of: int | None
    status: str
    opened_at: datetime.datetime | None
    due_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    comment: str


class HistoryOut(Schema):
    status: str
    submitted_at: datetime.datetime
    decided_at: datetime.datetime | None


class RequestDetailOut(RequestOut):
    document_type_label: str
    summary: dict[str, str]
    facts_labelled: dict[str, Any]
    history: list[HistoryOut]
    steps: list[StepOut]
    can_decide: bool
    audit_url: str


class RequestListParams(Schema):
    mine: bool = Field(False, description="Only requests waiting for my decision.")
    status: Literal["pending", "approved", "rejected", "cancelled"] | None = None
    document_type: Annotated[Text | None, Field(None, max_length=60)]
    company: QueryId | None = None
    ordering: Literal["submitted_at", "-submitted_at"] = "-submitted_at"
    cursor: Cursor
    limit: Limit


class DecisionIn(InputSchema):
    comment: Annotated[Text, Field(max_length=2000)] = ""


class BulkApproveIn(InputSchema):
    ids: list[Id] = Field(min_length=1, max_length=MAX_BULK)
    comment: Annotated[Text, Field(max_length=2000)] = ""


class BulkResultOut(Schema):
    request: int
    ok: bool
    message: str


class BulkApproveOut(Schema):
    results: list[BulkResultOut]


class DelegationIn(InputSchema):
    delegate: Id
    starts_on: datetime.date
    ends_on: datetime.date
    reason: Annotated[Text, Field(max_length=200)] = ""
    delegator: Id | None = Field(None, description="Whose approvals; default: yours.")


class DelegationOut(Schema):
    id: int
    delegator: int
    delegator_label: str
    delegate: int
    delegate_label: str
    starts_on: datetime.date
    ends_on: datetime.date
    reason: str


class DelegationPage(Schema):
    items: list[DelegationOut]
    next_cursor: str | None


class DelegationListParams(Schema):
    current: bool = Field(False, description="Only delegations running today or later.")
    cursor: Cursor
    limit: Limit


class BudgetOwnerIn(InputSchema):
    company: Id
    category: Id
    owner: Id


class BudgetOwnerOut(Schema):
    id: int
    company: int
    category: int
    category_path: str
    owner: int
    owner_label: str
    version: int


class BudgetOwnerPage(Schema):
    items: list[BudgetOwnerOut]
    next_cursor: str | None


class BudgetOwnerListParams(Schema):
    company: QueryId | None = None
    cursor: Cursor
    limit: Limit


class PolicyMetricsOut(Schema):
    policy_id: int
    policy: str
    requests: int
    approved: int
    rejected: int
    pending: int
    rejection_rate: float
    override_rate: float
    median_cycle_hours: float | None


class ApproverMetricsOut(Schema):
    approver: str
    decided: int
    open: int
    median_decision_hours: float | None


class MetricsOut(Schema):
    policies: list[PolicyMetricsOut]
    approvers: list[ApproverMetricsOut]
    aging: dict[str, int]


class MetricsParams(Schema):
    company: QueryId | None = None
    document_type: Annotated[Text | None, Field(None, max_length=60)]
