"""Service cases and the SLA policies that set their due times.

Design overview
---------------
A :class:`ServiceCase` is one customer's enquiry, complaint, warranty claim or
delivery issue, optionally tied to the sales order, product or return
authorization it is about. Its life::

    open → in progress ⇄ waiting on customer → resolved → closed
      ↘___________________________________↗      ↘ reopened (open again)

``opened_at`` starts the clock. The company's :class:`SLAPolicy` for the case's
priority gives ``first_response_due`` (opened + response hours) and
``resolve_due`` (opened + resolution hours); a company without a policy for that
priority sets no due times, and such cases never escalate. The first answer to
the customer stamps ``first_response_at``; resolving stamps ``resolved_at`` (and
the first response, if none was recorded); closing stamps ``closed_at``.
Reopening clears both: the case is open again, against its original due times.

Escalation: a case still open past its first-response due time is escalated to
level 1, past its resolution due time to level 2; ``escalated_at`` is when it
last went up a level. The database keeps these facts consistent (the named
constraints below), so no path can leave a resolved case without its time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from crossdock.core.permissions import ScopedModel


class CaseCategory(models.TextChoices):
    ENQUIRY = "enquiry", "Enquiry"
    COMPLAINT = "complaint", "Complaint"
    WARRANTY_CLAIM = "warranty_claim", "Warranty claim"
    DELIVERY_ISSUE = "delivery_issue", "Delivery issue"
    BILLING = "billing", "Billing question"
    OTHER = "other", "Other"


class CasePriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING = "waiting", "Waiting on customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.WAITING)
CLOSED_STATUSES = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
# Escalation levels: the first response is late, then the resolution is late.
RESPONSE_LATE = 1
RESOLUTION_LATE = 2


class SLAPolicy(ScopedModel):
    """How fast a company answers and resolves cases of one priority (hours from opening)."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    priority = models.CharField(max_length=10, choices=CasePriority.choices)
    response_hours = models.PositiveIntegerField(help_text="Hours to the first response.")
    resolution_hours = models.PositiveIntegerField(help_text="Hours to the resolution.")

    class Meta:
        ordering = ["company", "priority", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["company", "priority"],
                name="service_sla_one_per_priority",
                violation_error_message="The company already has a policy for this priority.",
            ),
            models.CheckConstraint(
                condition=Q(response_hours__gt=0) & Q(resolution_hours__gte=F("response_hours")),
                name="service_sla_hours_consistent",
                violation_error_message="Response hours must be above 0 and at most the "
                "resolution hours.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_priority_display()}: {self.response_hours} h / {self.resolution_hours} h"


class ServiceCase(ScopedModel):
    """One customer's after-sales case, from opening to its resolution, with its SLA clock."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40, unique=True)
    customer = models.ForeignKey(
        "masterdata.Partner", on_delete=models.PROTECT, related_name="service_cases"
    )
    sales_order = models.ForeignKey(
        "sales.SalesOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        "masterdata.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_authorization = models.ForeignKey(
        "sales.ReturnAuthorization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=CaseCategory.choices)
    priority = models.CharField(
        max_length=10, choices=CasePriority.choices, default=CasePriority.NORMAL
    )
    status = models.CharField(max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolve_due = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True, help_text="What was done, in words.")

    class Meta:
        ordering = ["-id"]
        verbose_name = "service case"
        indexes = [
            models.Index(fields=["company", "status"], name="service_case_status_idx"),
            models.Index(fields=["customer", "status"], name="service_case_customer_idx"),
            models.Index(fields=["opened_at"], name="service_case_opened_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status__in=["resolved", "closed"]) & Q(resolved_at__isnull=False))
                | (Q(status__in=["open", "in_progress", "waiting"]) & Q(resolved_at__isnull=True)),
                name="service_case_resolved_at_matches_status",
                violation_error_message="A resolved or closed case has a resolution time; "
                "an open one has none.",
            ),
            models.CheckConstraint(
                condition=(Q(status="closed") & Q(closed_at__isnull=False))
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="service_case_closed_at_matches_status",
            ),
            models.CheckConstraint(
                condition=(
                    Q(first_response_at__isnull=True) | Q(first_response_at__gte=F("opened_at"))
                )
                & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("opened_at"))),
                name="service_case_times_after_opening",
                violation_error_message="A case is answered and resolved after it was opened.",
            ),
            models.CheckConstraint(
                condition=(Q(first_response_due__isnull=True) & Q(resolve_due__isnull=True))
                | (
                    Q(first_response_due__gte=F("opened_at"))
                    & Q(resolve_due__gte=F("first_response_due"))
                ),
                name="service_case_due_times_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(escalation_level=0) & Q(escalated_at__isnull=True))
                | (Q(escalation_level__in=[1, 2]) & Q(escalated_at__isnull=False)),
                name="service_case_escalation_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.number or "new case"

    @property
    def reference(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
