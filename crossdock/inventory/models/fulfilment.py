"""Outbound fulfilment: pick waves, packages and shipments.

Design overview
---------------
A :class:`PickWave` groups outgoing transfers of one warehouse — deliveries, or
the pick step of a warehouse that delivers in two or three steps — so that one
operator walks the warehouse once: the wave's pick list is every reserved
:class:`~crossdock.inventory.models.MoveLine` of its transfers, ordered by the
source location's ``pick_sequence`` and ``path``. Completing the wave
validates what was picked of each transfer through ``validate_transfer``; a
transfer may be in one open wave at a time.

A :class:`Package` is a box, pallet or envelope packed for one transfer, with
its weight in kilograms (an exact scaled decimal, like every quantity) and its
:class:`PackageContent`. The packing service never lets the packages of a
transfer hold more of a product or lot than the transfer carries. A package
number is unique in its company and is what its label's barcode says.

A :class:`Shipment` records how a delivery leaves: carrier, service level,
tracking number and when (planned first when the carrier is known early).
Shipping validates the delivery (never more than is reserved) and announces
``inventory.shipment.shipped`` for customer notifications. Transfers
themselves are not changed by any of this.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from crossdock.core.fields import FixedDecimalField, QuantityField
from crossdock.core.permissions import ScopedModel

WEIGHT_SCALE = 3  # kilograms to the gram
DIMENSION_SCALE = 1  # centimetres to the millimetre


class PickWaveState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class PickWave(ScopedModel):
    """Outgoing transfers of one warehouse picked together, in location order."""

    warehouse_path = "warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        "masterdata.Warehouse", on_delete=models.PROTECT, related_name="pick_waves"
    )
    reference = models.CharField(max_length=40, unique=True)
    state = models.CharField(
        max_length=10, choices=PickWaveState.choices, default=PickWaveState.OPEN
    )
    carrier = models.CharField(
        max_length=60, blank=True, help_text="The carrier the wave was made for, if any."
    )
    transfers = models.ManyToManyField(
        "inventory.Transfer", related_name="pick_waves", help_text="The transfers to pick."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["warehouse", "state"], name="pick_wave_list_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=False) | ~Q(state="done"),
                name="pick_wave_done_has_time",
                violation_error_message="A done wave needs the time it was done.",
            )
        ]

    def __str__(self) -> str:
        return self.reference


class PackageType(models.TextChoices):
    BOX = "box", "Box"
    PALLET = "pallet", "Pallet"
    ENVELOPE = "envelope", "Envelope"
    CRATE = "crate", "Crate"


class Package(ScopedModel):
    """A parcel or pallet packed for one outgoing transfer, with its weight and size."""

    warehouse_path = "transfer__warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    transfer = models.ForeignKey(
        "inventory.Transfer", on_delete=models.PROTECT, related_name="packages"
    )
    number = models.CharField(max_length=40, help_text="Printed on the label as a barcode.")
    package_type = models.CharField(
        max_length=10, choices=PackageType.choices, default=PackageType.BOX
    )
    weight = FixedDecimalField(scale=WEIGHT_SCALE, help_text="Gross weight in kilograms.")
    length = FixedDecimalField(scale=DIMENSION_SCALE, null=True, blank=True, help_text="cm")
    width = FixedDecimalField(scale=DIMENSION_SCALE, null=True, blank=True, help_text="cm")
    height = FixedDecimalField(scale=DIMENSION_SCALE, null=True, blank=True, help_text="cm")

    class Meta:
        ordering = ["transfer", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"],
                name="package_number_unique_per_company",
                violation_error_message="A package with this number already exists.",
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="package_weight_positive"),
            models.CheckConstraint(
                condition=(Q(length__isnull=True) | Q(length__gt=0))
                & (Q(width__isnull=True) | Q(width__gt=0))
                & (Q(height__isnull=True) | Q(height__gt=0)),
                name="package_dimensions_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class PackageContent(models.Model):
    """A quantity of one product (and lot or serial) in a package, in its base unit."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="contents")
    product = models.ForeignKey("masterdata.Product", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(
        "inventory.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = QuantityField()

    class Meta:
        ordering = ["package", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="package_content_quantity_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id} in {self.package_id}"


class Shipment(ScopedModel):
    """How a delivery leaves the warehouse: carrier, service level, tracking number, when.

    Planned (``shipped_at`` empty) when a carrier is chosen before shipping —
    a sales order's carrier, which pick waves can be made for — and shipped
    when the delivery is validated with its tracking number.
    """

    warehouse_path = "transfer__warehouse"

    company = models.ForeignKey("masterdata.Company", on_delete=models.PROTECT, related_name="+")
    transfer = models.OneToOneField(
        "inventory.Transfer", on_delete=models.PROTECT, related_name="shipment"
    )
    carrier = models.CharField(max_length=60)
    service_level = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=60, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["carrier", "shipped_at"], name="shipment_carrier_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "carrier", "tracking_number"],
                condition=~Q(tracking_number=""),
                name="shipment_tracking_unique_per_carrier",
                violation_error_message="This carrier's tracking number is already used.",
            ),
            models.CheckConstraint(
                condition=Q(shipped_at__isnull=True) | ~Q(tracking_number=""),
                name="shipment_shipped_has_tracking",
                violation_error_message="A shipped delivery needs its tracking number.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}".strip()
