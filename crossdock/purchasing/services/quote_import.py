"""Importing suppliers' quotes for an RFQ from CSV or XLSX, with a dry run.

One row per supplier and RFQ line: ``supplier`` (partner code), ``product`` (SKU),
``unit_price`` and ``lead_time_days``, and optionally ``quantity`` (the quantity the
RFQ asks for; it picks the line when the product is on several lines), ``currency``
(ISO code; the supplier's when empty), ``moq``, ``valid_until`` (ISO date),
``landed_cost_percent`` and ``note``. A few usual spellings are accepted as well
(``sku``, ``price``, ``lead_time``, ``minimum_order_quantity``, ``validity``…).

Rows are read and typed first, every problem collected with its row number (as a
spreadsheet shows it, the header being row 1) and column; then all quotes go through
:func:`~crossdock.purchasing.services.sourcing.record_quotes` in one transaction, so the
same checks (a supplier asked on the RFQ, a currency with a rate today, a quote not
already expired, one quote per supplier and line), the audit trail and the
``purchasing.rfq.quote`` event apply, and a supplier's new quote for a line replaces its
old one. If any row is wrong, or for a dry run, nothing is written.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.import_rows import RowError
from crossdock.masterdata.models import Currency
from crossdock.masterdata.tabular import guard_formula, read_table, unguard_formula
from crossdock.purchasing.models import RequestForQuotation, RfqLine, RfqState, SupplierQuote
from crossdock.purchasing.services.sourcing import QuoteDraft, record_quotes

REQUIRED = ("supplier", "product", "unit_price", "lead_time_days")
KNOWN = (
    *REQUIRED,
    "quantity",
    "currency",
    "moq",
    "valid_until",
    "landed_cost_percent",
    "note",
)
ALIASES = {"sku": "product", "supplier_code": "supplier", "price": "unit_price",
           "lead_time": "lead_time_days", "lead_days": "lead_time_days", "qty": "quantity",
           "minimum_quantity": "moq", "minimum_order_quantity": "moq",
           "validity": "valid_until", "valid_to": "valid_until",
           "estimated_landed_cost_percent": "landed_cost_percent"}  # fmt: skip
# the service's names for a quote's fields, as the file's columns
COLUMN_OF = {"line": "product", "minimum_quantity": "moq",
             "estimated_landed_cost_percent": "landed_cost_percent"}  # fmt: skip
MAX_ROWS = 5_000


@dataclass
class QuoteImportResult:
    """What an import did — or, for a dry run, would do; counts are 0 when ``ok`` is false."""

    ok: bool
    dry_run: bool
    rows: int
    created: int = 0
    replaced: int = 0
    errors: list[RowError] = field(default_factory=list)


class _Rollback(Exception):
    pass


def _columns(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    errors: list[RowError] = []
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip().lower().replace(" ", "_").replace("-", "_")
        if not name:
            continue
        name = ALIASES.get(name, name)
        if name not in KNOWN:
            errors.append(RowError(1, raw, f"Unknown column; use {', '.join(KNOWN)}."))
        elif name in columns:
            errors.append(RowError(1, raw, f"A second {name} column."))
        else:
            columns[name] = index
    for name in REQUIRED:
        if name not in columns:
            errors.append(RowError(1, name, "This column is required."))
    return columns, errors


class _Row:
    """One data row's cells, typed on demand; each problem is noted against the row."""

    def __init__(
        self, number: int, values: list[str], columns: dict[str, int], errors: list[RowError]
    ):
        self.number, self.values, self.columns, self.errors = number, values, columns, errors

    def text(self, name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(self.values):
            return ""
        return unguard_formula(self.values[index].strip())

    def refuse(self, name: str, message: str) -> None:
        self.errors.append(RowError(self.number, name, message))

    def decimal(self, name: str, default: str | None = None) -> Decimal | None:
        text = self.text(name).replace(" ", "") or default
        if text is None:
            self.refuse(name, "Give a value.")
            return None
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            self.refuse(name, f"{text!r} is not a number.")
            return None
        if not number.is_finite():
            self.refuse(name, f"{text!r} is not a number.")
            return None
        return number

    def days(self, name: str) -> int | None:
        text = self.text(name)
        if not text.isdigit():
            self.refuse(name, f"{text!r} is not a whole number of days." if text else "Give one.")
            return None
        return int(text)

    def date(self, name: str) -> datetime.date | None:
        text = self.text(name)
        if not text:
            return None
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            self.refuse(name, f"{text!r} is not a date (YYYY-MM-DD).")
            return None


TEMPLATE_COLUMNS = ("supplier", "product", "quantity", "unit_price", "currency",
                    "lead_time_days", "moq", "valid_until", "landed_cost_percent",
                    "note")  # fmt: skip


def template_rows(rfq: RequestForQuotation) -> list[list[str]]:
    """One row per supplier and line of the RFQ, to send out or fill in (prices left empty)."""
    lines = list(rfq.lines.select_related("product").order_by("sequence", "pk"))
    return [
        [guard_formula(supplier.code), guard_formula(line.product.sku),
         f"{line.quantity.normalize():f}", "", supplier.currency.code, "", "", "", "", ""]
        for supplier in rfq.suppliers.select_related("currency").order_by("code")
        for line in lines
    ]  # fmt: skip


def _line_of(row: _Row, lines: dict[str, list[RfqLine]]) -> RfqLine | None:
    sku = row.text("product")
    found = lines.get(sku)
    if not sku:
        row.refuse("product", "Give the product's SKU.")
        return None
    if not found:
        row.refuse("product", f"{sku} is not asked for on this RFQ.")
        return None
    if not row.text("quantity"):
        if len(found) > 1:
            row.refuse("quantity", f"{sku} is on several lines; give the quantity to pick one.")
            return None
        return found[0]
    quantity = row.decimal("quantity")
    if quantity is None:
        return None
    for line in found:
        if line.quantity == quantity:
            return line
    asked = " or ".join(f"{line.quantity.normalize():f}" for line in found)
    row.refuse("quantity", f"The RFQ asks for {asked} of {sku}; quote that quantity.")
    return None


def _drafts(
    rfq: RequestForQuotation, table_rows: list[tuple[int, list[str]]], columns: dict[str, int]
) -> tuple[list[tuple[int, QuoteDraft]], list[RowError]]:
    errors: list[RowError] = []
    suppliers = {s.code: s for s in rfq.suppliers.only("pk", "code")}
    lines: dict[str, list[RfqLine]] = {}
    for rfq_line in rfq.lines.select_related("product").order_by("sequence", "pk"):
        lines.setdefault(rfq_line.product.sku, []).append(rfq_line)
    currencies = {c.code: c for c in Currency.objects.all()}
    drafts: list[tuple[int, QuoteDraft]] = []
    for number, values in table_rows:
        if not any(value.strip() for value in values):
            continue  # a blank line in a spreadsheet
        row = _Row(number, values, columns, errors)
        code = row.text("supplier")
        supplier = suppliers.get(code)
        if supplier is None:
            row.refuse(
                "supplier",
                f"{code} was not asked on {rfq.reference}." if code else "Give the supplier code.",
            )
        line = _line_of(row, lines)
        price = row.decimal("unit_price")
        lead = row.days("lead_time_days")
        moq = row.decimal("moq", "0")
        landed = row.decimal("landed_cost_percent", "0")
        valid_until = row.date("valid_until")
        currency = None
        if row.text("currency"):
            currency = currencies.get(row.text("currency").upper())
            if currency is None:
                row.refuse("currency", f"Unknown currency {row.text('currency')!r}.")
        note = row.text("note")  # its length is checked with the quote
        if supplier is None or line is None or price is None or lead is None:
            continue
        if moq is None or landed is None:
            continue
        draft = QuoteDraft(
            line_id=line.pk, supplier_id=supplier.pk, unit_price=price, lead_time_days=lead,
            currency_id=currency.pk if currency else None, minimum_quantity=moq,
            valid_until=valid_until, estimated_landed_cost_percent=landed, note=note,
        )  # fmt: skip
        drafts.append((number, draft))
    return drafts, errors


def _row_errors(error: DomainError, numbers: list[int]) -> list[RowError]:
    """The service's ``quotes[3].unit_price`` as the file's row and column."""
    found: list[RowError] = []
    for name, messages in (error.fields or {"": [error.message]}).items():
        row, column = 0, name
        if name.startswith("quotes[") and "]" in name:
            index, _, rest = name.removeprefix("quotes[").partition("]")
            if index.isdigit() and int(index) < len(numbers):
                row = numbers[int(index)]
                column = rest.lstrip(".")
        column = COLUMN_OF.get(column, column)
        found.extend(RowError(row, column, message) for message in messages)
    return found


def import_quotes(
    actor: Actor, rfq_id: int, filename: str, content: bytes, *, dry_run: bool
) -> QuoteImportResult:
    """Check every row of the file, then (unless ``dry_run``) record every quote — or none."""
    if actor.user is not None and not has_model_permission(
        actor.user, RequestForQuotation, "change"
    ):
        raise PermissionDeniedError("You may not record quotes on requests for quotation.")
    rfqs: Any = RequestForQuotation.objects.all()
    if actor.user is not None:
        rfqs = rfqs.restrict(actor.user, "change")
    rfq = rfqs.filter(pk=rfq_id).first()
    if rfq is None:
        raise NotFoundError(f"No request for quotation with id {rfq_id}.")
    if rfq.state != RfqState.SENT:
        raise ConflictError(
            f"{rfq.reference} is {rfq.get_state_display().lower()}; quotes are recorded "
            "once it is sent.",
            fields={"state": ["Must be sent to suppliers."]},
        )
    table = read_table(filename, content)
    columns, errors = _columns(table.header)
    result = QuoteImportResult(False, dry_run, len(table.rows))
    if len(table.rows) > MAX_ROWS:
        errors.append(RowError(0, "", f"At most {MAX_ROWS:,} rows in one file."))
    if errors:
        result.errors = errors
        return result
    drafts, errors = _drafts(rfq, table.rows, columns)
    if not drafts and not errors:
        errors.append(RowError(0, "", "The file has no quotes."))
    unread = {error.row for error in errors}
    drafts = [(number, draft) for number, draft in drafts if number not in unread]
    numbers = [number for number, _ in drafts]
    quoted = set(SupplierQuote.objects.filter(line__rfq=rfq).values_list("line_id", "supplier_id"))
    if drafts:  # the RFQ's own checks, on every row that could be read (rolled back if bad)
        try:
            with transaction.atomic():
                record_quotes(actor, rfq.pk, [draft for _, draft in drafts])
                if dry_run or errors:
                    raise _Rollback
        except (PermissionDeniedError, NotFoundError):
            raise
        except DomainError as error:
            errors.extend(_row_errors(error, numbers))
        except _Rollback:
            pass
    if errors:
        result.errors = sorted(errors, key=lambda e: (e.row, e.field))
        return result
    keys = {(draft.line_id, draft.supplier_id) for _, draft in drafts}
    result.replaced = len(keys & quoted)
    result.created = len(keys) - result.replaced
    result.ok = True
    return result
