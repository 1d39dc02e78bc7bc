"""Importing suppliers' UBL / Peppol BIS 3 / EN 16931 e-invoices as vendor bills, then matching.

The documents are the published example files under ``/work/shared/realdata/ubl/examples``
(read in place, never copied into the project; see its README.txt for their sources).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crossdock.accounting.models import AccountRole, Invoice, InvoiceLine, JournalEntry, Tax
from crossdock.accounting.models.invoices import InvoiceKind, InvoiceState, TaxUse
from crossdock.accounting.services.ledger import accounts_by_role
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, PermissionDeniedError
from crossdock.core.roles import Role
from crossdock.masterdata.models import Currency, ExchangeRate, Partner, ProductBarcode, Unit
from crossdock.purchasing.models import BillMatch, MatchStatus, PurchaseOrder
from crossdock.purchasing.services import orders
from crossdock.purchasing.services.bill_import import gtin14, import_vendor_bill
from crossdock.purchasing.services.receiving import ReceiptLine, receive_purchase_order
from tests import factories
from tests.api.conftest import ApiClient
from tests.inventory.conftest import SYSTEM

D = Decimal
REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
EXAMPLES = REALDATA / "ubl" / "examples"
CEN = EXAMPLES / "en16931-cen-tc434"
PEPPOL = EXAMPLES / "peppol-bis3"
OASIS = EXAMPLES / "oasis-ubl21-via-ph-ubl"

needs_realdata = pytest.mark.skipif(
    not EXAMPLES.is_dir(),
    reason=f"the UBL example files are not at {EXAMPLES} (the shared realdata folder next to "
    "the repository); these tests read them in place",
)
pytestmark = needs_realdata


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _rate(code: str, rate: str, company) -> Currency:
    currency = Currency.objects.get(code=code)
    ExchangeRate.objects.filter(currency=currency, quote_currency=company.base_currency).delete()
    ExchangeRate.objects.create(
        currency=currency,
        quote_currency=company.base_currency,
        valid_from=datetime.date(2010, 1, 1),
        rate=D(rate),
    )
    return currency


def _input_tax(company, rate="25"):
    return Tax.objects.create(
        company=company,
        code=f"IN{rate}",
        name=f"Input VAT {rate} %",
        use=TaxUse.PURCHASE,
        rate=D(rate),
        account=accounts_by_role(company.pk)[AccountRole.TAX_RECEIVABLE],
    )


def _supplier(buying, tax_id: str, currency: Currency | None = None) -> Partner:
    updates = {"tax_id": tax_id}
    if currency is not None:
        updates["currency"] = currency
    Partner.objects.filter(pk=buying.supplier.pk).update(**updates)
    buying.supplier.refresh_from_db()
    return buying.supplier


def _catalogue(buying, *entries):
    """Products with the supplier's item ids as catalogue entries: (seller id, price)."""
    products = {}
    for seller_id, price in entries:
        product = factories.product(sku=f"CD-{seller_id}")
        buying.offer(product, ("0", price), supplier_sku=seller_id)
        products[seller_id] = product
    return products


def _received_order(buying, reference, *lines):
    """An approved order renamed to the document's order reference, received in full."""
    order = orders.submit_purchase_order(buying.actor, buying.order(*lines).pk)
    PurchaseOrder.objects.filter(pk=order.pk).update(reference=reference)
    receive_purchase_order(
        SYSTEM,
        order.pk,
        [ReceiptLine(line.pk, line.quantity) for line in order.lines.order_by("pk")],
    )
    return PurchaseOrder.objects.get(pk=order.pk)


@pytest.fixture
def example4(buying):
    """CEN example 4 (TOSL110, DKK, order 123): supplier, catalogue and the received order."""
    dkk = _rate("DKK", "0.1341", buying.company)
    _supplier(buying, "DK 16356706", dkk)  # stored with a space: compared without spaces
    _input_tax(buying.company)
    products = _catalogue(buying, ("JB007", "1.00"), ("JB008", "5.00"), ("JB009", "5.00"))
    order = _received_order(
        buying,
        "123",
        (products["JB007"], "1000", "1.00"),
        (products["JB008"], "100", "5.00"),
        (products["JB009"], "500", "5.00"),
    )
    return products, order


