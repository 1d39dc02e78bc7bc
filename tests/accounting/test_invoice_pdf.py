"""The invoice PDF: a real PDF whose text carries the figures, Unicode included."""

import datetime
from decimal import Decimal
from pathlib import Path

from crossdock.accounting.models import AccountRole, InvoiceKind, Tax, TaxUse
from crossdock.accounting.pdf import invoice_pdf
from crossdock.accounting.services.invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    create_invoice,
    post_invoice,
)
from tests import factories
from tests.inventory.conftest import SYSTEM

D = Decimal


def test_a_posted_invoice_prints_with_its_lines_taxes_and_instalments(books):
    tax = Tax.objects.create(
        company=books.company, code="VAT21", name="VAT 21 %", use=TaxUse.SALE,
        rate=D(21), account=books.role(AccountRole.TAX_PAYABLE),
    )  # fmt: skip
    customer = factories.partner(books.company, name="Müller & Søn")
    draft = create_invoice(
        SYSTEM,
        InvoiceInput(
            company_id=books.company.pk, kind=InvoiceKind.CUSTOMER_INVOICE,
            partner_id=customer.pk, date=datetime.date(2026, 3, 10),
            lines=[InvoiceLineInput("Widgets", D(3), D("33.33"), tax_id=tax.pk)],
        ),
    )  # fmt: skip
    invoice = post_invoice(SYSTEM, draft.pk)
    data = invoice_pdf(invoice, compress=False)
    assert data.startswith(b"%PDF")
    assert b"DejaVu" in data  # Unicode font embedded (Debian's fonts-dejavu-core)
    # Without DejaVu the core font writes latin-1 text, readable in the uncompressed stream.
    plain = invoice_pdf(invoice, compress=False, fonts=Path("/nonexistent"))
    assert plain.startswith(b"%PDF")
    for expected in (invoice.number, "Widgets", "99.99", "21.00", "120.99", "VAT 21 % \\(21 %\\)",
                     "Müller & Søn", "Due date", "2026-03-10"):  # fmt: skip
        assert expected.encode("latin-1") in plain, expected
