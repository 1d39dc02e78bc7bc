"""Importing the supplier catalogue from CSV or XLSX, with a dry run.

One row per price break: ``supplier`` (code), ``product`` (SKU), ``unit_price``
and optionally ``min_quantity`` (the break, default 0), ``supplier_sku``,
``currency``, ``moq``, ``order_multiple`` (pack size), ``lead_time_days``,
``valid_from``, ``valid_to`` (ISO dates), ``contract_reference`` and
``preference``. Rows of the same supplier and product make one entry with
several breaks; the entry's other columns are taken from its first row. An
existing entry of the supplier for the product is replaced whole (its breaks
too), a new one is added — each through :func:`save_offer`, so the same checks
and the audit trail apply. Every problem is reported with its row and column;
if there is any, or for a dry run, nothing is written.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from crossdock.core.context import Actor
from crossdock.core.errors import DomainError, PermissionDeniedError
from crossdock.core.permissions import has_model_permission
from crossdock.masterdata.import_rows import RowError
from crossdock.masterdata.models import Currency, Partner, Product
from crossdock.masterdata.tabular import read_table
from crossdock.purchasing.models import SupplierProduct
from crossdock.purchasing.services.catalogue import OfferDraft, PriceBreakDraft, save_offer

REQUIRED = ("supplier", "product", "unit_price")
KNOWN = (
    *REQUIRED,
    "min_quantity",
    "supplier_sku",
    "currency",
    "moq",
    "order_multiple",
    "lead_time_days",
    "valid_from",
    "valid_to",
    "contract_reference",
    "preference",
    "landed_cost_percent",
    "free_freight_value",
)
ALIASES = {"sku": "product", "price": "unit_price", "pack_size": "order_multiple",
           "minimum_order_quantity": "moq", "break_quantity": "min_quantity",
           "lead_time": "lead_time_days", "contract": "contract_reference",
           "estimated_landed_cost_percent": "landed_cost_percent"}  # fmt: skip
MAX_ROWS = 50_000


@dataclass
class CatalogueImportResult:
    ok: bool
    dry_run: bool
    rows: int
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


class _Rollback(Exception):
    pass


def _decimal(text: str, row: int, column: str, errors: list[RowError]) -> Decimal | None:
    try:
        return Decimal(text.strip().replace(" ", ""))
    except (InvalidOperation, ValueError):
        errors.append(RowError(row, column, f"{text!r} is not a number."))
        return None


def _date(text: str, row: int, column: str, errors: list[RowError]) -> datetime.date | None:
    if not text.strip():
        return None
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        errors.append(RowError(row, column, f"{text!r} is not a date (YYYY-MM-DD)."))
        return None


def _columns(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    errors: list[RowError] = []
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip().lower().replace(" ", "_")
        name = ALIASES.get(name, name)
        if name not in KNOWN:
            errors.append(RowError(1, raw, f"Unknown column; use {', '.join(KNOWN)}."))
        else:
            columns[name] = index
    for name in REQUIRED:
        if name not in columns:
            errors.append(RowError(1, name, "This column is required."))
    return columns, errors


def import_catalogue(
    actor: Actor, company_id: int, filename: str, content: bytes, *, dry_run: bool
) -> CatalogueImportResult:
    """Check every row, then (unless ``dry_run``) save every entry — or nothing."""
    if actor.user is not None and not has_model_permission(actor.user, SupplierProduct, "add"):
        raise PermissionDeniedError("You may not import the supplier catalogue.")
    table = read_table(filename, content)
    columns, errors = _columns(table.header)
    result = CatalogueImportResult(False, dry_run, len(table.rows))
    if len(table.rows) > MAX_ROWS:
        errors.append(RowError(0, "", f"At most {MAX_ROWS} rows in one file."))
    if errors:
        result.errors = errors
        return result

    def cell(values: list[str], name: str) -> str:
        index = columns.get(name)
        return values[index].strip() if index is not None and index < len(values) else ""

    suppliers = {
        p.code: p
        for p in Partner.objects.filter(company_id=company_id, is_supplier=True).only(
            "pk", "code", "currency_id"
        )
    }
    products = {
        p.sku: p
        for p in Product.objects.filter(
            sku__in={cell(values, "product") for _, values in table.rows}
        ).only("pk", "sku")
    }
    currencies = {c.code: c for c in Currency.objects.all()}
    entries: dict[tuple[int, int], dict[str, Any]] = {}
    for row, values in table.rows:
        supplier = suppliers.get(cell(values, "supplier"))
        product = products.get(cell(values, "product"))
        if supplier is None:
            errors.append(RowError(row, "supplier", f"No supplier {cell(values, 'supplier')!r}."))
        if product is None:
            errors.append(RowError(row, "product", f"No product {cell(values, 'product')!r}."))
        price = _decimal(cell(values, "unit_price"), row, "unit_price", errors)
        low = _decimal(cell(values, "min_quantity") or "0", row, "min_quantity", errors)
        if supplier is None or product is None or price is None or low is None:
            continue
        entry = entries.get((supplier.pk, product.pk))
        if entry is None:
            code = cell(values, "currency")
            currency = currencies.get(code.upper()) if code else None
            if code and currency is None:
                errors.append(RowError(row, "currency", f"Unknown currency {code!r}."))
            lead = cell(values, "lead_time_days") or "7"
            preference = cell(values, "preference") or "1"
            if not lead.isdigit():
                errors.append(RowError(row, "lead_time_days", "A whole number of days."))
            if not preference.isdigit():
                errors.append(RowError(row, "preference", "A whole number, 1 first."))
            entry = entries[(supplier.pk, product.pk)] = {
                "row": row,
                "supplier": supplier,
                "product": product,
                "currency_id": currency.pk if currency else supplier.currency_id,
                "supplier_sku": cell(values, "supplier_sku"),
                "moq": _decimal(cell(values, "moq") or "0", row, "moq", errors),
                "multiple": _decimal(
                    cell(values, "order_multiple") or "1", row, "order_multiple", errors
                ),
                "lead": int(lead) if lead.isdigit() else 0,
                "preference": int(preference) if preference.isdigit() else 1,
                "valid_from": _date(cell(values, "valid_from"), row, "valid_from", errors),
                "valid_to": _date(cell(values, "valid_to"), row, "valid_to", errors),
                "contract": cell(values, "contract_reference"),
                "landed": _decimal(
                    cell(values, "landed_cost_percent") or "0", row, "landed_cost_percent", errors
                ),
                "free_freight": _decimal(
                    cell(values, "free_freight_value"), row, "free_freight_value", errors
                )
                if cell(values, "free_freight_value")
                else None,
                "breaks": [],
                "rows": [],
            }
        entry["breaks"].append(PriceBreakDraft(low, price))
        entry["rows"].append(row)
    if errors:
        result.errors = sorted(errors, key=lambda e: (e.row, e.field))
        return result
    existing = {
        (offer.supplier_id, offer.product_id): offer
        for offer in SupplierProduct.objects.filter(company_id=company_id)
    }
    try:
        with transaction.atomic():
            for key, entry in entries.items():
                draft = OfferDraft(
                    company_id=company_id,
                    supplier_id=entry["supplier"].pk,
                    product_id=entry["product"].pk,
                    currency_id=entry["currency_id"],
                    breaks=entry["breaks"],
                    supplier_sku=entry["supplier_sku"],
                    minimum_quantity=entry["moq"],
                    order_multiple=entry["multiple"],
                    lead_time_days=entry["lead"],
                    valid_from=entry["valid_from"],
                    valid_to=entry["valid_to"],
                    contract_reference=entry["contract"],
                    preference=entry["preference"],
                    estimated_landed_cost_percent=entry["landed"],
                    free_freight_value=entry["free_freight"],
                )
                old = existing.get(key)
                try:
                    save_offer(actor, draft, offer_id=old.pk if old else None)
                except DomainError as error:
                    for name, messages in (error.fields or {"": [error.message]}).items():
                        column = name.split("[")[0].split(".")[0]
                        errors.extend(RowError(entry["row"], column, m) for m in messages)
                    continue
                if old is None:
                    result.created += 1
                else:
                    result.updated += 1
            if errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if errors:
        result.created = result.updated = 0
        result.errors = sorted(errors, key=lambda e: (e.row, e.field))
        return result
    result.ok = True
    return result
