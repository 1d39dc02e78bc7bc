"""Fulfilment queries: a wave's pick list, a transfer's packages, what a delivery note shows.

Each is a fixed number of queries whatever the number of lines (no N+1): the
pick list is one query over the reserved move lines of the wave's transfers,
joined to location, product, lot and transfer, ordered as the picker walks —
the source location's ``pick_sequence``, then its ``path`` — and grouped by
location in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from crossdock.inventory.models import (
    MoveLine,
    MoveState,
    Package,
    PackageContent,
    PickWave,
    Shipment,
    Transfer,
)
from crossdock.inventory.models.stock import OPEN_STATES
from crossdock.inventory.services.shipping import shipped_with
from crossdock.masterdata.models import Location, PartnerAddress


@dataclass(frozen=True)
class PickLine:
    """One reserved move line to pick: where, what, how much, for which transfer."""

    move_line_id: int
    move_id: int
    transfer_id: int
    transfer_reference: str
    product_id: int
    sku: str
    product_name: str
    unit: str
    lot: str
    quantity: Decimal


@dataclass
class PickStop:
    """A location on the pick path and the lines to pick there."""

    location: Location
    lines: list[PickLine] = field(default_factory=list)


def pick_lines(wave: PickWave) -> QuerySet[MoveLine]:
    """The wave's reserved move lines in pick-path order (one query)."""
    return (
        MoveLine.objects.filter(
            move__transfer__pick_waves=wave, done=False, move__state__in=OPEN_STATES
        )
        .select_related("source", "product__base_unit", "lot", "move__transfer")
        .order_by("source__pick_sequence", "source__path", "product__sku", "lot__name", "pk")
    )


def pick_list(wave: PickWave) -> list[PickStop]:
    """The wave's pick list grouped by location, in the order the picker walks."""
    stops: list[PickStop] = []
    for line in pick_lines(wave):
        if not stops or stops[-1].location.pk != line.source_id:
            stops.append(PickStop(line.source))
        transfer = line.move.transfer
        assert transfer is not None
        stops[-1].lines.append(
            PickLine(
                move_line_id=line.pk,
                move_id=line.move_id,
                transfer_id=transfer.pk,
                transfer_reference=transfer.reference,
                product_id=line.product_id,
                sku=line.product.sku,
                product_name=line.product.name,
                unit=line.product.base_unit.code,
                lot=line.lot.name if line.lot else "",
                quantity=line.quantity,
            )
        )
    return stops


def packages_of(transfers: Any) -> QuerySet[Package]:
    """Packages of the given transfers with their contents (product, lot) prefetched."""
    contents = PackageContent.objects.select_related("product", "lot").order_by("pk")
    return (
        Package.objects.filter(transfer__in=transfers)
        .select_related("transfer")
        .prefetch_related(Prefetch("contents", contents))
        .order_by("pk")
    )


@dataclass(frozen=True)
class NoteLine:
    sku: str
    name: str
    lot: str
    quantity: Decimal
    unit: str


@dataclass
class DeliveryNote:
    """What a delivery note prints for a delivery (shipped or about to be)."""

    transfer: Transfer
    ship_to: PartnerAddress | None
    lines: list[NoteLine]
    packages: list[Package]
    shipment: Shipment | None

    @property
    def total_weight(self) -> Decimal:
        return sum((p.weight for p in self.packages), Decimal(0))


def delivery_note(transfer: Transfer) -> DeliveryNote:
    """The delivery's lines (done ones once done, else reserved), packages and shipment."""
    done = transfer.state == MoveState.DONE
    lines = (
        MoveLine.objects.filter(move__transfer=transfer, done=done)
        .exclude(move__state=MoveState.CANCELLED)
        .select_related("product__base_unit", "lot")
        .order_by("product__sku", "lot__name", "pk")
    )
    merged: dict[tuple[int, str], NoteLine] = {}
    for line in lines:
        key = (line.product_id, line.lot.name if line.lot else "")
        found = merged.get(key)
        merged[key] = NoteLine(
            line.product.sku,
            line.product.name,
            key[1],
            line.quantity + (found.quantity if found else Decimal(0)),
            line.product.base_unit.code,
        )
    ship_to = None
    if transfer.partner_id is not None:
        addresses = PartnerAddress.objects.filter(partner_id=transfer.partner_id).order_by(
            "-is_default", "pk"
        )
        ship_to = addresses.filter(kind=PartnerAddress.Kind.SHIPPING).first() or addresses.first()
    return DeliveryNote(
        transfer=transfer,
        ship_to=ship_to,
        lines=list(merged.values()),
        packages=list(packages_of(shipped_with(transfer))),
        shipment=Shipment.objects.filter(transfer=transfer).first(),
    )
