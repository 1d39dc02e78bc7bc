"""Approvable document types: the small interface every document implements.

A document type tells the engine which fields conditions may test (and how to
read them from a document), which company and requester a document has, what
figures an approver should see, and what happens when the request is approved
or rejected. Domains register their types at start-up; the engine never
imports a domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from crossdock.approvals.conditions import FieldKind, FieldSpec
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError

# Fields every document type may expose, so policies read the same everywhere.
AMOUNT = FieldSpec(FieldKind.DECIMAL, "Amount in company currency")
CATEGORY = FieldSpec(FieldKind.TEXT, "Product category path")
SUPPLIER_RISK = FieldSpec(FieldKind.CHOICE, "Supplier risk class", ("low", "medium", "high"))
OFF_CONTRACT = FieldSpec(FieldKind.BOOLEAN, "Off-contract")
MARGIN_PERCENT = FieldSpec(FieldKind.DECIMAL, "Margin %")
DISCOUNT_PERCENT = FieldSpec(FieldKind.DECIMAL, "Discount %")
WAREHOUSE = FieldSpec(FieldKind.TEXT, "Warehouse code")
FORECAST_DEVIATION = FieldSpec(FieldKind.DECIMAL, "Quantity deviation from forecast %")


@dataclass(frozen=True)
class DocumentType:
    code: str
    label: str
    model: type[Any]
    fields: Mapping[str, FieldSpec]
    facts: Callable[[Any], dict[str, Any]]
    company_id: Callable[[Any], int]
    summary: Callable[[Any], dict[str, str]]
    on_approved: Callable[[Actor, Any], None]
    on_rejected: Callable[[Actor, Any, str], None]
    category_path: Callable[[Any], str | None] = lambda document: None

    def load(self, document_id: Any) -> Any:
        return self.model._default_manager.get(pk=document_id)


_types: dict[str, DocumentType] = {}


def register(document_type: DocumentType) -> None:
    _types[document_type.code] = document_type


def get(code: str) -> DocumentType:
    try:
        return _types[code]
    except KeyError:
        known = ", ".join(sorted(_types))
        raise DomainError(
            f"document_type: unknown document type {code!r} (known: {known}).",
            fields={"document_type": ["Unknown document type."]},
        ) from None


def all_types() -> list[DocumentType]:
    return sorted(_types.values(), key=lambda t: t.code)


def of_document(document: Any) -> DocumentType:
    for document_type in _types.values():
        if isinstance(document, document_type.model):
            return document_type
    raise DomainError(f"{type(document).__name__} is not an approvable document.")
