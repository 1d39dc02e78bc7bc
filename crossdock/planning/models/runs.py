"""Replenishment runs, their explained suggestions and exceptions, and policy simulations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from crossdock.core.fields import PriceField, QuantityField
from crossdock.core.permissions import ScopedModel


class RunState(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ReplenishmentRun(ScopedModel):
    """One planning pass over a company's network: forecasts, levels, suggestions, exceptions.

    A run is all or nothing: its suggestions and exceptions appear when it is done; a failed
    run keeps its error and leaves the previous run's results as they were.
    """

    company = models.ForeignKey("masterdata.Company", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.RUNNING)
    reuse_forecasts = models.BooleanField(default=False)
    as_of = models.DateField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)  # elapsed wall time, not a quantity
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    items = models.PositiveIntegerField(default=0)
    suggestions_count = models.PositiveIntegerField(default=0)
    exceptions_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Replenishment run {self.pk} ({self.state})"


class SuggestionAction(models.TextChoices):
    BUY = "buy", "Buy"
    TRANSFER = "transfer", "Transfer"


class SuggestionState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CONVERTED = "converted", "Converted"
    SUPERSEDED = "superseded", "Superseded"


class Suggestion(ScopedModel):
    """Buy or transfer a quantity of one product for one warehouse, with the figures behind it."""

    warehouse_path = "warehouse"

    run = models.ForeignKey(ReplenishmentRun, on_delete=models.CASCADE, related_name="suggestions")
    company = models.ForeignKey("masterdata.Company", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=10, choices=SuggestionAction.choices)
    state = models.CharField(
        max_length=10, choices=SuggestionState.choices, default=SuggestionState.PROPOSED
    )
    quantity = QuantityField()
    source_warehouse = models.ForeignKey(
        "masterdata.Warehouse", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    supplier = models.ForeignKey(
        "masterdata.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit_cost = PriceField(null=True, blank=True)
    lead_time_days = models.PositiveIntegerField(default=0)
    order_by = models.DateField(null=True, blank=True)
    arrives_on = models.DateField(null=True, blank=True)
    # the figures behind it (all in the product's base unit)
    on_hand = QuantityField(default=0)
    reserved = QuantityField(default=0)
    open_supply = QuantityField(default=0)
    backordered = QuantityField(default=0)
    projected = QuantityField(default=0, help_text="Available after open supply and backorders.")
    demand_over_lead_time = QuantityField(default=0)
    safety_stock = QuantityField(default=0)
    reorder_point = QuantityField(default=0)
    order_up_to = QuantityField(default=0)
    reason = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(
        max_length=300, blank=True, help_text="Why the planner rejected it."
    )
    # the document it became: requisition, rfq, purchase_order or transfer
    document_type = models.CharField(max_length=20, blank=True)
    document_id = models.PositiveBigIntegerField(null=True, blank=True)
    document_reference = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["warehouse", "product"]
        indexes = [
            models.Index(fields=["run", "state"], name="suggestion_run_state"),
            models.Index(fields=["company", "state"], name="suggestion_company_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="suggestion_quantity_positive"
            ),
            models.CheckConstraint(
                condition=(Q(action="buy") & Q(source_warehouse__isnull=True))
                | (Q(action="transfer") & Q(source_warehouse__isnull=False)),
                name="suggestion_source_matches_action",
            ),
        ]

    def __str__(self) -> str:
        action = self.get_action_display()
        return f"{action} {self.quantity} of {self.product_id}@{self.warehouse_id}"


class PlanningExceptionKind(models.TextChoices):
    STOCKOUT_RISK = "stockout_risk", "Stockout risk inside the lead time"
    EXCESS = "excess", "Excess stock"
    DEAD_STOCK = "dead_stock", "Dead stock"
    FORECAST_BIAS = "forecast_bias", "Forecast bias"
    NO_SUPPLIER = "no_supplier", "No supplier"
    NO_LEAD_TIME = "no_lead_time", "No lead time"
    NO_HISTORY = "no_history", "No demand history"
    NEGATIVE_DEMAND = "negative_demand", "Negative or zero demand anomaly"
    INVALID_POLICY = "invalid_policy", "Invalid policy"


class PlanningException(ScopedModel):
    """Something a planner must look at: raised by a run, closed by a run that finds it gone."""

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(
        ReplenishmentRun, on_delete=models.SET_NULL, null=True, related_name="exceptions"
    )
    kind = models.CharField(max_length=20, choices=PlanningExceptionKind.choices)
    product = models.ForeignKey("masterdata.Product", on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    owner_role = models.CharField(max_length=30, default="planner")
    severity = models.PositiveSmallIntegerField(default=2, help_text="1 low, 2 medium, 3 high")
    message = models.CharField(max_length=300)
    suggested_action = models.CharField(max_length=300, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-severity", "opened_at"]
        indexes = [models.Index(fields=["company", "closed_at"], name="planning_exception_open")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "product", "warehouse"],
                condition=Q(closed_at__isnull=True),
                name="planning_exception_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.product_id}@{self.warehouse_id}"


class SimulationRun(ScopedModel):
    """A replay of history under several policies, kept so planners can compare them."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    policies = models.JSONField(default=list)
    results = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Simulation {self.pk} {self.starts_on}–{self.ends_on}"
