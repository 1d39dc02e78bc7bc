"""The replenishment run: forecasts, levels, explained suggestions and exceptions.

Design overview
---------------
:func:`run_replenishment` plans a company's whole network in three phases:

1. **Start.** A :class:`ReplenishmentRun` row is committed as *running*, so a failed run
   leaves its error behind.
2. **Plan** (reads only). The items are every product × warehouse with demand in the
   window, stock, open supply, backorders, a policy or an earlier planning row. The demand
   window is read once (:mod:`.demand`): its rows for a full run, built into an (items ×
   days) array (:mod:`..levels` says how flagged days are treated), a summary per series
   for a run reusing forecasts. Forecasts come from
   :func:`crossdock.planning.forecasting.forecast_demand` or, with ``reuse_forecasts``,
   from the forecasts stored on the items (items without one are forecast afresh).
   Planners' overrides are applied, then each item's lead time (the best supplier offer
   where the warehouse buys; the lane from the central warehouse where it is replenished
   by transfer) and its levels. Positions come from :func:`..positions.stock_positions`.
   Every product with a warehouse at or below its reorder point is handed to
   :func:`crossdock.planning.network.plan_product`, and all the decisions to
   :func:`~crossdock.planning.network.consolidate`.
3. **Write**, in one transaction: the items (one upsert; a reused forecast is not written
   again, only the levels), the suggestions (the previous runs' proposed ones are
   superseded), the exceptions (opened, refreshed, or closed when their cause is gone) and
   the run's report. Any error rolls all of it back and marks the
   run failed; bad data never stops a run, it becomes an exception in the report.

Modules: :mod:`.inputs` (what is planned), :mod:`.demand`, :mod:`.forecasts`,
:mod:`.lead_times`, :mod:`.exceptions`, :mod:`.items` (item arrays and rows),
:mod:`.sourcing` (the network plan and its suggestions), :mod:`.write`.
"""

from __future__ import annotations

import datetime
import logging
import time

from django.db import transaction
from django.utils import timezone

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.masterdata.models import Company
from crossdock.planning.events import ReplenishmentRunFinished
from crossdock.planning.models import ReplenishmentRun, RunState
from crossdock.planning.services import levels as calc
from crossdock.planning.services.run import write
from crossdock.planning.services.run.exceptions import detect
from crossdock.planning.services.run.forecasts import forecast_items, overrides_of
from crossdock.planning.services.run.inputs import MAX_PROBLEMS, Inputs, Plan, Stock, load_inputs
from crossdock.planning.services.run.items import Items
from crossdock.planning.services.run.lead_times import level_inputs_of
from crossdock.planning.services.run.sourcing import make_suggestions, plan_network

__all__ = ["run_replenishment"]

logger = logging.getLogger(__name__)


def run_replenishment(
    company: Company | int,
    *,
    actor: Actor | None = None,
    reuse_forecasts: bool = False,
    as_of: datetime.date | None = None,
) -> ReplenishmentRun:
    """Plan the company's network; the run (done or failed) is returned, never an error."""
    actor = actor or Actor.system("replenishment")
    company_id = company.pk if isinstance(company, Company) else int(company)
    as_of = as_of or timezone.localdate()
    clock = time.monotonic()
    with transaction.atomic():
        run = ReplenishmentRun.objects.create(
            company_id=company_id,
            reuse_forecasts=reuse_forecasts,
            as_of=as_of,
            started_at=timezone.now(),
            started_by=actor.user,
        )
    try:
        inputs = load_inputs(company_id, as_of, reuse=reuse_forecasts)
        plan = _plan(inputs, reuse_forecasts)
        write.write_plan(actor, run, inputs, plan, clock)
    except Exception as error:  # a failed run keeps its error; nothing of it was applied
        logger.exception("Replenishment run %s failed", run.pk)
        with transaction.atomic():
            ReplenishmentRun.objects.filter(pk=run.pk).update(
                state=RunState.FAILED,
                error=f"{type(error).__name__}: {error}"[:4000],
                finished_at=timezone.now(),
                seconds=round(time.monotonic() - clock, 3),
            )
            run.refresh_from_db()
            audit.record(actor, audit.Change("planning.run.fail", run, None, {"error": run.error}))
            events.publish(ReplenishmentRunFinished(run.pk, run.state, 0, 0, company_id=company_id))
    run.refresh_from_db()
    return run


def _plan(inputs: Inputs, reuse: bool) -> Plan:
    from crossdock.planning.offers import load_offers

    plan = Plan()
    report = plan.report
    settings = inputs.settings
    report["as_of"] = inputs.as_of.isoformat()
    report["items"] = len(inputs.keys)
    report["flagged_days"] = "replaced by the median of the series' unflagged demand days"
    clock = time.monotonic()
    forecast, history = forecast_items(inputs, reuse, report)
    report["seconds_forecast"] = round(time.monotonic() - clock, 3)
    horizon_days = settings.horizon_weeks * 7
    mean = calc.apply_overrides(
        forecast.mean, forecast.bucket_days, inputs.as_of, overrides_of(inputs, horizon_days)
    )
    offers = load_offers(
        inputs.company_id, {p for p, _ in inputs.keys}, on=inputs.as_of, problems=plan.problems
    )
    level_inputs, plannable = level_inputs_of(inputs, offers, plan)
    figures = calc.compute_levels(forecast, mean, level_inputs, horizon_days)
    stock = Stock.of(inputs)
    detect(inputs, plan, forecast, history, figures, level_inputs, stock, offers, plannable)
    decimals = {pk: places for pk, (_, places) in inputs.products.items()}
    plan.items = Items(inputs, forecast, figures, level_inputs, stock)
    decisions = plan_network(inputs, plan, plannable, offers, decimals)
    make_suggestions(inputs, plan, decisions)
    report["problems_total"] = len(plan.problems)
    report["problems"] = plan.problems[:MAX_PROBLEMS]
    return plan
