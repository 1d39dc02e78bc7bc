"""Planning setup: a company's planning settings, its transfer lanes and its promotions.

Design overview
---------------
Every service checks all the input first and refuses it naming every bad field (nothing is
written then), locks what it changes, records the change in the audit trail with the
before and after, and publishes ``planning.<model>.created/updated/deleted``.

* **Settings** — until a company saves them the defaults of
  :class:`~crossdock.planning.models.PlanningSettings` apply at version 0; each save adds
  one to the version and a caller that says which version it edited is refused (412) when
  someone saved in between. Service levels are exact percentages of at most four places,
  strictly between 0 and 100; day, week and month counts are whole numbers in the ranges of
  :data:`RANGES`.
* **Transfer lanes** — from one warehouse to a different one, with a lead time of 1 to
  365 days; one lane per pair. A lane belongs to the company of the warehouse it supplies
  (the one that plans through it). The source warehouse may belong to another company
  only inside the same group (the same holding company at the top of the ``parent``
  chain): the group's central warehouse supplying a sister company's depots is an
  intercompany transfer, never a lane to a stranger.
* **Promotions** — a named period (ends on or after it starts) for a product, or a
  category with the categories below it, or everything; at one warehouse of the company
  or all of them. The demand inside it is flagged (:func:`~crossdock.planning.services.
  classify.flag_demand`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction

from crossdock.core import audit, company_settings, events
from crossdock.core.company_settings import settings_version as settings_version
from crossdock.core.company_settings import whole_number
from crossdock.core.context import Actor
from crossdock.core.errors import NotFoundError, StaleVersionError, refuse_if
from crossdock.core.inputs import exact
from crossdock.core.permissions import ScopedModel, require
from crossdock.masterdata.models import Company, Product, ProductCategory, Warehouse
from crossdock.planning.models import PlanningSettings, Promotion, TransferLane

PERCENT_PLACES = 4
PERCENT_FIELDS = ("service_level_a", "service_level_b", "service_level_c")
RANGES: dict[str, tuple[int, int]] = {
    "review_period_days": (1, 365),
    "history_days": (56, 1830),
    "horizon_weeks": (1, 104),
    "excess_cover_months": (1, 60),
    "dead_stock_days": (30, 1830),
}
LIMIT_FIELDS: dict[str, tuple[Decimal, Decimal]] = {
    "bias_limit_percent": (Decimal(0), Decimal(1000)),
    "outlier_limit": (Decimal("0.5"), Decimal(100)),
}
MEASURES = ("cycle", "fill_rate")
SETTINGS_FIELDS = (*PERCENT_FIELDS, *RANGES, *LIMIT_FIELDS, "service_measure")
MAX_LEAD_DAYS = 365


def _publish(actor: Actor, instance: ScopedModel, action: str, company_id: int) -> None:
    label = instance._meta.label_lower
    events.publish(
        events.RecordChanged(label, str(instance.pk), action, actor.user_id, company_id=company_id)
    )


def _record(actor: Actor, action: str, instance: Any, before: Any) -> None:
    after = None if action == "delete" else audit.snapshot(instance)
    audit.record(actor, audit.Change(action, instance, before, after))


def _company(actor: Actor, company_id: Any) -> Company:
    rows = Company.objects.filter(pk=company_id) if isinstance(company_id, int) else None
    if rows is not None and actor.user is not None:
        rows = rows.in_scope_of(actor.user)
    found = rows.first() if rows is not None else None
    if found is None:
        raise NotFoundError(
            f"No company with id {company_id}.", fields={"company": ["No such company."]}
        )
    return found


def _whole(value: Any, name: str, low: int, high: int, problems: dict[str, list[str]]) -> int:
    number = whole_number(value, name, low, high, problems)
    return 0 if number is None else number


# -- settings -------------------------------------------------------------------------------


def settings_for(company_id: int) -> PlanningSettings:
    """The company's saved settings, or the defaults (unsaved) while it has none."""
    return company_settings.settings_for(PlanningSettings, company_id)


def check_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    """The given fields typed and checked; raises naming every bad field at once."""
    problems: dict[str, list[str]] = {}
    checked: dict[str, Any] = {}
    for name in data:
        if name not in SETTINGS_FIELDS:
            problems[name] = [f"Unknown setting; use {', '.join(SETTINGS_FIELDS)}."]
    for name in PERCENT_FIELDS:
        if name in data:
            number = exact(data[name], PERCENT_PLACES, name, problems)
            if number is not None and not Decimal(0) < number < Decimal(100):
                problems[name] = ["A percentage above 0 and below 100."]
            elif number is not None:
                checked[name] = number
    for name, (low_limit, high_limit) in LIMIT_FIELDS.items():
        if name in data:
            number = exact(data[name], PERCENT_PLACES, name, problems)
            if number is not None and not low_limit <= number <= high_limit:
                problems[name] = [f"From {low_limit} to {high_limit}."]
            elif number is not None:
                checked[name] = number
    for name, (low, high) in RANGES.items():
        if name in data:
            value = _whole(data[name], name, low, high, problems)
            if name not in problems:
                checked[name] = value
    if "service_measure" in data:
        if data["service_measure"] not in MEASURES:
            problems["service_measure"] = [f"One of {', '.join(MEASURES)}."]
        else:
            checked["service_measure"] = data["service_measure"]
    refuse_if(problems)
    return checked


