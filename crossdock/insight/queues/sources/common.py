"""Helpers the queue sources share: severity from days, document links, free stock."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from crossdock.insight.queues.registry import HIGH, LOW, MEDIUM, Wanted
from crossdock.insight.queues.thresholds import threshold

ZERO = Decimal(0)


def severity_of(days: int, company_id: int) -> int:
    """Low below the company's ``medium_after_days`` days, high from ``high_after_days``."""
    if days >= threshold("high_after_days", company_id):
        return HIGH
    return MEDIUM if days >= threshold("medium_after_days", company_id) else LOW


def start_of(day: datetime.date) -> datetime.datetime:
    """The aware start of a day in the current time zone (an item's ``since``)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def link(name: str) -> Callable[[Any], str]:
    """``reverse(name, args=[pk])`` for many rows without reversing each one."""
    template = reverse(name, args=[987654321])
    head, tail = template.split("987654321", 1)
    return lambda pk: f"{head}{pk}{tail}"


def document_item(row: Any, prefix: str, url: Callable[[Any], str], **fields: Any) -> Wanted:
    """An item about the document ``row`` (its ``pk``, ``company_id``, ``reference`` and,
    when it has one, ``warehouse_id``): keyed ``prefix:pk``, linked with ``url(pk)``."""
    return Wanted(
        key=f"{prefix}:{row['pk']}",
        company_id=row["company_id"],
        warehouse_id=row.get("warehouse_id"),
        document_label=row["reference"],
        document_url=url(row["pk"]),
        **fields,
    )


def text(value: Decimal | None) -> str | None:
    """A quantity or amount as JSON-ready text without trailing zeros."""
    return None if value is None else f"{value.normalize():f}"


@dataclass(frozen=True)
class Stock:
    warehouse_id: int
    warehouse_name: str
    free: Decimal


def free_stock(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], list[Stock]]:
    """(company, product) → the free stock of each warehouse of the company, largest first.

    Free is on hand less reserved in sellable locations (reserve and picking); one
    aggregate query for all the pairs asked about.
    """
    from crossdock.inventory.models import Quant
    from crossdock.masterdata.models.organisation import SELLABLE_KINDS

    wanted = set(pairs)
    if not wanted:
        return {}
    rows = (
        Quant.objects.filter(
            product_id__in={p for _, p in wanted},
            location__company_id__in={c for c, _ in wanted},
            location__kind__in=list(SELLABLE_KINDS),
            location__warehouse__isnull=False,
        )
        .order_by()
        .values("product_id", "location__company_id", "location__warehouse_id")
        .annotate(on_hand=Sum("quantity"), reserved=Sum("reserved"))
    )
    names = _warehouse_names()
    found: dict[tuple[int, int], list[Stock]] = defaultdict(list)
    for row in rows:
        key = (row["location__company_id"], row["product_id"])
        free = row["on_hand"] - row["reserved"]
        if key in wanted and free > 0:
            warehouse = row["location__warehouse_id"]
            found[key].append(Stock(warehouse, names.get(warehouse, str(warehouse)), free))
    for stocks in found.values():
        stocks.sort(key=lambda s: (-s.free, s.warehouse_id))
    return found


def _warehouse_names() -> dict[int, str]:
    from crossdock.masterdata.models import Warehouse

    return dict(Warehouse.objects.values_list("pk", "name"))


def lane_days() -> dict[tuple[int, int], int]:
    """(from warehouse, to warehouse) → the transfer lane's lead time in days (active lanes)."""
    from crossdock.planning.models import TransferLane

    return {
        (a, b): days
        for a, b, days in TransferLane.objects.filter(is_active=True).values_list(
            "from_warehouse_id", "to_warehouse_id", "lead_time_days"
        )
    }


@dataclass(frozen=True)
class TransferOffer:
    """A suggested transfer: ``quantity`` from ``source`` to ``destination``, arriving ``on``."""

    source: Stock
    destination_id: int
    product_id: int
    quantity: Decimal
    arrives_on: datetime.date

    def label(self, sku: str, destination: str) -> str:
        return (
            f"Transfer {text(self.quantity)} of {sku} from {self.source.warehouse_name} "
            f"({text(self.source.free)} free) to {destination}, arriving "
            f"{self.arrives_on:%a %-d %b}"
        )

    def params(self) -> dict[str, Any]:
        return {
            "from_warehouse": self.source.warehouse_id,
            "to_warehouse": self.destination_id,
            "product": self.product_id,
            "quantity": text(self.quantity),
            "expected_on": self.arrives_on.isoformat(),
        }


def transfer_offer(
    stock: dict[tuple[int, int], list[Stock]],
    lanes: dict[tuple[int, int], int],
    today: datetime.date,
    *,
    company_id: int,
    product_id: int,
    destination_id: int | None,
    missing: Decimal,
) -> TransferOffer | None:
    """The warehouse of the company with the most free stock that covers ``missing``."""
    if destination_id is None or missing <= 0:
        return None
    for place in stock.get((company_id, product_id), []):
        if place.warehouse_id != destination_id and place.free >= missing:
            days = lanes.get((place.warehouse_id, destination_id), 1)
            return TransferOffer(
                place,
                destination_id,
                product_id,
                missing,
                today + datetime.timedelta(days=days),
            )
    return None


def suggested_transfer(offer: TransferOffer | None, sku: str, destination: str) -> dict[str, Any]:
    """The ``Wanted`` fields that suggest ``offer`` (action, label, parameters); none: ``{}``."""
    if offer is None:
        return {}
    return {
        "action": "transfer_stock",
        "action_label": offer.label(sku, destination),
        "action_params": offer.params(),
    }
