"""State changes of master data. Every entry point calls these; none touches models directly.

Most records use the audited generic path of :mod:`crossdock.core.records`;
the functions here add what a record type needs beyond it: a new company gets
its virtual and transit locations, a new warehouse its standard location tree,
renaming or moving a location or category rewrites the paths of its subtree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.errors import DomainError
from crossdock.core.records import create_record, delete_record, update_record
from crossdock.masterdata.gtin import gtin_problem
from crossdock.masterdata.models import (
    Company,
    Location,
    LocationKind,
    Partner,
    PartnerAddress,
    Product,
    ProductBarcode,
    ProductCategory,
    UserAccess,
    Warehouse,
)

COMPANY_LOCATIONS = (
    ("PARTNERS", "Partners", LocationKind.VIEW, None),
    ("SUPPLIERS", "Suppliers", LocationKind.SUPPLIER, "PARTNERS"),
    ("CUSTOMERS", "Customers", LocationKind.CUSTOMER, "PARTNERS"),
    ("VIRTUAL", "Virtual", LocationKind.VIEW, None),
    ("LOSS", "Inventory loss", LocationKind.INVENTORY_LOSS, "VIRTUAL"),
    ("SCRAP", "Scrap", LocationKind.SCRAP, "VIRTUAL"),
    ("TRANSIT", "Inter-warehouse transit", LocationKind.TRANSIT, None),
)
WAREHOUSE_LOCATIONS = (
    ("STOCK", "Stock", LocationKind.RESERVE),
    ("PICK", "Picking", LocationKind.PICKING),
    ("IN", "Input", LocationKind.INPUT),
    ("OUT", "Output", LocationKind.OUTPUT),
    ("QC", "Quality hold", LocationKind.QUALITY_HOLD),
    ("DMG", "Damaged", LocationKind.DAMAGED),
)
PACKING_LOCATION = ("PACK", "Packing zone", LocationKind.PACKING)


def create_company(actor: Actor, data: Mapping[str, Any]) -> Company:
    """Create a legal entity with its supplier, customer, loss and transit locations."""
    with transaction.atomic():
        company = create_record(actor, Company, data)
        if actor.user is not None and not actor.user.is_superuser:
            access, _ = UserAccess.objects.get_or_create(user=actor.user)
            access.companies.add(company)
            if hasattr(actor.user, "_crossdock_access"):
                del actor.user._crossdock_access
        created: dict[str, Location] = {}
        for code, name, kind, parent in COMPANY_LOCATIONS:
            created[code] = create_record(
                actor,
                Location,
                {
                    "company": company,
                    "code": code,
                    "name": name,
                    "kind": kind,
                    "parent": created.get(parent) if parent else None,
                },
            )
        return company


def create_warehouse(actor: Actor, data: Mapping[str, Any]) -> Warehouse:
    """Create a warehouse with its standard locations.

    Stock, picking, input, output, quality hold and damaged, under a view location.
    """
    with transaction.atomic():
        warehouse = create_record(actor, Warehouse, data)
        root = create_record(
            actor,
            Location,
            {
                "company": warehouse.company,
                "warehouse": warehouse,
                "code": warehouse.code,
                "name": warehouse.name,
                "kind": LocationKind.VIEW,
            },
        )
        for code, name, kind in WAREHOUSE_LOCATIONS:
            create_record(
                actor,
                Location,
                {
                    "company": warehouse.company,
                    "warehouse": warehouse,
                    "parent": root,
                    "code": code,
                    "name": name,
                    "kind": kind,
                },
            )
        ensure_step_locations(actor, warehouse)
        return warehouse


def update_warehouse(
    actor: Actor, pk: Any, data: Mapping[str, Any], *, expected_version: int | None = None
) -> Warehouse:
    """Change a warehouse; three-step deliveries get the packing zone they need."""
    with transaction.atomic():
        warehouse = update_record(actor, Warehouse, pk, data, expected_version=expected_version)
        ensure_step_locations(actor, warehouse)
        return warehouse


def ensure_step_locations(actor: Actor, warehouse: Warehouse) -> None:
    """Create the locations the warehouse's receipt and delivery steps pass through, if missing.

    Input, output and quality hold come with every warehouse; only the packing zone
    of a pick → pack → ship warehouse is created when it is first needed.
    """
    code, name, kind = PACKING_LOCATION
    if (
        warehouse.delivery_steps < 3
        or Location.objects.filter(warehouse=warehouse, kind=kind).exists()
    ):
        return
    root = Location.objects.filter(warehouse=warehouse, parent__isnull=True).order_by("pk").first()
    create_record(
        actor,
        Location,
        {
            "company": warehouse.company,
            "warehouse": warehouse,
            "parent": root,
            "code": code,
            "name": name,
            "kind": kind,
        },
    )


def warehouse_location(warehouse: Warehouse, kind: LocationKind) -> Location:
    """The standard location of ``kind`` created with the warehouse."""
    return Location.objects.filter(warehouse=warehouse, kind=kind).order_by("path").first()  # type: ignore[return-value]


def _rewrite_subtree(
    model: type[Location] | type[ProductCategory], old: str, new: str, **scope: Any
) -> None:
    if old == new:
        return
    model.objects.filter(path__startswith=old + "/", **scope).update(
        path=Concat(Value(new), Substr("path", len(old) + 1))
    )


def update_location(
    actor: Actor, pk: Any, data: Mapping[str, Any], *, expected_version: int | None = None
) -> Location:
    """Change a location; a new code or parent moves its whole subtree."""
    with transaction.atomic():
        old_path = Location.objects.filter(pk=pk).values_list("path", flat=True).first()
        location = update_record(actor, Location, pk, data, expected_version=expected_version)
        if old_path is not None:
            _rewrite_subtree(Location, old_path, location.path, company_id=location.company_id)
        return location


def update_category(
    actor: Actor, pk: Any, data: Mapping[str, Any], *, expected_version: int | None = None
) -> ProductCategory:
    """Change a product category; a new name or parent moves its subtree."""
    with transaction.atomic():
        old_path = ProductCategory.objects.filter(pk=pk).values_list("path", flat=True).first()
        category = update_record(
            actor, ProductCategory, pk, data, expected_version=expected_version
        )
        if old_path is not None:
            _rewrite_subtree(ProductCategory, old_path, category.path)
        return category


def set_product_barcodes(actor: Actor, product: Product, gtins: Iterable[str]) -> list[str]:
    """Replace a product's GTINs (in its base unit); each must be valid and unused elsewhere."""
    wanted = [g.strip() for g in gtins if g.strip()]
    errors = [f"{g}: {gtin_problem(g)}" for g in wanted if gtin_problem(g)]
    if len(set(wanted)) != len(wanted):
        errors.append("The same GTIN is listed twice.")
    taken = ProductBarcode.objects.filter(gtin__in=wanted).exclude(product=product)
    errors += [
        f"{b.gtin}: already used by {b.product.sku}." for b in taken.select_related("product")
    ]
    if errors:
        raise DomainError(errors[0], fields={"gtins": errors})
    with transaction.atomic():
        before = sorted(product.barcodes.values_list("gtin", flat=True))
        product.barcodes.exclude(gtin__in=wanted).delete()
        existing = set(product.barcodes.values_list("gtin", flat=True))
        ProductBarcode.objects.bulk_create(
            ProductBarcode(product=product, gtin=g, unit_id=product.base_unit_id)
            for g in wanted
            if g not in existing
        )
        if before != sorted(wanted):
            audit.record(
                actor,
                audit.Change("set-barcodes", product, {"gtins": before}, {"gtins": sorted(wanted)}),
            )
    return sorted(wanted)


