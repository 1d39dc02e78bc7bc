"""Three-way match results: a vendor bill against the order and the receipts it pays for."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from crossdock.core.permissions import ScopedModel


class MatchStatus(models.TextChoices):
    MATCHED = "matched", "Matched"
    PRICE_VARIANCE = "price_variance", "Price variance"
    QUANTITY_VARIANCE = "quantity_variance", "Quantity variance"
    NOT_RECEIVED = "not_received", "Not yet received"
    DUPLICATE = "duplicate", "Suspected duplicate"
    ACCEPTED = "accepted", "Variance accepted"
    CREDIT_REQUESTED = "credit_requested", "Credit note requested"


EXCEPTION_STATUSES = (
    MatchStatus.PRICE_VARIANCE,
    MatchStatus.QUANTITY_VARIANCE,
    MatchStatus.NOT_RECEIVED,
    MatchStatus.DUPLICATE,
    MatchStatus.CREDIT_REQUESTED,
)


class BillMatch(ScopedModel):
    """The latest three-way match of one vendor bill (one row per bill, re-run on changes).

    ``lines`` holds one result per bill line: the order line it matched, ordered,
    received and billed quantities, order and bill prices, and what differs.
    A bill in an exception status waits in the AP exception queue and is held
    from payment until it matches or its variance is accepted.
    """

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    invoice = models.OneToOneField(
        "accounting.Invoice", on_delete=models.CASCADE, related_name="purchase_match"
    )
    order = models.ForeignKey(
        "purchasing.PurchaseOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bill_matches",
    )
    status = models.CharField(max_length=20, choices=MatchStatus.choices)
    first_status = models.CharField(
        max_length=20,
        choices=MatchStatus.choices,
        default=MatchStatus.MATCHED,
        help_text="The status of the bill's first match (for the first-time match rate).",
    )
    reason = models.CharField(max_length=300, blank=True)
    lines = models.JSONField(default=list)
    checked_at = models.DateTimeField(auto_now=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "bill matches"
        indexes = [models.Index(fields=["company", "status"], name="bill_match_status_idx")]

    def __str__(self) -> str:
        return f"Match of {self.invoice_id}: {self.status}"

    @property
    def is_exception(self) -> bool:
        return self.status in EXCEPTION_STATUSES
