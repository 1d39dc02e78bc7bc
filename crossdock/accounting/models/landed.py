"""Landed costs: freight, duty and insurance added to the value of goods already received.

Design overview
---------------
A :class:`LandedCost` is a draft naming an amount (company currency), a split
method and the receipt moves it belongs to (:class:`LandedCostTarget`).
Posting allocates the amount over the targets, revalues each receipt once
(the share still on hand goes to stock, the share already sold to cost of
goods sold — see :mod:`crossdock.accounting.services.revaluation`), keeps
the outcome per receipt in :class:`LandedCostLine` and writes one entry in
the stock journal against landed-cost clearing. A posted landed cost is
never edited; a draft may be cancelled.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from crossdock.core.fields import MoneyField
from crossdock.core.permissions import ScopedModel


class LandedCostState(models.TextChoices):
    DRAFT = "draft", "Draft"
    POSTED = "posted", "Posted"
    CANCELLED = "cancelled", "Cancelled"


class SplitMethod(models.TextChoices):
    """How a landed cost is shared between its receipts."""

    BY_VALUE = "by_value", "By value received"
    BY_QUANTITY = "by_quantity", "By quantity received"
    BY_WEIGHT = "by_weight", "By weight received (product weight × quantity)"
    BY_VOLUME = "by_volume", "By volume received (product volume × quantity)"
    EQUALLY = "equally", "Equally per receipt"


class LandedCost(ScopedModel):
    """An extra cost of receipts (freight, duty, insurance) in the company's currency.

    ``number`` is the posted entry's number; a draft has none. ``vendor_bill``
    is the bill that charged the cost, when it is known; that bill's line
    goes to landed-cost clearing, which this document clears.
    """

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40, blank=True)
    state = models.CharField(
        max_length=10, choices=LandedCostState.choices, default=LandedCostState.DRAFT
    )
    date = models.DateField()
    description = models.CharField(max_length=200)
    amount = MoneyField()
    split_method = models.CharField(
        max_length=12, choices=SplitMethod.choices, default=SplitMethod.BY_VALUE
    )
    vendor_bill = models.ForeignKey(
        "accounting.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="landed_costs",
    )
    entry = models.OneToOneField(
        "accounting.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="landed_cost",
    )
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["company", "-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"],
                condition=~Q(number=""),
                name="landed_cost_number_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="landed_cost_amount_positive"),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(state="cancelled") | ~Q(number=""),
                name="posted_landed_cost_numbered",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft landed cost {self.pk}"


class LandedCostTarget(models.Model):
    """A receipt move a landed cost is shared over."""

    landed_cost = models.ForeignKey(LandedCost, on_delete=models.CASCADE, related_name="targets")
    move = models.ForeignKey("inventory.StockMove", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["landed_cost", "move"]
        constraints = [
            models.UniqueConstraint(
                fields=["landed_cost", "move"], name="landed_cost_target_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.landed_cost_id} → move {self.move_id}"


class LandedCostLine(models.Model):
    """What posting gave one receipt: its allocated amount, split into on hand and sold.

    ``on_hand + sold = allocated`` exactly; ``on_hand`` went to stock (a
    value-only valuation layer on the move), ``sold`` to cost of goods sold.
    """

    landed_cost = models.ForeignKey(LandedCost, on_delete=models.CASCADE, related_name="lines")
    move = models.ForeignKey("inventory.StockMove", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    allocated = MoneyField()
    on_hand = MoneyField()
    sold = MoneyField()

    class Meta:
        ordering = ["landed_cost", "move"]
        constraints = [
            models.UniqueConstraint(fields=["landed_cost", "move"], name="landed_cost_line_unique"),
            models.CheckConstraint(
                condition=Q(allocated=models.F("on_hand") + models.F("sold")),
                name="landed_cost_line_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"move {self.move_id}: {self.allocated} ({self.on_hand} on hand, {self.sold} sold)"
