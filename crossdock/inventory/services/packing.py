"""Packing: the packages of an outgoing transfer, never holding more than it carries.

What a transfer *carries* is, per product and lot, the quantity of its move
lines — reserved (picked or about to be) and done — of moves not cancelled.
:func:`pack` locks the transfer (so two packers of one transfer take turns),
adds the new packages' contents to those already packed and refuses, naming the
field, any product or lot packed beyond that. Weights are kilograms to the gram,
dimensions centimetres to the millimetre, both exact decimals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError
from crossdock.core.permissions import require
from crossdock.inventory.events import PackagesPacked
from crossdock.inventory.models import (
    Lot,
    MoveLine,
    MoveState,
    Package,
    PackageContent,
    PackageType,
    Shipment,
    Transfer,
    TransferKind,
)
from crossdock.inventory.models.fulfilment import DIMENSION_SCALE, WEIGHT_SCALE
from crossdock.inventory.services.documents import fail
from crossdock.inventory.services.transfers import lock_transfer
from crossdock.masterdata.models import LocationKind, Product

MAX_WEIGHT = Decimal(100_000)  # kg: more is a typing mistake, not a package


@dataclass(frozen=True)
class PackedItem:
    """A quantity of a product (and lot or serial, by name) put in a package, in its base unit."""

    product_id: int
    quantity: Decimal
    lot_name: str = ""


@dataclass(frozen=True)
class PackageDraft:
    """A package to record: its weight in kg, optional size in cm, and what it holds."""

    weight: Decimal
    contents: Sequence[PackedItem] = field(default_factory=tuple)
    number: str = ""  # a new number is given when empty
    package_type: str = PackageType.BOX
    length: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None


Key = tuple[int, int | None]  # product, lot


def carried(transfer: Transfer) -> dict[Key, Decimal]:
    """What the transfer carries per product and lot (reserved and done lines)."""
    rows = (
        MoveLine.objects.filter(move__transfer=transfer)
        .exclude(move__state=MoveState.CANCELLED)
        .values_list("product_id", "lot_id")
        .annotate(total=Sum("quantity"))
    )
    return {(product, lot): total for product, lot, total in rows}


def packed(transfer: Transfer) -> dict[Key, Decimal]:
    """What the transfer's packages already hold per product and lot."""
    rows = (
        PackageContent.objects.filter(package__transfer=transfer)
        .values_list("product_id", "lot_id")
        .annotate(total=Sum("quantity"))
    )
    return {(product, lot): total for product, lot, total in rows}


def _number(transfer: Transfer, taken: set[str]) -> str:
    count = Package.objects.filter(company_id=transfer.company_id).count() + 1
    while True:
        number = f"PKG{transfer.company_id:03d}{count:07d}"
        if (
            number not in taken
            and not Package.objects.filter(company_id=transfer.company_id, number=number).exists()
        ):
            taken.add(number)
            return number
        count += 1


def _check_sizes(draft: PackageDraft, where: str, problems: dict[str, list[str]]) -> None:
    weight = draft.weight
    if not isinstance(weight, Decimal) or weight <= 0 or weight > MAX_WEIGHT:
        problems[f"{where}.weight"] = [f"The weight is a positive number of kg up to {MAX_WEIGHT}."]
    elif weight != weight.quantize(Decimal(1).scaleb(-WEIGHT_SCALE)):
        problems[f"{where}.weight"] = [f"At most {WEIGHT_SCALE} decimals (grams)."]
    for name in ("length", "width", "height"):
        value = getattr(draft, name)
        if value is None:
            continue
        if value <= 0 or value > 10_000:
            problems[f"{where}.{name}"] = ["A positive number of cm up to 10000."]
        elif value != value.quantize(Decimal(1).scaleb(-DIMENSION_SCALE)):
            problems[f"{where}.{name}"] = [f"At most {DIMENSION_SCALE} decimal (mm)."]
    if draft.package_type not in PackageType.values:
        problems[f"{where}.package_type"] = [f"One of {', '.join(PackageType.values)}."]


def _check_number(
    transfer: Transfer, number: str, where: str, taken: set[str], problems: dict[str, list[str]]
) -> None:
    if len(number) > 40 or any(c.isspace() for c in number):
        problems[f"{where}.number"] = ["At most 40 characters, no spaces (it is a barcode)."]
    elif (
        number in taken
        or Package.objects.filter(company_id=transfer.company_id, number=number).exists()
    ):
        problems[f"{where}.number"] = [f"Package {number} already exists."]
    taken.add(number)


