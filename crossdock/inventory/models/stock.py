"""Stock documents and caches.

Design overview
---------------
A :class:`Transfer` groups :class:`StockMove` s (a receipt, a delivery, an
internal or inter-warehouse move). A move says *what* should go from one
location to another; its :class:`MoveLine` s say *exactly which* stock —
which sub-location and lot — is reserved for it and, once done, moved.
Done lines are immutable: a correction is a new move.

:class:`Quant` (product × location × lot: on hand, reserved) is a cache of the
lines, updated in the same transaction under row locks taken in primary-key
order; ``crossdock audit`` recomputes it from the done and reserved lines and
reports every difference. Negative stock is refused by the service and by the
``quant_on_hand_not_negative`` constraint unless the warehouse allows it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from crossdock.core.fields import PRICE_SCALE, FixedDecimalField, QuantityField
from crossdock.core.permissions import ScopedModel


class Lot(ScopedModel):
    """A lot or serial number of a product, with its expiry date."""

    company_path = None

    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="lots")
    name = models.CharField(max_length=60)
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["product", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "name"],
                name="lot_name_unique_per_product",
                violation_error_message="This lot or serial number already exists for the product.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TransferKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    DELIVERY = "delivery", "Delivery"
    INTERNAL = "internal", "Internal move"
    TRANSIT_OUT = "transit_out", "Inter-warehouse dispatch"
    TRANSIT_IN = "transit_in", "Inter-warehouse arrival"
    ADJUSTMENT = "adjustment", "Inventory adjustment"
    SCRAP = "scrap", "Scrap"
    RETURN = "return", "Return"


class MoveState(models.TextChoices):
    DRAFT = "draft", "Draft"
    WAITING_APPROVAL = "approval", "Waiting for approval"
    CONFIRMED = "confirmed", "Waiting for stock"
    PARTIAL = "partial", "Partially reserved"
    ASSIGNED = "assigned", "Reserved"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATES = (MoveState.CONFIRMED, MoveState.PARTIAL, MoveState.ASSIGNED)


class Transfer(ScopedModel):
    """A stock document: what moves together from one place to another."""

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.PROTECT, related_name="transfers"
    )
    reference = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=12, choices=TransferKind.choices)
    state = models.CharField(max_length=10, choices=MoveState.choices, default=MoveState.DRAFT)
    source = models.ForeignKey("masterdata.Location", on_delete=models.PROTECT, related_name="+")
    destination = models.ForeignKey(
        "masterdata.Location", on_delete=models.PROTECT, related_name="+"
    )
    partner = models.ForeignKey(
        "masterdata.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scheduled_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    origin = models.CharField(max_length=100, blank=True)
    backorder_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="backorders"
    )
    returned_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="returns"
    )
    priority = models.PositiveSmallIntegerField(default=50, help_text="Lower is served first")
    promised_on = models.DateField(null=True, blank=True)
    previous_step = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_steps",
        help_text="The transfer whose done quantities this one carries on (input → stock, "
        "pick → ship, dispatch → arrival).",
    )
    final_destination = models.ForeignKey(
        "masterdata.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where a multi-step receipt or delivery ends; each step leads towards it.",
    )

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        indexes = [
            models.Index(fields=["warehouse", "kind", "state"], name="transfer_list_idx"),
            models.Index(fields=["origin"], name="transfer_origin_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class StockMove(models.Model):
    """A quantity of one product to move from one location to another (in its base unit)."""

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    transfer = models.ForeignKey(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="moves"
    )
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField()
    source = models.ForeignKey("masterdata.Location", on_delete=models.PROTECT, related_name="+")
    destination = models.ForeignKey(
        "masterdata.Location", on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=MoveState.choices, default=MoveState.DRAFT)
    scheduled_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(default=50)
    promised_on = models.DateField(null=True, blank=True)
    unit_cost = FixedDecimalField(scale=PRICE_SCALE, null=True, blank=True)
    origin = models.CharField(max_length=100, blank=True)
    returned_move = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
        help_text="The done move this one sends back (a return), valued at its cost.",
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["product", "state"], name="move_product_state_idx"),
            models.Index(fields=["state", "priority", "promised_on"], name="move_queue_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="move_quantity_positive"),
            models.CheckConstraint(
                condition=~Q(source=F("destination")), name="move_source_differs"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}: {self.source_id} → {self.destination_id}"


class MoveLine(models.Model):
    """Exactly which stock a move reserves and, when done, moved (location and lot)."""

    move = models.ForeignKey(StockMove, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey("masterdata.Location", on_delete=models.PROTECT, related_name="+")
    destination = models.ForeignKey(
        "masterdata.Location", on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField()
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["product", "source", "lot", "done"], name="line_source_idx"),
            models.Index(fields=["product", "destination", "lot", "done"], name="line_dest_idx"),
            models.Index(fields=["done", "done_at"], name="line_done_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive")
        ]

    def __str__(self) -> str:
        return f"line {self.pk} of move {self.move_id}"


class Quant(models.Model):
    """On-hand and reserved quantity of a product in a location and lot (a cache of lines)."""

    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        "masterdata.Location", on_delete=models.PROTECT, related_name="quants"
    )
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField(default=0)
    reserved = QuantityField(default=0)
    allow_negative = models.BooleanField(default=False)
    in_date = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "location", "lot"],
                condition=Q(lot__isnull=False),
                name="quant_unique_with_lot",
            ),
            models.UniqueConstraint(
                fields=["product", "location"],
                condition=Q(lot__isnull=True),
                name="quant_unique_without_lot",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0) | Q(allow_negative=True),
                name="quant_on_hand_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="quant_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("quantity")) | Q(allow_negative=True),
                name="quant_reserved_within_on_hand",
            ),
        ]
        indexes = [
            models.Index(fields=["location", "product"], name="quant_location_idx"),
            models.Index(fields=["product", "location"], name="quant_product_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.quantity} ({self.reserved} reserved)"


class RemovalStrategy(models.TextChoices):
    FIFO = "fifo", "First in, first out"
    FEFO = "fefo", "First expiry, first out"
    CLOSEST = "closest", "Closest location"


class RemovalRule(ScopedModel):
    """Which stock to take first, per product category and/or location (most specific wins)."""

    company_path = None

    category = models.ForeignKey(
        "masterdata.ProductCategory",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    location = models.ForeignKey(
        "masterdata.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    strategy = models.CharField(max_length=10, choices=RemovalStrategy.choices)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=False) | Q(location__isnull=False),
                name="removal_rule_needs_scope",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_strategy_display()} for {self.category or self.location}"


class PutawayRule(ScopedModel):
    """Where received stock of a product or category lands in a warehouse.

    Applied when a receipt, an arrival or the last step of a multi-step receipt
    is validated into the warehouse's stock location: the done lines go to the
    rule's location instead. A product rule beats a category rule; a category
    rule covers its sub-categories (the closest category wins); among equals
    the lowest ``sequence`` wins.
    """

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.CASCADE, related_name="putaway_rules"
    )
    product = models.ForeignKey(
        "masterdata.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "masterdata.ProductCategory",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    location = models.ForeignKey(
        "masterdata.Location", on_delete=models.PROTECT, related_name="putaway_rules"
    )
    sequence = models.PositiveIntegerField(default=10)

    class Meta:
        ordering = ["warehouse", "sequence", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(category__isnull=True))
                | (Q(product__isnull=True) & Q(category__isnull=False)),
                name="putaway_rule_product_or_category",
                violation_error_message="A putaway rule is for a product or a category.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product or self.category} → {self.location}"
