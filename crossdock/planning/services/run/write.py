"""The run's single write transaction: items, suggestions, exceptions, the report."""

from __future__ import annotations

import datetime
import time
from collections import Counter

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.planning.events import ReplenishmentRunFinished
from crossdock.planning.models import (
    ReplenishmentRun,
    RunState,
    Suggestion,
    SuggestionState,
)
from crossdock.planning.services import writing
from crossdock.planning.services.run.exceptions import write_exceptions
from crossdock.planning.services.run.inputs import Inputs, Plan, SuggestionRow
from crossdock.planning.services.run.items import (
    ITEM_FIELDS,
    LEVEL_FIELDS,
    LEVEL_ROW_FIELDS,
    ROW_FIELDS,
)


def write_plan(
    actor: Actor, run: ReplenishmentRun, inputs: Inputs, plan: Plan, clock: float
) -> None:
    now = timezone.now()
    assert plan.items is not None
    flagged = {(s.product_id, s.warehouse_id) for s in plan.suggestions} | {
        (p, w) for (kind, p, w), (severity, _, _) in plan.exceptions.items() if severity >= 3
    }
    for key in flagged:
        index = inputs.index_of.get(key)
        if index is not None:
            plan.items.needs_action[index] = True
    rewrite = np.asarray(plan.items.forecast.rewrite, dtype=bool)
    rows = plan.items.rows(np.flatnonzero(rewrite), with_forecast=True)
    kept = plan.items.rows(np.flatnonzero(~rewrite), with_forecast=False)
    with transaction.atomic():
        ReplenishmentRun.objects.select_for_update().filter(pk=run.pk).first()
        writing.upsert_items(ROW_FIELDS, ITEM_FIELDS, rows)
        writing.upsert_items(LEVEL_ROW_FIELDS, LEVEL_FIELDS, kept)  # stored forecasts kept
        del rows, kept
        superseded = (
            Suggestion.objects.filter(company_id=inputs.company_id, state=SuggestionState.PROPOSED)
            .exclude(run=run)
            .update(state=SuggestionState.SUPERSEDED, updated_at=now)
        )
        write_suggestions(run, plan.suggestions, now)
        opened, closed = write_exceptions(run, inputs, plan, now)
        plan.report["superseded"] = superseded
        plan.report["exceptions"] = dict(Counter(kind for kind, _, _ in plan.exceptions))
        plan.report["exceptions_opened"] = opened
        plan.report["exceptions_closed"] = closed
        run.state = RunState.DONE
        run.items = len(plan.items)
        run.suggestions_count = len(plan.suggestions)
        run.exceptions_count = len(plan.exceptions)
        run.finished_at = timezone.now()
        run.seconds = round(time.monotonic() - clock, 3)
        run.report = plan.report
        run.save(
            update_fields=[
                "state",
                "items",
                "suggestions_count",
                "exceptions_count",
                "finished_at",
                "seconds",
                "report",
                "updated_at",
            ]
        )
        audit.record(
            actor,
            audit.Change(
                "planning.run.finish",
                run,
                None,
                {
                    "items": run.items,
                    "suggestions": run.suggestions_count,
                    "exceptions": run.exceptions_count,
                    "superseded": superseded,
                },
            ),
        )
        events.publish(
            ReplenishmentRunFinished(
                run.pk,
                run.state,
                run.suggestions_count,
                run.exceptions_count,
                company_id=inputs.company_id,
            )
        )


SUGGESTION_FIELDS = [
    "run",
    "company",
    "product",
    "warehouse",
    "action",
    "state",
    "quantity",
    "source_warehouse",
    "supplier",
    "unit_cost",
    "lead_time_days",
    "order_by",
    "arrives_on",
    "on_hand",
    "reserved",
    "open_supply",
    "backordered",
    "projected",
    "demand_over_lead_time",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "reason",
    "version",
    "created_at",
    "updated_at",
]


def write_suggestions(
    run: ReplenishmentRun, suggestions: list[SuggestionRow], now: datetime.datetime
) -> None:
    """Insert the run's suggestions with one prepared statement."""
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    quantity = writing.stored
    price_scale = Suggestion._meta.get_field("unit_cost").scale
    rows = [
        (
            run.pk,
            run.company_id,
            s.product_id,
            s.warehouse_id,
            s.action,
            SuggestionState.PROPOSED,
            quantity(s.quantity),
            s.source_warehouse_id,
            s.supplier_id,
            None if s.unit_cost is None else quantity(s.unit_cost, price_scale),
            s.lead_time_days,
            ops.adapt_datefield_value(s.order_by),
            ops.adapt_datefield_value(s.arrives_on),
            quantity(s.on_hand),
            quantity(s.reserved),
            quantity(s.open_supply),
            quantity(s.backordered),
            quantity(s.projected),
            quantity(s.demand_over_lead_time),
            quantity(s.safety_stock),
            quantity(s.reorder_point),
            quantity(s.order_up_to),
            s.reason,
            1,
            stamp,
            stamp,
        )
        for s in suggestions
    ]
    writing.insert_rows(Suggestion, SUGGESTION_FIELDS, rows)
