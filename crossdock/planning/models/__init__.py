"""Planning models: settings, lanes, demand history, item profiles, policies, runs and results."""

from crossdock.planning.models.history import DemandDay, DemandSource, Promotion
from crossdock.planning.models.items import (
    ForecastOverride,
    Lifecycle,
    PlanningItem,
    PolicyMethod,
    ReorderPolicy,
    ServiceMeasure,
)
from crossdock.planning.models.runs import (
    PlanningException,
    PlanningExceptionKind,
    ReplenishmentRun,
    RunState,
    SimulationRun,
    Suggestion,
    SuggestionAction,
    SuggestionState,
)
from crossdock.planning.models.settings import PlanningSettings, TransferLane

__all__ = [
    "DemandDay",
    "DemandSource",
    "ForecastOverride",
    "Lifecycle",
    "PlanningException",
    "PlanningExceptionKind",
    "PlanningItem",
    "PlanningSettings",
    "PolicyMethod",
    "Promotion",
    "ReorderPolicy",
    "ReplenishmentRun",
    "RunState",
    "ServiceMeasure",
    "SimulationRun",
    "Suggestion",
    "SuggestionAction",
    "SuggestionState",
    "TransferLane",
]
