"""Legal entities, warehouses and the location tree."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from crossdock.core.fields import FixedDecimalField
from crossdock.core.permissions import ScopedModel
from crossdock.core.trees import parent_path, would_create_cycle

code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_.-]*$", "Use capital letters, digits, '-', '_' or '.', e.g. WH-01."
)
country_validator = RegexValidator(r"^[A-Z]{2}$", "Use the two-letter ISO 3166 country code.")


class Company(ScopedModel):
    """A legal entity of the group, with its own base currency and books.

    ``parent`` links subsidiaries to the group's holding company.
    """

    company_path = "pk"

    code = models.CharField(max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200, blank=True)
    tax_id = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=2, validators=[country_validator])
    base_currency = models.ForeignKey(
        "masterdata.Currency", on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="subsidiaries"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if would_create_cycle(self) or (self.pk and self.parent_id == self.pk):
            raise ValidationError({"parent": "A company cannot be its own parent or ancestor."})


class ReceiptSteps(models.IntegerChoices):
    ONE = 1, "Receive into stock (1 step)"
    TWO = 2, "Input, then stock (2 steps)"
    THREE = 3, "Input, quality, then stock (3 steps)"


class DeliverySteps(models.IntegerChoices):
    ONE = 1, "Ship from stock (1 step)"
    TWO = 2, "Pick to output, then ship (2 steps)"
    THREE = 3, "Pick, pack, then ship (3 steps)"


class Warehouse(ScopedModel):
    """A physical site of one company; ``is_central`` marks the group's supply hub."""

    warehouse_path = "pk"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="warehouses")
    code = models.CharField(max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    region = models.CharField(max_length=60, blank=True)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, validators=[country_validator])
    latitude = FixedDecimalField(
        scale=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    longitude = FixedDecimalField(
        scale=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    is_central = models.BooleanField(default=False)
    allow_negative_stock = models.BooleanField(default=False)
    receipt_steps = models.PositiveSmallIntegerField(
        choices=ReceiptSteps.choices,
        default=ReceiptSteps.ONE,
        help_text="Receive into stock directly, through input, or through input and quality.",
    )
    delivery_steps = models.PositiveSmallIntegerField(
        choices=DeliverySteps.choices,
        default=DeliverySteps.ONE,
        help_text="Ship from stock directly, pick to output first, or pick, pack and ship.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(receipt_steps__gte=1, receipt_steps__lte=3),
                name="warehouse_receipt_steps_1_to_3",
                violation_error_message="Receipts take 1, 2 or 3 steps.",
            ),
            models.CheckConstraint(
                condition=Q(delivery_steps__gte=1, delivery_steps__lte=3),
                name="warehouse_delivery_steps_1_to_3",
                violation_error_message="Deliveries take 1, 2 or 3 steps.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LocationKind(models.TextChoices):
    VIEW = "view", "View (groups locations)"
    RESERVE = "reserve", "Reserve storage"
    PICKING = "picking", "Picking"
    INPUT = "input", "Input (receiving)"
    OUTPUT = "output", "Output (shipping)"
    PACKING = "packing", "Packing zone"
    QUALITY_HOLD = "quality_hold", "Quality hold"
    DAMAGED = "damaged", "Damaged"
    TRANSIT = "transit", "Transit"
    SUPPLIER = "supplier", "Supplier (virtual)"
    CUSTOMER = "customer", "Customer (virtual)"
    INVENTORY_LOSS = "inventory_loss", "Inventory loss (virtual)"
    SCRAP = "scrap", "Scrap (virtual)"


INTERNAL_KINDS = frozenset(
    {
        LocationKind.RESERVE,
        LocationKind.PICKING,
        LocationKind.INPUT,
        LocationKind.OUTPUT,
        LocationKind.PACKING,
        LocationKind.QUALITY_HOLD,
        LocationKind.DAMAGED,
    }
)
SELLABLE_KINDS = frozenset({LocationKind.RESERVE, LocationKind.PICKING})
VIRTUAL_KINDS = frozenset(
    {LocationKind.SUPPLIER, LocationKind.CUSTOMER, LocationKind.INVENTORY_LOSS, LocationKind.SCRAP}
)
# Stock there is on hand but never available: it waits for a decision (inspection, write-off).
BLOCKED_KINDS = frozenset({LocationKind.QUALITY_HOLD, LocationKind.DAMAGED})


class Location(ScopedModel):
    """A place stock can be: a bin in a warehouse, transit, or a virtual counterpart.

    Internal locations belong to a warehouse; virtual ones (supplier, customer,
    inventory loss) and transit belong to the company only. ``path`` is the
    materialised ``/``-joined chain of codes from the root, kept by ``save`` so
    a whole subtree is one indexed prefix query.
    """

    warehouse_path = "warehouse"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="locations")
    warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="locations"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(max_length=40, validators=[code_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=LocationKind.choices)
    path = models.CharField(max_length=500, editable=False, db_index=True)
    barcode = models.CharField(max_length=60, blank=True)
    pick_sequence = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "path"],
                name="location_path_unique_per_company",
                violation_error_message="A location with this code already exists here.",
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=sorted(
                        k.value for k in VIRTUAL_KINDS | {LocationKind.TRANSIT, LocationKind.VIEW}
                    )
                )
                | Q(warehouse__isnull=False),
                name="location_internal_needs_warehouse",
                violation_error_message="Warehouse locations need a warehouse.",
            ),
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def is_internal(self) -> bool:
        return self.kind in INTERNAL_KINDS

    @property
    def is_sellable(self) -> bool:
        return self.kind in SELLABLE_KINDS

    def compute_path(self) -> str:
        above = parent_path(Location, self.parent_id)
        return self.code if above is None else f"{above}/{self.code}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind in INTERNAL_KINDS and self.warehouse_id is None:
            errors["warehouse"] = "Warehouse locations need a warehouse."
        if self.kind in VIRTUAL_KINDS and self.warehouse_id is not None:
            errors["warehouse"] = "Virtual locations belong to the company, not a warehouse."
        warehouse_company = (
            Warehouse.objects.filter(pk=self.warehouse_id)
            .values_list("company_id", flat=True)
            .first()
            if self.warehouse_id
            else None
        )
        if self.warehouse_id and self.company_id and warehouse_company != self.company_id:
            errors["warehouse"] = "The warehouse belongs to another company."
        parent = Location.objects.filter(pk=self.parent_id).first() if self.parent_id else None
        if parent is not None:
            if parent.company_id != self.company_id:
                errors["parent"] = "The parent location belongs to another company."
            elif would_create_cycle(self):
                errors["parent"] = "A location cannot be inside itself."
            elif self.warehouse_id and parent.warehouse_id not in (None, self.warehouse_id):
                errors["parent"] = "The parent location is in another warehouse."
        if errors:
            raise ValidationError(errors)
        if self.code:
            self.path = self.compute_path()
