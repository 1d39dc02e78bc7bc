"""Locking and updating quants: the one place quant rows change.

Rows are created if missing (ignoring a concurrent insert of the same key),
then locked with ``SELECT … FOR UPDATE`` in primary-key order, so two services
touching overlapping quants always lock in the same order and never deadlock.
On SQLite the immediate write transaction already serialises writers.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from crossdock.core.bulk import update_values
from crossdock.inventory.models import Quant
from crossdock.masterdata.models import Location

QuantKey = tuple[int, int, int | None]  # product, location, lot


def lock_quants(keys: Iterable[QuantKey]) -> dict[QuantKey, QuantRow]:
    """The quants for ``keys``, created when missing, locked in primary-key order."""
    wanted = set(keys)
    if not wanted:
        return {}
    location_ids = {location for _, location, _ in wanted}
    negative_ok = set(
        Location.objects.filter(
            pk__in=location_ids, warehouse__allow_negative_stock=True
        ).values_list("pk", flat=True)
    ) | set(
        Location.objects.filter(pk__in=location_ids, warehouse__isnull=True).values_list(
            "pk", flat=True
        )
    )  # virtual and transit locations run negative by nature (a supplier "gives" stock)
    existing = _existing_keys(wanted)
    missing = wanted - set(existing)
    if missing:
        Quant.objects.bulk_create(
            [
                Quant(
                    product_id=product,
                    location_id=location,
                    lot_id=lot,
                    allow_negative=location in negative_ok,
                )
                for product, location, lot in sorted(missing, key=_sort_key)
            ],
            ignore_conflicts=True,
        )
        existing = _existing_keys(wanted)
    rows = lock_by_pk(sorted(existing.values()))
    return {(q.product_id, q.location_id, q.lot_id): q for q in rows}


def _sort_key(key: QuantKey) -> tuple[int, int, int]:
    return key[0], key[1], key[2] or 0


@dataclass(slots=True)
class QuantRow:
    """A locked quant as plain values; written back by :func:`save_quants`."""

    pk: int
    product_id: int
    location_id: int
    lot_id: int | None
    quantity: Decimal
    reserved: Decimal
    allow_negative: bool
    in_date: datetime.datetime


def _existing_keys(keys: set[QuantKey]) -> dict[QuantKey, int]:
    """Primary keys of the quants among ``keys`` that exist (not locked)."""
    locations = sorted({key[1] for key in keys})
    products = sorted({key[0] for key in keys})
    found: dict[QuantKey, int] = {}
    for start in range(0, len(products), 500):
        rows = Quant.objects.filter(
            product_id__in=products[start : start + 500], location_id__in=locations
        ).values_list("product_id", "location_id", "lot_id", "pk")
        for product, location, lot, pk in rows:
            if (product, location, lot) in keys:
                found[(product, location, lot)] = pk
    return found


def lock_by_pk(pks: list[int]) -> list[QuantRow]:
    """Lock quants in ascending primary-key order (chunks follow the same global order)."""
    locked: list[QuantRow] = []
    for start in range(0, len(pks), 500):
        locked.extend(
            QuantRow(*row)
            for row in Quant.objects.select_for_update()
            .filter(pk__in=pks[start : start + 500])
            .order_by("pk")
            .values_list(
                "pk", "product_id", "location_id", "lot_id", "quantity", "reserved",
                "allow_negative", "in_date",
            )
        )  # fmt: skip
    return locked


def save_quants(quants: Iterable[QuantRow]) -> None:
    """Write back locked quants (one prepared UPDATE per row, run as a batch)."""
    update_values(
        Quant,
        ["quantity", "reserved", "in_date"],
        [(q.quantity, q.reserved, q.in_date, q.pk) for q in quants],
    )


def available(quant: QuantRow) -> Decimal:
    return quant.quantity - quant.reserved
