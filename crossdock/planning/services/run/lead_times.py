"""Each item's policy inputs: lead time (offer or lane), service level, manual limits."""

from __future__ import annotations

from typing import Any

import numpy as np

from crossdock.planning.services import levels as calc
from crossdock.planning.services.run.inputs import Inputs, Kind, Plan, raise_exception

# -- lead times, policies, levels -------------------------------------------------------------


def buys(inputs: Inputs, warehouse_id: int) -> bool:
    """Whether the warehouse buys from suppliers (central, or no lane from central)."""
    central = inputs.central_id
    return central is None or warehouse_id == central or (central, warehouse_id) not in inputs.lanes


def buying_items(inputs: Inputs) -> np.ndarray:
    """:func:`buys` of every item."""
    buying = {w: buys(inputs, w) for w in inputs.warehouses}
    return np.array([buying.get(w, True) for w in inputs.warehouse_of.tolist()], dtype=bool)


def level_inputs_of(
    inputs: Inputs, offers: dict[int, list[Any]], plan: Plan
) -> tuple[calc.LevelInputs, np.ndarray]:
    """Per item policy inputs, and which items can be planned at all."""
    from crossdock.planning.policy import check_manual_rules

    settings = inputs.settings
    n = len(inputs.keys)
    by_class = {
        "A": float(settings.service_level_a),
        "B": float(settings.service_level_b),
        "C": float(settings.service_level_c),
    }
    method = np.full(n, "s_S", dtype=object)
    abc = [(inputs.stored.get(key) or {}).get("abc") or "B" for key in inputs.keys]
    service = np.array([by_class.get(c, by_class["B"]) for c in abc], dtype=np.float64) / 100
    fill_rate = np.full(n, settings.service_measure == "fill_rate", dtype=bool)
    review = np.full(n, float(settings.review_period_days))
    minimum = np.full(n, np.nan)
    maximum = np.full(n, np.nan)
    capacity = np.full(n, np.inf)
    plannable = np.ones(n, dtype=bool)
    manual_rows: list[tuple[int, Any, Any, Any]] = []
    for key, policy in sorted(inputs.policies.items()):
        index = inputs.index_of[key]
        method[index] = policy.method
        if policy.service_level is not None:
            service[index] = float(policy.service_level) / 100
        fill_rate[index] = (policy.service_measure or settings.service_measure) == "fill_rate"
        if policy.review_period_days:
            review[index] = float(policy.review_period_days)
        if policy.max_capacity is not None:
            capacity[index] = float(policy.max_capacity)
        if policy.method == "manual":
            manual_rows.append(
                (index, policy.min_quantity, policy.max_quantity, policy.pack_multiple or 1)
            )
    manual_rows.sort()
    buying = buying_items(inputs)
    best = {
        product_id: (float(choices[0].lead_time_days), float(choices[0].lead_time_sd_days or 0))
        for product_id, choices in offers.items()
        if choices
    }
    found = [best.get(p, (0.0, 0.0)) for p in inputs.product_of.tolist()]
    offered = np.array(found, dtype=np.float64).reshape(n, 2)
    lane = np.array(
        [float(inputs.lanes.get((inputs.central_id, w), 0)) for w in inputs.warehouse_of.tolist()]
        if inputs.central_id is not None
        else np.zeros(n)
    )
    lead = np.where(buying, offered[:, 0], lane)
    lead_sd = np.where(buying, offered[:, 1], 0.0)
    refused = check_manual_rules([(low, high, pack) for _, low, high, pack in manual_rows])
    for position, (index, low, high, _) in enumerate(manual_rows):
        error = refused.get(position)
        if low is None or high is None:
            raise_exception(
                plan,
                inputs,
                Kind.INVALID_POLICY,
                index,
                2,
                "The manual min/max policy has no minimum or no maximum; it is not planned.",
                "Give both a minimum and a maximum, or choose an automatic policy.",
            )
            plannable[index] = False
        elif error is not None:
            raise_exception(
                plan,
                inputs,
                Kind.INVALID_POLICY,
                index,
                3,
                f"The manual policy is refused ({error.field}: {error.message}); "
                "it is not planned.",
                "Correct the minimum, maximum or pack multiple.",
            )
            plannable[index] = False
        else:
            minimum[index], maximum[index] = float(low), float(high)
    return (
        calc.LevelInputs(
            method, service, fill_rate, lead, lead_sd, review, minimum, maximum, capacity
        ),
        plannable,
    )
