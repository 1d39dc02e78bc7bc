from crossdock.service.models.cases import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    CaseCategory,
    CasePriority,
    CaseStatus,
    ServiceCase,
    SLAPolicy,
)

__all__ = [
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "CaseCategory",
    "CasePriority",
    "CaseStatus",
    "SLAPolicy",
    "ServiceCase",
]
