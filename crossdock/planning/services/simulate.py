"""Replaying a warehouse's demand history under its current policies and under the
forecast-driven (s, S), side by side, kept as a :class:`SimulationRun`.

The glue between the database and :mod:`crossdock.planning.simulator`: the daily demand of
every planned product at the warehouse is read in one query into a days × series array;
the *current* policy of a series is its manual min/max where a planner set one, else the
levels the last run planned; the *forecast-driven* policy is the (s, S) the last run
planned. Lead times are the planned ones (0 when unknown), no pack rules; each series starts
with its forecast-driven order-up-to level on hand and is valued at its average unit value
(annual value / annual quantity). The totals are stored as exact decimal strings.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction

from crossdock.core import audit
from crossdock.core.context import Actor
from crossdock.core.errors import refuse_if
from crossdock.core.permissions import require
from crossdock.masterdata.models import Warehouse
from crossdock.planning.models import (
    DemandDay,
    PlanningItem,
    PolicyMethod,
    ReorderPolicy,
    SimulationRun,
)
from crossdock.planning.simulator import PolicySpec, compare, simulate

MAX_DAYS = 730
CURRENT = "Current policies"
FORECAST = "Forecast-driven (s, S)"


def _day(value: Any, where: str, problems: dict[str, list[str]]) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        problems[where] = ["Give a date as YYYY-MM-DD."]
        return None


def _spec(kind: Any, s: list[float], big_s: list[float], lead: list[int]) -> PolicySpec:
    n = len(s)
    return PolicySpec(
        kind=kind,
        s=np.array(s, dtype=np.float64),
        S=np.array(big_s, dtype=np.float64),
        lead_days=np.array(lead, dtype=np.int64),
        moq=np.zeros(n),
        multiple=np.ones(n),
    )


def run_simulation(actor: Actor, warehouse_id: Any, starts_on: Any, ends_on: Any) -> SimulationRun:
    """Replay ``starts_on``..``ends_on`` at the warehouse under both policies and keep it."""
    problems: dict[str, list[str]] = {}
    warehouse = None
    if isinstance(warehouse_id, int) or (isinstance(warehouse_id, str) and warehouse_id.isdigit()):
        rows = Warehouse.objects.filter(pk=int(warehouse_id))
        if actor.user is not None:
            rows = Warehouse.objects.in_scope_of(actor.user).filter(pk=int(warehouse_id))
        warehouse = rows.first()
    if warehouse is None:
        problems["warehouse"] = ["No such warehouse."]
    starts = _day(starts_on, "starts_on", problems)
    ends = _day(ends_on, "ends_on", problems)
    if starts and ends:
        if ends < starts:
            problems["ends_on"] = ["Cannot be before the start."]
        elif (ends - starts).days + 1 > MAX_DAYS:
            problems["ends_on"] = [f"At most {MAX_DAYS} days."]
    refuse_if(problems)
    assert warehouse is not None
    assert starts is not None
    assert ends is not None
    items = list(PlanningItem.objects.filter(warehouse=warehouse).order_by("product_id"))
    if not items:
        refuse_if({"warehouse": ["Nothing is planned at this warehouse yet."]})
    record = SimulationRun(
        company_id=warehouse.company_id, warehouse=warehouse, starts_on=starts, ends_on=ends
    )
    require(actor, record, "add")
    column = {item.product_id: index for index, item in enumerate(items)}
    days = (ends - starts).days + 1
    demand = np.zeros((days, len(items)))
    for product_id, day, quantity in DemandDay.objects.filter(
        warehouse=warehouse, day__gte=starts, day__lte=ends, product_id__in=list(column)
    ).values_list("product_id", "day", "quantity"):
        demand[(day - starts).days, column[product_id]] += float(quantity)
    manual = {
        p.product_id: p
        for p in ReorderPolicy.objects.filter(
            warehouse=warehouse, method=PolicyMethod.MANUAL, min_quantity__isnull=False
        )
    }
    lead = [item.lead_time_days or 0 for item in items]
    planned_s = [float(item.reorder_point) for item in items]
    planned_big = [float(max(item.order_up_to, item.reorder_point)) for item in items]
    current_s, current_big = list(planned_s), list(planned_big)
    for index, item in enumerate(items):
        policy = manual.get(item.product_id)
        if policy is not None and policy.min_quantity is not None:
            current_s[index] = float(policy.min_quantity)
            current_big[index] = float(policy.max_quantity or policy.min_quantity)
    cost = [
        float(item.annual_value / item.annual_quantity) if item.annual_quantity else 0.0
        for item in items
    ]
    results = {
        CURRENT: simulate(
            demand, planned_big, cost, _spec("min_max", current_s, current_big, lead)
        ),
        FORECAST: simulate(demand, planned_big, cost, _spec("s_S", planned_s, planned_big, lead)),
    }
    table = [
        {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.__dict__.items()}
        for row in compare(results)
    ]
    record.policies = [CURRENT, FORECAST]
    record.results = {"series": len(items), "days": days, "rows": table}
    record.created_by = actor.user
    with transaction.atomic():
        record.save()
        audit.record(
            actor,
            audit.Change(
                "planning.simulation.create",
                record,
                None,
                {"warehouse": warehouse.code, "starts_on": str(starts), "ends_on": str(ends)},
            ),
        )
    return record
