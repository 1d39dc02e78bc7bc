"""Importing a supplier's e-invoice (UBL 2.1 / Peppol BIS Billing 3 / EN 16931) as a vendor bill.

Design overview
---------------
:func:`import_vendor_bill` reads one UBL ``Invoice`` or ``CreditNote`` with
``defusedxml`` (no DTDs, entities or external references) and maps it onto a
draft vendor bill (or vendor credit note) of the importing company:

* the seller (``AccountingSupplierParty``) is the supplier whose tax id equals
  the VAT number (``PartyTaxScheme/CompanyID``), the legal registration
  (``PartyLegalEntity/CompanyID``) or the electronic address (``EndpointID``),
  compared without spaces and case;
* ``cbc:ID`` is the supplier's bill number, ``IssueDate`` the date and
  ``DocumentCurrencyCode`` the currency (which needs a rate on that date);
* each line's item is the supplier's catalogue entry with that seller item id,
  else the product with that GTIN (``StandardItemIdentification`` of scheme
  0160, compared in its 14-digit form); its quantity, its net price (divided by
  the base quantity) and a single percentage allowance as the line discount;
* an order reference (of the line, else of the document) names a purchase order
  of the supplier: the bill line is linked to that order's receipt moves of the
  product not yet billed, oldest first, split over several moves if it must.
  What no receipt covers stays unlinked, so the match says *not yet received*.

Taxes are the company's default purchase tax, as for a bill drafted from an
order; the document's own tax total and payable amount are reported beside the
computed ones so a difference shows. A bill is then matched three ways
(:func:`~crossdock.purchasing.services.matching.match_bill`): matched bills are
posted, others wait in the AP exception queue. A credit note is left a draft.

Everything happens in one transaction; a dry run does all of it and rolls it
back, so it answers what the bill and its match would be and writes nothing.
Whatever cannot be mapped exactly — an unknown supplier, item or currency, a
negative line, a compound allowance or a document-level allowance or charge —
refuses the whole file, naming the field and the document's line number.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.db import transaction

from crossdock.accounting.models import Invoice
from crossdock.accounting.models.invoices import InvoiceKind, InvoiceState, TaxUse
from crossdock.accounting.services.invoice_sources import default_tax
from crossdock.accounting.services.invoicing import (
    InvoiceInput,
    InvoiceLineInput,
    compute_line,
    create_invoice,
)
from crossdock.accounting.services.rates import company_rate
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, PermissionDeniedError, refuse_if
from crossdock.core.fields import PERCENT_SCALE, PRICE_SCALE, QUANTITY_SCALE
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.models import Company, Currency, Partner, Product, ProductBarcode
from crossdock.purchasing.models import (
    BillMatch,
    PurchaseOrder,
    PurchaseReceiptLine,
    SupplierProduct,
)
from crossdock.purchasing.services.matching import _billed_per_move, match_bill

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
DOCUMENTS = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "Invoice",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "CreditNote",
}
UBL_PREFIX = "urn:oasis:names:specification:ubl:schema:xsd:"
GTIN_SCHEME = "0160"
MAX_LINES = 2000
ZERO = Decimal(0)
HUNDRED = Decimal(100)
PRICE = Decimal(1).scaleb(-PRICE_SCALE)


@dataclass
class ImportedLine:
    """One bill line made from a document line (a document line may become several)."""

    line: str  # the document's line number (cbc:ID)
    product_id: int
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    order: str | None
    stock_move_id: int | None
    subtotal: Decimal = ZERO
    document_subtotal: Decimal | None = None


@dataclass
class BillImportResult:
    dry_run: bool
    document_type: str  # Invoice or CreditNote
    kind: str
    supplier_id: int
    supplier_name: str
    partner_reference: str
    date: datetime.date
    currency: str
    lines: list[ImportedLine]
    warnings: list[str] = field(default_factory=list)
    bill_id: int | None = None
    state: str | None = None
    match_status: str | None = None
    match_reason: str = ""
    untaxed_amount: Decimal = ZERO
    tax_amount: Decimal = ZERO
    total_amount: Decimal = ZERO
    document_tax_amount: Decimal | None = None
    document_payable_amount: Decimal | None = None

    @property
    def tax_differs(self) -> bool:
        return self.document_tax_amount is not None and self.document_tax_amount != self.tax_amount


class _Rollback(Exception):
    pass


def _refuse(name: str, message: str) -> DomainError:
    return DomainError(f"{name}: {message}", fields={name: [message]})


# -- reading the XML ------------------------------------------------------------------------------


def _parse(content: bytes) -> tuple[str, Element]:
    if not content.strip():
        raise _refuse("file", "The file is empty.")
    try:
        root = fromstring(content)
    except DefusedXmlException as unsafe:
        raise _refuse(
            "file", f"The XML declares DTDs, entities or external references ({unsafe})."
        ) from None
    except ParseError as broken:
        raise _refuse("file", f"Not well-formed XML: {broken}.") from None
    namespace, _, name = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", "")
    if not namespace.startswith(UBL_PREFIX):
        tag = root.tag if not namespace else f"{{{namespace}}}{name}"
        raise _refuse("file", f"Not a UBL 2.1 document (its root element is {tag}).")
    document = DOCUMENTS.get(namespace)
    if document is None or name != document:
        raise _refuse(
            "document", f"A UBL {name} is not an invoice or a credit note; import only those."
        )
    return document, root


def _text(element: Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _texts(element: Element, path: str) -> list[str]:
    return [(found.text or "").strip() for found in element.findall(path, NS) if found.text]


def _decimal(raw: str, name: str, problems: dict[str, list[str]]) -> Decimal | None:
    try:
        number = Decimal(raw)
    except (InvalidOperation, ValueError):
        problems[name].append(f"{raw!r} is not a number.")
        return None
    if not number.is_finite():
        problems[name].append(f"{raw!r} is not a number.")
        return None
    return number


def _places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _normal_id(value: str) -> str:
    return "".join(value.split()).upper()


def gtin14(value: str) -> str | None:
    """The GTIN in its 14-digit form (GTIN-8, -12 and -13 padded with zeros), if it is one."""
    digits = "".join(value.split())
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        return None
    return digits.zfill(14)


def _gtin_forms(value14: str) -> list[str]:
    """Every shorter form a GTIN-14 may be stored as (leading zeros dropped)."""
    return [value14[14 - size :] for size in (14, 13, 12, 8) if set(value14[: 14 - size]) <= {"0"}]


# -- mapping ------------------------------------------------------------------------------------


def _supplier(company_id: int, party: Element | None) -> Partner:
    if party is None:
        raise _refuse("supplier", "The document names no seller (AccountingSupplierParty).")
    ids = [
        *_texts(party, "cac:PartyTaxScheme/cbc:CompanyID"),
        *_texts(party, "cac:PartyLegalEntity/cbc:CompanyID"),
        *_texts(party, "cbc:EndpointID"),
    ]
    wanted = [_normal_id(value) for value in ids if _normal_id(value)]
    name = (
        _text(party, "cac:PartyName/cbc:Name")
        or _text(party, "cac:PartyLegalEntity/cbc:RegistrationName")
        or "(no name)"
    )
    found: list[Partner] = []
    if wanted:
        suppliers = Partner.objects.filter(company_id=company_id, is_supplier=True).exclude(
            tax_id=""
        )
        by_id: dict[str, list[Partner]] = defaultdict(list)
        for partner in suppliers.only("pk", "name", "tax_id", "company_id"):
            by_id[_normal_id(partner.tax_id)].append(partner)
        for value in wanted:
            if by_id.get(value):
                found = by_id[value]
                break
    if not found:
        vat = ids[0] if ids else "no VAT number or electronic address"
        raise _refuse(
            "supplier",
            f"Unknown supplier {name} ({vat}): no supplier of this company has that tax id.",
        )
    if len(found) > 1:
        codes = ", ".join(partner.code for partner in found)
        raise _refuse("supplier", f"Several suppliers share the tax id of {name}: {codes}.")
    return Partner.objects.get(pk=found[0].pk)


def _product(company_id: int, supplier: Partner, item: Element | None) -> Product | None:
    seller_id = _text(item, "cac:SellersItemIdentification/cbc:ID")
    if seller_id:
        entry = (
            SupplierProduct.objects.filter(
                company_id=company_id, supplier=supplier, supplier_sku=seller_id
            )
            .select_related("product")
            .order_by("-active", "preference", "pk")
            .first()
        )
        if entry is not None:
            return entry.product
    if item is not None:
        for standard in item.findall("cac:StandardItemIdentification/cbc:ID", NS):
            if standard.get("schemeID") != GTIN_SCHEME:
                continue
            value = gtin14(standard.text or "")
            if value is None:
                continue
            barcode = (
                ProductBarcode.objects.filter(gtin__in=_gtin_forms(value))
                .select_related("product")
                .first()
            )
            if barcode is not None:
                return barcode.product
    return None


def _discount(
    where: str,
    number: str,
    line: Element,
    gross: Decimal,
    problems: dict[str, list[str]],
) -> Decimal:
    """A line's allowances as a discount percent: only one allowance, given or exact as one."""
    parts = line.findall("cac:AllowanceCharge", NS)
    if not parts:
        return ZERO
    simple = f"line {number}: only a single percentage allowance on a line can be imported"
    if len(parts) > 1 or _text(parts[0], "cbc:ChargeIndicator").lower() != "false":
        problems[f"{where}.allowance_charge"].append(f"{simple}; it has charges or several.")
        return ZERO
    part = parts[0]
    factor = _text(part, "cbc:MultiplierFactorNumeric")
    amount = _decimal(_text(part, "cbc:Amount") or "0", f"{where}.allowance_charge", problems)
    if amount is None:
        return ZERO
    if factor:
        percent = _decimal(factor, f"{where}.allowance_charge", problems)
    elif gross:
        percent = (amount * HUNDRED / gross).normalize()
    else:
        percent = None
    if percent is None or not ZERO <= percent <= HUNDRED or _places(percent) > PERCENT_SCALE:
        problems[f"{where}.allowance_charge"].append(
            f"{simple}; {amount} off {gross} is not an exact percentage (at most "
            f"{PERCENT_SCALE} decimals)."
        )
        return ZERO
    return percent