def set_partner_addresses(
    actor: Actor, partner: Partner, addresses: Iterable[Mapping[str, Any]]
) -> list[PartnerAddress]:
    """Replace a partner's addresses, each validated; at most one default per kind."""
    rows = [PartnerAddress(partner=partner, **dict(a)) for a in addresses]
    fields: dict[str, list[str]] = {}
    for index, row in enumerate(rows):
        try:
            row.full_clean(exclude=["partner"])
        except Exception as exc:
            for name, messages in getattr(exc, "message_dict", {"__all__": [str(exc)]}).items():
                fields[f"addresses[{index}].{name}"] = list(messages)
    for kind in PartnerAddress.Kind:
        if sum(1 for r in rows if r.kind == kind and r.is_default) > 1:
            fields["addresses"] = [f"Only one default {kind.label.lower()} address."]
    if fields:
        first = next(iter(fields.items()))
        raise DomainError(f"{first[0]}: {first[1][0]}", fields=fields)
    with transaction.atomic():
        before = [audit.snapshot(a) for a in partner.addresses.all()]
        partner.addresses.all().delete()
        created = PartnerAddress.objects.bulk_create(rows)
        audit.record(
            actor,
            audit.Change(
                "set-addresses",
                partner,
                {"addresses": before},
                {"addresses": [audit.snapshot(a) for a in partner.addresses.all()]},
            ),
        )
        return created


