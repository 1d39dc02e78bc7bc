"""``crossdock audit`` check: every quant equals what its done and reserved lines say."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from crossdock.inventory.models import MoveLine, Quant
from crossdock.masterdata.models.organisation import INTERNAL_KINDS


def quants_match_moves() -> list[str]:
    """Recompute on-hand and reserved per product × location × lot from lines; list differences."""
    on_hand: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
    reserved: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
    done = MoveLine.objects.filter(done=True)
    for product, location, lot, total in done.values_list(
        "product_id", "destination_id", "lot_id"
    ).annotate(total=Sum("quantity")):
        on_hand[(product, location, lot)] += total
    for product, location, lot, total in done.values_list(
        "product_id", "source_id", "lot_id"
    ).annotate(total=Sum("quantity")):
        on_hand[(product, location, lot)] -= total
    for product, location, lot, total in (
        MoveLine.objects.filter(done=False, source__kind__in=list(INTERNAL_KINDS))
        .values_list("product_id", "source_id", "lot_id")
        .annotate(total=Sum("quantity"))
    ):
        reserved[(product, location, lot)] += total
    problems = []
    seen = set()
    for quant in Quant.objects.all().iterator(chunk_size=5000):
        key = (quant.product_id, quant.location_id, quant.lot_id)
        seen.add(key)
        expected = (on_hand.get(key, Decimal(0)), reserved.get(key, Decimal(0)))
        if (quant.quantity, quant.reserved) != expected:
            problems.append(
                f"quant {quant.pk} (product {key[0]}, location {key[1]}, lot {key[2]}): "
                f"cache says {quant.quantity} on hand / {quant.reserved} reserved, "
                f"moves say {expected[0]} / {expected[1]}"
            )
    for key in (set(on_hand) | set(reserved)) - seen:
        if on_hand.get(key) or reserved.get(key):
            problems.append(f"no quant for product {key[0]}, location {key[1]}, lot {key[2]}")
    return problems
