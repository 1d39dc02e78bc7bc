"""The record types files can import: products, partners and locations.

Each importer says what is particular to its type — the natural key, defaults
for new rows, the extra columns it accepts (a product's GTINs, a location's
path) and the cross-row checks — on top of the generic, set-based
:class:`~crossdock.masterdata.import_rows.Importer`.
"""

from __future__ import annotations

import re
from typing import Any

from crossdock.core.context import Actor
from crossdock.masterdata import services
from crossdock.masterdata.gtin import gtin_problem
from crossdock.masterdata.import_rows import Importer, ImportPlan, ParsedRow, chunked
from crossdock.masterdata.models import Location, Partner, Product, ProductBarcode
from crossdock.masterdata.registry import RecordType
from crossdock.masterdata.tabular import Table


class ProductImporter(Importer):
    """Products (catalogue lines with prices) keyed by SKU, with optional GTINs."""

    model = Product
    key_fields = ("sku",)
    pseudo_columns = ("gtins",)
    aliases = {
        "price": "list_price",
        "sales_price": "list_price",
        "cost": "standard_cost",
        "cost_price": "standard_cost",
        "unit": "base_unit",
        "uom": "base_unit",
        "category_path": "category",
        "gtin": "gtins",
        "barcode": "gtins",
        "barcodes": "gtins",
        "ean": "gtins",
        "shelf_life": "shelf_life_days",
        "weight": "weight_kg",
        "volume": "volume_m3",
    }

    def load_existing(self, rows: list[ParsedRow]) -> None:
        skus = {row.values["sku"] for row in rows if "sku" in row.values}
        related = ("category", "base_unit", "purchase_unit", "sales_unit", "currency")
        for chunk in chunked(skus):
            for product in Product.objects.filter(sku__in=chunk).select_related(*related):
                self.existing[(product.sku,)] = product

    def create_values(self, row: ParsedRow) -> dict[str, Any]:
        data = dict(row.values)
        for name in ("purchase_unit", "sales_unit"):
            if name in data or name in row.bad:
                continue
            if "base_unit" in data:
                data[name] = data["base_unit"]
            elif "base_unit" in row.bad:
                row.bad.add(name)  # follows the bad base unit; reported once, there
        return data

    def plan(self, row: ParsedRow, seen: dict[tuple[Any, ...], int]) -> ImportPlan | None:
        plan = super().plan(row, seen)
        if plan is not None and "gtins" in row.raw:
            gtins = [g for g in re.split(r"[\s,;|]+", row.raw["gtins"]) if g]
            for gtin in gtins:
                problem = gtin_problem(gtin)
                if problem:
                    self.error(row.row, "gtins", f"{gtin}: {problem}")
            if len(set(gtins)) != len(gtins):
                self.error(row.row, "gtins", "The same GTIN is listed twice.")
            plan.gtins = gtins
        return plan

    def check_plans(self, plans: list[ImportPlan]) -> None:
        with_gtins = [p for p in plans if p.gtins is not None]
        if not with_gtins:
            return
        first_row: dict[str, int] = {}
        for plan in with_gtins:
            for gtin in plan.gtins or ():
                if gtin in first_row and first_row[gtin] != plan.row:
                    self.error(plan.row, "gtins", f"{gtin}: also listed in row {first_row[gtin]}.")
                first_row.setdefault(gtin, plan.row)
        stored: dict[int, list[tuple[int, str]]] = {}
        existing_pks = [p.instance.pk for p in with_gtins if not p.is_new]
        for chunk in chunked(existing_pks):
            for barcode_id, product_id, gtin in ProductBarcode.objects.filter(
                product_id__in=chunk
            ).values_list("id", "product_id", "gtin"):
                stored.setdefault(product_id, []).append((barcode_id, gtin))
        owners: dict[str, tuple[int, str]] = {}
        for chunk in chunked(first_row):
            for gtin, product_id, sku in ProductBarcode.objects.filter(gtin__in=chunk).values_list(
                "gtin", "product_id", "product__sku"
            ):
                owners[gtin] = (product_id, sku)
        for plan in with_gtins:
            wanted = plan.gtins or []
            for gtin in wanted:
                owner = owners.get(gtin)
                if owner is not None and (plan.is_new or owner[0] != plan.instance.pk):
                    self.error(plan.row, "gtins", f"{gtin}: already used by {owner[1]}.")
            current = stored.get(plan.instance.pk, []) if not plan.is_new else []
            plan.gtins_change = sorted(wanted) != sorted(g for _, g in current)
            plan.barcode_ids_to_delete = [i for i, g in current if g not in wanted]
            plan.gtins_to_add = [g for g in wanted if g not in {g for _, g in current}]

    def write_extras(self, actor: Actor, instance: Any, plan: ImportPlan) -> None:
        if plan.gtins is not None and plan.gtins_change:
            services.set_product_barcodes(actor, instance, plan.gtins)

    def write_extras_in_bulk(self, plans: list[ImportPlan]) -> None:
        changing = [p for p in plans if p.gtins is not None and p.gtins_change]
        to_delete = [i for p in changing for i in p.barcode_ids_to_delete]
        for chunk in chunked(to_delete):
            ProductBarcode.objects.filter(pk__in=chunk).delete()
        ProductBarcode.objects.bulk_create(
            [
                ProductBarcode(
                    product_id=plan.instance.pk, gtin=gtin, unit_id=plan.instance.base_unit_id
                )
                for plan in changing
                for gtin in plan.gtins_to_add
            ],
            batch_size=1000,
        )

    def batch_key(self, plan: ImportPlan) -> Any:
        return None


