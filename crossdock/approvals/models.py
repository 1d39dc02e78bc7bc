"""Approval policies, requests, steps, delegations and the approver inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from crossdock.core.permissions import ScopedModel


class ApprovalPolicy(ScopedModel):
    """When a document of a type in a company needs approval, and by whom.

    ``condition`` is a JSON condition (see :mod:`crossdock.approvals.conditions`);
    a document that matches no active policy is approved automatically. A
    draft policy can be simulated before it is activated.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    company = models.ForeignKey(
        "masterdata.Company", on_delete=models.PROTECT, related_name="approval_policies"
    )
    document_type = models.CharField(max_length=60)
    name = models.CharField(max_length=200)
    condition = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)

    class Meta:
        ordering = ["company", "document_type", "name"]
        verbose_name_plural = "approval policies"
        constraints = [
            models.UniqueConstraint(
                fields=["company", "document_type", "name"],
                name="approval_policy_name_unique",
                violation_error_message="A policy with this name already exists here.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ApproverRule(models.TextChoices):
    ROLE = "role", "Anyone with a role (in the company)"
    USER = "user", "A named user"
    MANAGER = "manager", "The requester's manager chain"
    BUDGET_OWNER = "budget_owner", "The budget owner of the category"


class ApprovalLevel(models.Model):
    """One level of a policy; levels run in ``sequence`` order.

    In a parallel level every resolved approver is asked at once and
    ``min_approvals`` of them must approve; in a sequential level they are asked
    one after another (e.g. up the manager chain). ``sla_hours`` after a step
    opens, the worker escalates it to ``escalate_to``.
    """

    class Mode(models.TextChoices):
        PARALLEL = "parallel", "Parallel"
        SEQUENTIAL = "sequential", "Sequential"

    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.CASCADE, related_name="levels")
    sequence = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.PARALLEL)
    min_approvals = models.PositiveSmallIntegerField(default=1)
    rule = models.CharField(max_length=20, choices=ApproverRule.choices)
    role = models.CharField(max_length=40, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    manager_depth = models.PositiveSmallIntegerField(default=1)
    sla_hours = models.PositiveIntegerField(null=True, blank=True)
    escalate_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["policy", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "sequence"], name="approval_level_sequence"),
            models.CheckConstraint(condition=Q(min_approvals__gte=1), name="approval_level_min_1"),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.sequence}. {self.name}"

    def signature(self) -> tuple[object, ...]:
        return (
            self.mode,
            self.min_approvals,
            self.rule,
            self.role,
            self.user_id,
            self.manager_depth,
        )


class BudgetOwner(ScopedModel):
    """Who owns the budget of a product category (and its subcategories) in a company."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        "masterdata.ProductCategory", on_delete=models.CASCADE, related_name="+"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "category"], name="budget_owner_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category} → {self.owner}"


class ApprovalRequest(ScopedModel):
    """A document waiting for (or decided by) the approvers of a policy."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled (re-submitted)"

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    document_type = models.CharField(max_length=60)
    document_id = models.CharField(max_length=64)
    document_label = models.CharField(max_length=255)
    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.PROTECT, related_name="requests")
    facts = models.JSONField(default=dict)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    current_level = models.PositiveSmallIntegerField(default=1)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["document_type", "document_id"], name="approval_doc_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "document_id"],
                condition=Q(status="pending"),
                name="approval_one_pending_per_document",
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_label} ({self.get_status_display()})"


class ApprovalStep(models.Model):
    """One approver's part in a level of a request."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for an earlier step"
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SKIPPED = "skipped", "No longer needed"
        ESCALATED = "escalated", "Escalated"

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps")
    level = models.PositiveSmallIntegerField()
    order = models.PositiveSmallIntegerField(default=0)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    opened_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["request", "level", "order", "id"]
        indexes = [models.Index(fields=["approver", "status"], name="approval_step_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.request} level {self.level}: {self.approver} ({self.status})"


class Delegation(models.Model):
    """While ``delegator`` is away (``starts_on`` … ``ends_on`` inclusive), ``delegate`` decides."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="delegation_dates_in_order"
            ),
            models.CheckConstraint(
                condition=~Q(delegate=models.F("delegator")), name="delegation_to_someone_else"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} ({self.starts_on}…{self.ends_on})"


class InboxMessage(models.Model):
    """An in-app notification about an approval request."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_messages"
    )
    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="inbox_unread_idx")]

    def __str__(self) -> str:
        return self.subject
