"""Stock reports as a user may see them, shared by the API and the warehouse screens.

The selectors (:mod:`crossdock.inventory.selectors`) compute over the whole
group; these functions put the user's company and warehouse scope around them
(rows of other companies are simply absent) and add the labels people read
(SKU, location path, lot name). Everything is one or a few set-based queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from crossdock.core.permissions import access_of
from crossdock.inventory import selectors
from crossdock.inventory.models import Lot, MoveLine, Quant, ValuationLayer
from crossdock.masterdata.models import Company, Location, LocationKind, Product, Warehouse
from crossdock.masterdata.models.organisation import INTERNAL_KINDS

ZERO = Decimal(0)
STOCK_KINDS = sorted({*INTERNAL_KINDS, LocationKind.TRANSIT})
GROUPINGS = ("warehouse", "region", "group")


def visible_locations(user: Any) -> QuerySet[Location]:
    """Locations of the user's companies and warehouses that can hold stock (transit too)."""
    return Location.objects.in_scope_of(user).filter(kind__in=STOCK_KINDS)


def visible_warehouses(user: Any) -> QuerySet[Warehouse]:
    return Warehouse.objects.in_scope_of(user)


def stock_quants(
    user: Any,
    *,
    product_id: int | None = None,
    warehouse_id: int | None = None,
    location_id: int | None = None,
    lot_id: int | None = None,
) -> QuerySet[Quant]:
    """Quants with stock (or reservations) in the user's locations, with their labels."""
    quants = Quant.objects.filter(location__in=visible_locations(user)).exclude(
        quantity=0, reserved=0
    )
    if product_id is not None:
        quants = quants.filter(product_id=product_id)
    if warehouse_id is not None:
        quants = quants.filter(location__warehouse_id=warehouse_id)
    if location_id is not None:
        below = Location.objects.filter(pk=location_id).values_list("path", "company_id").first()
        if below is None:
            return quants.none()
        path, company_id = below
        quants = quants.filter(
            Q(location_id=location_id)
            | Q(location__company_id=company_id, location__path__startswith=path + "/")
        )
    if lot_id is not None:
        quants = quants.filter(lot_id=lot_id)
    return quants.select_related("product", "location", "location__warehouse", "lot")


def quant_row(quant: Quant) -> dict[str, Any]:
    location = quant.location
    lot = quant.lot
    return {
        "id": quant.pk,
        "product": quant.product_id,
        "sku": quant.product.sku,
        "product_name": quant.product.name,
        "location": quant.location_id,
        "location_path": location.path,
        "location_kind": location.kind,
        "warehouse": location.warehouse_id,
        "lot": quant.lot_id,
        "lot_name": lot.name if lot else "",
        "expires_on": lot.expires_on if lot else None,
        "quantity": quant.quantity,
        "reserved": quant.reserved,
        "available": quant.quantity - quant.reserved,
    }


# -- available-to-promise ---------------------------------------------------------------


@dataclass(frozen=True)
class AvailabilityRow:
    product: Product
    scope: str
    on_hand: Decimal
    reserved: Decimal
    available_now: Decimal
    in_transit: Decimal
    incoming: list[tuple[datetime.date, Decimal]]
    outgoing: list[tuple[datetime.date, Decimal]]
    earliest_date: datetime.date | None  # for the requested quantity


