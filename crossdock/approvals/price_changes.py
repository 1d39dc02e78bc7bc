"""Price-list changes wired into the approvals engine (document type ``price-list-change``).

Conditions can test the largest price cut of a change in percent
(``discount_pct``), how many lines it has, the product category its lines
share, the company, and where a product's standard cost is known in the
list's currency the lowest resulting margin (``margin_pct``) and the largest
drop in margin in percentage points (``margin_drop_pct``). Approving applies the
change to the list; rejecting returns it to draft for the requester. The
engine never lets the requester approve their own change.
"""

from __future__ import annotations

from crossdock.approvals import registry
from crossdock.approvals.registry import DocumentType, FieldKind, FieldSpec
from crossdock.masterdata.models import PriceListChange
from crossdock.masterdata.pricing import (
    PRICE_LIST_CHANGE,
    apply_price_change,
    change_facts,
    change_summary,
    price_change_rejected,
)

FIELDS = {
    "discount_pct": FieldSpec(FieldKind.DECIMAL, "Largest price cut %"),
    "lines": FieldSpec(FieldKind.DECIMAL, "Number of lines"),
    "category": FieldSpec(FieldKind.TEXT, "Product category shared by every line"),
    "company": FieldSpec(FieldKind.TEXT, "Company code"),
    "margin_pct": FieldSpec(FieldKind.DECIMAL, "Lowest margin % after the change"),
    "margin_drop_pct": FieldSpec(FieldKind.DECIMAL, "Largest margin drop (percentage points)"),
}


registry.register(
    DocumentType(
        code=PRICE_LIST_CHANGE,
        label="Price-list change",
        model=PriceListChange,
        fields=FIELDS,
        facts=change_facts,
        company_id=lambda change: change.company_id,
        summary=change_summary,
        on_approved=apply_price_change,
        on_rejected=price_change_rejected,
        category_path=lambda change: change_facts(change)["category"],
    )
)