@dataclass
class _Line:
    number: str
    product: Product
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    order_reference: str
    document_subtotal: Decimal | None


def _read_lines(
    document: str, root: Element, company_id: int, supplier: Partner
) -> tuple[list[_Line], list[str]]:
    tag, quantity_tag = (
        ("cac:InvoiceLine", "cbc:InvoicedQuantity")
        if document == "Invoice"
        else ("cac:CreditNoteLine", "cbc:CreditedQuantity")
    )
    elements = root.findall(tag, NS)
    if not elements:
        raise _refuse("lines", "The document has no lines.")
    if len(elements) > MAX_LINES:
        raise _refuse("lines", f"At most {MAX_LINES} lines in one document.")
    header_order = _text(root, "cac:OrderReference/cbc:ID")
    problems: dict[str, list[str]] = defaultdict(list)
    warnings: list[str] = []
    lines = []
    for index, element in enumerate(elements):
        where = f"lines[{index}]"
        number = _text(element, "cbc:ID") or str(index + 1)
        label = f"line {number}"
        quantity = _decimal(_text(element, quantity_tag), f"{where}.quantity", problems)
        if quantity is not None and quantity <= 0:
            problems[f"{where}.quantity"].append(
                f"{label}: quantity {quantity} is not positive; a correction is imported "
                "as a credit note."
            )
        elif quantity is not None and _places(quantity) > QUANTITY_SCALE:
            problems[f"{where}.quantity"].append(f"{label}: more than {QUANTITY_SCALE} decimals.")
        price = _decimal(_text(element, "cac:Price/cbc:PriceAmount"), f"{where}.price", problems)
        base_raw = _text(element, "cac:Price/cbc:BaseQuantity")
        base = _decimal(base_raw, f"{where}.price", problems) if base_raw else Decimal(1)
        if price is not None and price < 0:
            problems[f"{where}.price"].append(f"{label}: the price {price} is negative.")
        if base is not None and base <= 0:
            problems[f"{where}.price"].append(f"{label}: the base quantity {base} is not positive.")
        unit_price = ZERO
        if price is not None and base is not None and base > 0:
            unit_price = price / base
            if _places(unit_price) > PRICE_SCALE:
                unit_price = unit_price.quantize(PRICE)
                warnings.append(
                    f"{label}: price {price} per {base} rounded to {unit_price} per unit."
                )
        item = element.find("cac:Item", NS)
        product = _product(company_id, supplier, item)
        name = _text(item, "cbc:Name") or _text(item, "cbc:Description")
        if product is None:
            ids = [
                f"seller item {value}"
                for value in [_text(item, "cac:SellersItemIdentification/cbc:ID")]
                if value
            ]
            if item is not None:
                ids += [
                    f"GTIN {found.text}"
                    for found in item.findall("cac:StandardItemIdentification/cbc:ID", NS)
                    if found.get("schemeID") == GTIN_SCHEME and found.text
                ]
            problems[f"{where}.item"].append(
                f"{label}: unknown item {name or '(no name)'} "
                f"({', '.join(ids) or 'no seller item id or GTIN'}): no catalogue entry of "
                f"{supplier.name} or product barcode matches."
            )
        gross = (quantity or ZERO) * unit_price
        discount = _discount(where, number, element, gross, problems)
        subtotal_raw = _text(element, "cbc:LineExtensionAmount")
        subtotal = _decimal(subtotal_raw, f"{where}.amount", problems) if subtotal_raw else None
        order_reference = (
            _text(element, "cac:OrderLineReference/cac:OrderReference/cbc:ID") or header_order
        )
        if product is None or quantity is None or quantity <= 0 or price is None:
            continue
        lines.append(
            _Line(
                number=number,
                product=product,
                description=f"{number}: {name or product.name}"[:200],
                quantity=quantity,
                unit_price=unit_price,
                discount_percent=discount,
                order_reference=order_reference,
                document_subtotal=subtotal,
            )
        )
    refuse_if(dict(problems))
    return lines, warnings


