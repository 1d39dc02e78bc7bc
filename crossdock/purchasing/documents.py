"""The purchase order as the supplier sees it: a PDF drawn with fpdf2, and the e-mail."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from fpdf import FPDF

from crossdock.purchasing.models import PurchaseOrder

logger = logging.getLogger(__name__)
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def order_pdf(order: PurchaseOrder, *, compress: bool = True, fonts: Path = DEJAVU) -> bytes:
    """The order as PDF bytes (``compress=False`` keeps the text readable in tests)."""
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    unicode = (fonts / "DejaVuSans.ttf").exists() and (fonts / "DejaVuSans-Bold.ttf").exists()
    family = "Helvetica"
    if unicode:
        pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        family = "DejaVu"

    def text(value: object) -> str:
        shown = str(value)
        return shown if unicode else shown.encode("latin-1", "replace").decode("latin-1")

    def row(cells: list[tuple[object, float, str]], bold: bool = False) -> None:
        pdf.set_font(family, "B" if bold else "", 9)
        for value, width, align in cells:
            pdf.cell(width, 6, text(value), align=align)
        pdf.ln(6)

    company, supplier = order.company, order.supplier
    pdf.add_page()
    pdf.set_font(family, "B", 16)
    pdf.cell(0, 10, text(f"Purchase order {order.reference}"))
    pdf.ln(12)
    pdf.set_font(family, "", 10)
    for left, right in (
        (company.legal_name or company.name, f"{supplier.code} {supplier.name}"),
        (f"Deliver to: {order.warehouse.name}", supplier.email),
        (f"Order date: {order.order_date.isoformat()}", f"Revision {order.revision}"),
        (f"Expected: {order.expected_date.isoformat()}", f"Currency: {order.currency.code}"),
    ):
        pdf.cell(95, 5, text(left))
        pdf.cell(95, 5, text(right))
        pdf.ln(5)
    pdf.ln(6)
    row(
        [
            ("SKU", 30, ""),
            ("Description", 70, ""),
            ("Quantity", 25, "R"),
            ("Unit price", 30, "R"),
            ("Amount", 35, "R"),
        ],
        bold=True,
    )
    for line in order.lines.select_related("product", "offer").order_by("sequence", "pk"):
        sku = (
            line.offer.supplier_sku if line.offer and line.offer.supplier_sku else line.product.sku
        )
        row(
            [
                (sku, 30, ""),
                (line.description[:45], 70, ""),
                (f"{line.quantity.normalize():f}", 25, "R"),
                (f"{line.unit_price.normalize():f}", 30, "R"),
                (order.currency.round(line.quantity * line.unit_price), 35, "R"),
            ]
        )
    row(
        [("", 125, ""), ("Total", 30, "R"), (f"{order.amount} {order.currency.code}", 35, "R")],
        True,
    )
    if order.note:
        pdf.ln(4)
        pdf.set_font(family, "", 9)
        pdf.multi_cell(0, 5, text(order.note))
    return bytes(pdf.output())


def email_order(order_id: int) -> bool:
    """E-mail the order with its PDF to the supplier; ``False`` when there is no address."""
    order = (
        PurchaseOrder.objects.select_related("company", "supplier", "warehouse", "currency")
        .filter(pk=order_id)
        .first()
    )
    if order is None or not order.supplier.email:
        return False
    message = EmailMessage(
        subject=f"Purchase order {order.reference} from {order.company.name}",
        body=(
            f"Please find attached our purchase order {order.reference} "
            f"(revision {order.revision}), expected on {order.expected_date.isoformat()}.\n"
            "Please confirm quantities and delivery dates."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[order.supplier.email],
    )
    message.attach(f"{order.reference.replace('/', '-')}.pdf", order_pdf(order), "application/pdf")
    try:
        message.send()
    except OSError:  # the mail server is down: the order stays sent; it can be re-sent
        logger.warning("could not e-mail purchase order %s", order.reference, exc_info=True)
        return False
    return True


def email_rfq(rfq_id: int) -> int:
    """E-mail the RFQ's lines to each of its suppliers with an address; how many were sent."""
    from crossdock.purchasing.models import RequestForQuotation

    rfq = RequestForQuotation.objects.select_related("company", "warehouse").filter(pk=rfq_id)
    found = rfq.first()
    if found is None:
        return 0
    lines = "\n".join(
        f"- {line.product.sku} {line.product.name}: {line.quantity.normalize():f} "
        f"by {line.needed_by.isoformat()}"
        for line in found.lines.select_related("product").order_by("sequence", "pk")
    )
    sent = 0
    for supplier in found.suppliers.exclude(email="").order_by("code"):
        message = EmailMessage(
            subject=f"Request for quotation {found.reference} from {found.company.name}",
            body=(
                f"Please quote for delivery to {found.warehouse.name}:\n{lines}\n\n"
                "Give the unit price, currency, lead time in days, minimum order quantity "
                f"and how long the quote is valid. Reference: {found.reference}."
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[supplier.email],
        )
        try:
            message.send()
        except OSError:  # the mail server is down: the RFQ stays sent; it can be re-sent
            logger.warning("could not e-mail RFQ %s to %s", found.reference, supplier.code)
            continue
        sent += 1
    return sent
