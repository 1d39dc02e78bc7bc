"""From a scan to what it means here: a product, a lot, a location, a line of a transfer.

Design overview
---------------
:func:`match_scan` looks a :class:`~crossdock.inventory.gs1.ScanResult` up:
a GTIN against the product barcodes (a case barcode counts as its pack
quantity), a lot or serial from GS1 data against the product's lots, plain
text against location barcodes, lot names and SKUs, within the user's scope.

:class:`Tally` is what an operator has scanned so far while processing one
transfer: per move and lot, the quantity done. It lives in the operator's
session until they validate, and only then becomes stock moves, through
:func:`~crossdock.inventory.services.validate_transfer` — the service checks
everything again under its locks. :meth:`Tally.add` refuses early what the
service would refuse later (a product not on the transfer, a tracked product
without lot, an unknown or expired lot on the way out, a serial already in
stock or scanned twice, more than planned) so the operator hears it at the
scan, not at the end.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from crossdock.core.errors import DomainError
from crossdock.inventory.gs1 import FIELD, ScanKind, ScanResult
from crossdock.inventory.models import Lot, MoveState, Quant, StockMove, Transfer
from crossdock.inventory.services import DoneLine
from crossdock.masterdata.models import Location, Product, ProductBarcode, Tracking
from crossdock.masterdata.models.organisation import INTERNAL_KINDS


@dataclass(frozen=True)
class ScanMatch:
    """What a scan points at; ``quantity`` is in the product's base unit."""

    scan: ScanResult
    product: Product | None = None
    lot: Lot | None = None
    lot_name: str = ""  # the lot or serial the scan names (it may be new on a receipt)
    location: Location | None = None
    quantity: Decimal = Decimal(1)
    problem: str = ""


def _gtin_forms(gtin14: str) -> list[str]:
    """The stored forms a 14-digit GTIN may have (GTIN-8/12/13 are zero-padded in GTIN-14)."""
    return [gtin14[-n:] for n in (14, 13, 12, 8) if not gtin14[:-n].strip("0")]


def _pack_quantity(barcode: ProductBarcode) -> Decimal:
    base = barcode.product.base_unit
    if barcode.unit_id == base.pk:
        return barcode.quantity
    try:
        return barcode.unit.convert(barcode.quantity, base, exact=True)
    except ValidationError:
        return barcode.quantity


def match_scan(user: Any, scan: ScanResult, *, transfer: Transfer | None = None) -> ScanMatch:
    """Find what ``scan`` names, within the user's scope (and the transfer's company)."""
    if scan.gtin:
        barcode = (
            ProductBarcode.objects.select_related("product__base_unit", "unit")
            .filter(gtin__in=_gtin_forms(scan.gtin))
            .first()
        )
        if barcode is None:
            return ScanMatch(scan, problem=f"No product has the barcode {scan.gtin.lstrip('0')}.")
        product = barcode.product
        lot_name = scan.serial or scan.lot
        lot = Lot.objects.filter(product=product, name=lot_name).first() if lot_name else None
        count = scan.quantity if scan.quantity is not None else Decimal(1)
        return ScanMatch(scan, product, lot, lot_name, quantity=_pack_quantity(barcode) * count)
    if scan.kind == ScanKind.SSCC or scan.sscc:
        return ScanMatch(
            scan, problem=f"SSCC {scan.sscc}: pallets are not tracked; scan the products."
        )
    if scan.kind == ScanKind.GS1:
        return ScanMatch(scan, problem="The GS1 data holds no GTIN; scan the product's barcode.")
    return _match_text(user, scan, transfer)


def _match_text(user: Any, scan: ScanResult, transfer: Transfer | None) -> ScanMatch:
    text = scan.data or scan.text
    locations = Location.objects.in_scope_of(user).filter(
        Q(barcode__iexact=text) | Q(path__iexact=text)
    )
    if transfer is not None:
        locations = locations.filter(company_id=transfer.company_id)
    location = locations.order_by("pk").first()
    if location is not None:
        return ScanMatch(scan, location=location)
    lots = Lot.objects.filter(name=text).select_related("product__base_unit")
    if transfer is not None:
        lots = lots.filter(product__in=transfer.moves.values("product"))
    found = list(lots[:2])
    if len(found) == 1:
        return ScanMatch(scan, found[0].product, found[0], found[0].name)
    product = Product.objects.select_related("base_unit").filter(sku=text).first()
    if product is not None:
        return ScanMatch(scan, product)
    if len(found) > 1:
        return ScanMatch(scan, problem=f"Several products have a lot {text!r}; scan the product.")
    return ScanMatch(
        scan, problem=f"Nothing matches {text!r}: no product barcode, SKU, lot or location."
    )


def scan_problem(message: str) -> DomainError:
    return DomainError(message, fields={FIELD: [message]})


# -- tallying a transfer's scans ----------------------------------------------------------


@dataclass
class TallyLine:
    move_id: int
    quantity: Decimal
    lot: str = ""
    expires_on: datetime.date | None = None


