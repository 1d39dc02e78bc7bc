"""Locking and updating quants: the one place quant rows change.

Rows are created if missing (ignoring a concurrent insert of the same key),
then locked with ``SELECT … FOR UPDATE`` in primary-key order, so two services
touching overlapping quants always lock in the same order and never deadlock.
On SQLite the immediate write transaction already serialises writers.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from crossdock.inventory.models import Quant
from crossdock.masterdata.models import Location

QuantKey = tuple[int, int, int | None]  # product, location, lot


def lock_quants(keys: Iterable[QuantKey]) -> dict[QuantKey, Quant]:
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
    existing = _existing(wanted)
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
    locked = list(
        Quant.objects.select_for_update()
        .filter(pk__in=[q.pk for q in _existing(wanted).values()])
        .order_by("pk")
    )
    return {(q.product_id, q.location_id, q.lot_id): q for q in locked}


def _sort_key(key: QuantKey) -> tuple[int, int, int]:
    return key[0], key[1], key[2] or 0


def _existing(keys: set[QuantKey]) -> dict[QuantKey, Quant]:
    found: dict[QuantKey, Quant] = {}
    for chunk_start in range(0, len(keys), 400):
        chunk = sorted(keys, key=_sort_key)[chunk_start : chunk_start + 400]
        products = {k[0] for k in chunk}
        locations = {k[1] for k in chunk}
        for quant in Quant.objects.filter(product_id__in=products, location_id__in=locations):
            key = (quant.product_id, quant.location_id, quant.lot_id)
            if key in keys:
                found[key] = quant
    return found


def save_quants(quants: Iterable[Quant]) -> None:
    Quant.objects.bulk_update(list(quants), ["quantity", "reserved", "in_date"], batch_size=500)


def available(quant: Quant) -> Decimal:
    return quant.quantity - quant.reserved
