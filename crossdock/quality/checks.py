"""``crossdock audit`` checks of quality's records against the stock."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import F, Q, Sum

from crossdock.inventory.models import Quant
from crossdock.quality.models import Disposition, Inspection, InspectionState, Nonconformance

ZERO = Decimal(0)


def inspections_add_up() -> list[str]:
    """Every recorded inspection's accepted and rejected quantities add up to its quantity."""
    wrong = (
        Inspection.objects.filter(state=InspectionState.DONE)
        .filter(
            Q(accepted_quantity__isnull=True)
            | Q(rejected_quantity__isnull=True)
            | ~Q(quantity=F("accepted_quantity") + F("rejected_quantity"))
        )
        .values_list("pk", "quantity", "accepted_quantity", "rejected_quantity")
        .order_by("pk")
    )
    return [
        f"inspection QC-{pk:06d}: accepted {accepted} + rejected {rejected} ≠ inspected {quantity}"
        for pk, quantity, accepted, rejected in wrong
    ]


def held_in_quality() -> list[str]:
    """What pending inspections and held nonconformances wait for is on hand in quality hold."""
    needed: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for location_id, product_id, total in (
        Inspection.objects.filter(state=InspectionState.PENDING)
        .order_by()
        .values_list("hold_location_id", "product_id")
        .annotate(total=Sum("quantity"))
    ):
        needed[(location_id, product_id)] += total
    for location_id, product_id, total in (
        Nonconformance.objects.filter(
            disposition__in=(Disposition.HOLD, Disposition.RETURN), return_transfer__isnull=True
        )
        .order_by()
        .values_list("inspection__hold_location_id", "inspection__product_id")
        .annotate(total=Sum("quantity"))
    ):
        needed[(location_id, product_id)] += total
    if not needed:
        return []
    locations = {location for location, _ in needed}
    products = {product for _, product in needed}
    on_hand: dict[tuple[int, int], Decimal] = {
        (location_id, product_id): total
        for location_id, product_id, total in Quant.objects.filter(
            location_id__in=locations, product_id__in=products
        )
        .order_by()
        .values_list("location_id", "product_id")
        .annotate(total=Sum("quantity"))
    }
    problems = []
    for (location_id, product_id), quantity in sorted(needed.items()):
        there = on_hand.get((location_id, product_id), ZERO)
        if there < quantity:
            problems.append(
                f"quality hold location {location_id}: product {product_id} has {there} on hand "
                f"but inspections and held nonconformances wait for {quantity}"
            )
    return problems
