"""The multi-echelon plan of the short products and the suggestions it makes."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import numpy as np

from crossdock.planning.services.run.inputs import ZERO, Inputs, Plan, SuggestionRow
from crossdock.planning.services.run.items import Items


class Sites(Mapping[int, list[Any]]):
    """The network positions of each product's plannable items, built when first asked for
    (consolidation looks at the products near their reorder point only when a supplier
    offers free freight)."""

    def __init__(self, inputs: Inputs, items: Items, plannable: np.ndarray) -> None:
        self.inputs, self.figures, self.plannable = inputs, items, plannable
        products = inputs.product_of[plannable]
        self.ids = np.unique(products)
        self._built: dict[int, list[Any]] = {}

    def __getitem__(self, product_id: int) -> list[Any]:
        from crossdock.planning.network import Position

        found = self._built.get(product_id)
        if found is not None:
            return found
        inputs, items = self.inputs, self.figures
        low = int(np.searchsorted(inputs.product_of, product_id, side="left"))
        high = int(np.searchsorted(inputs.product_of, product_id, side="right"))
        sites = []
        for index in range(low, high):
            if not self.plannable[index]:
                continue
            item = items.item(index)
            sites.append(
                Position(
                    warehouse_id=item.warehouse_id,
                    is_central=item.warehouse_id == inputs.central_id,
                    available=item.projected,
                    reorder_point=item.reorder_point,
                    order_up_to=item.order_up_to,
                    safety_stock=item.safety_stock,
                    demand_over_lead_time=items.over_lead(index),
                    name=inputs.warehouses[item.warehouse_id][0],
                )
            )
        if not sites:
            raise KeyError(product_id)
        self._built[product_id] = sites
        return sites

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids.tolist())

    def __len__(self) -> int:
        return int(self.ids.size)


def plan_network(
    inputs: Inputs,
    plan: Plan,
    plannable: np.ndarray,
    offers: dict[int, list[Any]],
    decimals: dict[int, int],
) -> list[Any]:
    from crossdock.planning.network import Lane, consolidate, plan_product

    assert plan.items is not None
    sites = Sites(inputs, plan.items, plannable)
    short = np.unique(inputs.product_of[plan.items.short(plannable)]).tolist()
    lanes = [Lane(a, b, days) for (a, b), days in sorted(inputs.lanes.items())]
    decisions: list[Any] = []
    for product_id in short:
        found, problems = plan_product(
            product_id,
            sites[product_id],
            lanes,
            offers.get(product_id) or [],
            unit_decimals=decimals.get(product_id, 0),
        )
        decisions.extend(found)
        sku = inputs.products.get(product_id, (str(product_id), 0))[0]
        plan.problems.extend(f"{sku}: {p}" for p in problems)
    return consolidate(decisions, offers, positions_by_product=sites, unit_decimals=decimals)


def make_suggestions(inputs: Inputs, plan: Plan, decisions: list[Any]) -> None:
    assert plan.items is not None
    counts: Counter[str] = Counter()
    for decision in decisions:
        if decision.quantity <= 0:
            continue
        index = inputs.index_of.get((decision.product_id, decision.warehouse_id))
        if index is None:
            continue
        item = plan.items.item(index)
        counts[decision.action] += 1
        lead = int(decision.lead_time_days or 0)
        plan.suggestions.append(
            SuggestionRow(
                product_id=decision.product_id,
                warehouse_id=decision.warehouse_id,
                action=decision.action,
                quantity=decision.quantity,
                source_warehouse_id=decision.source_warehouse_id,
                supplier_id=decision.supplier_id,
                unit_cost=decision.unit_cost,
                lead_time_days=lead,
                order_by=inputs.as_of,
                arrives_on=inputs.as_of + datetime.timedelta(days=lead),
                on_hand=item.on_hand,
                reserved=item.on_hand - (item.projected - item.open_supply + item.backordered),
                open_supply=item.open_supply,
                backordered=item.backordered,
                projected=item.projected,
                demand_over_lead_time=plan.items.over_lead(index),
                safety_stock=item.safety_stock,
                reorder_point=item.reorder_point,
                order_up_to=item.order_up_to,
                reason=explain(item, decision),
            )
        )
    plan.report["suggestions"] = dict(counts)


def explain(item: Any, decision: Any) -> str:
    available = item.projected - item.open_supply + item.backordered
    figures = (
        f"Projected stock {_q(item.projected)} (available {_q(available)} + open supply "
        f"{_q(item.open_supply)} − backorders {_q(item.backordered)}); reorder point "
        f"{_q(item.reorder_point)} = demand over the {item.lead_time_days}-day lead time "
        f"{_q(item.reorder_point - item.safety_stock)} + safety stock {_q(item.safety_stock)} "
        f"at {_q(item.service_level or ZERO)} % service; order-up-to {_q(item.order_up_to)}."
    )
    return f"{figures} {decision.reason}".strip()


def _q(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"