def availability_rows(
    user: Any,
    products: Sequence[Product],
    *,
    warehouse_ids: Iterable[int] | None = None,
    group_by: str = "warehouse",
    quantity: Decimal | None = None,
) -> list[AvailabilityRow]:
    """ATP of ``products`` in the user's warehouses (all or ``warehouse_ids``), one row per scope.

    Every product gets a row for every scope, zeros included, so "nothing there"
    is an answer too.
    """
    warehouses = visible_warehouses(user).filter(active=True)
    if warehouse_ids is not None:
        warehouses = warehouses.filter(pk__in=list(warehouse_ids))
    warehouse_list = list(warehouses.order_by("code"))
    if not warehouse_list:
        return []
    found = selectors.availability(
        [p.pk for p in products],
        warehouse_ids=[w.pk for w in warehouse_list],
        group_by=group_by,
    )
    scopes: list[str] = []
    for warehouse in warehouse_list:
        scope = (
            warehouse.code
            if group_by == "warehouse"
            else (warehouse.region or "—")
            if group_by == "region"
            else "group"
        )
        if scope not in scopes:
            scopes.append(scope)
    rows = []
    for product in products:
        for scope in scopes:
            item = found.get((product.pk, scope)) or selectors.Availability(product.pk, scope)
            rows.append(
                AvailabilityRow(
                    product=product,
                    scope=scope,
                    on_hand=item.on_hand,
                    reserved=item.reserved,
                    available_now=item.available_now,
                    in_transit=item.in_transit,
                    incoming=sorted(item.incoming.items()),
                    outgoing=sorted(item.outgoing.items()),
                    earliest_date=item.earliest_date(quantity) if quantity is not None else None,
                )
            )
    return rows


# -- stock valuation --------------------------------------------------------------------


@dataclass(frozen=True)
class ValuationLine:
    product_id: int
    sku: str
    name: str
    quantity: Decimal
    value: Decimal


@dataclass(frozen=True)
class ValuationReport:
    company: Company
    as_of: datetime.datetime | None
    lines: list[ValuationLine]

    @property
    def total_value(self) -> Decimal:
        return sum((line.value for line in self.lines), ZERO)

    @property
    def currency(self) -> str:
        return self.company.base_currency.code


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The last instant of ``day`` in the current time zone (a report "as of" that date)."""
    start = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(start) - datetime.timedelta(microseconds=1)


def valuation_report(company: Company, as_of: datetime.date | None = None) -> ValuationReport:
    """Quantity and value per product of one company from its valuation layers."""
    moment = end_of_day(as_of) if as_of is not None else None
    rows = selectors.stock_valuation(company.pk, moment)
    valued = ValuationLayer.objects.filter(company=company).values("product_id")
    labels = {
        pk: (sku, name)
        for pk, sku, name in Product.objects.filter(pk__in=valued)
        .values_list("pk", "sku", "name")
        .iterator(chunk_size=5000)
    }
    lines = [
        ValuationLine(r.product_id, *labels.get(r.product_id, ("?", "?")), r.quantity, r.value)
        for r in rows
    ]
    lines.sort(key=lambda line: line.sku)
    return ValuationReport(company, moment, lines)


def visible_companies(user: Any) -> QuerySet[Company]:
    return Company.objects.in_scope_of(user).select_related("base_currency").order_by("code")


# -- lot trace --------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceLine:
    done_at: datetime.datetime | None
    reference: str
    transfer_id: int | None
    kind: str
    source: str
    destination: str
    quantity: Decimal


def lot_trace(user: Any, lot: Lot) -> list[TraceLine]:
    """Where a lot came from and went, document by document, within the user's scope."""
    lines = MoveLine.objects.filter(lot=lot, done=True)
    access = access_of(user)
    if access.company_ids is not None:
        lines = lines.filter(move__company_id__in=access.company_ids)
    if access.warehouse_ids is not None:
        lines = lines.filter(
            Q(move__transfer__warehouse_id__in=access.warehouse_ids)
            | Q(move__transfer__isnull=True)
        )
    lines = lines.select_related("move__transfer", "source", "destination").order_by(
        "done_at", "pk"
    )
    return [
        TraceLine(
            line.done_at,
            line.move.transfer.reference if line.move.transfer else line.move.origin,
            line.move.transfer_id,
            line.move.transfer.kind if line.move.transfer else "",
            line.source.path,
            line.destination.path,
            line.quantity,
        )
        for line in lines
    ]
