"""Quality queries: which plan applies to received goods, queues, and rejection figures."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Sum, Value, When

from crossdock.masterdata.models import Product, ProductCategory
from crossdock.quality.models import Inspection, InspectionPlan, InspectionState

ZERO = Decimal(0)


class PlanMatcher:
    """Finds the most specific active plan of one company for a product from a supplier.

    Loads the company's active plans and the categories once, so matching many
    receipt moves costs two queries: product plan, else the closest category
    plan (the product's category or an ancestor), else the supplier plan; among
    equals the lowest id (the oldest) wins.
    """

    def __init__(self, company_id: int) -> None:
        plans = list(
            InspectionPlan.objects.filter(company_id=company_id, active=True).order_by("pk")
        )
        self.by_product: dict[int, InspectionPlan] = {}
        self.by_category: dict[int, InspectionPlan] = {}
        self.by_supplier: dict[int, InspectionPlan] = {}
        for plan in plans:
            if plan.product_id:
                self.by_product.setdefault(plan.product_id, plan)
            elif plan.category_id:
                self.by_category.setdefault(plan.category_id, plan)
            elif plan.supplier_id:
                self.by_supplier.setdefault(plan.supplier_id, plan)
        self.parents: dict[int, int | None] = (
            dict(ProductCategory.objects.values_list("pk", "parent_id")) if self.by_category else {}
        )

    def __bool__(self) -> bool:
        return bool(self.by_product or self.by_category or self.by_supplier)

    def plan_for(self, product: Product, supplier_id: int | None) -> InspectionPlan | None:
        found = self.by_product.get(product.pk)
        if found is not None:
            return found
        category_id: int | None = product.category_id
        seen: set[int] = set()
        while category_id is not None and category_id not in seen:
            seen.add(category_id)
            found = self.by_category.get(category_id)
            if found is not None:
                return found
            category_id = self.parents.get(category_id)
        return self.by_supplier.get(supplier_id) if supplier_id is not None else None


def plan_for(company_id: int, product: Product, supplier_id: int | None) -> InspectionPlan | None:
    """The plan that applies to ``product`` received from ``supplier_id`` (or None)."""
    return PlanMatcher(company_id).plan_for(product, supplier_id)


def inspection_queue(user: Any) -> QuerySet[Inspection]:
    """The inspections the user may see, pending first (oldest first), then the latest done."""
    pending_first = Case(
        When(state=InspectionState.PENDING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    visible: QuerySet[Inspection] = Inspection.objects.restrict(user, "view")
    return (
        visible.select_related("product", "supplier", "receipt", "warehouse", "plan")
        .annotate(pending_first=pending_first)
        .order_by("pending_first", "created_at", "pk")
    )


def rejections_by_supplier(
    company_id: int,
    supplier_ids: Iterable[int] | None,
    start: datetime.date,
    end: datetime.date,
) -> dict[int, tuple[Decimal, Decimal]]:
    """Rejected and inspected quantities per supplier, inspections done in ``[start, end]``."""
    rows = Inspection.objects.filter(
        company_id=company_id,
        state=InspectionState.DONE,
        supplier__isnull=False,
        inspected_at__date__gte=start,
        inspected_at__date__lte=end,
    )
    if supplier_ids is not None:
        rows = rows.filter(supplier_id__in=list(supplier_ids))
    totals: dict[int, tuple[Decimal, Decimal]] = defaultdict(lambda: (ZERO, ZERO))
    for supplier_id, rejected, inspected in (
        rows.order_by()
        .values_list("supplier_id")
        .annotate(rejected=Sum("rejected_quantity"), inspected=Sum("quantity"))
    ):
        totals[supplier_id] = (rejected or ZERO, inspected or ZERO)
    return dict(totals)
