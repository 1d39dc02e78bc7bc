from crossdock.quality.models.inspections import (
    Disposition,
    Inspection,
    InspectionResult,
    InspectionState,
    Nonconformance,
)
from crossdock.quality.models.plans import CheckKind, InspectionCheck, InspectionPlan, Sampling

__all__ = [
    "CheckKind",
    "Disposition",
    "Inspection",
    "InspectionCheck",
    "InspectionPlan",
    "InspectionResult",
    "InspectionState",
    "Nonconformance",
    "Sampling",
]
