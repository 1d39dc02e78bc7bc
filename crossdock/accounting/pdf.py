"""The printable invoice, bill or credit note, drawn with fpdf2.

Company and partner blocks, number, dates and due date, the lines, a tax summary per
rate, totals and the instalments. Text is Unicode when Debian's DejaVu fonts are
installed; otherwise a core font is used and the text is made latin-1 safe.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from crossdock.accounting.models import Invoice

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
ZERO = Decimal(0)


def _pdf(fonts: Path) -> tuple[FPDF, bool]:
    pdf = FPDF(format="A4")
    unicode = (fonts / "DejaVuSans.ttf").exists() and (fonts / "DejaVuSans-Bold.ttf").exists()
    if unicode:
        pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    return pdf, unicode


def invoice_pdf(invoice: Invoice, *, compress: bool = True, fonts: Path = DEJAVU) -> bytes:
    """The document as PDF bytes (``compress=False`` keeps the text readable in tests)."""
    pdf, unicode = _pdf(fonts)
    pdf.set_compression(compress)
    family = "DejaVu" if unicode else "Helvetica"

    def text(value: object) -> str:
        shown = str(value)
        return shown if unicode else shown.encode("latin-1", "replace").decode("latin-1")

    def row(cells: list[tuple[str, float, str]], bold: bool = False) -> None:
        pdf.set_font(family, "B" if bold else "", 9)
        for value, width, align in cells:
            pdf.cell(width, 6, text(value), align=align)
        pdf.ln(6)

    company = invoice.company
    partner = invoice.partner
    currency = invoice.currency.code
    pdf.add_page()
    pdf.set_font(family, "B", 16)
    pdf.cell(0, 10, text(f"{invoice.get_kind_display()} {invoice.number or '(draft)'}"))
    pdf.ln(12)
    pdf.set_font(family, "", 10)
    for left, right in (
        (company.legal_name or company.name, partner.name),
        (f"VAT {company.tax_id}" if company.tax_id else "", partner.code),
        ("", f"VAT {partner.tax_id}" if partner.tax_id else ""),
    ):
        pdf.cell(95, 5, text(left))
        pdf.cell(95, 5, text(right))
        pdf.ln(5)
    pdf.ln(4)
    due = invoice.due_date.isoformat() if invoice.due_date else ""
    row([(f"Date: {invoice.date.isoformat()}", 63, "L"), (f"Due: {due}", 63, "L"),
         (f"Reference: {invoice.partner_reference}", 64, "L")])  # fmt: skip
    pdf.ln(2)
    row([("Description", 80, "L"), ("Quantity", 22, "R"), ("Unit price", 25, "R"),
         ("Disc. %", 15, "R"), ("Tax", 18, "R"), ("Amount", 30, "R")], bold=True)  # fmt: skip
    taxes: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for line in invoice.lines.select_related("tax").order_by("sequence", "pk"):
        row(
            [
                (line.description[:48], 80, "L"),
                (f"{line.quantity.normalize():f}", 22, "R"),
                (f"{line.unit_price.normalize():f}", 25, "R"),
                (f"{line.discount_percent.normalize():f}", 15, "R"),
                (line.tax.code if line.tax else "", 18, "R"),
                (f"{line.subtotal}", 30, "R"),
            ]
        )
        if line.tax is not None:
            label = f"{line.tax.name} ({line.tax.rate.normalize():f} %)"
            taxes[label][0] += line.subtotal
            taxes[label][1] += line.tax_amount
    pdf.ln(3)
    if taxes:
        row([("Tax", 100, "L"), ("Base", 45, "R"), ("Tax amount", 45, "R")], bold=True)
        for label, (base, amount) in sorted(taxes.items()):
            row([(label, 100, "L"), (f"{base}", 45, "R"), (f"{amount}", 45, "R")])
        pdf.ln(3)
    for label, amount, bold in (
        ("Untaxed", invoice.untaxed_amount, False),
        ("Tax", invoice.tax_amount, False),
        ("Total", invoice.total_amount, True),
    ):
        row([(label, 145, "R"), (f"{amount} {currency}", 45, "R")], bold=bold)
    installments = list(invoice.installments.order_by("sequence"))
    if installments:
        pdf.ln(3)
        row([("Due date", 70, "L"), ("Amount", 60, "R"), ("Open", 60, "R")], bold=True)
        for item in installments:
            row([(item.due_date.isoformat(), 70, "L"), (f"{item.amount} {currency}", 60, "R"),
                 (f"{item.open_amount} {currency}", 60, "R")])  # fmt: skip
    if invoice.memo:
        pdf.ln(3)
        row([(invoice.memo, 190, "L")])
    return bytes(pdf.output())
