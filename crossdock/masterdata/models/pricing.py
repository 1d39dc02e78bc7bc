"""Sales price lists, their quantity-break items, and the governed changes to them.

A :class:`PriceList` belongs to one company and currency and may be limited
to a customer tier and a sales channel and to a validity window. Its
:class:`PriceListItem` rows give a product's unit price from a minimum
quantity on (quantity breaks), each valid from a date (and optionally to
one). Items never change directly: a :class:`PriceListChange` proposes
additions, new prices and removals (each line with the old and the new
price), goes through the approvals engine as a ``price-list-change`` document
and, once approved, is applied to the items in one transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from crossdock.core.fields import PriceField, QuantityField
from crossdock.core.permissions import ScopedModel
from crossdock.masterdata.models.organisation import code_validator
from crossdock.masterdata.models.partner import CustomerTier


class PriceList(ScopedModel):
    """A company's sales prices in one currency, optionally for a customer tier or channel."""

    company = models.ForeignKey(
        "masterdata.Company", on_delete=models.PROTECT, related_name="price_lists"
    )
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=200)
    currency = models.ForeignKey("masterdata.Currency", on_delete=models.PROTECT, related_name="+")
    customer_tier = models.CharField(
        max_length=12,
        choices=CustomerTier.choices,
        blank=True,
        help_text="Only for customers of this tier (blank: every customer).",
    )
    channel = models.CharField(
        max_length=40, blank=True, help_text="Sales channel, e.g. webshop or EDI (blank: all)."
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["company", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"],
                name="price_list_code_unique",
                violation_error_message="A price list with this code already exists here.",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=F("valid_from")),
                name="price_list_dates_in_order",
                violation_error_message="valid_to must be on or after valid_from.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "Must be on or after valid_from."})


class PriceListItem(models.Model):
    """A product's unit price in a list from ``min_quantity`` on, valid over a date range."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    min_quantity = QuantityField(default=1)
    unit_price = PriceField()
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["price_list", "product", "min_quantity", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product", "min_quantity", "valid_from"],
                name="price_item_break_unique",
                violation_error_message=(
                    "This product already has a price for this minimum quantity and start date."
                ),
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="price_item_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(min_quantity__gte=0), name="price_item_min_quantity_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="price_item_dates_in_order",
            ),
        ]
        indexes = [
            models.Index(fields=["price_list", "product", "valid_from"], name="price_item_lookup")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} ≥{self.min_quantity}: {self.unit_price}"


class PriceChangeState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Waiting for approval"
    APPLIED = "applied", "Approved and applied"


class PriceListChange(ScopedModel):
    """A proposed set of price changes to one list: the document the approvers decide on.

    ``draft`` → ``submitted`` → ``applied``; a rejection sends it back to
    ``draft`` (with the approver's reason in ``rejection_comment``) for the
    requester to revise and submit again. ``company`` is the list's company.
    """

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    price_list = models.ForeignKey(PriceList, on_delete=models.PROTECT, related_name="changes")
    reference = models.CharField(max_length=40, blank=True)
    state = models.CharField(
        max_length=10, choices=PriceChangeState.choices, default=PriceChangeState.DRAFT
    )
    note = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejection_comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.reference or f"Price change {self.pk}"


class PriceChangeAction(models.TextChoices):
    ADD = "add", "Add"
    UPDATE = "update", "New price"
    REMOVE = "remove", "Remove"


class PriceListChangeLine(models.Model):
    """One proposed change: a new item, a new price for an item, or an item's removal."""

    change = models.ForeignKey(PriceListChange, on_delete=models.CASCADE, related_name="lines")
    action = models.CharField(max_length=10, choices=PriceChangeAction.choices)
    item = models.ForeignKey(
        PriceListItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    min_quantity = QuantityField(default=1)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    old_price = PriceField(null=True, blank=True)
    new_price = PriceField(null=True, blank=True)

    class Meta:
        ordering = ["change", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_price__isnull=True) | Q(new_price__gte=0),
                name="price_change_new_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(action="remove") | Q(new_price__isnull=False),
                name="price_change_new_price_unless_removed",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="price_change_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.product_id}: {self.old_price} → {self.new_price}"
