"""``crossdock audit`` check of the demand history against the documents it comes from."""

from __future__ import annotations

from decimal import Decimal

from crossdock.masterdata.models import Company
from crossdock.planning.models import DemandDay, DemandSource

ZERO = Decimal(0)


def demand_adds_up() -> list[str]:
    """Each delivery-derived demand row's shipped and lost equal the moves and sales lines."""
    from crossdock.planning.services.history import Parts, derived_parts

    problems: list[str] = []
    for company_id in Company.objects.order_by("pk").values_list("pk", flat=True):
        derived = derived_parts(company_id)
        stored = {
            (p, w, d): (s, lo)
            for p, w, d, s, lo in DemandDay.objects.filter(
                company_id=company_id, source=DemandSource.DELIVERIES
            ).values_list("product_id", "warehouse_id", "day", "shipped", "lost")
        }
        # every imported row of the company (one range of the (company, day) index); a filter
        # on the derived products would make SQLite walk that range once per product
        imported = set(
            DemandDay.objects.filter(company_id=company_id, source=DemandSource.IMPORT)
            .order_by()
            .values_list("product_id", "warehouse_id", "day")
            .iterator()
        )
        for key in sorted(set(derived) | set(stored), key=str):
            if key in imported:
                continue
            parts = derived.get(key, Parts())
            want = (parts.shipped, parts.lost)
            have = stored.get(key, (ZERO, ZERO))
            if want != have:
                problems.append(
                    f"demand of product {key[0]} at warehouse {key[1]} on {key[2]}: "
                    f"shipped/lost {have[0]}/{have[1]} ≠ documents {want[0]}/{want[1]}"
                )
    return problems