def _resolve_contents(
    transfer: Transfer, packages: Sequence[PackageDraft], problems: dict[str, list[str]]
) -> list[list[tuple[int, int | None, Decimal]]]:
    """Each package's contents as (product, lot id, quantity), lots found in one query."""
    items = [item for draft in packages for item in draft.contents]
    products = Product.objects.select_related("base_unit").in_bulk(
        {item.product_id for item in items}
    )
    names = {item.lot_name.strip() for item in items if item.lot_name.strip()}
    lots = {
        (lot.product_id, lot.name): lot.pk
        for lot in Lot.objects.filter(
            name__in=names, product_id__in={item.product_id for item in items}
        )
    }
    result = []
    for index, draft in enumerate(packages):
        rows = []
        if not draft.contents:
            problems[f"packages[{index}].contents"] = ["A package holds at least one product."]
        for position, item in enumerate(draft.contents):
            where = f"packages[{index}].contents[{position}]"
            product = products.get(item.product_id)
            name = item.lot_name.strip()
            if product is None:
                problems[f"{where}.product"] = ["Unknown product."]
                continue
            if not isinstance(item.quantity, Decimal) or item.quantity <= 0:
                problems[f"{where}.quantity"] = ["The quantity must be positive."]
                continue
            unit = product.base_unit
            if item.quantity != item.quantity.quantize(unit.quantum):
                problems[f"{where}.quantity"] = [
                    f"{unit.code} allows at most {unit.decimal_places} decimal places."
                ]
                continue
            lot_id = lots.get((product.pk, name)) if name else None
            if name and lot_id is None:
                problems[f"{where}.lot"] = [f"Unknown lot {name!r} of {product.sku}."]
                continue
            rows.append((product.pk, lot_id, item.quantity))
        result.append(rows)
    return result


def _check_carried(
    transfer: Transfer,
    contents: list[list[tuple[int, int | None, Decimal]]],
    problems: dict[str, list[str]],
) -> None:
    """Refuse, at the content that passes it, any product or lot packed beyond what is carried."""
    carries = carried(transfer)
    by_product: dict[int, Decimal] = defaultdict(Decimal)
    for (product, _lot), quantity in carries.items():
        by_product[product] += quantity
    so_far = packed(transfer)
    packed_product: dict[int, Decimal] = defaultdict(Decimal)
    for (product, _lot), quantity in so_far.items():
        packed_product[product] += quantity
    running = defaultdict(Decimal, so_far)
    skus = dict(
        Product.objects.filter(pk__in={p for rows in contents for p, _, _ in rows}).values_list(
            "pk", "sku"
        )
    )
    for index, rows in enumerate(contents):
        for position, (product, lot, quantity) in enumerate(rows):
            where = f"packages[{index}].contents[{position}].quantity"
            packed_product[product] += quantity
            if packed_product[product] > by_product.get(product, Decimal(0)):
                problems.setdefault(where, [
                    f"{transfer.reference} carries {by_product.get(product, Decimal(0)):f} "
                    f"of {skus[product]}; {packed_product[product]:f} would be packed."
                ])  # fmt: skip
            if lot is not None:
                running[(product, lot)] += quantity
                if running[(product, lot)] > carries.get((product, lot), Decimal(0)):
                    problems.setdefault(where, [
                        f"{transfer.reference} carries {carries.get((product, lot), 0):f} of "
                        f"{skus[product]} in this lot; {running[(product, lot)]:f} would be packed."
                    ])  # fmt: skip


def pack(actor: Actor, transfer_id: Any, packages: Sequence[PackageDraft]) -> list[Package]:
    """Record packages for an outgoing transfer; refuse contents beyond what it carries."""
    with transaction.atomic():
        transfer = lock_transfer(transfer_id)
        require(actor, transfer, "change")
        probe = Package(company_id=transfer.company_id, transfer=transfer)
        require(actor, probe, "add")
        if transfer.kind != TransferKind.DELIVERY and not _towards_customer(transfer):
            raise ConflictError(f"{transfer.reference} does not go to a customer; nothing to pack.")
        if transfer.state in (MoveState.CANCELLED, MoveState.DRAFT):
            raise ConflictError(
                f"{transfer.reference} is {transfer.get_state_display().lower()}; nothing to pack."
            )
        if Shipment.objects.filter(transfer=transfer, shipped_at__isnull=False).exists():
            raise ConflictError(f"{transfer.reference} has already shipped.")
        problems: dict[str, list[str]] = {}
        if not packages:
            problems["packages"] = ["Give at least one package."]
        taken: set[str] = set()
        for index, draft in enumerate(packages):
            _check_sizes(draft, f"packages[{index}]", problems)
            if draft.number.strip():
                _check_number(transfer, draft.number.strip(), f"packages[{index}]", taken, problems)
        contents = _resolve_contents(transfer, packages, problems)
        fail(problems)
        _check_carried(transfer, contents, problems)
        fail(problems)
        created = []
        for draft, rows in zip(packages, contents, strict=True):
            package = Package.objects.create(
                company_id=transfer.company_id,
                transfer=transfer,
                number=draft.number.strip() or _number(transfer, taken),
                package_type=draft.package_type,
                weight=draft.weight,
                length=draft.length,
                width=draft.width,
                height=draft.height,
            )
            PackageContent.objects.bulk_create(
                PackageContent(package=package, product_id=p, lot_id=lot, quantity=q)
                for p, lot, q in rows
            )
            created.append(package)
        audit.record(
            actor,
            audit.Change(
                "inventory.pack",
                transfer,
                None,
                {
                    "packages": [
                        [p.number, str(p.weight), [[i, lot, str(q)] for i, lot, q in rows]]
                        for p, rows in zip(created, contents, strict=True)
                    ]
                },
            ),
        )
        events.publish(
            PackagesPacked(
                transfer.pk, tuple(p.pk for p in created), company_id=transfer.company_id
            )
        )
        return created


def _towards_customer(transfer: Transfer) -> bool:
    """A step of a multi-step delivery (pick or pack)."""
    final = transfer.final_destination
    return final is not None and final.kind == LocationKind.CUSTOMER


def total_weight(packages: Sequence[Package]) -> Decimal:
    return sum((p.weight for p in packages), Decimal(0))