def _link(
    company_id: int, supplier: Partner, lines: list[_Line], warnings: list[str]
) -> list[ImportedLine]:
    """Split each line over the unbilled receipt moves of its order, oldest first."""
    references = {line.order_reference for line in lines if line.order_reference}
    orders = {
        order.reference: order
        for order in PurchaseOrder.objects.filter(
            company_id=company_id, supplier=supplier, reference__in=references
        )
    }
    for reference in sorted(references - set(orders)):
        warnings.append(
            f"Order {reference} is not a purchase order of {supplier.name}; "
            "its lines are not linked to receipts."
        )
    receipts = list(
        PurchaseReceiptLine.objects.filter(
            line__order__in=list(orders.values()), move__state="done"
        )
        .select_related("move", "line")
        .order_by("move__done_at", "move_id")
    )
    billed = _billed_per_move([receipt.move_id for receipt in receipts])
    left = {r.move_id: r.move.quantity - billed.get(r.move_id, ZERO) for r in receipts}
    result = []
    for line in lines:
        order = orders.get(line.order_reference)
        rest = line.quantity
        pieces: list[tuple[Decimal, int | None]] = []
        if order is not None:
            for receipt in receipts:
                if receipt.line.order_id != order.pk or receipt.line.product_id != line.product.pk:
                    continue
                take = min(rest, left[receipt.move_id])
                if take <= 0:
                    continue
                pieces.append((take, receipt.move_id))
                left[receipt.move_id] -= take
                rest -= take
                if rest <= 0:
                    break
        if rest > 0:
            pieces.append((rest, None))
            if order is not None:
                warnings.append(
                    f"line {line.number}: {rest.normalize():f} of {line.product.sku} not received "
                    f"on {order.reference} and not yet billed; left unlinked."
                )
        for quantity, move_id in pieces:
            result.append(
                ImportedLine(
                    line=line.number,
                    product_id=line.product.pk,
                    sku=line.product.sku,
                    description=line.description,
                    quantity=quantity,
                    unit_price=line.unit_price,
                    discount_percent=line.discount_percent,
                    order=order.reference if order else (line.order_reference or None),
                    stock_move_id=move_id,
                    document_subtotal=line.document_subtotal if len(pieces) == 1 else None,
                )
            )
    return result


