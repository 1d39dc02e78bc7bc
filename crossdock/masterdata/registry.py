"""The master-data record types, described once for the API, the web UI, imports and exports.

Each :class:`RecordType` says which model it is, its URL name (plural
kebab-case, as in ``/api/v1/payment-terms``), which fields are listed,
searched, filtered, ordered and edited, and which service functions create,
update and delete it. Entry points are configuration over this table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from crossdock.core.context import Actor
from crossdock.core.records import create_record, delete_record, update_record
from crossdock.masterdata import services
from crossdock.masterdata.models import (
    Company,
    Currency,
    ExchangeRate,
    Location,
    Partner,
    PartnerBankAccount,
    PaymentTerm,
    Product,
    ProductCategory,
    Unit,
    UnitCategory,
    Warehouse,
)

Creator = Callable[[Actor, Mapping[str, Any]], models.Model]
Updater = Callable[..., models.Model]
Deleter = Callable[..., None]


@dataclass(frozen=True)
class RecordType:
    slug: str
    model: type[Any]
    list_fields: tuple[str, ...]
    search_fields: tuple[str, ...]
    form_fields: tuple[str, ...]
    filter_fields: tuple[str, ...] = ()
    ordering_fields: tuple[str, ...] = ()
    select_related: tuple[str, ...] = ()
    create: Creator | None = None
    update: Updater | None = None
    delete: Deleter | None = None
    importable: bool = False
    natural_key: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def label_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    @property
    def model_label(self) -> str:
        return str(self.model._meta.label_lower)

    def create_record(self, actor: Actor, data: Mapping[str, Any]) -> Any:
        if self.create is None:
            return create_record(actor, self.model, data)
        return self.create(actor, data)

    def update_record(
        self, actor: Actor, pk: Any, data: Mapping[str, Any], expected_version: int | None = None
    ) -> Any:
        if self.update is None:
            return update_record(actor, self.model, pk, data, expected_version=expected_version)
        return self.update(actor, pk, data, expected_version=expected_version)

    def delete_record(self, actor: Actor, pk: Any, expected_version: int | None = None) -> None:
        if self.delete is None:
            delete_record(actor, self.model, pk, expected_version=expected_version)
        else:
            self.delete(actor, pk, expected_version=expected_version)


RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType(
        slug="companies",
        model=Company,
        list_fields=("code", "name", "country", "base_currency", "parent", "active"),
        search_fields=("code", "name", "legal_name", "tax_id"),
        form_fields=(
            "code",
            "name",
            "legal_name",
            "tax_id",
            "country",
            "base_currency",
            "parent",
            "active",
        ),
        filter_fields=("country", "base_currency", "parent", "active"),
        ordering_fields=("code", "name"),
        select_related=("base_currency", "parent"),
        create=services.create_company,
        natural_key=("code",),
    ),
    RecordType(
        slug="warehouses",
        model=Warehouse,
        list_fields=(
            "code",
            "name",
            "company",
            "region",
            "city",
            "country",
            "is_central",
            "active",
        ),
        search_fields=("code", "name", "city", "region"),
        form_fields=(
            "company",
            "code",
            "name",
            "region",
            "street",
            "city",
            "postal_code",
            "country",
            "latitude",
            "longitude",
            "is_central",
            "allow_negative_stock",
            "receipt_steps",
            "delivery_steps",
            "active",
        ),
        filter_fields=("company", "region", "country", "is_central", "active"),
        ordering_fields=("code", "name", "region"),
        select_related=("company",),
        create=services.create_warehouse,
        update=services.update_warehouse,
        natural_key=("code",),
    ),
    RecordType(
        slug="locations",
        model=Location,
        list_fields=("path", "name", "kind", "warehouse", "company", "active"),
        search_fields=("path", "name", "barcode"),
        form_fields=(
            "company",
            "warehouse",
            "parent",
            "code",
            "name",
            "kind",
            "barcode",
            "pick_sequence",
            "active",
        ),
        filter_fields=("company", "warehouse", "kind", "parent", "active"),
        ordering_fields=("path", "name", "pick_sequence"),
        select_related=("company", "warehouse", "parent"),
        update=services.update_location,
        importable=True,
        natural_key=("company", "path"),
    ),
    RecordType(
        slug="product-categories",
        model=ProductCategory,
        list_fields=("path", "name", "parent"),
        search_fields=("path",),
        form_fields=("name", "parent"),
        filter_fields=("parent",),
        ordering_fields=("path",),
        select_related=("parent",),
        update=services.update_category,
        natural_key=("path",),
    ),
    RecordType(
        slug="products",
        model=Product,
        list_fields=(
            "sku",
            "name",
            "category",
            "base_unit",
            "tracking",
            "costing_method",
            "list_price",
            "currency",
            "status",
        ),
        search_fields=("sku", "name", "barcodes__gtin"),
        form_fields=(
            "sku",
            "name",
            "description",
            "category",
            "base_unit",
            "purchase_unit",
            "sales_unit",
            "weight_kg",
            "volume_m3",
            "tracking",
            "shelf_life_days",
            "costing_method",
            "currency",
            "standard_cost",
            "list_price",
            "status",
        ),
        filter_fields=("category", "tracking", "costing_method", "status", "base_unit"),
        ordering_fields=("sku", "name", "list_price", "standard_cost"),
        select_related=("category", "base_unit", "currency"),
        importable=True,
        natural_key=("sku",),
    ),
    RecordType(
        slug="unit-categories",
        model=UnitCategory,
        list_fields=("name",),
        search_fields=("name",),
        form_fields=("name",),
        ordering_fields=("name",),
        natural_key=("name",),
    ),
    RecordType(
        slug="units",
        model=Unit,
        list_fields=("code", "name", "category", "factor", "decimal_places", "active"),
        search_fields=("code", "name"),
        form_fields=("code", "name", "category", "factor", "decimal_places", "active"),
        filter_fields=("category", "active"),
        ordering_fields=("code", "name", "factor"),
        select_related=("category",),
        natural_key=("code",),
    ),
    RecordType(
        slug="partners",
        model=Partner,
        list_fields=(
            "code",
            "name",
            "company",
            "is_customer",
            "is_supplier",
            "currency",
            "credit_limit",
            "customer_tier",
            "supplier_risk_class",
            "active",
        ),
        search_fields=("code", "name", "tax_id", "email"),
        form_fields=(
            "company",
            "code",
            "name",
            "is_customer",
            "is_supplier",
            "tax_id",
            "email",
            "phone",
            "currency",
            "payment_term",
            "credit_limit",
            "customer_tier",
            "price_list",
            "default_warehouse",
            "ship_complete",
            "supplier_risk_class",
            "active",
        ),
        filter_fields=(
            "company",
            "is_customer",
            "is_supplier",
            "currency",
            "customer_tier",
            "supplier_risk_class",
            "active",
        ),
        ordering_fields=("code", "name", "credit_limit"),
        select_related=("company", "currency", "payment_term"),
        importable=True,
        natural_key=("company", "code"),
    ),
    RecordType(
        slug="partner-bank-accounts",
        model=PartnerBankAccount,
        list_fields=("partner", "iban", "bic", "holder", "status"),
        search_fields=("iban", "holder", "partner__name", "partner__code"),
        form_fields=("partner", "iban", "bic", "holder"),
        filter_fields=("partner", "status"),
        ordering_fields=("iban",),
        select_related=("partner",),
        natural_key=("partner", "iban"),
    ),
    RecordType(
        slug="currencies",
        model=Currency,
        list_fields=("code", "name", "minor_units", "symbol", "active"),
        search_fields=("code", "name"),
        form_fields=("code", "numeric_code", "name", "minor_units", "symbol", "active"),
        filter_fields=("active", "minor_units"),
        ordering_fields=("code", "name"),
        natural_key=("code",),
    ),
    RecordType(
        slug="exchange-rates",
        model=ExchangeRate,
        list_fields=("currency", "quote_currency", "valid_from", "rate"),
        search_fields=("currency__code", "quote_currency__code"),
        form_fields=("currency", "quote_currency", "valid_from", "rate"),
        filter_fields=("currency", "quote_currency", "valid_from"),
        ordering_fields=("valid_from", "rate"),
        select_related=("currency", "quote_currency"),
        natural_key=("currency", "quote_currency", "valid_from"),
    ),
    RecordType(
        slug="payment-terms",
        model=PaymentTerm,
        list_fields=("code", "name", "net_days", "discount_days", "discount_percent"),
        search_fields=("code", "name"),
        form_fields=("code", "name", "net_days", "discount_days", "discount_percent"),
        ordering_fields=("code", "net_days"),
        natural_key=("code",),
    ),
)

BY_SLUG = {rt.slug: rt for rt in RECORD_TYPES}
BY_MODEL = {rt.model: rt for rt in RECORD_TYPES}
