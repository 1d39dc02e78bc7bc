"""Demo stock: receipts into the demo group's warehouses, and open work for the warehouse.

Design overview
---------------
:func:`load_inventory_demo` runs after :func:`crossdock.masterdata.demo.load_demo`
(companies NSE and NSUK, the Venlo distribution centre and five depots) and
builds, only through the inventory services, what a warehouse looks like on a
Monday morning:

* stock: a few large receipts from suppliers put most active SKUs into Venlo
  and a share of them into each depot, at the product's standard cost
  (converted to GBP for the UK company). Lot-tracked products arrive in one or
  two lots with expiry dates from their shelf life (some close to expiry);
  serial-tracked products arrive as a handful of serial numbers;
* history out: a few customer deliveries already shipped, so lots have a
  trace from supplier to customer;
* open work: confirmed receipts expected in the coming days, customer
  deliveries reserved by customer tier and promised date (some short of
  stock), and one inter-warehouse move from Venlo to Antwerp in transit;
* :func:`load_counts_demo`: one blind cycle count of Venlo's reserve area, open
  for counting.

The services are set-based, so the volume goes into few, large transfers (at
seed scale a few receipts of up to :data:`RECEIPT_LINES` lines each), which
keeps the seed load to well under a minute. Everything random comes from one
seeded generator; quantities are whole numbers of the base unit.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from crossdock.approvals import policies
from crossdock.approvals.models import ApprovalPolicy
from crossdock.approvals.policies import LevelDraft, PolicyDraft
from crossdock.core.context import Actor
from crossdock.core.models import User
from crossdock.inventory import services
from crossdock.inventory.models import CountScope, CountSheet, Quant, Transfer, TransferKind
from crossdock.inventory.services import DoneLine, LineDraft, TransferDraft
from crossdock.inventory.services.adjustments import (
    STOCK_ADJUSTMENT,
    AdjustmentDraft,
    AdjustmentLine,
    request_adjustment,
)
from crossdock.inventory.services.counts import CountDraft, create_count, start_count
from crossdock.masterdata.models import (
    Company,
    Location,
    LocationKind,
    Partner,
    Product,
    Tracking,
    Warehouse,
)
from crossdock.masterdata.services import update_warehouse, warehouse_location

RECEIPT_LINES = 5_000
GBP_PER_EUR = Decimal("0.85")  # demo conversion of the EUR catalogue cost for NSUK
PRICE = Decimal("0.000001")
ADJUSTMENT_POLICY = "Stock adjustments above 1,000"
ADJUSTMENT_THRESHOLD = Decimal("1000")
ADJUSTMENT_SLA_HOURS = 4
TIER_PRIORITY = {"strategic": 10, "key": 20, "standard": 50, "occasional": 80}


@dataclass(frozen=True)
class InventoryDemoScale:
    """How much stock and open work to build."""

    name: str
    central_share: int  # percent of active SKUs stocked in the central warehouse
    depot_share: int  # percent stocked in each depot
    receipts_per_site: int  # done receipts the stock of one warehouse arrives in
    serials_per_product: int
    shipped_deliveries: int  # per company
    open_receipts: int  # per company
    open_deliveries: int  # per company
    lines_per_open_transfer: int
    transit_lines: int


SCALES = {
    "small": InventoryDemoScale("small", 90, 40, 3, 3, 2, 3, 4, 6, 8),
    "seed": InventoryDemoScale("seed", 80, 12, 4, 2, 6, 12, 20, 40, 60),
}


@dataclass
class _Site:
    warehouse: Warehouse
    stock: Location
    supplier: Location
    customer: Location
    transit: Location


@dataclass
class InventoryDemoBuilder:
    scale: InventoryDemoScale
    seed: int
    actor: Actor = field(default_factory=lambda: Actor.system("demo"))
    counts: dict[str, int] = field(default_factory=dict)
    stocked: dict[int, list[Product]] = field(default_factory=dict)  # warehouse → products
    received: dict[tuple[int, int], Decimal] = field(default_factory=dict)  # (warehouse, product)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed + 7)
        self.today = timezone.now().date()
        self.products = list(
            Product.objects.filter(status="active").select_related("base_unit").order_by("pk")
        )
        self.sites = {
            w.code: self._site(w)
            for w in Warehouse.objects.filter(active=True)
            .select_related("company__base_currency")
            .order_by("pk")
        }
        self.suppliers: dict[int, list[Partner]] = {}
        self.customers: dict[int, list[Partner]] = {}
        for partner in Partner.objects.filter(active=True).order_by("pk"):
            if partner.is_supplier:
                self.suppliers.setdefault(partner.company_id, []).append(partner)
            if partner.is_customer:
                self.customers.setdefault(partner.company_id, []).append(partner)

    @staticmethod
    def _site(warehouse: Warehouse) -> _Site:
        company_locations = {
            loc.kind: loc
            for loc in Location.objects.filter(company=warehouse.company, warehouse__isnull=True)
        }
        return _Site(
            warehouse,
            warehouse_location(warehouse, LocationKind.RESERVE),
            company_locations[LocationKind.SUPPLIER],
            company_locations[LocationKind.CUSTOMER],
            company_locations[LocationKind.TRANSIT],
        )

    def note(self, name: str, count: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + count

    def build(self) -> None:
        for site in self.sites.values():
            self.receive_stock(site)
        for company_id in sorted({s.warehouse.company_id for s in self.sites.values()}):
            central = self._central(company_id)
            self.ship_deliveries(central)
            self.open_receipts(company_id)
            self.open_deliveries(central)
        self.move_between_warehouses()
        self.flows()

    def _central(self, company_id: int) -> _Site:
        sites = [s for s in self.sites.values() if s.warehouse.company_id == company_id]
        return next((s for s in sites if s.warehouse.is_central), sites[0])

    # -- stock ----------------------------------------------------------------------------

    def _cost(self, product: Product, company: Company) -> Decimal:
        cost = product.standard_cost or Decimal("1")
        if company.base_currency.code == "GBP":
            cost = (cost * GBP_PER_EUR).quantize(PRICE, rounding=ROUND_HALF_EVEN)
        return cost

    def _quantity(self, product: Product) -> Decimal:
        if product.tracking == Tracking.SERIAL:
            return Decimal(self.scale.serials_per_product)
        # ABC mix: a few fast movers with deep stock, a long tail with little.
        draw = self.rng.random()
        low, high = (200, 1200) if draw < 0.2 else (40, 240) if draw < 0.5 else (5, 60)
        return Decimal(self.rng.randint(low, high))

    def receive_stock(self, site: _Site) -> None:
        warehouse = site.warehouse
        share = self.scale.central_share if warehouse.is_central else self.scale.depot_share
        chosen = [p for p in self.products if self.rng.randrange(100) < share]
        self.stocked[warehouse.pk] = chosen
        if not chosen:
            return
        chunks = max(self.scale.receipts_per_site, -(-len(chosen) // RECEIPT_LINES))
        size = -(-len(chosen) // chunks)
        for start in range(0, len(chosen), size):
            self._receipt(site, chosen[start : start + size], days_ago=chunks - start // size)

    def _receipt(self, site: _Site, products: Sequence[Product], *, days_ago: int) -> None:
        company = site.warehouse.company
        supplier = self.rng.choice(self.suppliers.get(company.pk) or [None])
        lines: list[LineDraft] = []
        splits: list[list[tuple[Decimal, str, datetime.date | None]]] = []
        for product in products:
            quantity = self._quantity(product)
            self.received[(site.warehouse.pk, product.pk)] = quantity
            lines.append(LineDraft(product.pk, quantity, unit_cost=self._cost(product, company)))
            splits.append(self._lots(product, quantity, site.warehouse.code))
        transfer = self._confirmed(
            TransferDraft(
                warehouse_id=site.warehouse.pk,
                kind=TransferKind.RECEIPT,
                source_id=site.supplier.pk,
                destination_id=site.stock.pk,
                lines=lines,
                partner_id=supplier.pk if supplier else None,
                scheduled_at=timezone.now() - datetime.timedelta(days=days_ago),
                origin=f"PO-DEMO-{self.rng.randint(10000, 99999)}",
            )
        )
        moves = list(transfer.moves.order_by("pk").values_list("pk", flat=True))
        done = [
            DoneLine(move_id, quantity, lot, expires)
            for move_id, parts in zip(moves, splits, strict=True)
            for quantity, lot, expires in parts
        ]
        services.validate_transfer(self.actor, transfer.pk, done)
        self.note("receipts", 1)
        self.note("receipt_lines", len(lines))
        self.note("lots", sum(len(p) for p in splits if p and p[0][1]))

    def _lots(
        self, product: Product, quantity: Decimal, site_code: str
    ) -> list[tuple[Decimal, str, datetime.date | None]]:
        """How a received quantity splits into lots or serials (one part if untracked)."""
        if product.tracking == Tracking.NONE:
            return [(quantity, "", None)]
        if product.tracking == Tracking.SERIAL:
            return [
                (Decimal(1), f"SN{product.pk:06d}{site_code[:2]}{n:03d}", None)
                for n in range(int(quantity))
            ]
        life = product.shelf_life_days or 365
        parts = 2 if quantity >= 20 and self.rng.random() < 0.5 else 1
        first = (quantity / parts).to_integral_value() if parts == 2 else quantity
        result: list[tuple[Decimal, str, datetime.date | None]] = []
        for index, part in enumerate((first, quantity - first)[:parts]):
            # Most lots have most of their life left; one in ten is close to expiry.
            left = (
                self.rng.randint(2, 14)
                if self.rng.random() < 0.1
                else self.rng.randint(max(life // 3, 1), max(life, 2))
            )
            expires = self.today + datetime.timedelta(days=left)
            name = f"L{expires:%y%m%d}-{product.pk % 1000:03d}{index}{site_code[0]}"
            result.append((part, name, expires))
        return result

    def _confirmed(self, draft: TransferDraft) -> Transfer:
        created = services.create_transfer(self.actor, draft)
        return services.confirm_transfer(self.actor, created.pk)

    # -- deliveries -----------------------------------------------------------------------

    def _delivery(
        self,
        site: _Site,
        customer: Partner,
        lines: Sequence[tuple[Product, Decimal]],
        *,
        days: int,
    ) -> Transfer:
        moment = timezone.now() + datetime.timedelta(days=days)
        return self._confirmed(
            TransferDraft(
                warehouse_id=site.warehouse.pk,
                kind=TransferKind.DELIVERY,
                source_id=site.stock.pk,
                destination_id=site.customer.pk,
                lines=[LineDraft(p.pk, quantity) for p, quantity in lines],
                partner_id=customer.pk,
                scheduled_at=moment,
                origin=f"SO-DEMO-{self.rng.randint(10000, 99999)}",
                priority=TIER_PRIORITY.get(customer.customer_tier, 50),
                promised_on=moment.date(),
            )
        )

    def _order_quantity(self, product: Product) -> Decimal:
        if product.tracking == Tracking.SERIAL:
            return Decimal(1)
        return Decimal(self.rng.randint(1, 12))

    def _pick(self, site: _Site, count: int) -> list[Product]:
        stocked = self.stocked.get(site.warehouse.pk, [])
        return self.rng.sample(stocked, min(count, len(stocked)))

    def ship_deliveries(self, site: _Site) -> None:
        customers = self.customers.get(site.warehouse.company_id) or []
        for _ in range(self.scale.shipped_deliveries if customers else 0):
            # Already shipped: a quarter of what arrived at most, so the stock is surely there.
            lines = [
                (p, min(self._order_quantity(p), self.received[(site.warehouse.pk, p.pk)] // 4))
                for p in self._pick(site, self.scale.lines_per_open_transfer)
            ]
            lines = [(p, q) for p, q in lines if q > 0]
            if not lines:
                return
            delivery = self._delivery(site, self.rng.choice(customers), lines, days=-1)
            services.validate_transfer(self.actor, delivery.pk)
            self.note("shipped_deliveries", 1)

    def open_deliveries(self, site: _Site) -> None:
        customers = self.customers.get(site.warehouse.company_id) or []
        moves: list[int] = []
        for index in range(self.scale.open_deliveries if customers else 0):
            products = self._pick(site, self.scale.lines_per_open_transfer)
            if not products:
                return
            lines = [(p, self._order_quantity(p)) for p in products]
            delivery = self._delivery(site, self.rng.choice(customers), lines, days=index % 5)
            moves += list(delivery.moves.values_list("pk", flat=True))
            self.note("open_deliveries", 1)
        if moves:
            services.reserve_moves(self.actor, moves)

    # -- open receipts and the inter-warehouse move ---------------------------------------

    def open_receipts(self, company_id: int) -> None:
        sites = [s for s in self.sites.values() if s.warehouse.company_id == company_id]
        suppliers: list[Partner | None] = [*self.suppliers.get(company_id, [])] or [None]
        for index in range(self.scale.open_receipts):
            site = sites[index % len(sites)]
            company = site.warehouse.company
            products = self.rng.sample(
                self.products, min(self.scale.lines_per_open_transfer, len(self.products))
            )
            supplier = self.rng.choice(suppliers)
            self._confirmed(
                TransferDraft(
                    warehouse_id=site.warehouse.pk,
                    kind=TransferKind.RECEIPT,
                    source_id=site.supplier.pk,
                    destination_id=site.stock.pk,
                    lines=[
                        LineDraft(
                            p.pk,
                            Decimal(self.rng.randint(2, 40) * 10),
                            unit_cost=self._cost(p, company),
                        )
                        for p in products
                    ],
                    partner_id=supplier.pk if supplier else None,
                    scheduled_at=timezone.now() + datetime.timedelta(days=1 + index % 7),
                    origin=f"PO-DEMO-{self.rng.randint(10000, 99999)}",
                )
            )
            self.note("open_receipts", 1)

    def move_between_warehouses(self) -> None:
        """Venlo sends untracked stock to Antwerp: dispatched (in transit), arriving in 2 days."""
        source, target = self.sites.get("VENLO"), self.sites.get("ANTWERP")
        if source is None or target is None:
            centrals = [s for s in self.sites.values() if s.warehouse.is_central]
            if not centrals:
                return
            source = centrals[0]
            others = [
                s
                for s in self.sites.values()
                if s.warehouse.company_id == source.warehouse.company_id and s is not source
            ]
            if not others:
                return
            target = others[0]
        products = [
            p for p in self.stocked.get(source.warehouse.pk, []) if p.tracking == Tracking.NONE
        ][: self.scale.transit_lines]
        if not products:
            return
        dispatch = services.dispatch_to_warehouse(
            self.actor,
            services.DispatchDraft(
                from_warehouse_id=source.warehouse.pk,
                to_warehouse_id=target.warehouse.pk,
                lines=[
                    services.DispatchLine(p.pk, Decimal(self.rng.randint(1, 5))) for p in products
                ],
                expected_on=self.today + datetime.timedelta(days=2),
            ),
        )
        services.validate_transfer(self.actor, dispatch.pk)  # the arrival is created in transit
        self.note("inter_warehouse_moves", 1)

    # -- stock flows: steps, putaway, a return and a scrap ----------------------------------

    def flows(self) -> None:
        """Venlo receives and ships in two steps, puts some categories away into picking,
        took back part of a delivery into quality hold and scrapped a broken unit."""
        site = self.sites.get("VENLO")
        if site is None:
            return
        warehouse = update_warehouse(
            self.actor, site.warehouse.pk, {"receipt_steps": 2, "delivery_steps": 2}
        )
        picking = warehouse_location(warehouse, LocationKind.PICKING)
        stocked = self.stocked.get(warehouse.pk, [])
        categories = sorted({p.category_id for p in stocked[:40]})[:2]
        for index, category_id in enumerate(categories):
            services.save_putaway_rule(
                self.actor,
                services.PutawayRuleDraft(
                    warehouse.pk, picking.pk, category_id=category_id, sequence=10 + index
                ),
            )
        untracked = [p for p in stocked if p.tracking == Tracking.NONE]
        if untracked:
            services.save_putaway_rule(
                self.actor,
                services.PutawayRuleDraft(warehouse.pk, picking.pk, product_id=untracked[0].pk),
            )
        self.note("putaway_rules", len(categories) + (1 if untracked else 0))
        if untracked:  # a two-step receipt: received into input, the put-away step open
            receipt = self._confirmed(
                TransferDraft(
                    warehouse_id=warehouse.pk,
                    kind=TransferKind.RECEIPT,
                    source_id=site.supplier.pk,
                    destination_id=site.stock.pk,
                    lines=[LineDraft(p.pk, Decimal(10)) for p in untracked[:3]],
                    origin="PO-DEMO-STEPS",
                )
            )
            services.validate_transfer(self.actor, receipt.pk)
            self.note("multi_step_receipts", 1)
        self._return_and_scrap(site)

    def _return_and_scrap(self, site: _Site) -> None:
        shipped = (
            Transfer.objects.filter(
                warehouse=site.warehouse, kind=TransferKind.DELIVERY, state="done"
            )
            .order_by("pk")
            .first()
        )
        if shipped is not None:
            move = shipped.moves.order_by("pk").first()
            assert move is not None
            returned = services.return_transfer(
                self.actor,
                shipped.pk,
                [services.ReturnLine(move.pk, Decimal(1))],
                location_id=warehouse_location(site.warehouse, LocationKind.QUALITY_HOLD).pk,
                reason="Customer return: packaging damaged",
            )
            services.validate_transfer(self.actor, returned.pk)
            self.note("returns", 1)
        quant = (
            Quant.objects.filter(
                location=site.stock,
                lot__isnull=True,
                reserved=0,
                quantity__gte=5,
                product__tracking=Tracking.NONE,
            )
            .order_by("pk")
            .first()
        )
        if quant is not None:
            services.scrap_stock(
                self.actor,
                services.ScrapDraft(
                    site.warehouse.pk,
                    [services.ScrapLine(quant.product_id, site.stock.pk, Decimal(1))],
                    "Broken in handling",
                ),
            )
            self.note("scraps", 1)


def load_inventory_demo(
    scale: str | InventoryDemoScale = "small", *, seed: int = 2024
) -> dict[str, Any]:
    """Receive demo stock and open transfers into the demo group (after the master data)."""
    chosen = SCALES[scale] if isinstance(scale, str) else scale
    started = time.perf_counter()
    with transaction.atomic():
        builder = InventoryDemoBuilder(chosen, seed)
        builder.build()
    return {**builder.counts, "seconds": round(time.perf_counter() - started, 3)}


def load_adjustments_demo() -> dict[str, int]:
    """The adjustment policy per operating company, one adjustment processed, one waiting.

    Runs after :func:`load_inventory_demo` and the master-data demo's users; does
    nothing when the policy already exists, so calling it twice is harmless.
    """
    with transaction.atomic():
        if ApprovalPolicy.objects.filter(name=ADJUSTMENT_POLICY).exists():
            return {}
        people = {
            u.username: u
            for u in User.objects.filter(
                username__in=("controller", "executive", "warehouse-operator")
            )
        }
        controller = Actor.of(people["controller"])
        companies = Company.objects.filter(code__in=("NSE", "NSUK")).order_by("pk")
        for company in companies:
            policy = policies.save_policy(
                controller,
                PolicyDraft(
                    company_id=company.pk,
                    document_type=STOCK_ADJUSTMENT,
                    name=ADJUSTMENT_POLICY,
                    condition={"field": "amount", "op": ">", "value": str(ADJUSTMENT_THRESHOLD)},
                    levels=[_adjustment_level(company, people["executive"])],
                ),
            )
            policies.set_policy_status(controller, policy.pk, ApprovalPolicy.Status.ACTIVE)
        operator = Actor.of(people["warehouse-operator"])
        venlo = Warehouse.objects.get(code="VENLO")
        candidates = (
            Quant.objects.filter(
                location__warehouse=venlo,
                lot__isnull=True,
                reserved=0,
                quantity__gte=10,
                product__tracking=Tracking.NONE,
                product__standard_cost__gt=0,
            )
            .select_related("product")
            .order_by("pk")
        )
        small = large = None
        for candidate in candidates:
            cost = candidate.product.standard_cost
            if small is None and cost * 2 <= ADJUSTMENT_THRESHOLD:
                small = candidate
            elif large is None and cost * candidate.quantity > ADJUSTMENT_THRESHOLD:
                large = candidate
            if small and large:
                break
        counts = {"adjustment_policies": companies.count(), "adjustments": 0}
        for chosen, difference, reason in (
            (small, Decimal(-2), "Cycle count: two units short"),
            (large, None, "Pallet damaged by a forklift in aisle 12"),
        ):
            if chosen is None:
                continue
            if difference is None:  # the fewest units worth more than the threshold
                unit = chosen.product.standard_cost
                needed = (ADJUSTMENT_THRESHOLD // unit) + 1
                difference = -min(needed, chosen.quantity)
            request_adjustment(
                operator,
                AdjustmentDraft(
                    warehouse_id=venlo.pk,
                    lines=[AdjustmentLine(chosen.product_id, chosen.location_id, difference)],
                    reason=reason,
                ),
            )
            counts["adjustments"] += 1
        return counts


def _adjustment_level(company: Company, executive: User) -> LevelDraft:
    """NSE's warehouse manager decides, else the executive (NSUK has no warehouse manager)."""
    if company.code == "NSE":
        return LevelDraft(
            name="Warehouse manager",
            rule="role",
            role="warehouse-manager",
            sla_hours=ADJUSTMENT_SLA_HOURS,
            escalate_to_id=executive.pk,
        )
    return LevelDraft(name="Chief operating officer", rule="user", user_id=executive.pk)


COUNT_NOTE = "Monthly blind count of the reserve area"


def load_counts_demo() -> dict[str, int]:
    """One open cycle count in Venlo: blind, by location (the reserve area), started.

    Runs after :func:`load_inventory_demo` and the master-data demo's users; planned
    by the warehouse manager, so an operator opens it from Warehouse → Cycle counts
    and counts. Does nothing when the sheet exists, so calling it twice is harmless.
    """
    with transaction.atomic():
        if CountSheet.objects.filter(note=COUNT_NOTE).exists():
            return {}
        venlo = Warehouse.objects.filter(code="VENLO").first()
        if venlo is None:
            return {}
        manager = User.objects.filter(username="warehouse-manager").first()
        actor = Actor.of(manager) if manager else Actor.system("demo")
        reserve = warehouse_location(venlo, LocationKind.RESERVE)
        sheet = create_count(
            actor,
            CountDraft(
                warehouse_id=venlo.pk,
                scope=CountScope.LOCATIONS,
                location_ids=[reserve.pk],
                blind=True,
                note=COUNT_NOTE,
            ),
        )
        start_count(actor, sheet.pk)
        return {"count_sheets": 1}