@dataclass
class Tally:
    """The scans made for one transfer so far, one line each (kept in the session)."""

    lines: list[TallyLine] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: Any) -> Tally:
        lines = []
        for move_id, quantity, lot, expires in data or []:
            expires_on = datetime.date.fromisoformat(expires) if expires else None
            lines.append(TallyLine(int(move_id), Decimal(quantity), lot, expires_on))
        return cls(lines)

    def to_data(self) -> list[list[Any]]:
        return [
            [
                ln.move_id,
                str(ln.quantity),
                ln.lot,
                ln.expires_on.isoformat() if ln.expires_on else "",
            ]
            for ln in self.lines
        ]

    def done_of(self, move_id: int) -> Decimal:
        return sum((ln.quantity for ln in self.lines if ln.move_id == move_id), Decimal(0))

    def grouped(self) -> list[TallyLine]:
        """The scans summed per move and lot, in the order first scanned."""
        groups: dict[tuple[int, str], TallyLine] = {}
        for ln in self.lines:
            key = (ln.move_id, ln.lot)
            if key not in groups:
                groups[key] = TallyLine(ln.move_id, Decimal(0), ln.lot, ln.expires_on)
            group = groups[key]
            group.quantity += ln.quantity
            group.expires_on = group.expires_on or ln.expires_on
        return list(groups.values())

    def done_lines(self) -> list[DoneLine]:
        return [DoneLine(ln.move_id, ln.quantity, ln.lot, ln.expires_on) for ln in self.grouped()]

    def add(
        self,
        transfer: Transfer,
        match: ScanMatch,
        *,
        lot_name: str = "",
        expires_on: datetime.date | None = None,
        count: Decimal | None = None,
    ) -> TallyLine:
        """Count one scan against the transfer (``lot_name``/``expires_on`` typed by hand)."""
        product = match.product
        if product is None:
            raise scan_problem(match.problem or "Scan a product.")
        moves = [m for m in open_moves(transfer) if m.product_id == product.pk]
        if not moves:
            raise scan_problem(f"{product.sku} is not on {transfer.reference}.")
        quantity = match.quantity * (count if count is not None else Decimal(1))
        name, expiry = self._lot(transfer, match, product, lot_name.strip(), quantity)
        expiry = expires_on or expiry
        try:
            product.base_unit.check_quantity(quantity)
        except ValidationError as error:
            raise scan_problem(error.messages[0]) from error
        move = next((m for m in moves if m.quantity - self.done_of(m.pk) >= quantity), None)
        if move is None:
            planned = sum((m.quantity for m in moves), Decimal(0))
            left = planned - sum((self.done_of(m.pk) for m in moves), Decimal(0))
            raise scan_problem(
                f"{product.sku}: {_shown(quantity)} is more than the {_shown(left)} still to do "
                f"(planned {_shown(planned)})."
            )
        line = TallyLine(move.pk, quantity, name, expiry)
        self.lines.append(line)
        return line

    def _lot(
        self,
        transfer: Transfer,
        match: ScanMatch,
        product: Product,
        typed: str,
        quantity: Decimal,
    ) -> tuple[str, datetime.date | None]:
        """The lot or serial name the scan counts under, checked as far as a scan can."""
        if product.tracking == Tracking.NONE:
            return "", None
        name = typed or match.lot_name
        if not name:
            raise scan_problem(
                f"{product.sku} is tracked by {product.tracking}: scan its GS1 label "
                f"(with the {product.tracking}) or type the {product.tracking} first."
            )
        lot = match.lot if match.lot and match.lot.name == name else None
        lot = lot or Lot.objects.filter(product=product, name=name).first()
        receiving = transfer.source.kind not in INTERNAL_KINDS
        today = timezone.now().date()
        if not receiving:
            if lot is None:
                raise scan_problem(f"Unknown {product.tracking} {name!r} of {product.sku}.")
            if lot.expires_on and lot.expires_on < today:
                raise scan_problem(f"Lot {name} of {product.sku} expired on {lot.expires_on}.")
        if product.tracking == Tracking.SERIAL:
            if quantity != 1:
                raise scan_problem("A serial number is one unit; scan each unit.")
            if any(ln.lot == name for ln in self.lines):
                raise scan_problem(f"Serial {name} is already scanned.")
            if receiving and lot is not None and _in_stock(lot):
                raise scan_problem(f"Serial {name} of {product.sku} is already in stock.")
        return name, match.scan.expires_on

    def remove_last(self) -> TallyLine | None:
        """Undo the last scan."""
        return self.lines.pop() if self.lines else None


def _shown(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}" if quantity else "0"


def _in_stock(lot: Lot) -> bool:
    return Quant.objects.filter(
        lot=lot, quantity__gt=0, location__kind__in=list(INTERNAL_KINDS)
    ).exists()


def open_moves(transfer: Transfer) -> list[StockMove]:
    if not hasattr(transfer, "_open_moves"):
        transfer._open_moves = list(  # type: ignore[attr-defined]
            transfer.moves.exclude(state__in=[MoveState.DONE, MoveState.CANCELLED])
            .select_related("product__base_unit", "lot")
            .order_by("pk")
        )
    return transfer._open_moves  # type: ignore[attr-defined]