def _credited_bill(company_id: int, supplier: Partner, root: Element) -> int | None:
    reference = _text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")
    if not reference:
        return None
    return (
        Invoice.objects.filter(
            company_id=company_id,
            partner=supplier,
            kind=InvoiceKind.VENDOR_BILL,
            partner_reference=reference,
        )
        .exclude(state=InvoiceState.CANCELLED)
        .values_list("pk", flat=True)
        .first()
    )


def _document_amount(root: Element, path: str, currency: str) -> Decimal | None:
    for found in root.findall(path, NS):
        if found.get("currencyID", currency) == currency and found.text:
            try:
                return Decimal(found.text.strip())
            except InvalidOperation:
                return None
    return None


# -- the import -----------------------------------------------------------------------------------


def import_vendor_bill(
    actor: Actor, company_id: int, filename: str, content: bytes, *, dry_run: bool = False
) -> BillImportResult:
    """Import one UBL invoice or credit note as a draft bill and match it — or refuse it whole."""
    if actor.user is not None and not (
        has_model_permission(actor.user, Invoice, "add")
        and has_model_permission(actor.user, BillMatch, "change")
    ):
        raise PermissionDeniedError("You may not import vendor bills.")
    document, root = _parse(content)
    company = Company.objects.select_related("base_currency").filter(pk=company_id).first()
    if company is None:
        raise _refuse("company", "No such company.")
    problems: dict[str, list[str]] = defaultdict(list)
    number = _text(root, "cbc:ID")
    if not number:
        problems["partner_reference"].append("The document has no number (cbc:ID).")
    elif len(number) > 60:
        problems["partner_reference"].append(f"The number {number[:60]}… is over 60 characters.")
    raw_date = _text(root, "cbc:IssueDate")
    try:
        date = datetime.date.fromisoformat(raw_date)
    except ValueError:
        problems["date"].append(f"The issue date {raw_date!r} is not a date (YYYY-MM-DD).")
        date = datetime.date.min
    code = _text(root, "cbc:DocumentCurrencyCode").upper()
    currency = Currency.objects.filter(code=code, active=True).first() if code else None
    if currency is None:
        problems["currency"].append(f"Unknown currency {code or '(none given)'}.")
    refuse_if(dict(problems))
    assert currency is not None
    company_rate(company, currency, date)  # no rate on the date → a field error on currency
    supplier = _supplier(company_id, root.find("cac:AccountingSupplierParty/cac:Party", NS))
    charges: dict[str, list[str]] = {}
    if root.findall("cac:AllowanceCharge", NS):
        reasons = ", ".join(
            _text(part, "cbc:AllowanceChargeReason") or _text(part, "cbc:Amount")
            for part in root.findall("cac:AllowanceCharge", NS)
        )
        charges["allowance_charge"] = [
            f"Document-level allowances and charges ({reasons}) cannot be imported; "
            "enter this bill by hand."
        ]
    try:
        read, warnings = _read_lines(document, root, company_id, supplier)
    except DomainError as refused:
        refuse_if({**charges, **refused.fields})
        raise
    refuse_if(charges)
    kind = InvoiceKind.VENDOR_BILL if document == "Invoice" else InvoiceKind.VENDOR_CREDIT
    credit_of = _credited_bill(company_id, supplier, root) if document == "CreditNote" else None
    tax = default_tax(company_id, TaxUse.PURCHASE)
    if tax is None:
        warnings.append("The company has no single default purchase tax; lines carry no tax.")
    result = BillImportResult(
        dry_run=dry_run,
        document_type=document,
        kind=kind,
        supplier_id=supplier.pk,
        supplier_name=supplier.name,
        partner_reference=number,
        date=date,
        currency=currency.code,
        lines=[],
        warnings=warnings,
        document_tax_amount=_document_amount(root, "cac:TaxTotal/cbc:TaxAmount", currency.code),
        document_payable_amount=_document_amount(
            root, "cac:LegalMonetaryTotal/cbc:PayableAmount", currency.code
        ),
    )
    try:
        with transaction.atomic():
            if kind == InvoiceKind.VENDOR_BILL:
                lines = _link(company_id, supplier, read, warnings)
            else:
                lines = [
                    ImportedLine(
                        line=line.number,
                        product_id=line.product.pk,
                        sku=line.product.sku,
                        description=line.description,
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                        discount_percent=line.discount_percent,
                        order=line.order_reference or None,
                        stock_move_id=None,
                        document_subtotal=line.document_subtotal,
                    )
                    for line in read
                ]
            result.lines = lines
            for piece in lines:
                piece.subtotal = compute_line(
                    piece.quantity, piece.unit_price, piece.discount_percent, tax, currency
                ).subtotal
            for source in read:
                mine = sum((x.subtotal for x in lines if x.line == source.number), ZERO)
                if source.document_subtotal is not None and mine != source.document_subtotal:
                    warnings.append(
                        f"line {source.number}: the document's line amount is "
                        f"{source.document_subtotal}, computed {mine}."
                    )
            try:
                bill = create_invoice(
                    actor,
                    InvoiceInput(
                        company_id=company_id,
                        kind=kind,
                        partner_id=supplier.pk,
                        date=date,
                        lines=[
                            InvoiceLineInput(
                                description=line.description,
                                quantity=line.quantity,
                                unit_price=line.unit_price,
                                product_id=line.product_id,
                                discount_percent=line.discount_percent,
                                tax_id=tax.pk if tax else None,
                                stock_move_id=line.stock_move_id,
                            )
                            for line in lines
                        ],
                        currency_id=currency.pk,
                        partner_reference=number,
                        memo=f"Imported e-invoice {filename}"[:200],
                        credit_of_id=credit_of,
                    ),
                )
            except DomainError as refused:
                raise _line_names(refused, lines) from refused
            if kind == InvoiceKind.VENDOR_BILL:
                match = match_bill(actor, bill.pk)
                result.match_status = match.status
                result.match_reason = match.reason
            bill.refresh_from_db()
            result.bill_id = None if dry_run else bill.pk
            result.state = bill.state
            unit = Decimal(1).scaleb(-currency.minor_units)
            result.untaxed_amount = bill.untaxed_amount.quantize(unit)
            result.tax_amount = bill.tax_amount.quantize(unit)
            result.total_amount = bill.total_amount.quantize(unit)
            if result.tax_differs:
                warnings.append(
                    f"The document's tax total is {result.document_tax_amount}, the computed "
                    f"one {result.tax_amount}."
                )
            if (
                result.document_payable_amount is not None
                and result.document_payable_amount != result.total_amount
            ):
                warnings.append(
                    f"The document's payable amount is {result.document_payable_amount}, "
                    f"the bill's total {result.total_amount}."
                )
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return result


def _line_names(error: DomainError, lines: list[ImportedLine]) -> DomainError:
    """Accounting names bill lines by position; name them by the document's line numbers."""
    if not error.fields:
        return error
    fields: dict[str, list[str]] = {}
    for name, messages in error.fields.items():
        head, _, rest = name.partition(".")
        if head == "lines" and rest.split(".")[0].isdigit():
            index = int(rest.split(".")[0])
            number = lines[index].line if index < len(lines) else str(index + 1)
            messages = [f"line {number}: {message}" for message in messages]
        fields[name] = messages
    first, messages = next(iter(fields.items()))
    return type(error)(f"{first}: {messages[0]}", fields=fields, code=error.code)


__all__ = ["BillImportResult", "ImportedLine", "gtin14", "import_vendor_bill"]
