"""Which warehouse ships each line, and when it can be promised (available-to-promise).

Design overview
---------------
:func:`source_lines` reads the available-to-promise of every product of the
order in every active warehouse of the company in one pass
(:func:`crossdock.inventory.selectors.availability`) and then serves the
lines in order, remembering what earlier lines took:

- a line with a chosen warehouse ships from it;
- ``central``: the central warehouse when it can serve the whole line now,
  else the nearest warehouse that can, else the central one (a backorder);
- ``nearest``: the nearest warehouse (by the ship-to address's coordinates;
  without coordinates the customer's default warehouse, then the order's)
  that can serve the whole line now, else the first in that order;
- ``split``: like ``nearest``, but a line no single warehouse can serve is
  split across the nearest warehouses that have stock, the rest staying with
  the first.

The promise date of each part is the first day the warehouse's projected
free stock covers it (``None`` when nothing planned covers it).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from crossdock.inventory.selectors import Availability, availability
from crossdock.masterdata.models import PartnerAddress, Warehouse
from crossdock.sales.models import SourcingPolicy

ZERO = Decimal(0)


@dataclass(frozen=True)
class Need:
    product_id: int
    quantity: Decimal
    warehouse_id: int | None = None  # chosen by hand


@dataclass(frozen=True)
class Sourced:
    need: int  # index into the needs
    warehouse: Warehouse
    quantity: Decimal
    promise_date: datetime.date | None
    available: Decimal  # free now in that warehouse before this line


def _distance(warehouse: Warehouse, address: PartnerAddress | None) -> float:
    if address is None or address.latitude is None or address.longitude is None:
        return 0.0
    if warehouse.latitude is None or warehouse.longitude is None:
        return math.inf
    lat1, lon1 = math.radians(float(warehouse.latitude)), math.radians(float(warehouse.longitude))
    lat2, lon2 = math.radians(float(address.latitude)), math.radians(float(address.longitude))
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def ranked_warehouses(
    warehouses: Sequence[Warehouse], address: PartnerAddress | None, preferred: int | None
) -> list[Warehouse]:
    """Warehouses nearest first (the preferred one first among equals)."""
    return sorted(
        warehouses,
        key=lambda w: (_distance(w, address), w.pk != preferred, not w.is_central, w.pk),
    )


class _Ledger:
    """Available-to-promise per product and warehouse, less what this order already took."""

    def __init__(self, atp: dict[tuple[int, str], Availability]) -> None:
        self.atp = atp
        self.taken: dict[tuple[int, str], Decimal] = {}

    def free(self, product_id: int, warehouse: Warehouse) -> Decimal:
        key = (product_id, warehouse.code)
        found = self.atp.get(key)
        now = found.available_now if found is not None else ZERO
        return max(now - self.taken.get(key, ZERO), ZERO)

    def take(
        self, product_id: int, warehouse: Warehouse, quantity: Decimal
    ) -> datetime.date | None:
        key = (product_id, warehouse.code)
        already = self.taken.get(key, ZERO)
        self.taken[key] = already + quantity
        found = self.atp.get(key)
        if found is None:
            return None
        return found.earliest_date(already + quantity)


def source_lines(
    company_id: int,
    needs: Sequence[Need],
    policy: str,
    *,
    address: PartnerAddress | None,
    preferred_warehouse_id: int | None,
) -> list[Sourced]:
    """Split the needs into warehouse parts by policy; see the module doc."""
    warehouses = list(Warehouse.objects.filter(company_id=company_id, active=True).order_by("pk"))
    by_id = {w.pk: w for w in warehouses}
    ledger = _Ledger(
        availability({n.product_id for n in needs}, warehouse_ids=list(by_id)) if needs else {}
    )
    ranked = ranked_warehouses(warehouses, address, preferred_warehouse_id)
    if policy == SourcingPolicy.CENTRAL:
        central = [w for w in ranked if w.is_central]
        ranked = central + [w for w in ranked if not w.is_central]
    result: list[Sourced] = []
    today = timezone.localdate()
    for index, need in enumerate(needs):
        if need.warehouse_id is not None:
            chosen = [(by_id[need.warehouse_id], need.quantity)]
        else:
            whole = next(
                (w for w in ranked if ledger.free(need.product_id, w) >= need.quantity), None
            )
            if whole is not None:
                chosen = [(whole, need.quantity)]
            elif policy == SourcingPolicy.SPLIT:
                chosen = []
                rest = need.quantity
                for warehouse in ranked:
                    part = min(ledger.free(need.product_id, warehouse), rest)
                    if part > 0:
                        chosen.append((warehouse, part))
                        rest -= part
                if rest > 0:
                    if chosen:
                        first, quantity = chosen[0]
                        chosen[0] = (first, quantity + rest)
                    else:
                        chosen = [(ranked[0], rest)]
            else:
                chosen = [(ranked[0], need.quantity)]
        for warehouse, quantity in chosen:
            free = ledger.free(need.product_id, warehouse)
            promise = ledger.take(need.product_id, warehouse, quantity)
            result.append(Sourced(index, warehouse, quantity, promise if promise else None, free))
            if free >= quantity and result[-1].promise_date is None:
                result[-1] = Sourced(index, warehouse, quantity, today, free)
    return result
