"""Purchasing exceptions: what a buyer must chase, with an owner and a suggested action."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from crossdock.core.fields import QuantityField
from crossdock.core.permissions import ScopedModel


class ExceptionKind(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "Order not confirmed by the supplier"
    LATE = "late", "Receipt late"
    SHORT = "short", "Short delivery"


class PurchaseException(ScopedModel):
    """One open (or closed) reason to chase a supplier about an order or one of its lines.

    Raised and closed by :func:`crossdock.purchasing.services.exceptions.refresh_exceptions`
    (the worker runs it): an item closes itself when its cause is gone — the order was
    confirmed, the goods arrived, the order was cancelled or closed.
    """

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=ExceptionKind.choices)
    order = models.ForeignKey(
        "purchasing.PurchaseOrder", on_delete=models.CASCADE, related_name="exceptions"
    )
    line = models.ForeignKey(
        "purchasing.PurchaseOrderLine",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exceptions",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_role = models.CharField(max_length=30, default="buyer")
    severity = models.PositiveSmallIntegerField(default=2, help_text="1 low, 2 medium, 3 high")
    days = models.PositiveIntegerField(default=0, help_text="Days overdue or unconfirmed.")
    missing_quantity = QuantityField(null=True, blank=True)
    message = models.CharField(max_length=300)
    suggested_action = models.CharField(max_length=300)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-severity", "opened_at"]
        indexes = [models.Index(fields=["company", "closed_at"], name="purchase_exception_open")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "order", "line"],
                condition=Q(closed_at__isnull=True),
                name="purchase_exception_one_open",
            ),
            models.UniqueConstraint(
                fields=["kind", "order"],
                condition=Q(closed_at__isnull=True, line__isnull=True),
                name="purchase_exception_one_open_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.order_id}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
