"""The delivery note: what left for the customer, printed with fpdf2.

Reference and dates, the company and the customer with the ship-to address,
the lines with lot or serial, the packages with their weights and the total,
carrier, service level and tracking number. Fonts come from
:class:`crossdock.core.pdf.Sheet`, as for every Crossdock document.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from crossdock.core.pdf import DEJAVU, Sheet
from crossdock.inventory.fulfilment import DeliveryNote, delivery_note
from crossdock.inventory.models import Transfer


def _number(value: Decimal | None) -> str:
    return f"{value.normalize():f}" if value else "0"


def delivery_note_pdf(transfer: Transfer, *, compress: bool = True, fonts: Path = DEJAVU) -> bytes:
    """The delivery note as PDF bytes (``compress=False`` keeps the text readable in tests)."""
    note = delivery_note(transfer)
    sheet = Sheet(compress=compress, fonts=fonts)
    pdf = sheet.pdf
    pdf.add_page()
    sheet.font(16, bold=True)
    pdf.cell(0, 10, sheet.text(f"Delivery note {transfer.reference}"))
    pdf.ln(12)
    _parties(sheet, note)
    pdf.ln(4)
    shipped = note.shipment.shipped_at if note.shipment else None
    when = (shipped or transfer.done_at or transfer.scheduled_at).date().isoformat()
    sheet.row([(f"Date: {when}", 63, "L"), (f"Origin: {transfer.origin}"[:40], 127, "L")])
    pdf.ln(2)
    sheet.row([("Product", 40, "L"), ("Description", 75, "L"), ("Lot / serial", 40, "L"),
               ("Quantity", 25, "R"), ("Unit", 10, "L")], bold=True)  # fmt: skip
    for line in note.lines:
        sheet.row([(line.sku[:22], 40, "L"), (line.name[:42], 75, "L"), (line.lot[:22], 40, "L"),
                   (_number(line.quantity), 25, "R"), (line.unit, 10, "L")])  # fmt: skip
    if note.packages:
        pdf.ln(3)
        sheet.row([("Package", 50, "L"), ("Type", 30, "L"), ("Size (cm)", 60, "L"),
                   ("Weight (kg)", 50, "R")], bold=True)  # fmt: skip
        for package in note.packages:
            sizes = [package.length, package.width, package.height]
            size = " × ".join(_number(s) for s in sizes) if all(sizes) else ""
            sheet.row([(package.number, 50, "L"), (package.get_package_type_display(), 30, "L"),
                       (size, 60, "L"), (_number(package.weight), 50, "R")])  # fmt: skip
        sheet.row([("Total weight", 140, "R"), (_number(note.total_weight), 50, "R")], bold=True)
    if note.shipment is not None:
        pdf.ln(3)
        shipment = note.shipment
        sheet.row([(f"Carrier: {shipment.carrier}", 63, "L"),
                   (f"Service: {shipment.service_level}", 63, "L"),
                   (f"Tracking: {shipment.tracking_number}", 64, "L")])  # fmt: skip
    return sheet.output()


def _parties(sheet: Sheet, note: DeliveryNote) -> None:
    transfer = note.transfer
    company = transfer.company
    partner = transfer.partner
    address = note.ship_to
    right = [partner.name if partner else "", partner.code if partner else ""]
    if address is not None:
        right += [address.street, f"{address.postal_code} {address.city}".strip(), address.country]
    left = [company.legal_name or company.name, transfer.warehouse.name]
    sheet.font(10)
    sheet.pdf.cell(95, 5, sheet.text("From"))
    sheet.pdf.cell(95, 5, sheet.text("Ship to"))
    sheet.pdf.ln(5)
    for index in range(max(len(left), len(right))):
        sheet.pdf.cell(95, 5, sheet.text(left[index] if index < len(left) else ""))
        sheet.pdf.cell(95, 5, sheet.text(right[index] if index < len(right) else ""))
        sheet.pdf.ln(5)
