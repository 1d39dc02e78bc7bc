"""Reorder policies and forecast overrides: what a planner sets instead of the defaults.

Design overview
---------------
Without a :class:`ReorderPolicy` row an item is planned as automatic (s, S) at its ABC
class's service level. :func:`set_reorder_policy` writes (or replaces) the policy of one
product at one warehouse after checking every field; the manual min/max rule is checked
by :class:`crossdock.planning.policy.ManualMinMax`, whose :class:`PolicyError` names the
field (minimum above maximum, negative figures, a pack multiple of zero) and becomes a
field error here — nothing is written. :func:`clear_reorder_policy` returns the item to
the default.

:func:`create_forecast_override` records a planner's override for a period (a daily
rate, or a change in percent) with the reason; :func:`end_forecast_override` switches it
off. Every change is audited and published; the next run applies them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from crossdock.core import audit, events
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError, StaleVersionError, refuse_if
from crossdock.core.fields import PERCENT_SCALE, QUANTITY_SCALE
from crossdock.core.inputs import exact
from crossdock.core.permissions import require
from crossdock.masterdata.models import Product, Warehouse
from crossdock.planning.events import ForecastOverrideChanged, ReorderPolicyChanged
from crossdock.planning.models import (
    ForecastOverride,
    PolicyMethod,
    ReorderPolicy,
    ServiceMeasure,
)

MAX_REVIEW_DAYS = 365
MAX_NOTE = 300


@dataclass(frozen=True)
class PolicyDraft:
    """A policy as the planner gives it; figures are decimals (strings are read exactly)."""

    product_id: int
    warehouse_id: int
    method: str = PolicyMethod.REORDER_POINT
    min_quantity: Any = None
    max_quantity: Any = None
    pack_multiple: Any = None
    max_capacity: Any = None
    review_period_days: Any = None
    service_level: Any = None
    service_measure: str = ""
    note: str = ""


@dataclass(frozen=True)
class OverrideDraft:
    product_id: int
    warehouse_id: int
    starts_on: Any
    ends_on: Any
    reason: Any
    daily_quantity: Any = None
    change_percent: Any = None


def _place(
    actor: Actor, product_id: Any, warehouse_id: Any, problems: dict[str, list[str]]
) -> tuple[Product | None, Warehouse | None]:
    """The product and the warehouse (within the actor's scope), noting what is wrong."""
    product = Product.objects.filter(pk=product_id).first() if isinstance(product_id, int) else None
    if product is None:
        problems["product"] = ["Unknown product."]
    warehouses = Warehouse.objects.select_related("company")
    if actor.user is not None:
        warehouses = warehouses.in_scope_of(actor.user)
    warehouse = (
        warehouses.filter(pk=warehouse_id).first() if isinstance(warehouse_id, int) else None
    )
    if warehouse is None:
        problems["warehouse"] = ["Unknown warehouse."]
    return product, warehouse


def _optional(
    value: Any, places: int, where: str, problems: dict[str, list[str]], *, positive: bool = False
) -> Decimal | None:
    if value is None or value == "":
        return None
    return exact(value, places, where, problems, positive=positive)


def _check_policy(actor: Actor, draft: PolicyDraft) -> dict[str, Any]:
    from crossdock.planning.policy import ManualMinMax, PolicyError

    problems: dict[str, list[str]] = {}
    product, warehouse = _place(actor, draft.product_id, draft.warehouse_id, problems)
    if draft.method not in PolicyMethod.values:
        problems["method"] = [f"Choose one of {', '.join(PolicyMethod.values)}."]
    low = _optional(draft.min_quantity, QUANTITY_SCALE, "min_quantity", problems)
    high = _optional(draft.max_quantity, QUANTITY_SCALE, "max_quantity", problems)
    pack = _optional(draft.pack_multiple, QUANTITY_SCALE, "pack_multiple", problems, positive=True)
    capacity = _optional(draft.max_capacity, QUANTITY_SCALE, "max_capacity", problems)
    level = _optional(draft.service_level, PERCENT_SCALE, "service_level", problems)
    if level is not None and not 0 < level < 100:
        problems["service_level"] = ["Must be between 0 and 100 % (both excluded)."]
    if draft.service_measure and draft.service_measure not in ServiceMeasure.values:
        problems["service_measure"] = [f"Choose one of {', '.join(ServiceMeasure.values)}."]
    review = draft.review_period_days
    if review is not None and (
        isinstance(review, bool) or not isinstance(review, int) or not 1 <= review <= 365
    ):
        problems["review_period_days"] = [f"A whole number of days from 1 to {MAX_REVIEW_DAYS}."]
    if not isinstance(draft.note, str) or len(draft.note) > MAX_NOTE:
        problems["note"] = [f"At most {MAX_NOTE} characters."]
    if draft.method == PolicyMethod.MANUAL:
        if low is None and "min_quantity" not in problems:
            problems["min_quantity"] = ["A manual policy needs a minimum."]
        if high is None and "max_quantity" not in problems:
            problems["max_quantity"] = ["A manual policy needs a maximum."]
    if low is not None and high is not None:
        try:
            ManualMinMax(low, high, pack or Decimal(1))
        except PolicyError as error:
            problems.setdefault(error.field, []).append(error.message)
    if capacity is not None and high is not None and high > capacity:
        problems["max_quantity"] = [f"Above the maximum capacity of {capacity.normalize():f}."]
    refuse_if(problems)
    return {
        "product": product,
        "warehouse": warehouse,
        "company": warehouse.company if warehouse else None,
        "method": draft.method,
        "min_quantity": low,
        "max_quantity": high,
        "pack_multiple": pack,
        "max_capacity": capacity,
        "review_period_days": review,
        "service_level": level,
        "service_measure": draft.service_measure,
        "note": draft.note,
    }


def set_reorder_policy(
    actor: Actor, draft: PolicyDraft, *, expected_version: int | None = None
) -> ReorderPolicy:
    """Write the policy of one product at one warehouse (replacing the one there)."""
    values = _check_policy(actor, draft)
    with transaction.atomic():
        policy = (
            ReorderPolicy.objects.select_for_update()
            .filter(product=values["product"], warehouse=values["warehouse"])
            .first()
        )
        before = None if policy is None else audit.snapshot(policy)
        if policy is None:
            policy = ReorderPolicy(**values)
            require(actor, policy, "add")
            change = "set"
        else:
            require(actor, policy, "change")
            if expected_version is not None and expected_version != policy.version:
                raise StaleVersionError(
                    f"The policy changed since version {expected_version} "
                    f"(now {policy.version}); reload it.",
                    fields={"version": [f"Now {policy.version}."]},
                )
            for name, value in values.items():
                setattr(policy, name, value)
            policy.version += 1
            change = "change"
        policy.save()
        audit.record(
            actor, audit.Change(f"planning.policy.{change}", policy, before, audit.snapshot(policy))
        )
        events.publish(
            ReorderPolicyChanged(
                policy.pk,
                policy.product_id,
                policy.warehouse_id,
                change,
                company_id=policy.company_id,
            )
        )
        return policy


def _visible_policy(actor: Actor, policy_id: Any, action: str) -> ReorderPolicy:
    rows = ReorderPolicy.objects.all()
    if actor.user is not None:
        rows = ReorderPolicy.objects.restrict(actor.user)
    if not rows.filter(pk=policy_id).exists():
        raise NotFoundError(f"No reorder policy with id {policy_id}.")
    policy = ReorderPolicy.objects.select_for_update().get(pk=policy_id)
    require(actor, policy, action)
    return policy


def clear_reorder_policy(actor: Actor, policy_id: Any) -> None:
    """Remove a policy: the item is planned by the default automatic (s, S) again."""
    with transaction.atomic():
        policy = _visible_policy(actor, policy_id, "delete")
        before = audit.snapshot(policy)
        audit.record(actor, audit.Change("planning.policy.clear", policy, before, None))
        events.publish(
            ReorderPolicyChanged(
                policy.pk,
                policy.product_id,
                policy.warehouse_id,
                "clear",
                company_id=policy.company_id,
            )
        )
        policy.delete()


def _date(value: Any, where: str, problems: dict[str, list[str]]) -> datetime.date | None:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    problems[where] = ["Give a date (YYYY-MM-DD)."]
    return None


def create_forecast_override(actor: Actor, draft: OverrideDraft) -> ForecastOverride:
    """Record a planner's override of the forecast for a period, with the reason."""
    problems: dict[str, list[str]] = {}
    product, warehouse = _place(actor, draft.product_id, draft.warehouse_id, problems)
    starts = _date(draft.starts_on, "starts_on", problems)
    ends = _date(draft.ends_on, "ends_on", problems)
    if starts and ends and ends < starts:
        problems["ends_on"] = ["Cannot be before the start."]
    reason = draft.reason.strip() if isinstance(draft.reason, str) else ""
    if not reason:
        problems["reason"] = ["Say why the forecast is overridden."]
    elif len(reason) > MAX_NOTE:
        problems["reason"] = [f"At most {MAX_NOTE} characters."]
    daily = _optional(draft.daily_quantity, QUANTITY_SCALE, "daily_quantity", problems)
    percent = None
    if draft.change_percent is not None and draft.change_percent != "":
        percent = _signed_percent(draft.change_percent, problems)
    if (daily is None) == (percent is None) and not {"daily_quantity", "change_percent"} & set(
        problems
    ):
        problems["daily_quantity"] = ["Give either a daily quantity or a change in percent."]
    refuse_if(problems)
    assert warehouse is not None
    assert starts is not None
    assert ends is not None
    with transaction.atomic():
        override = ForecastOverride(
            company=warehouse.company,
            product=product,
            warehouse=warehouse,
            starts_on=starts,
            ends_on=ends,
            daily_quantity=daily,
            change_percent=percent,
            reason=reason,
            created_by=actor.user,
        )
        require(actor, override, "add")
        override.save()
        after = audit.snapshot(override)
        audit.record(actor, audit.Change("planning.override.create", override, None, after))
        events.publish(
            ForecastOverrideChanged(override.pk, "create", company_id=override.company_id)
        )
        return override


def _signed_percent(value: Any, problems: dict[str, list[str]]) -> Decimal | None:
    """A change in percent, which may be negative (a cut) but not -100 % or below."""
    text = str(value).strip() if isinstance(value, str | Decimal | int) else value
    negative = isinstance(text, str) and text.startswith("-")
    size = exact(text[1:] if negative else text, PERCENT_SCALE, "change_percent", problems)
    if size is None:
        return None
    result = -size if negative else size
    if result <= -100:
        problems["change_percent"] = ["A change of -100 % or less would leave no demand."]
        return None
    return result


def end_forecast_override(actor: Actor, override_id: Any) -> ForecastOverride:
    """Switch an override off (it stays on record)."""
    with transaction.atomic():
        rows = ForecastOverride.objects.all()
        if actor.user is not None:
            rows = ForecastOverride.objects.restrict(actor.user)
        if not rows.filter(pk=override_id).exists():
            raise NotFoundError(f"No forecast override with id {override_id}.")
        override = ForecastOverride.objects.select_for_update().get(pk=override_id)
        require(actor, override, "change")
        before = audit.snapshot(override)
        override.is_active = False
        override.version += 1
        override.save(update_fields=["is_active", "version", "updated_at"])
        audit.record(
            actor, audit.Change("planning.override.end", override, before, audit.snapshot(override))
        )
        events.publish(ForecastOverrideChanged(override.pk, "end", company_id=override.company_id))
        return override
