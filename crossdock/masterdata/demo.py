"""Demo data: a distribution group at the seed scale (or a small slice of it).

Design overview
---------------
:func:`load_demo` builds, into an empty database and in one transaction, the
group DESIGN.md describes as the seed scale: a holding and two operating
subsidiaries (EUR and GBP books), a central distribution centre and five
regional depots with their standard locations and racking bins, a 63-node
category tree, the item master (25,000 SKUs at ``seed`` scale), 300 suppliers
and 2,000 customers with addresses and coordinates, payment terms, a dated
exchange-rate series, one demo user per role and a sales price list per
operating company (:mod:`crossdock.masterdata.demo_prices`).

The few structural records (companies, warehouses, payment terms, categories,
users' access) go through the services like any other change. The volume
records (products, barcodes, bins, partners, addresses, rates) are built in
memory and written with ``bulk_create`` — per-row services would take minutes
— and each bulk batch appends one ``demo-load`` audit entry with its counts,
so the audit chain stays complete and ``crossdock audit`` passes.

Everything random comes from one seeded generator (and seeded Faker
instances), so the same seed gives the same data. Money and quantities are
built from integers (cents, grams) and never pass through ``float``.

The demo users share the password :data:`DEMO_PASSWORD`; it is for local
demonstrations only — never load the demo into a database people rely on.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.errors import ConflictError
from crossdock.core.models import User
from crossdock.core.roles import Role
from crossdock.masterdata import services
from crossdock.masterdata.demo_catalogue import (
    FAMILIES,
    LEAVES,
    PARENTS,
    WEIGHED_UNITS,
    Family,
    Leaf,
)
from crossdock.masterdata.demo_group import (
    ALL_COMPANIES,
    COMPANIES,
    DEMO_USERS,
    EURO_RATES,
    GBP_CROSSES,
    PAYMENT_TERMS,
    WAREHOUSES,
)
from crossdock.masterdata.demo_partners import build_partners
from crossdock.masterdata.demo_prices import build_price_lists
from crossdock.masterdata.gtin import check_digit
from crossdock.masterdata.models import (
    Company,
    Currency,
    ExchangeRate,
    Location,
    LocationKind,
    Partner,
    PartnerAddress,
    PaymentTerm,
    Product,
    ProductBarcode,
    ProductCategory,
    Tracking,
    Unit,
    Warehouse,
)

DEMO_PASSWORD = "crossdock-demo"  # noqa: S105 - a published demo password, for local demos only
DEMO_URL = "http://127.0.0.1:8000/"
ADMIN_USERNAME = "admin"
PRODUCT_BATCH = 5000
CATALOGUE_CURRENCY = "EUR"


@dataclass(frozen=True)
class DemoScale:
    """How much demo data to build."""

    name: str
    skus: int
    suppliers: int
    customers: int
    central_bins: tuple[int, int, int]  # aisles, bays per aisle, levels per bay
    regional_bins: tuple[int, int, int]
    central_pick_faces: int
    regional_pick_faces: int
    rate_days: int  # calendar days of daily exchange rates, ending today


SCALES = {
    "small": DemoScale("small", 200, 20, 50, (2, 5, 2), (1, 4, 2), 10, 5, 30),
    "seed": DemoScale("seed", 25_000, 300, 2_000, (10, 20, 5), (4, 10, 4), 200, 50, 730),
}


@dataclass
class DemoResult:
    """What was built, and how to sign in."""

    scale: str
    seconds: float
    counts: dict[str, int]
    logins: list[tuple[str, str]]  # username, what the user can do
    password: str = DEMO_PASSWORD
    url: str = DEMO_URL


class DemoDataExistsError(ConflictError):
    """The database is not empty; the demo refuses to mix with existing data."""


def demo_usernames() -> list[str]:
    return [role.value for role in DEMO_USERS] + [ADMIN_USERNAME]


def check_empty() -> None:
    """Refuse (with the way out) unless the database holds no master data yet."""
    taken = [
        label
        for label, exists in (
            ("companies", Company.objects.exists()),
            ("products", Product.objects.exists()),
            ("partners", Partner.objects.exists()),
            ("demo users", User.objects.filter(username__in=demo_usernames()).exists()),
        )
        if exists
    ]
    if taken:
        raise DemoDataExistsError(
            f"The database already holds {', '.join(taken)}; the demo only loads into an empty "
            "database. Start afresh: remove var/crossdock.sqlite3 (or drop the PostgreSQL "
            "database), then run `crossdock migrate` and `crossdock demo` again."
        )


def load_demo(scale: str | DemoScale = "small", *, seed: int = 2024) -> DemoResult:
    """Build the demo group into an empty database, all in one transaction."""
    chosen = SCALES[scale] if isinstance(scale, str) else scale
    started = time.perf_counter()
    with transaction.atomic():
        check_empty()
        builder = DemoBuilder(chosen, seed)
        builder.build()
    return DemoResult(
        chosen.name,
        round(time.perf_counter() - started, 3),
        builder.counts,
        [
            (role.value, f"{first} {last}, {title}")
            for role, (*_, first, last, title) in DEMO_USERS.items()
        ]
        + [(ADMIN_USERNAME, "Ada Admin, superuser (also /admin/)")],
    )


@dataclass
class DemoBuilder:
    scale: DemoScale
    seed: int
    actor: Actor = field(default_factory=lambda: Actor.system("demo"))
    counts: dict[str, int] = field(default_factory=dict)
    companies: dict[str, Company] = field(default_factory=dict)
    warehouses: dict[str, Warehouse] = field(default_factory=dict)
    terms: dict[str, PaymentTerm] = field(default_factory=dict)
    categories: dict[str, ProductCategory] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.currencies = {c.code: c for c in Currency.objects.all()}
        self.units = {u.code: u for u in Unit.objects.all()}

    def build(self) -> None:
        self.create_payment_terms()
        self.create_companies()
        self.create_warehouses_and_bins()
        self.create_categories()
        self.create_products()
        self.create_partners()
        self.create_exchange_rates()
        self.create_users()
        self.create_price_lists()

    def note(self, name: str, count: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + count

    def record_batch(self, instance: Any, after: dict[str, Any]) -> None:
        audit.record(self.actor, audit.Change("demo-load", instance, None, after))

    # -- structure, through the services

    def create_payment_terms(self) -> None:
        for code, name, net, discount_days, discount in PAYMENT_TERMS:
            self.terms[code] = services.create_record(
                self.actor,
                PaymentTerm,
                {
                    "code": code,
                    "name": name,
                    "net_days": net,
                    "discount_days": discount_days,
                    "discount_percent": discount,
                },
            )
        self.note("payment_terms", len(PAYMENT_TERMS))

    def create_companies(self) -> None:
        for code, name, legal, country, currency, parent, tax_id in COMPANIES:
            self.companies[code] = services.create_company(
                self.actor,
                {
                    "code": code,
                    "name": name,
                    "legal_name": legal,
                    "country": country,
                    "base_currency": self.currencies[currency],
                    "parent": self.companies[parent] if parent else None,
                    "tax_id": tax_id,
                },
            )
        self.note("companies", len(COMPANIES))

    def create_warehouses_and_bins(self) -> None:
        for (
            company,
            code,
            name,
            region,
            street,
            city,
            postal,
            country,
            lat,
            lon,
            central,
        ) in WAREHOUSES:
            warehouse = services.create_warehouse(
                self.actor,
                {
                    "company": self.companies[company],
                    "code": code,
                    "name": name,
                    "region": region,
                    "street": street,
                    "city": city,
                    "postal_code": postal,
                    "country": country,
                    "latitude": Decimal(lat),
                    "longitude": Decimal(lon),
                    "is_central": central,
                },
            )
            self.warehouses[code] = warehouse
            self.create_bins(warehouse)
        self.note("warehouses", len(WAREHOUSES))

    def create_bins(self, warehouse: Warehouse) -> None:
        standard = {
            loc.kind: loc
            for loc in Location.objects.filter(
                warehouse=warehouse, kind__in=[LocationKind.RESERVE, LocationKind.PICKING]
            )
        }
        aisles, bays, levels = (
            self.scale.central_bins if warehouse.is_central else self.scale.regional_bins
        )
        faces = (
            self.scale.central_pick_faces
            if warehouse.is_central
            else self.scale.regional_pick_faces
        )
        stock, pick = standard[LocationKind.RESERVE], standard[LocationKind.PICKING]
        bins = []
        sequence = 0
        for aisle in "ABCDEFGHJKLMNPQRSTUVWXYZ"[:aisles]:
            for bay in range(1, bays + 1):
                for level in range(1, levels + 1):
                    sequence += 1
                    code = f"{aisle}-{bay:02d}-{level:02d}"
                    bins.append(self._bin(stock, code, LocationKind.RESERVE, sequence))
        for face in range(1, faces + 1):
            bins.append(self._bin(pick, f"P-{face:03d}", LocationKind.PICKING, face))
        Location.objects.bulk_create(bins, batch_size=1000)
        self.record_batch(warehouse, {"model": "masterdata.location", "bins": len(bins)})
        self.note("bins", len(bins))

    @staticmethod
    def _bin(parent: Location, code: str, kind: str, sequence: int) -> Location:
        return Location(
            company_id=parent.company_id,
            warehouse_id=parent.warehouse_id,
            parent=parent,
            code=code,
            name=f"Bin {code}" if kind == LocationKind.RESERVE else f"Pick face {code}",
            kind=kind,
            path=f"{parent.path}/{code}",
            barcode=f"{parent.path.split('/')[0]}-{code}",
            pick_sequence=sequence,
        )

    def create_categories(self) -> None:
        paths = [f.name for f in FAMILIES] + list(PARENTS) + [leaf.path for leaf in LEAVES]
        for path in sorted(paths, key=lambda p: p.count("/")):
            parent, _, name = path.rpartition("/")
            self.categories[path] = services.create_record(
                self.actor,
                ProductCategory,
                {"name": name, "parent": self.categories[parent] if parent else None},
            )
        self.note("categories", len(paths))

    # -- volume, in bulk

    def create_products(self) -> None:
        families = {family.name: family for family in FAMILIES}
        leaves = list(LEAVES)
        weights = [self.rng.randint(50, 150) for _ in leaves]
        total = sum(weights)
        quota = [self.scale.skus * w // total for w in weights]
        for index in range(self.scale.skus - sum(quota)):
            quota[index % len(quota)] += 1
        brands = {brand: i for i, brand in enumerate(b for f in FAMILIES for b in f.brands)}
        self.gtin_prefixes = {
            brand: f"{self.rng.choice(('871', '540', '400', '500', '300', '760'))}{i + 1:04d}"
            for brand, i in brands.items()
        }
        self.gtin_counters = dict.fromkeys(brands, 0)
        products: list[Product] = []
        gtins: list[tuple[int, str]] = []
        number = 0
        for leaf, count in zip(leaves, quota, strict=True):
            family = families[leaf.path.split("/")[0]]
            category = self.categories[leaf.path]
            for _ in range(count):
                number += 1
                product, gtin = self._product(number, family, leaf, category)
                products.append(product)
                if gtin:
                    gtins.append((len(products) - 1, gtin))
        holding = self.companies["NSG"]
        for start in range(0, len(products), PRODUCT_BATCH):
            batch = products[start : start + PRODUCT_BATCH]
            Product.objects.bulk_create(batch, batch_size=1000)
            barcodes = [
                ProductBarcode(
                    product_id=products[i].pk, gtin=gtin, unit_id=products[i].base_unit_id
                )
                for i, gtin in gtins
                if start <= i < start + PRODUCT_BATCH
            ]
            ProductBarcode.objects.bulk_create(barcodes, batch_size=2000)
            self.record_batch(
                holding,
                {
                    "model": "masterdata.product",
                    "products": len(batch),
                    "barcodes": len(barcodes),
                    "first_sku": batch[0].sku,
                    "last_sku": batch[-1].sku,
                },
            )
        self.note("products", len(products))
        self.note("barcodes", len(gtins))

    def _product(
        self, number: int, family: Family, leaf: Leaf, category: ProductCategory
    ) -> tuple[Product, str | None]:
        rng = self.rng
        brand = rng.choice(family.brands)
        item, variant = rng.choice(leaf.items), rng.choice(leaf.variants)
        weighed = rng.randrange(100) < leaf.weighed_share
        base_code = WEIGHED_UNITS[leaf.unit] if weighed else "H87"
        pack = {"KGM": "per kg", "LTR": "per litre", "MTR": "per metre"}.get(base_code)
        per_piece = False
        if pack is None:
            pack = rng.choice(leaf.packs)
            per_piece = pack == "per piece"
        base = self.units[base_code]
        purchase = self.units["CEN"] if per_piece else base
        price_units = rng.randint(*family.price_cents) * 100  # in 1/10000 of the currency
        if per_piece:
            price_units = rng.randint(40, 2500)  # a screw costs a fraction of a cent
        cost_units = price_units * rng.randint(55, 82) // 100
        tracking = Tracking.NONE
        draw = rng.randrange(100)
        if draw < family.lot_share:
            tracking = Tracking.LOT
        elif draw < family.lot_share + family.serial_share and not base.decimal_places:
            tracking = Tracking.SERIAL
        shelf_life = None
        if tracking == Tracking.LOT and family.shelf_life_days:
            shelf_life = rng.randint(*family.shelf_life_days)
        grams = 1000 if base_code == "KGM" else rng.randint(*family.grams)
        fifo, average, _ = family.costing
        costing_draw = rng.randrange(100)
        costing = (
            "fifo"
            if costing_draw < fifo
            else "average"
            if costing_draw < fifo + average
            else "standard"
        )
        product = Product(
            sku=f"{family.code}-{number:06d}",
            name=f"{brand} {item} {variant}, {pack}"[:200],
            description=(
                f"{item} ({variant}) by {brand}; sold {pack}." if rng.randrange(3) == 0 else ""
            ),
            category=category,
            base_unit=base,
            purchase_unit=purchase,
            sales_unit=base,
            weight_kg=Decimal(grams) / 1000,
            volume_m3=Decimal(grams * rng.randint(1, 4)) / 1_000_000,
            tracking=tracking,
            shelf_life_days=shelf_life,
            costing_method=costing,
            currency=self.currencies[CATALOGUE_CURRENCY],
            standard_cost=Decimal(cost_units) / 10_000,
            list_price=Decimal(price_units) / 10_000,
            status="obsolete" if rng.randrange(100) < 3 else "active",
        )
        gtin = None
        if not weighed and rng.randrange(100) < 90:
            self.gtin_counters[brand] += 1
            body = f"{self.gtin_prefixes[brand]}{self.gtin_counters[brand]:05d}"
            gtin = body + str(check_digit(body))
        return product, gtin

    def create_partners(self) -> None:
        built = build_partners(
            self.rng,
            self.seed,
            companies=self.companies,
            currencies=self.currencies,
            terms=self.terms,
            suppliers=self.scale.suppliers,
            customers=self.scale.customers,
        )
        for company_code, (partners, addresses) in built.items():
            Partner.objects.bulk_create(partners, batch_size=1000)
            rows = [PartnerAddress(partner_id=partners[i].pk, **a) for i, a in addresses]
            PartnerAddress.objects.bulk_create(rows, batch_size=1000)
            customers = sum(1 for p in partners if p.is_customer)
            self.record_batch(
                self.companies[company_code],
                {
                    "model": "masterdata.partner",
                    "customers": customers,
                    "suppliers": len(partners) - customers,
                    "addresses": len(rows),
                },
            )
            self.note("customers", customers)
            self.note("suppliers", len(partners) - customers)
            self.note("addresses", len(rows))

    def create_exchange_rates(self) -> None:
        today = datetime.date.today()
        days = [
            today - datetime.timedelta(days=n)
            for n in range(self.scale.rate_days - 1, -1, -1)
            if (today - datetime.timedelta(days=n)).weekday() < 5
        ]
        quantum = Decimal("0.000001")
        series: dict[tuple[str, str], list[Decimal]] = {}
        for base, quote, start in EURO_RATES:
            rate = anchor = Decimal(start)
            values = []
            for _ in days:
                step = Decimal(self.rng.randint(-45, 45)) / 100_000
                pull = (anchor - rate) / 50
                rate = (rate * (1 + step) + pull).quantize(quantum)
                values.append(rate)
            series[(base, quote)] = values
        for quote in GBP_CROSSES:
            series[("GBP", quote)] = [
                (eur_quote / eur_gbp).quantize(quantum)
                for eur_quote, eur_gbp in zip(
                    series[("EUR", quote)], series[("EUR", "GBP")], strict=True
                )
            ]
        rates = [
            ExchangeRate(
                currency=self.currencies[base],
                quote_currency=self.currencies[quote],
                valid_from=day,
                rate=value,
            )
            for (base, quote), values in series.items()
            for day, value in zip(days, values, strict=True)
        ]
        ExchangeRate.objects.bulk_create(rates, batch_size=2000)
        self.record_batch(
            self.companies["NSG"],
            {
                "model": "masterdata.exchangerate",
                "rates": len(rates),
                "pairs": [f"{b}/{q}" for b, q in series],
                "from": days[0].isoformat() if days else None,
                "to": days[-1].isoformat() if days else None,
            },
        )
        self.note("exchange_rates", len(rates))

    # -- people

    def create_price_lists(self) -> None:
        for name, count in build_price_lists(self.actor, self.companies).items():
            self.note(name, count)

    def create_users(self) -> None:
        password = make_password(DEMO_PASSWORD)  # hashed once; every demo user shares it
        for role, (companies, warehouses, first, last, title) in DEMO_USERS.items():
            self._user(role.value, password, first, last, title, companies, warehouses, role)
        self._user(
            ADMIN_USERNAME,
            password,
            "Ada",
            "Admin",
            "Superuser",
            ALL_COMPANIES,
            (),
            Role.ADMINISTRATOR,
            superuser=True,
        )
        self.note("users", len(DEMO_USERS) + 1)

    def _user(
        self,
        username: str,
        password: str,
        first: str,
        last: str,
        title: str,
        companies: Sequence[str],
        warehouses: Sequence[str],
        role: Role,
        *,
        superuser: bool = False,
    ) -> None:
        user = User.objects.create(
            username=username,
            password=password,
            first_name=first,
            last_name=last,
            email=f"{username}@example.com",
            job_title=title,
            is_staff=superuser,
            is_superuser=superuser,
        )
        services.grant_access(
            self.actor,
            user,
            companies=[self.companies[c] for c in companies],
            warehouses=[self.warehouses[w] for w in warehouses],
            roles=[role.value],
        )