class PartnerImporter(Importer):
    """Customers and suppliers keyed by (company, code)."""

    model = Partner
    key_fields = ("company", "code")
    aliases = {
        "company_code": "company",
        "partner_code": "code",
        "customer": "is_customer",
        "supplier": "is_supplier",
        "payment_terms": "payment_term",
        "terms": "payment_term",
        "tier": "customer_tier",
        "risk_class": "supplier_risk_class",
        "vat": "tax_id",
        "vat_number": "tax_id",
        "e_mail": "email",
    }

    def load_existing(self, rows: list[ParsedRow]) -> None:
        keys = {self._key(row) for row in rows} - {None}
        company_ids = {key[0] for key in keys if key}
        codes = {key[1] for key in keys if key}
        for chunk in chunked(codes):
            partners = Partner.objects.filter(
                company_id__in=company_ids, code__in=chunk
            ).select_related("company", "currency", "payment_term")
            for partner in partners:
                self.existing[(partner.company_id, partner.code)] = partner

    @staticmethod
    def _key(row: ParsedRow) -> tuple[Any, ...] | None:
        if "company" not in row.values or "code" not in row.values:
            return None
        return (row.values["company"].pk, row.values["code"])

    def label_of(self, row: ParsedRow, key: tuple[Any, ...]) -> str:
        return f"{row.values['company'].code}/{key[1]}"

    def create_values(self, row: ParsedRow) -> dict[str, Any]:
        data = dict(row.values)
        if "currency" not in data and "currency" not in row.bad:
            data["currency"] = data["company"].base_currency
        return data