@pytest.fixture
def clerk(buying):
    """An AP clerk of the buying company: may create bills and work the match queue."""
    return Actor.of(factories.user(Role.AP_CLERK, companies=[buying.company]))


def _counts():
    return (
        Invoice.objects.count(),
        InvoiceLine.objects.count(),
        BillMatch.objects.count(),
        JournalEntry.objects.count(),
    )


def test_the_realdata_folder_resolves_next_to_the_repository():
    repository = Path(__file__).resolve().parents[2]
    assert repository.parent / "shared" / "realdata" == REALDATA
    assert (REALDATA / "ubl" / "README.txt").is_file()


def test_a_cen_invoice_against_its_received_order_is_linked_matched_and_posted(
    buying, example4, clerk
):
    _products, order = example4
    result = import_vendor_bill(
        clerk,
        buying.company.pk,
        "ubl-tc434-example4.xml",
        _read(CEN / "ubl-tc434-example4.xml"),
    )
    bill = Invoice.objects.get(pk=result.bill_id)
    assert (bill.kind, bill.partner_id) == (InvoiceKind.VENDOR_BILL, buying.supplier.pk)
    assert bill.partner_reference == "TOSL110"
    assert bill.date == datetime.date(2013, 4, 10)
    assert bill.currency.code == "DKK"
    lines = list(bill.lines.order_by("sequence"))
    assert [(x.product.sku, x.quantity, x.unit_price) for x in lines] == [
        ("CD-JB007", D(1000), D("1.00")),
        ("CD-JB008", D(100), D("5.00")),
        ("CD-JB009", D(500), D("5.00")),
    ]
    receipts = {
        link.line.product_id: link.move_id
        for line in order.lines.all()
        for link in line.receipts.select_related("line")
    }
    assert {x.product_id: x.stock_move_id for x in lines} == receipts
    assert result.match_status == MatchStatus.MATCHED
    assert bill.state == InvoiceState.POSTED
    assert bill.purchase_match.status == MatchStatus.MATCHED
    # 4,000.00 at the company's one purchase tax (25 %) against the document's 675.00
    # (it charges 12 % on one line): both are reported, the difference is visible
    assert bill.untaxed_amount == D("4000.00")
    assert (result.tax_amount, result.document_tax_amount) == (D("1000.00"), D("675.00"))
    assert result.tax_differs
    assert any("tax total is 675.00" in w for w in result.warnings)
    assert [x.line for x in result.lines] == ["1", "2", "3"]
    for line in order.lines.all():
        line.refresh_from_db()
        assert line.billed_quantity == line.quantity


def test_an_invoice_is_split_over_several_unbilled_receipts_oldest_first(buying, example4, clerk):
    products, _order = example4
    order = orders.submit_purchase_order(
        buying.actor, buying.order((products["JB007"], "1000", "1.00")).pk
    )
    # the file's order 123 becomes a fresh order of JB007 only, received in two receipts
    PurchaseOrder.objects.filter(reference="123").update(reference="123-OLD")
    PurchaseOrder.objects.filter(pk=order.pk).update(reference="123")
    (line,) = order.lines.all()
    receive_purchase_order(SYSTEM, order.pk, [ReceiptLine(line.pk, D(600))])
    receive_purchase_order(SYSTEM, order.pk, [ReceiptLine(line.pk, D(400))])
    content = _read(CEN / "ubl-tc434-example4.xml")
    result = import_vendor_bill(clerk, buying.company.pk, "x.xml", content, dry_run=True)
    first, second = sorted(line.receipts.values_list("move_id", flat=True))
    jb007 = [(x.quantity, x.stock_move_id) for x in result.lines if x.sku == "CD-JB007"]
    assert jb007 == [(D(600), first), (D(400), second)]
    # JB008 and JB009 were not ordered on this 123: unlinked, so not yet received
    assert [x.stock_move_id for x in result.lines if x.sku != "CD-JB007"] == [None, None]
    assert result.match_status == MatchStatus.NOT_RECEIVED


