"""Customer returns: return merchandise authorizations (RMAs) and their lines.

A :class:`ReturnAuthorization` is one customer's request to send back goods
it was delivered — from one or several of its orders — with a reason and the
resolution it gets once the goods are in. Its life::

    draft → to_approve → authorized → receiving → received → closed
          ↘ rejected (the approver said no)
    draft / to_approve / authorized → cancelled (nothing received yet)

``authorized`` means the return transfers exist (from the customer's location
into each delivering warehouse's quality hold, origin = the RMA's reference);
``receiving`` that some of them were received and inspected, ``received``
that all were; ``closed`` that the resolution — a credit note or a
replacement order — was made.

Each :class:`ReturnLine` names the order line and the very delivery move its
goods left on, so a line can never return more than that move delivered
(less what other returns took back). Received goods are inspected per line:
restocked (into stock, available again), kept in quality hold, or scrapped;
the three always add up to what was received.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from crossdock.core.fields import QuantityField
from crossdock.core.permissions import ScopedModel


class ReturnState(models.TextChoices):
    DRAFT = "draft", "Draft"
    TO_APPROVE = "to_approve", "Waiting for approval"
    AUTHORIZED = "authorized", "Authorized"
    RECEIVING = "receiving", "Partly received"
    RECEIVED = "received", "Received"
    CLOSED = "closed", "Closed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class ReturnReason(models.TextChoices):
    DAMAGED = "damaged", "Damaged in transit"
    WRONG_ITEM = "wrong_item", "Wrong item"
    NOT_NEEDED = "not_needed", "No longer needed"
    DEFECTIVE = "defective", "Defective"
    OTHER = "other", "Other"


class ReturnResolution(models.TextChoices):
    CREDIT_NOTE = "credit_note", "Credit note"
    REPLACEMENT = "replacement", "Replacement order"


# Lines of RMAs in these states hold their quantity without a return move yet.
PENDING_STATES = (ReturnState.DRAFT, ReturnState.TO_APPROVE)
CANCELLABLE_STATES = (ReturnState.DRAFT, ReturnState.TO_APPROVE, ReturnState.AUTHORIZED)
RECEIVABLE_STATES = (ReturnState.AUTHORIZED, ReturnState.RECEIVING)


class ReturnAuthorization(ScopedModel):
    """A customer's authorized return of delivered goods, and what it was resolved with."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=40, unique=True)
    customer = models.ForeignKey(
        "masterdata.Partner", on_delete=models.PROTECT, related_name="return_authorizations"
    )
    state = models.CharField(max_length=12, choices=ReturnState.choices, default=ReturnState.DRAFT)
    reason = models.CharField(max_length=12, choices=ReturnReason.choices)
    resolution = models.CharField(max_length=12, choices=ReturnResolution.choices)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejection_comment = models.TextField(blank=True)
    authorized_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    replacement_order = models.ForeignKey(
        "sales.SalesOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credit_notes = models.ManyToManyField("accounting.Invoice", blank=True, related_name="+")
    resolution_note = models.CharField(
        max_length=500, blank=True, help_text="What the resolution did, in words."
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = "return authorization"
        indexes = [
            models.Index(fields=["company", "state"], name="rma_state_idx"),
            models.Index(fields=["customer", "state"], name="rma_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class ReturnLine(models.Model):
    """One delivered product coming back: how much, how much arrived, and what became of it."""

    rma = models.ForeignKey(ReturnAuthorization, on_delete=models.CASCADE, related_name="lines")
    sequence = models.PositiveIntegerField(default=0)
    order_line = models.ForeignKey(
        "sales.SalesOrderLine", on_delete=models.PROTECT, related_name="return_lines"
    )
    delivered_move = models.ForeignKey(
        "inventory.StockMove",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The done move that delivered the goods to the customer.",
    )
    return_move = models.ForeignKey(
        "inventory.StockMove",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The move bringing them back (once authorized).",
    )
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField()
    received_quantity = QuantityField(default=Decimal(0))
    restocked_quantity = QuantityField(default=Decimal(0))
    held_quantity = QuantityField(default=Decimal(0))
    scrapped_quantity = QuantityField(default=Decimal(0))
    credited_quantity = QuantityField(default=Decimal(0))
    inspected = models.BooleanField(default=False, help_text="Received and inspected.")

    class Meta:
        ordering = ["rma", "sequence", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="rma_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(received_quantity__gte=0)
                & Q(received_quantity__lte=F("quantity"))
                & Q(restocked_quantity__gte=0)
                & Q(held_quantity__gte=0)
                & Q(scrapped_quantity__gte=0)
                & Q(credited_quantity__gte=0)
                & Q(credited_quantity__lte=F("received_quantity")),
                name="rma_line_quantities_in_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    received_quantity=F("restocked_quantity")
                    + F("held_quantity")
                    + F("scrapped_quantity")
                ),
                name="rma_line_outcomes_add_up",
            ),
            models.UniqueConstraint(fields=["rma", "delivered_move"], name="rma_line_move_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rma_id}#{self.sequence} {self.product_id} × {self.quantity}"
