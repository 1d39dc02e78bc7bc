"""The printable invoice, bill or credit note, and the dunning letter, drawn with fpdf2.

Invoice: company and partner blocks, number, dates and due date, the lines, a tax
summary per rate, totals and the instalments. Dunning letter: the same blocks, the
level's text, one row per overdue invoice (open amount, due date, days overdue), the
fee and the total. Text is Unicode when Debian's DejaVu fonts are installed; otherwise
a core font is used and the text is made latin-1 safe.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from crossdock.accounting.models import DunningLetter, Invoice

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
ZERO = Decimal(0)


def _pdf(fonts: Path) -> tuple[FPDF, bool]:
    pdf = FPDF(format="A4")
    unicode = (fonts / "DejaVuSans.ttf").exists() and (fonts / "DejaVuSans-Bold.ttf").exists()
    if unicode:
        pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    return pdf, unicode


@dataclass
class _Sheet:
    """One A4 document being drawn: the font family and the text and row helpers."""

    pdf: FPDF
    unicode: bool

    @classmethod
    def start(cls, compress: bool, fonts: Path) -> _Sheet:
        pdf, unicode = _pdf(fonts)
        pdf.set_compression(compress)
        pdf.add_page()
        return cls(pdf, unicode)

    @property
    def family(self) -> str:
        return "DejaVu" if self.unicode else "Helvetica"

    def text(self, value: object) -> str:
        shown = str(value)
        return shown if self.unicode else shown.encode("latin-1", "replace").decode("latin-1")

    def row(self, cells: list[tuple[str, float, str]], bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", 9)
        for value, width, align in cells:
            self.pdf.cell(width, 6, self.text(value), align=align)
        self.pdf.ln(6)

    def heading(self, title: str, blocks: list[tuple[str, str]]) -> None:
        """The title, then company (left) and partner (right) blocks line by line."""
        self.pdf.set_font(self.family, "B", 16)
        self.pdf.cell(0, 10, self.text(title))
        self.pdf.ln(12)
        self.pdf.set_font(self.family, "", 10)
        for left, right in blocks:
            self.pdf.cell(95, 5, self.text(left))
            self.pdf.cell(95, 5, self.text(right))
            self.pdf.ln(5)
        self.pdf.ln(4)

    def paragraph(self, value: str) -> None:
        self.pdf.set_font(self.family, "", 10)
        self.pdf.multi_cell(0, 5, self.text(value))
        self.pdf.ln(3)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def invoice_pdf(invoice: Invoice, *, compress: bool = True, fonts: Path = DEJAVU) -> bytes:
    """The document as PDF bytes (``compress=False`` keeps the text readable in tests)."""
    sheet = _Sheet.start(compress, fonts)
    row = sheet.row
    company = invoice.company
    partner = invoice.partner
    currency = invoice.currency.code
    sheet.heading(
        f"{invoice.get_kind_display()} {invoice.number or '(draft)'}",
        [
            (company.legal_name or company.name, partner.name),
            (f"VAT {company.tax_id}" if company.tax_id else "", partner.code),
            ("", f"VAT {partner.tax_id}" if partner.tax_id else ""),
        ],
    )
    pdf = sheet.pdf
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
    return sheet.output()


def dunning_letter_pdf(
    letter: DunningLetter, *, compress: bool = True, fonts: Path = DEJAVU
) -> bytes:
    """The reminder as PDF bytes: the level's text, the overdue invoices, fee and total."""
    sheet = _Sheet.start(compress, fonts)
    company, partner = letter.company, letter.partner
    base = company.base_currency
    sheet.heading(
        f"{letter.level_name} {letter.reference or '(draft)'}",
        [
            (company.legal_name or company.name, partner.name),
            (f"VAT {company.tax_id}" if company.tax_id else "", partner.code),
            (f"Date: {letter.date.isoformat()}", f"Reminder level {letter.level}"),
        ],
    )
    if letter.text:
        sheet.paragraph(letter.text)
    sheet.row([("Invoice", 45, "L"), ("Invoice date", 30, "L"), ("Due", 30, "L"),
               ("Days overdue", 30, "R"), ("Open", 55, "R")], bold=True)  # fmt: skip
    lines = letter.lines.select_related("invoice", "currency").order_by("due_date", "pk")
    for line in lines:
        open_amount = f"{line.currency.round(line.open_amount)} {line.currency.code}"
        sheet.row([(line.invoice.number, 45, "L"), (line.invoice.date.isoformat(), 30, "L"),
                   (line.due_date.isoformat(), 30, "L"), (str(line.days_overdue), 30, "R"),
                   (open_amount, 55, "R")])  # fmt: skip
    sheet.pdf.ln(3)
    if letter.fee:
        sheet.row([("Reminder fee", 135, "R"), (f"{base.round(letter.fee)} {base.code}", 55, "R")])
    sheet.row(
        [("Total due", 135, "R"), (f"{base.round(letter.total)} {base.code}", 55, "R")], bold=True
    )
    return sheet.output()
