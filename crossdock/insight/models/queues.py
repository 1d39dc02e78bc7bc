"""Exception items: what needs a person, raised and closed by the queue refresh."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from crossdock.core.permissions import ScopedModel


class ExceptionItem(ScopedModel):
    """One reason for a person to act, in one queue, with its context and a suggested action.

    Opened, refreshed and closed by :func:`crossdock.insight.queues.services.refresh_queues`
    from the sources of :mod:`crossdock.insight.queues.registry`: an item closes itself
    (``close_reason`` "resolved") when its source no longer wants it. ``key`` names the
    cause inside its ``kind``, so one cause is one open item however often it is seen.
    A person may dismiss an item (closed, "dismissed": not raised again while the same
    cause lasts), assign it or snooze it until a time.
    """

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=40)
    queue = models.CharField(max_length=40)
    key = models.CharField(max_length=120)
    severity = models.PositiveSmallIntegerField(default=2, help_text="1 low, 2 medium, 3 high")
    owner_role = models.CharField(max_length=30, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned = models.BooleanField(
        default=False, help_text="The owner was chosen by a person; refreshes keep it."
    )
    title = models.CharField(max_length=300)
    context = models.JSONField(default=dict, blank=True)
    document_label = models.CharField(max_length=120)
    document_url = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=60, blank=True)
    action_label = models.CharField(max_length=300, blank=True)
    action_params = models.JSONField(default=dict, blank=True)
    since = models.DateTimeField(help_text="When the cause began; the age counts from it.")
    opened_at = models.DateTimeField()
    refreshed_at = models.DateTimeField()
    snoozed_until = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(
        max_length=300, blank=True, help_text="What the last action run from the item did."
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["-severity", "since", "id"]
        indexes = [
            models.Index(
                fields=["queue", "closed_at", "severity"], name="exception_item_queue_idx"
            ),
            models.Index(fields=["company", "closed_at", "kind"], name="exception_item_kind_idx"),
            models.Index(fields=["owner", "closed_at"], name="exception_item_owner_idx"),
            models.Index(fields=["kind", "close_reason"], name="exception_item_closed_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"],
                condition=Q(closed_at__isnull=True),
                name="exception_item_one_open",
                violation_error_message="This cause already has an open item.",
            ),
            models.CheckConstraint(
                condition=Q(severity__gte=1, severity__lte=3),
                name="exception_item_severity_range",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, close_reason="")
                | Q(closed_at__isnull=False) & ~Q(close_reason=""),
                name="exception_item_closed_with_reason",
                violation_error_message="A closed item says why it closed; an open one does not.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class QueueThresholds(ScopedModel):
    """A company's own exception-queue thresholds: the names it changed and their values.

    A name not in ``values`` keeps the deployment's value (see
    :mod:`crossdock.insight.queues.thresholds`); the row's ``version`` guards edits.
    """

    company = models.OneToOneField(
        "masterdata.Company", on_delete=models.CASCADE, related_name="queue_thresholds"
    )
    values = models.JSONField(
        default=dict, blank=True, help_text="Threshold name → whole number (≥ 0)."
    )

    class Meta:
        verbose_name = "queue thresholds"
        verbose_name_plural = "queue thresholds"

    def __str__(self) -> str:
        return f"queue thresholds of {self.company_id}"