class LocationImporter(Importer):
    """Locations keyed by (company, path); parents by path, created earlier in the file or stored.

    A row names its location by ``path`` (``CENTRAL/STOCK/A-01-01``) or by
    ``code`` under a ``parent`` path. New locations take their parent's
    warehouse unless the row names one.
    """

    model = Location
    key_fields = ("company", "path")
    pseudo_columns = ("path", "parent")
    aliases = {
        "company_code": "company",
        "warehouse_code": "warehouse",
        "parent_path": "parent",
        "location": "path",
        "location_path": "path",
    }

    def __init__(self, actor: Actor, record_type: RecordType, table: Table) -> None:
        super().__init__(actor, record_type, table)
        self.parents: dict[tuple[int, str], Location] = {}
        self.new_by_key: dict[tuple[int, str], Location] = {}

    def required_columns(self) -> list[tuple[str, ...]]:
        return [("company",), ("path", "code")]

    def key_of(self, row: ParsedRow) -> tuple[Any, ...] | None:
        if "company" not in row.values:
            if "company" not in row.bad:
                self.error(row.row, "company", "Required.")
            return None
        path = self._peek_path(row)
        code = row.values.get("code")
        if path is not None and code is not None and code != path.rsplit("/", 1)[-1]:
            self.error(row.row, "code", "The code is not the last part of the path.")
            row.bad.add("code")
        if path is None:
            self.error(row.row, "path", "Required (or give code and parent).")
            return None
        return (row.values["company"].pk, path)

    def label_of(self, row: ParsedRow, key: tuple[Any, ...]) -> str:
        return f"{row.values['company'].code}:{key[1]}"

    def load_existing(self, rows: list[ParsedRow]) -> None:
        wanted: set[tuple[int, str]] = set()
        for row in rows:
            if "company" not in row.values:
                continue
            path = self._peek_path(row)
            if path:
                wanted.add((row.values["company"].pk, path))
                if "/" in path:
                    wanted.add((row.values["company"].pk, path.rsplit("/", 1)[0]))
        company_ids = {company_id for company_id, _ in wanted}
        paths = {path for _, path in wanted}
        for chunk in chunked(paths):
            stored = Location.objects.filter(
                company_id__in=company_ids, path__in=chunk
            ).select_related("company", "warehouse", "parent")
            for location in stored:
                key = (location.company_id, location.path)
                if key in wanted:
                    self.parents[key] = location
                    self.existing[key] = location

    def _peek_path(self, row: ParsedRow) -> str | None:
        if "path" in row.raw:
            return "/".join(part.strip() for part in row.raw["path"].split("/"))
        code = row.values.get("code")
        if code is None:
            return None
        parent = row.raw.get("parent", "").strip().strip("/")
        return f"{parent}/{code}" if parent else code

    def create_values(self, row: ParsedRow) -> dict[str, Any]:
        data = dict(row.values)
        company = data["company"]
        path = self._peek_path(row) or ""
        data["code"] = path.rsplit("/", 1)[-1]
        data["parent"] = None
        if "/" in path:
            parent_path = path.rsplit("/", 1)[0]
            key = (company.pk, parent_path)
            parent = self.new_by_key.get(key) or self.parents.get(key)
            if parent is None:
                self.error(
                    row.row,
                    "parent",
                    f"No location “{parent_path}” in {company.code}; "
                    "list parent rows before their children.",
                )
                row.bad.add("parent")
                if "warehouse" not in data:
                    row.bad.add("warehouse")  # would have come from the parent
            else:
                data["parent"] = parent
                if "warehouse" not in data and "warehouse" not in row.bad:
                    data["warehouse"] = parent.warehouse
        return data

    def plan(self, row: ParsedRow, seen: dict[tuple[Any, ...], int]) -> ImportPlan | None:
        plan = super().plan(row, seen)
        if plan is not None and plan.is_new:
            self.new_by_key[(plan.key[0], plan.key[1])] = plan.instance
        return plan

    def clean(self, row: ParsedRow, plan: ImportPlan) -> None:
        super().clean(row, plan)
        # Location.clean reads the parent from the database; a parent created earlier in
        # this file is not there yet, so its path and warehouse rule are applied here.
        location = plan.instance
        parent = Location.parent.field.get_cached_value(location, default=None)
        if plan.is_new and isinstance(parent, Location) and parent.pk is None:
            location.path = f"{parent.path}/{location.code}"
            if location.warehouse_id and parent.warehouse_id not in (None, location.warehouse_id):
                self.error(row.row, "parent", "The parent location is in another warehouse.")

    def apply_changes(self, row: ParsedRow, plan: ImportPlan) -> None:
        row.values.pop("code", None)  # the path names the row; moving is done in the web UI
        super().apply_changes(row, plan)

    def depth_of(self, plan: ImportPlan) -> int:
        return str(plan.key[1]).count("/")


IMPORTERS: dict[str, type[Importer]] = {
    "products": ProductImporter,
    "partners": PartnerImporter,
    "locations": LocationImporter,
}


def importer_for(actor: Actor, record_type: RecordType, table: Table) -> Importer:
    return IMPORTERS[record_type.slug](actor, record_type, table)