def test_a_dry_run_answers_the_bill_and_its_match_and_writes_nothing(buying, example4, clerk):
    before = _counts()
    result = import_vendor_bill(
        clerk,
        buying.company.pk,
        "ubl-tc434-example4.xml",
        _read(CEN / "ubl-tc434-example4.xml"),
        dry_run=True,
    )
    assert result.dry_run
    assert result.bill_id is None
    assert (result.state, result.match_status) == (InvoiceState.POSTED, MatchStatus.MATCHED)
    assert len(result.lines) == 3
    assert all(x.stock_move_id for x in result.lines)
    assert _counts() == before


def test_the_same_supplier_bill_number_twice_is_refused_on_partner_reference(
    buying, example4, clerk
):
    content = _read(CEN / "ubl-tc434-example4.xml")
    import_vendor_bill(clerk, buying.company.pk, "a.xml", content)
    before = _counts()
    with pytest.raises(ConflictError) as refused:
        import_vendor_bill(clerk, buying.company.pk, "a.xml", content)
    assert "TOSL110" in refused.value.fields["partner_reference"][0]
    assert _counts() == before


def test_a_peppol_invoice_without_an_order_is_held_as_not_yet_received(buying, clerk):
    """Peppol vat-category-O: the seller has only its electronic address (EndpointID)."""
    sek = _rate("SEK", "0.0871", buying.company)
    _supplier(buying, "7300010000001", sek)
    products = _catalogue(buying, ("RT3000", "3200.00"))
    before = Invoice.objects.count()
    result = import_vendor_bill(
        clerk, buying.company.pk, "vat-category-O.xml", _read(PEPPOL / "vat-category-O.xml")
    )
    bill = Invoice.objects.get(pk=result.bill_id)
    assert Invoice.objects.count() == before + 1
    assert (bill.partner_reference, bill.date, bill.currency.code) == (
        "Vat-O",
        datetime.date(2018, 8, 30),
        "SEK",
    )
    (line,) = bill.lines.all()
    assert (line.product_id, line.quantity, line.unit_price) == (
        products["RT3000"].pk,
        D(1),
        D("3200.00"),
    )
    assert line.stock_move_id is None
    assert result.match_status == MatchStatus.NOT_RECEIVED
    assert bill.state == InvoiceState.DRAFT
    assert bill.payment_hold
    assert result.document_tax_amount == D("0.00")


def test_a_cen_credit_note_becomes_a_draft_vendor_credit(buying, clerk):
    _supplier(buying, "BE0000000196")
    products = _catalogue(buying, ("V55", "100.11"))
    result = import_vendor_bill(
        clerk,
        buying.company.pk,
        "ubl-tc434-creditnote1.xml",
        _read(CEN / "ubl-tc434-creditnote1.xml"),
    )
    credit = Invoice.objects.get(pk=result.bill_id)
    assert result.document_type == "CreditNote"
    assert (credit.kind, credit.state) == (InvoiceKind.VENDOR_CREDIT, InvoiceState.DRAFT)
    assert (credit.partner_reference, credit.date) == ("018304 / 28865", datetime.date(2019, 9, 23))
    (line,) = credit.lines.all()
    assert (line.product_id, line.quantity, line.unit_price) == (
        products["V55"].pk,
        D("1.00"),
        D("100.11"),
    )
    assert result.match_status is None


def test_malformed_xml_is_refused_and_nothing_is_written(buying, example4, clerk):
    before = _counts()
    broken = _read(CEN / "ubl-tc434-example4.xml")[:1500]
    with pytest.raises(DomainError) as refused:
        import_vendor_bill(clerk, buying.company.pk, "broken.xml", broken)
    assert "Not well-formed XML" in refused.value.fields["file"][0]
    assert _counts() == before


def test_xml_with_entities_is_refused(buying, clerk):
    attack = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    )
    with pytest.raises(DomainError) as refused:
        import_vendor_bill(clerk, buying.company.pk, "evil.xml", attack)
    assert "file" in refused.value.fields


def test_non_ubl_xml_and_other_ubl_documents_are_refused(buying, clerk):
    before = _counts()
    schema = REALDATA / "ubl" / "xsd" / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd"
    with pytest.raises(DomainError) as refused:
        import_vendor_bill(clerk, buying.company.pk, schema.name, _read(schema))
    assert "Not a UBL 2.1 document" in refused.value.fields["file"][0]
    order = OASIS / "UBL-Order-2.1-Example.xml"
    with pytest.raises(DomainError) as refused:
        import_vendor_bill(clerk, buying.company.pk, order.name, _read(order))
    assert "Order is not an invoice or a credit note" in refused.value.fields["document"][0]
    assert _counts() == before