def grant_access(
    actor: Actor,
    user: Any,
    *,
    companies: Iterable[Company],
    warehouses: Iterable[Warehouse] = (),
    roles: Iterable[str] = (),
) -> UserAccess:
    """Set the companies, warehouses and roles of a user (audited)."""
    from django.contrib.auth.models import Group

    companies = list(companies)
    warehouses = list(warehouses)
    company_ids = {c.pk for c in companies}
    stray = [w.code for w in warehouses if w.company_id not in company_ids]
    if stray:
        raise DomainError(
            f"warehouses: {stray[0]} belongs to a company the user has no access to.",
            fields={"warehouses": [f"{code}: company not granted." for code in stray]},
        )
    groups = list(Group.objects.filter(name__in=list(roles)))
    missing = set(roles) - {g.name for g in groups}
    if missing:
        raise DomainError(
            f"roles: unknown role {sorted(missing)[0]}.", fields={"roles": ["Unknown role."]}
        )
    with transaction.atomic():
        access, _ = UserAccess.objects.get_or_create(user=user)
        before = {
            "companies": sorted(access.companies.values_list("pk", flat=True)),
            "warehouses": sorted(access.warehouses.values_list("pk", flat=True)),
            "roles": sorted(user.groups.values_list("name", flat=True)),
        }
        access.companies.set(companies)
        access.warehouses.set(warehouses)
        if access.current_company_id not in company_ids:
            access.current_company = companies[0] if companies else None
            access.save(update_fields=["current_company"])
        user.groups.set(groups)
        after = {
            "companies": sorted(company_ids),
            "warehouses": sorted(w.pk for w in warehouses),
            "roles": sorted(g.name for g in groups),
        }
        audit.record(actor, audit.Change("grant-access", user, before, after))
        if hasattr(user, "_crossdock_access"):
            del user._crossdock_access
        for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
            if hasattr(user, cache):
                delattr(user, cache)
        return access


def switch_company(actor: Actor, company: Company) -> None:
    """Make ``company`` the one the web shell shows for the actor."""
    access = UserAccess.objects.filter(user=actor.user).first()
    if access is None or not access.companies.filter(pk=company.pk).exists():
        raise DomainError(
            "company: you have no access to this company.", fields={"company": ["No access."]}
        )
    access.current_company = company
    access.save(update_fields=["current_company"])


__all__ = [
    "create_company",
    "create_record",
    "create_warehouse",
    "delete_record",
    "grant_access",
    "set_partner_addresses",
    "set_product_barcodes",
    "switch_company",
    "update_category",
    "update_location",
    "update_record",
    "update_warehouse",
]