def update_planning_settings(
    actor: Actor,
    company_id: Any,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> PlanningSettings:
    """Change some of the company's planning settings (the rest keep their values)."""
    checked = check_settings(data)
    return company_settings.save_company_settings(
        actor, PlanningSettings, company_id, checked,
        expected_version=expected_version, what="planning settings",
    )  # fmt: skip


# -- transfer lanes -------------------------------------------------------------------------


def group_of(company_id: int) -> int:
    """The holding company at the top of the company's ``parent`` chain."""
    seen: set[int] = set()
    current: int | None = company_id
    top = company_id
    while current is not None and current not in seen:
        seen.add(current)
        top = current
        current = Company.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return top


def _warehouse(actor: Actor, value: Any, name: str, problems: dict[str, list[str]]) -> Any:
    if isinstance(value, Warehouse):
        value = value.pk
    if isinstance(value, bool) or not isinstance(value, int):
        problems[name] = ["Give a warehouse id."]
        return None
    rows = Warehouse.objects.filter(pk=value)
    if actor.user is not None:
        rows = rows.in_scope_of(actor.user)
    found = rows.first()
    if found is None:
        problems[name] = [f"No warehouse with id {value}."]
    return found


def check_lane(actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    problems: dict[str, list[str]] = {}
    source = _warehouse(actor, data.get("from_warehouse"), "from_warehouse", problems)
    target = _warehouse(actor, data.get("to_warehouse"), "to_warehouse", problems)
    lead = _whole(data.get("lead_time_days", 1), "lead_time_days", 1, MAX_LEAD_DAYS, problems)
    active = data.get("is_active", True)
    if not isinstance(active, bool):
        problems["is_active"] = ["true or false."]
    if source is not None and target is not None:
        if source.pk == target.pk:
            problems["to_warehouse"] = ["A lane goes to a different warehouse."]
        elif source.company_id != target.company_id and group_of(source.company_id) != group_of(
            target.company_id
        ):
            problems["from_warehouse"] = [
                "A lane may come from another company's warehouse only inside the group."
            ]
    refuse_if(problems)
    return {
        "from_warehouse": source,
        "to_warehouse": target,
        "lead_time_days": lead,
        "is_active": active,
    }


def create_transfer_lane(actor: Actor, data: Mapping[str, Any]) -> TransferLane:
    """A lane from one warehouse to another (owned by the receiving warehouse's company)."""
    checked = check_lane(actor, data)
    with transaction.atomic():
        lane = TransferLane(company_id=checked["to_warehouse"].company_id, **checked)
        require(actor, lane, "add")
        if TransferLane.objects.filter(
            from_warehouse=lane.from_warehouse, to_warehouse=lane.to_warehouse
        ).exists():
            refuse_if({"to_warehouse": ["A lane between these warehouses already exists."]})
        lane.save()
        _record(actor, "create", lane, None)
        _publish(actor, lane, "created", lane.company_id)
        return lane


def _lock_lane(actor: Actor, lane_id: Any, action: str) -> TransferLane:
    rows = TransferLane.objects.all()
    if actor.user is not None:
        rows = rows.restrict(actor.user, action)
    lane = rows.select_for_update(of=("self",)).filter(pk=lane_id).first()
    if lane is None:
        raise NotFoundError(f"No transfer lane with id {lane_id}.")
    require(actor, lane, action)
    return lane


def _check_version(instance: ScopedModel, expected: int | None, what: str) -> None:
    if expected is not None and expected != instance.version:
        raise StaleVersionError(
            f"This {what} was changed by someone else; reload and try again.",
            fields={"version": [f"It is at version {instance.version} now."]},
        )


def update_transfer_lane(
    actor: Actor, lane_id: Any, data: Mapping[str, Any], *, expected_version: int | None = None
) -> TransferLane:
    """Change a lane's lead time or whether it is active (its warehouses stay)."""
    problems: dict[str, list[str]] = {}
    for name in data:
        if name not in ("lead_time_days", "is_active"):
            problems[name] = ["Only lead_time_days and is_active can change."]
    if "lead_time_days" in data:
        _whole(data["lead_time_days"], "lead_time_days", 1, MAX_LEAD_DAYS, problems)
    if "is_active" in data and not isinstance(data["is_active"], bool):
        problems["is_active"] = ["true or false."]
    refuse_if(problems)
    with transaction.atomic():
        lane = _lock_lane(actor, lane_id, "change")
        _check_version(lane, expected_version, "transfer lane")
        before = audit.snapshot(lane)
        for name, value in data.items():
            setattr(lane, name, int(value) if name == "lead_time_days" else value)
        lane.version += 1
        lane.save()
        _record(actor, "update", lane, before)
        _publish(actor, lane, "updated", lane.company_id)
        return lane


def delete_transfer_lane(
    actor: Actor, lane_id: Any, *, expected_version: int | None = None
) -> None:
    with transaction.atomic():
        lane = _lock_lane(actor, lane_id, "delete")
        _check_version(lane, expected_version, "transfer lane")
        before = audit.snapshot(lane)
        _record(actor, "delete", lane, before)
        _publish(actor, lane, "deleted", lane.company_id)
        lane.delete()


# -- promotions -----------------------------------------------------------------------------


def _date(value: Any, name: str, problems: dict[str, list[str]]) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        problems[name] = ["A date such as 2026-05-01."]
        return None


def check_promotion(actor: Actor, company: Company, data: Mapping[str, Any]) -> dict[str, Any]:
    problems: dict[str, list[str]] = {}
    known = {"name", "product", "category", "warehouse", "starts_on", "ends_on"}
    for field in data:
        if field not in known:
            problems[field] = [f"Unknown field; use {', '.join(sorted(known))}."]
    checked: dict[str, Any] = {}
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        problems["name"] = ["A name of 1 to 120 characters."]
    else:
        checked["name"] = name.strip()
    starts = _date(data.get("starts_on"), "starts_on", problems)
    ends = _date(data.get("ends_on"), "ends_on", problems)
    if starts is not None and ends is not None and ends < starts:
        problems["ends_on"] = ["A promotion ends on or after the day it starts."]
    checked.update(starts_on=starts, ends_on=ends)
    product = data.get("product")
    category = data.get("category")
    if product is not None and category is not None:
        problems["category"] = ["Give a product or a category, not both."]
    checked["product"] = checked["category"] = checked["warehouse"] = None
    if product is not None:
        checked["product"] = (
            Product.objects.filter(pk=product).first() if isinstance(product, int) else None
        )
        if checked["product"] is None:
            problems["product"] = [f"No product with id {product}."]
    if category is not None:
        checked["category"] = (
            ProductCategory.objects.filter(pk=category).first()
            if isinstance(category, int)
            else None
        )
        if checked["category"] is None:
            problems["category"] = [f"No category with id {category}."]
    warehouse = data.get("warehouse")
    if warehouse is not None:
        found = _warehouse(actor, warehouse, "warehouse", problems)
        if found is not None and found.company_id != company.pk:
            problems["warehouse"] = ["A warehouse of the promotion's company."]
        checked["warehouse"] = found
    refuse_if(problems)
    return checked


def create_promotion(actor: Actor, company_id: Any, data: Mapping[str, Any]) -> Promotion:
    """A promotion period of the company; its demand is flagged on the next flagging run."""
    company = _company(actor, company_id)
    checked = check_promotion(actor, company, data)
    with transaction.atomic():
        promotion = Promotion(company=company, **checked)
        require(actor, promotion, "add")
        promotion.save()
        _record(actor, "create", promotion, None)
        _publish(actor, promotion, "created", company.pk)
        return promotion


def _lock_promotion(actor: Actor, promotion_id: Any, action: str) -> Promotion:
    rows = Promotion.objects.all()
    if actor.user is not None:
        rows = rows.restrict(actor.user, action)
    found = rows.select_for_update(of=("self",)).filter(pk=promotion_id).first()
    if found is None:
        raise NotFoundError(f"No promotion with id {promotion_id}.")
    require(actor, found, action)
    return found


def update_promotion(
    actor: Actor, promotion_id: Any, data: Mapping[str, Any], *, expected_version: int | None = None
) -> Promotion:
    """Change a promotion; the fields not sent keep their values."""
    with transaction.atomic():
        promotion = _lock_promotion(actor, promotion_id, "change")
        _check_version(promotion, expected_version, "promotion")
        current = {
            "name": promotion.name,
            "product": promotion.product_id,
            "category": promotion.category_id,
            "warehouse": promotion.warehouse_id,
            "starts_on": promotion.starts_on,
            "ends_on": promotion.ends_on,
        }
        checked = check_promotion(actor, promotion.company, {**current, **data})
        before = audit.snapshot(promotion)
        for name, value in checked.items():
            setattr(promotion, name, value)
        promotion.version += 1
        promotion.save()
        _record(actor, "update", promotion, before)
        _publish(actor, promotion, "updated", promotion.company_id)
        return promotion


def delete_promotion(
    actor: Actor, promotion_id: Any, *, expected_version: int | None = None
) -> None:
    with transaction.atomic():
        promotion = _lock_promotion(actor, promotion_id, "delete")
        _check_version(promotion, expected_version, "promotion")
        _record(actor, "delete", promotion, audit.snapshot(promotion))
        _publish(actor, promotion, "deleted", promotion.company_id)
        promotion.delete()