def test_an_unknown_supplier_is_refused_with_its_name_and_vat(buying, clerk):
    with pytest.raises(DomainError) as refused:
        import_vendor_bill(
            clerk, buying.company.pk, "x.xml", _read(CEN / "ubl-tc434-creditnote1.xml")
        )
    message = refused.value.fields["supplier"][0]
    assert "Unknown supplier My Supplier Company N.V. (BE0000000196)" in message


def test_an_unknown_item_is_refused_naming_its_line(buying, example4, clerk):
    products, _order = example4
    products["JB009"].supplier_offers.update(supplier_sku="OTHER")
    before = _counts()
    with pytest.raises(DomainError) as refused:
        import_vendor_bill(clerk, buying.company.pk, "x.xml", _read(CEN / "ubl-tc434-example4.xml"))
    assert list(refused.value.fields) == ["lines[2].item"]
    assert refused.value.fields["lines[2].item"][0].startswith("line 3: unknown item")
    assert "seller item JB009" in refused.value.fields["lines[2].item"][0]
    assert _counts() == before


def test_a_negative_peppol_line_is_refused_naming_its_line(buying, clerk):
    """Peppol base-example bills -3 days on line 2: Crossdock bills carry no negative lines."""
    _supplier(buying, "GB1232434")
    product = factories.product(sku="CD-DAY")
    ProductBarcode.objects.create(
        product=product, gtin="21382183120983", unit=Unit.objects.get(code="H87")
    )
    with pytest.raises(DomainError) as refused:
        import_vendor_bill(clerk, buying.company.pk, "x.xml", _read(PEPPOL / "base-example.xml"))
    fields = refused.value.fields
    assert fields["lines[1].quantity"][0].startswith("line 2: quantity -3 is not positive")
    # its items are named by GLN (scheme 0088), not by GTIN (0160) or the supplier's item id
    assert fields["lines[0].item"][0].startswith("line 1: unknown item item name")
    # and its document-level insurance charge cannot be imported either
    assert "Insurance" in fields["allowance_charge"][0]


def test_a_compound_line_allowance_is_refused(buying, clerk):
    """CEN example 5 has a 10 % allowance and a 10 % charge on line 1."""
    dkk = _rate("DKK", "0.1341", buying.company)
    _supplier(buying, "NL16356706", dkk)
    _catalogue(buying, ("JB007", "1.00"), ("JB008", "5.00"), ("JB009", "5.00"))
    with pytest.raises(DomainError) as refused:
        import_vendor_bill(clerk, buying.company.pk, "x.xml", _read(CEN / "ubl-tc434-example5.xml"))
    assert "allowance_charge" in refused.value.fields  # and its document-level ones


def test_an_unknown_currency_rate_is_a_field_error(buying, clerk):
    ExchangeRate.objects.filter(currency__code="SEK").delete()
    ExchangeRate.objects.filter(quote_currency__code="SEK").delete()
    _supplier(buying, "7300010000001")
    with pytest.raises(DomainError) as refused:
        import_vendor_bill(clerk, buying.company.pk, "x.xml", _read(PEPPOL / "vat-category-O.xml"))
    assert "SEK" in refused.value.fields["currency"][0]


def test_gtins_compare_in_their_14_digit_form():
    assert gtin14("873649827489") == "00873649827489"
    assert gtin14("4006381333931") == "04006381333931"
    assert gtin14("192387129837129873") is None
    assert gtin14("97iugug876") is None


def test_an_item_found_by_its_gtin(buying):
    """A GTIN-14 on the document finds the product stored with its GTIN-13."""
    from defusedxml.ElementTree import fromstring

    from crossdock.purchasing.services.bill_import import NS, _product

    product = factories.product(sku="CD-GTIN")
    ProductBarcode.objects.create(
        product=product, gtin="4006381333931", unit=Unit.objects.get(code="H87")
    )
    item = fromstring(
        f'<cac:Item xmlns:cac="{NS["cac"]}" xmlns:cbc="{NS["cbc"]}">'
        "<cac:StandardItemIdentification>"
        '<cbc:ID schemeID="0160">04006381333931</cbc:ID>'
        "</cac:StandardItemIdentification></cac:Item>"
    )
    assert _product(buying.company.pk, buying.supplier, item) == product


def test_a_user_without_the_rights_may_not_import(buying):
    clerk = factories.user(Role.AR_CLERK, companies=[buying.company])
    with pytest.raises(PermissionDeniedError):
        import_vendor_bill(Actor.of(clerk), buying.company.pk, "x.xml", b"<x/>")


def test_the_api_imports_the_file_and_answers_the_bill_and_its_match(buying, example4):
    clerk = factories.user(Role.AP_CLERK, companies=[buying.company])
    client = ApiClient(clerk)
    url = client.url(f"vendor-bills/import?company={buying.company.pk}&dry_run=true")
    upload = SimpleUploadedFile("ubl-tc434-example4.xml", _read(CEN / "ubl-tc434-example4.xml"))
    before = _counts()
    dry = client.client.post(url, {"file": upload}, HTTP_IDEMPOTENCY_KEY="ubl-dry")
    assert dry.status_code == 200, dry.content
    assert dry.json()["match_status"] == "matched"
    assert dry.json()["bill"] is None
    assert _counts() == before
    url = client.url(f"vendor-bills/import?company={buying.company.pk}")
    upload = SimpleUploadedFile("ubl-tc434-example4.xml", _read(CEN / "ubl-tc434-example4.xml"))
    response = client.client.post(url, {"file": upload}, HTTP_IDEMPOTENCY_KEY="ubl-1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["partner_reference"], body["currency"], body["state"]) == (
        "TOSL110",
        "DKK",
        "posted",
    )
    assert (body["tax_amount"], body["document_tax_amount"], body["tax_differs"]) == (
        "1000.00",
        "675.00",
        True,
    )
    assert [(x["quantity"], x["unit_price"]) for x in body["lines"]] == [
        ("1000", "1.00"),
        ("100", "5.00"),
        ("500", "5.00"),
    ]
    upload = SimpleUploadedFile("x.xml", b"<Invoice><unclosed></Invoice>")
    refused = client.client.post(url, {"file": upload})
    assert refused.status_code == 422
    assert "file" in refused.json()["errors"]


def test_the_match_queue_screen_checks_then_imports_an_e_invoice(buying, example4, client):
    clerk = factories.user(Role.AP_CLERK, companies=[buying.company])
    client.force_login(clerk)
    queue = client.get("/purchasing/matches/")
    assert 'href="/purchasing/matches/import/"' in queue.content.decode()
    url = "/purchasing/matches/import/"
    assert client.get(url).status_code == 200
    content = _read(CEN / "ubl-tc434-example4.xml")
    before = _counts()
    page = client.post(
        url,
        {
            "company": buying.company.pk,
            "file": SimpleUploadedFile("ubl-tc434-example4.xml", content),
            "dry_run": "on",
        },
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "The file can be imported" in text
    assert "1000.00 / 675.00 DKK" in text  # computed tax beside the document's
    assert _counts() == before
    page = client.post(
        url,
        {
            "company": buying.company.pk,
            "file": SimpleUploadedFile("ubl-tc434-example4.xml", content),
        },
    )
    bill = Invoice.objects.get(partner_reference="TOSL110")
    assert f"/accounting/invoices/{bill.pk}/" in page.content.decode() or "Imported" in (
        page.content.decode()
    )
    assert bill.state == InvoiceState.POSTED
    again = client.post(
        url,
        {
            "company": buying.company.pk,
            "file": SimpleUploadedFile("ubl-tc434-example4.xml", content),
        },
    )
    assert "partner_reference" in again.content.decode()
    assert Invoice.objects.filter(partner_reference="TOSL110").count() == 1


def test_the_import_screen_is_refused_to_a_buyer(buying, client):
    client.force_login(buying.buyer)
    assert client.get("/purchasing/matches/import/").status_code == 403
    assert (
        'href="/purchasing/matches/import/"'
        not in client.get("/purchasing/matches/").content.decode()
    )
